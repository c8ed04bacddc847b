"""The model files already hashed (``file_hashes``): what the background hasher need not hash again, and the
runs whose fingerprint still waits for a file's hash."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from paramlab.ledger import Ledger, schema

file_hashes, runs = schema.file_hashes, schema.runs


@dataclass(frozen=True)
class FileHash:
    """A file's full SHA-256, valid while the file keeps this size and modification time."""

    path: str
    size_bytes: int
    mtime: float
    sha256: str

    def matches(self, size_bytes: int, mtime: float) -> bool:
        return self.size_bytes == size_bytes and self.mtime == mtime


def known_file_hashes(ledger: Ledger) -> dict[str, FileHash]:
    """Every hashed file by path (read once when the hasher starts)."""
    with ledger.read("read the model file hashes") as conn:
        rows = conn.execute(sa.select(file_hashes.c.path, file_hashes.c.size_bytes, file_hashes.c.mtime,
                                      file_hashes.c.sha256)).all()
    return {row.path: FileHash(row.path, int(row.size_bytes), float(row.mtime), row.sha256) for row in rows}


def pending_run_filter(path: str) -> sa.ColumnElement[bool]:
    """Runs whose fingerprint text names ``path`` (a pending hash records the path; checked exactly after)."""
    import json

    return runs.c.fingerprint.contains(json.dumps(path, ensure_ascii=False), autoescape=True)


def runs_waiting_for(ledger: Ledger, path: str) -> list[str]:
    """The run uids whose fingerprint names ``path`` (a hash still pending, or one filled from it)."""
    with ledger.read("read the runs waiting for a model hash") as conn:
        return list(conn.execute(sa.select(runs.c.run_uid).where(pending_run_filter(path))).scalars())


__all__ = ["FileHash", "known_file_hashes", "pending_run_filter", "runs_waiting_for"]
