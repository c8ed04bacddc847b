"""Writes for model file hashes: keep a finished hash (``file_hashes``) and fill it into every run whose
fingerprint recorded the file as pending (``{"path", "size", "mtime"}`` without a hash: the run ended before
the background hasher got to it)."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from paramlab.ledger import Ledger
from paramlab.ledger.reads.file_hashes import FileHash, file_hashes, pending_run_filter, runs
from paramlab.ledger.records import utc_now

MODEL_SHA256 = "model_sha256"  # the fingerprint's field of model file hashes (see paramlab.seeds.fingerprint)


def store_file_hash(conn: Connection, found: FileHash) -> None:
    """Keep (or replace) the file's hash."""
    conn.execute(file_hashes.delete().where(file_hashes.c.path == found.path))
    conn.execute(file_hashes.insert().values(path=found.path, size_bytes=found.size_bytes, mtime=found.mtime,
                                             sha256=found.sha256, hashed_at=utc_now()))


def is_pending_for(entry: Any, found: FileHash) -> bool:
    """Whether a fingerprint's entry waits for exactly this file (same path, size and modification time)."""
    return (isinstance(entry, dict) and "sha256" not in entry and entry.get("path") == found.path
            and entry.get("size") == found.size_bytes and entry.get("mtime") == found.mtime)


def fill_pending_hashes(conn: Connection, found: FileHash) -> int:
    """Put the hash into every run whose fingerprint waits for it; returns how many runs changed."""
    changed = 0
    for run_id, text in conn.execute(sa.select(runs.c.id, runs.c.fingerprint).where(pending_run_filter(found.path))):
        try:
            fingerprint = json.loads(text)
        except (TypeError, ValueError):
            continue
        hashes = fingerprint.get(MODEL_SHA256) if isinstance(fingerprint, dict) else None
        if not isinstance(hashes, dict):
            continue
        waiting = [key for key, entry in hashes.items() if is_pending_for(entry, found)]
        if not waiting:
            continue
        hashes.update(dict.fromkeys(waiting, found.sha256))
        conn.execute(runs.update().where(runs.c.id == run_id).values(
            fingerprint=json.dumps(fingerprint, sort_keys=True, ensure_ascii=False, default=str)))
        changed += 1
    return changed


def apply_file_hash(conn: Connection, found: FileHash) -> int:
    """Keep the hash and fill the runs waiting for it, in the caller's transaction."""
    store_file_hash(conn, found)
    return fill_pending_hashes(conn, found)


def record_file_hash(ledger: Ledger, found: FileHash) -> int:
    """:func:`apply_file_hash` in a transaction of its own; returns how many runs were filled in."""
    with ledger.transaction(f"record the hash of {found.path}") as conn:
        return apply_file_hash(conn, found)


__all__ = ["apply_file_hash", "fill_pending_hashes", "is_pending_for", "record_file_hash", "store_file_hash"]
