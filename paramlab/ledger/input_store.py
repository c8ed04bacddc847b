"""A run's input images, stored once by the SHA-256 of their PNG bytes.

Beside an SQLite ledger each is a file, ``<ledger folder>/inputs/<sha[:2]>/<sha256>.png`` (``stored_path`` is
relative to the ledger's folder), written atomically BEFORE the row that names it is committed, so a crash leaves
at most an unnamed file, never a row without its bytes. In a team ledger (PostgreSQL), whose machines share no
folder, the bytes go in ``input_blobs.data``. The same image used by 20 renders is stored once.

Reading verifies the SHA-256: a damaged or truncated file reads as missing, with the reason. A ``stored_path``
comes from a row another machine may have written: it is only followed inside the ledger's inputs folder.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from paramlab.ledger.records import utc_now
from paramlab.ledger.replay_schema import input_blobs
from paramlab.ledger.store import LedgerError
from paramlab.ledger.urls import sqlite_path

if TYPE_CHECKING:
    from paramlab.ledger.input_records import InputRecord

INPUTS_FOLDER = "inputs"
PNG_MEDIA_TYPE = "image/png"
DEFAULT_MAX_MB = 16
MEGABYTE = 1024 * 1024
_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class InputStorage:
    """What Settings ask of input images: whether to keep them, and the largest PNG kept (0 = no cap)."""

    enabled: bool = True
    max_bytes: int = DEFAULT_MAX_MB * MEGABYTE


class MissingInput(LedgerError):
    """A stored input cannot be read back as it was stored (gone, damaged, or never kept)."""


def is_sha256(text: object) -> bool:
    """Exactly 64 lower-case hex digits: the only form a blob's name may take."""
    return isinstance(text, str) and _SHA256.fullmatch(text) is not None


# -- on the writer thread, before the transaction ------------------------------------------------


def encode_input(item: InputRecord) -> None:
    """The image as PNG bytes (fixed compression, no metadata) and their SHA-256; the image is dropped."""
    image, item.image = item.image, None
    item.width, item.height = image.size
    try:
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", compress_level=6, icc_profile=None)
    except (OSError, ValueError, TypeError, KeyError) as exc:  # an image mode PNG cannot hold, a broken image
        item.not_stored = f"it could not be written as PNG ({exc})"
        return
    item.png = buffer.getvalue()
    item.sha256 = hashlib.sha256(item.png).hexdigest()


def prepare_input(item: InputRecord, storage: InputStorage) -> None:
    """Encode and hash one input, or say why it is not kept (storage off, over the cap). Safe to repeat: an
    input read back from a spill file has its bytes already, and is hashed again rather than trusted."""
    if item.not_stored is None and not storage.enabled:
        item.not_stored = "input storage is off"
    if item.not_stored is not None:
        if item.image is not None:
            item.width, item.height = item.image.size
        item.image = item.png = item.sha256 = None
        return
    if item.png is None and item.image is not None:
        encode_input(item)
    if item.png is None:
        item.sha256 = None
        item.not_stored = item.not_stored or "no image was received"
        return
    item.sha256 = hashlib.sha256(item.png).hexdigest()
    if storage.max_bytes and len(item.png) > storage.max_bytes:
        item.not_stored = (f"{len(item.png) / MEGABYTE:.1f} MB is over the {storage.max_bytes / MEGABYTE:g} MB "
                           "cap for input images")
        item.png = item.sha256 = None


# -- inside the transaction -----------------------------------------------------------------------


def ledger_folder(conn: Connection) -> Path | None:
    """The SQLite ledger's folder (blobs are files there); None for a database server (blobs are rows)."""
    path = sqlite_path(conn.engine.url)
    return path.parent if path is not None else None


def blob_relative_path(sha256: str) -> str:
    return f"{INPUTS_FOLDER}/{sha256[:2]}/{sha256}.png"


def store_blob(conn: Connection, item: InputRecord) -> None:
    """Keep the input's bytes once: an SQLite ledger's file is written (atomically) before its row, a team
    ledger's bytes go in the row. A blob already stored is not written again; a file found missing or cut
    short is written again, since its bytes are at hand."""
    sha256, png = item.sha256, item.png
    if sha256 is None or png is None:
        return
    folder = ledger_folder(conn)
    known = conn.execute(sa.select(input_blobs.c.stored_path, input_blobs.c.data.is_not(None))
                         .where(input_blobs.c.sha256 == sha256)).first()
    if folder is None:
        if known is None:
            conn.execute(input_blobs.insert().values(_blob_row(item, data=png, stored_path=None)))
        elif not known[1]:
            conn.execute(input_blobs.update().where(input_blobs.c.sha256 == sha256).values(data=png))
        return
    relative = blob_relative_path(sha256)
    target = folder / relative
    if not (target.is_file() and target.stat().st_size == len(png)):
        write_file_atomically(target, png)
    if known is None:
        conn.execute(input_blobs.insert().values(_blob_row(item, data=None, stored_path=relative)))
    elif known[0] != relative and not known[1]:
        conn.execute(input_blobs.update().where(input_blobs.c.sha256 == sha256).values(stored_path=relative))


def _blob_row(item: InputRecord, *, data: bytes | None, stored_path: str | None) -> dict[str, object]:
    return {"sha256": item.sha256, "media_type": PNG_MEDIA_TYPE, "width": item.width, "height": item.height,
            "size_bytes": len(item.png or b""), "data": data, "stored_path": stored_path, "created_at": utc_now()}


def write_file_atomically(target: Path, data: bytes) -> None:
    """A temporary file beside the target, synced, then renamed over it: a reader sees the whole file or none."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _sync_folder(target.parent)


def _sync_folder(folder: Path) -> None:
    """The rename itself survives a power cut only once the folder is synced (POSIX; Windows has no need)."""
    if os.name != "posix":
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


# -- reading --------------------------------------------------------------------------------------


def read_blob(conn: Connection, sha256: str) -> bytes:
    """The stored bytes of one input, verified against their SHA-256; :class:`MissingInput` says what is wrong."""
    if not is_sha256(sha256):
        raise MissingInput(f"ParamLab: {str(sha256)[:80]!r} is not an input's SHA-256 (64 hex digits).")
    row = conn.execute(sa.select(input_blobs.c.data, input_blobs.c.stored_path)
                       .where(input_blobs.c.sha256 == sha256)).first()
    if row is None:
        raise MissingInput(f"ParamLab: the input image {sha256[:12]}… is not stored in this ledger.")
    return verified_blob(sha256, row[0], row[1], ledger_folder(conn))


def verified_blob(sha256: str, data: bytes | None, stored_path: str | None, folder: Path | None) -> bytes:
    """A blob row's bytes (its ``data``, else its file under ``folder``), checked against ``sha256``."""
    short = sha256[:12]
    if data is None:
        data = _read_blob_file(folder, short, stored_path)
    if hashlib.sha256(data).hexdigest() != sha256:
        raise MissingInput(f"ParamLab: the stored input image {short}… is damaged (its bytes no longer match its "
                           "SHA-256: changed or cut short); it reads as missing.")
    return bytes(data)


def _read_blob_file(folder: Path | None, short: str, stored_path: str | None) -> bytes:
    if folder is None or not stored_path:
        raise MissingInput(f"ParamLab: the input image {short}… was stored as a file beside another ledger; "
                           "its bytes are not in this one.")
    path = inside_inputs_folder(folder, stored_path)
    if path is None:
        raise MissingInput(f"ParamLab: the input image {short}… names a file outside this ledger's inputs folder "
                           f"({stored_path!r}); it is not read.")
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise MissingInput(f"ParamLab: the input image {short}… is missing: {path} is gone.") from None
    except OSError as exc:
        raise MissingInput(f"ParamLab: the input image {short}… cannot be read from {path}: {exc}") from None


def blob_for_target(row: dict[str, Any], source_folder: Path | None, target_folder: Path | None) -> dict[str, Any]:
    """An ``input_blobs`` row copied to another ledger (``paramlab migrate``): its bytes read and verified from
    the source, then put where the target keeps them (a file written before the row, or ``data``)."""
    data = verified_blob(row["sha256"], row["data"], row["stored_path"], source_folder)
    if target_folder is None:
        return {**row, "data": data, "stored_path": None, "size_bytes": len(data)}
    relative = blob_relative_path(row["sha256"])
    target = target_folder / relative
    if not (target.is_file() and target.stat().st_size == len(data)):
        write_file_atomically(target, data)
    return {**row, "data": None, "stored_path": relative, "size_bytes": len(data)}


def inside_inputs_folder(folder: Path, stored_path: str) -> Path | None:
    """``stored_path`` resolved under the ledger's folder, or None when it leads anywhere but a file inside
    its inputs folder (an absolute path, ``..``, a link out): a shared row must not read other files."""
    root = (folder / INPUTS_FOLDER).resolve()
    try:
        candidate = (folder / stored_path).resolve()
    except (OSError, ValueError, RuntimeError):
        return None
    if candidate == root or not candidate.is_relative_to(root) or candidate.suffix.lower() != ".png":
        return None
    return candidate
