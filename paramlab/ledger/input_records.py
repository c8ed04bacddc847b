"""A run's input images and other extensions' arguments, handed from the generation thread to the writer.

The capture side builds :class:`RecordRunInputs` right after :class:`~paramlab.ledger.operations.StartRun`
holding the PIL images only (microseconds on the generation thread). The writer prepares it on its own thread
(:func:`paramlab.ledger.input_store.prepare_inputs`: PNG encoding, SHA-256, the size cap) BEFORE the transaction,
then applies it in one transaction (:func:`paramlab.ledger.input_store.apply_run_inputs`).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any, ClassVar

from sqlalchemy.engine import Connection

from paramlab.ledger.input_store import InputStorage, encode_input, prepare_input, store_blob
from paramlab.ledger.replay_schema import run_extension_values, run_inputs
from paramlab.ledger.replay_verdict import refresh_replay_verdict
from paramlab.ledger.rows import run_id_of
from paramlab.ledger.schema import runs

PLACEHOLDER = "paramlab_input"


@dataclass
class InputRecord:
    """One input image of a run, with where it came from and what it was for."""

    source: str  # "img2img", "ControlNet unit 0", "ADetailer", or the script title
    role: str  # "init" | "mask" | "control" | "script"
    position: int  # index within (source, role): init_images[i], unit index …
    arg_path: str | None  # where it was: "img2img/init_images/0", "ControlNet/args/0/image"
    image: Any = field(default=None, repr=False, compare=False)  # a PIL image; never encoded on the generation thread
    png: bytes | None = field(default=None, repr=False)  # filled on the writer thread; base64 in the spill file
    sha256: str | None = None  # sha256 of the PNG bytes
    width: int | None = None
    height: int | None = None
    not_stored: str | None = None  # why it was not kept ("input storage is off", "5.1 MB is over the 4 MB cap")

    def to_json(self) -> dict[str, Any]:
        """The spill file's form: an image not encoded yet is encoded now, so the bytes survive a restart."""
        if self.png is None and self.image is not None and self.not_stored is None:
            encode_input(self)
        return {"source": self.source, "role": self.role, "position": self.position, "arg_path": self.arg_path,
                "png": base64.b64encode(self.png).decode("ascii") if self.png is not None else None,
                "sha256": self.sha256, "width": self.width, "height": self.height, "not_stored": self.not_stored}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> InputRecord:
        png = data.get("png")
        return cls(data["source"], data["role"], int(data["position"]), data.get("arg_path"),
                   png=base64.b64decode(png) if png is not None else None, sha256=data.get("sha256"),
                   width=data.get("width"), height=data.get("height"), not_stored=data.get("not_stored"))


@dataclass
class RecordRunInputs:
    """A run's inputs (stored once by SHA-256), its replay arguments and its extensions' flat values."""

    kind: ClassVar[str] = "run_inputs"
    run_uid: str
    inputs: list[InputRecord]
    replay_args: dict[str, Any]  # runs.replay_args, images as {"paramlab_input": <index into inputs>}
    values: list[tuple[str, str, str]]  # (script title, name, value) for run_extension_values

    def prepare(self, storage: InputStorage) -> None:
        """On the writer thread, before the transaction: encode, hash and apply Settings' on/off and cap."""
        for item in self.inputs:
            try:
                prepare_input(item, storage)
            except Exception as exc:  # noqa: BLE001 - an odd object handed over as an image must not lose the run
                item.image = item.png = item.sha256 = None
                item.not_stored = f"it could not be read as an image ({type(exc).__name__}: {exc})"

    def apply(self, conn: Connection) -> None:
        if any(item.image is not None for item in self.inputs):
            raise ValueError("ParamLab: a run's inputs reached the ledger unprepared (PNG encoding belongs before "
                             "the transaction: RecordRunInputs.prepare)")
        run_id = run_id_of(conn, self.run_uid)
        for item in self.inputs:
            store_blob(conn, item)
        conn.execute(run_inputs.delete().where(run_inputs.c.run_id == run_id))
        rows = {(item.source[:200], item.role[:32], item.position): _input_row(run_id, item) for item in self.inputs}
        if rows:
            conn.execute(run_inputs.insert(), list(rows.values()))
        conn.execute(runs.update().where(runs.c.id == run_id).values(
            replay_args=json.dumps(resolve_placeholders(self.replay_args, self.inputs), ensure_ascii=False)))
        conn.execute(run_extension_values.delete().where(run_extension_values.c.run_id == run_id))
        values = {(script[:200], name[:200]): value for script, name, value in self.values}
        if values:
            conn.execute(run_extension_values.insert(), [
                {"run_id": run_id, "script": script, "name": name, "value": value}
                for (script, name), value in values.items()])
        refresh_replay_verdict(conn, run_id)

    def to_json(self) -> dict[str, Any]:
        return {"op": self.kind, "run_uid": self.run_uid, "inputs": [item.to_json() for item in self.inputs],
                "replay_args": self.replay_args, "values": [list(triple) for triple in self.values]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RecordRunInputs:
        return cls(data["run_uid"], [InputRecord.from_json(item) for item in data.get("inputs") or []],
                   dict(data.get("replay_args") or {}),
                   [(str(script), str(name), str(value)) for script, name, value in data.get("values") or []])


def _input_row(run_id: int, item: InputRecord) -> dict[str, Any]:
    return {"run_id": run_id, "source": item.source[:200], "role": item.role[:32], "position": item.position,
            "arg_path": item.arg_path[:400] if item.arg_path else None, "sha256": item.sha256, "width": item.width,
            "height": item.height, "not_stored": item.not_stored}


def resolve_placeholders(value: Any, inputs: list[InputRecord]) -> Any:
    """``{"paramlab_input": <index>}`` becomes ``{"paramlab_input": <sha256>}``, or ``null`` with ``not_stored``
    saying why, so the stored arguments name their images by content."""
    if isinstance(value, list):
        return [resolve_placeholders(item, inputs) for item in value]
    if not isinstance(value, dict):
        return value
    index = value.get(PLACEHOLDER)
    if PLACEHOLDER not in value or isinstance(index, bool) or not isinstance(index, int):
        return {key: resolve_placeholders(item, inputs) for key, item in value.items()}
    item = inputs[index] if 0 <= index < len(inputs) else None
    others = {key: entry for key, entry in value.items() if key not in (PLACEHOLDER, "not_stored")}
    if item is not None and item.sha256:
        return {PLACEHOLDER: item.sha256, **others}
    why = item.not_stored if item is not None else f"input {index} was not captured"
    return {PLACEHOLDER: None, "not_stored": why or "not stored", **others}
