"""A run's input images and other extensions' arguments, handed from the generation thread to the writer.

The capture side builds :class:`RecordRunInputs` right after :class:`~paramlab.ledger.operations.StartRun`
holding the PIL images only (microseconds on the generation thread). The writer prepares it on its own thread
(:func:`paramlab.ledger.input_store.prepare_inputs`: PNG encoding, SHA-256, the size cap) BEFORE the transaction,
then applies it in one transaction (:func:`paramlab.ledger.input_store.apply_run_inputs`).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any, ClassVar

from sqlalchemy.engine import Connection

from paramlab.ledger.input_store import apply_run_inputs, encode_input


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

    def apply(self, conn: Connection) -> None:
        apply_run_inputs(conn, self)

    def to_json(self) -> dict[str, Any]:
        return {"op": self.kind, "run_uid": self.run_uid, "inputs": [item.to_json() for item in self.inputs],
                "replay_args": self.replay_args, "values": [list(triple) for triple in self.values]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RecordRunInputs:
        return cls(data["run_uid"], [InputRecord.from_json(item) for item in data.get("inputs") or []],
                   dict(data.get("replay_args") or {}),
                   [(str(script), str(name), str(value)) for script, name, value in data.get("values") or []])
