"""Input images stored once by SHA-256: beside an SQLite ledger as files, inside a team ledger's database.

First version: the encoding used by the spill file; storing follows.
"""

from __future__ import annotations

import hashlib
import io
from typing import TYPE_CHECKING

from sqlalchemy.engine import Connection

if TYPE_CHECKING:
    from paramlab.ledger.input_records import InputRecord, RecordRunInputs


def encode_input(item: InputRecord) -> None:
    """The image as PNG bytes (fixed compression, no metadata) and their SHA-256; the image is dropped."""
    image = item.image
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=6, icc_profile=None)
    item.png = buffer.getvalue()
    item.sha256 = hashlib.sha256(item.png).hexdigest()
    item.width, item.height = image.size
    item.image = None


def apply_run_inputs(conn: Connection, operation: RecordRunInputs) -> None:
    raise NotImplementedError("ParamLab: storing a run's inputs is being written (issue 20)")
