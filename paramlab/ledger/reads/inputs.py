"""Reads of what a run needs to be made again: its input images (role, source, whether kept and why not), their
stored bytes (verified against their SHA-256), its replay arguments and other extensions' values.

The image detail, the inputs route and the replay read here; the bytes come through
:func:`paramlab.ledger.input_store.read_blob`, which never follows a stored path out of the inputs folder.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

import sqlalchemy as sa

from paramlab.ledger import Ledger
from paramlab.ledger.input_store import MissingInput, is_sha256, read_blob
from paramlab.ledger.replay_schema import input_blobs, run_extension_values, run_inputs
from paramlab.ledger.schema import images, runs


@dataclass(frozen=True)
class RunInput:
    """One input image of a run as the ledger holds it; ``stored`` is False when its bytes were not kept
    (``not_stored`` says why) or its blob row is gone."""

    source: str
    role: str
    position: int
    arg_path: str | None
    sha256: str | None
    width: int | None
    height: int | None
    size_bytes: int | None
    not_stored: str | None
    stored: bool

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def run_inputs_of(ledger: Ledger, run_id: int) -> list[RunInput]:
    """The run's inputs in a steady order (source, role, position)."""
    query = (sa.select(run_inputs.c.source, run_inputs.c.role, run_inputs.c.position, run_inputs.c.arg_path,
                       run_inputs.c.sha256, run_inputs.c.width, run_inputs.c.height, input_blobs.c.size_bytes,
                       run_inputs.c.not_stored, input_blobs.c.sha256.is_not(None).label("stored"))
             .select_from(run_inputs.outerjoin(input_blobs, input_blobs.c.sha256 == run_inputs.c.sha256))
             .where(run_inputs.c.run_id == run_id)
             .order_by(run_inputs.c.source, run_inputs.c.role, run_inputs.c.position))
    with ledger.read(f"read run {run_id}'s input images") as conn:
        return [RunInput(**{**dict(row), "stored": bool(row.stored)}) for row in conn.execute(query).mappings()]


def run_id_of_image(ledger: Ledger, image_id: int) -> int | None:
    with ledger.read(f"read image {image_id}'s run") as conn:
        found = conn.execute(sa.select(images.c.run_id).where(images.c.id == image_id)).scalar_one_or_none()
    return int(found) if found is not None else None


def image_inputs(ledger: Ledger, image_id: int) -> list[RunInput]:
    """The inputs of the run that made image ``image_id`` (none for an unknown image)."""
    run_id = run_id_of_image(ledger, image_id)
    return run_inputs_of(ledger, run_id) if run_id is not None else []


def extension_values_of(ledger: Ledger, run_id: int) -> list[tuple[str, str, str | None]]:
    """Other extensions' settings of the run as (script, name, value), by script then name."""
    table = run_extension_values
    query = (sa.select(table.c.script, table.c.name, table.c.value).where(table.c.run_id == run_id)
             .order_by(table.c.script, table.c.name))
    with ledger.read(f"read run {run_id}'s extension settings") as conn:
        return [(row.script, row.name, row.value) for row in conn.execute(query)]


def replay_args_of(ledger: Ledger, run_id: int) -> dict[str, Any]:
    """``runs.replay_args`` as a dict (empty when the run recorded none, or it cannot be read as JSON)."""
    with ledger.read(f"read run {run_id}'s replay arguments") as conn:
        text = conn.execute(sa.select(runs.c.replay_args).where(runs.c.id == run_id)).scalar_one_or_none()
    try:
        loaded = json.loads(text) if text else {}
    except ValueError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


def image_replay_detail(ledger: Ledger, image_id: int) -> dict[str, Any] | None:
    """What the image detail shows of its run's replay: the verdict and its reason, the inputs and the other
    extensions' settings; None when there is no such image."""
    run_id = run_id_of_image(ledger, image_id)
    if run_id is None:
        return None
    with ledger.read(f"read run {run_id}'s replay verdict") as conn:
        verdict = conn.execute(sa.select(runs.c.replay_verdict, runs.c.replay_reason)
                               .where(runs.c.id == run_id)).first()
    return {"run_id": run_id, "replay_verdict": verdict[0] if verdict else None,
            "replay_reason": verdict[1] if verdict else None, "inputs": run_inputs_of(ledger, run_id),
            "extension_values": extension_values_of(ledger, run_id)}


def input_blob(ledger: Ledger, sha256: str) -> bytes:
    """The stored bytes of one input image, verified; :class:`MissingInput` names what is wrong."""
    with ledger.read("read a stored input image") as conn:
        return read_blob(conn, sha256)


def referenced_input_blob(ledger: Ledger, sha256: str) -> bytes | None:
    """The bytes of an input image some run of this ledger names, verified; None when ``sha256`` is not such
    an input (malformed, or no run names it), so a caller serves only what the ledger's runs used."""
    if not is_sha256(sha256):
        return None
    with ledger.read("read a stored input image") as conn:
        named = conn.execute(sa.select(run_inputs.c.run_id).where(run_inputs.c.sha256 == sha256).limit(1)).first()
        return read_blob(conn, sha256) if named is not None else None


__all__ = ["MissingInput", "RunInput", "extension_values_of", "image_inputs", "image_replay_detail", "input_blob",
           "referenced_input_blob", "replay_args_of", "run_id_of_image", "run_inputs_of"]
