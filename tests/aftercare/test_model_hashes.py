"""The model file hasher: pending until hashed, once per file (size + mtime), never while the host is busy."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from pathlib import Path

from paramlab.aftercare.model_hashes import ModelFileHasher
from paramlab.ledger.reads.file_hashes import FileHash


def model(path: Path, size: int = 3 * 1024 * 1024) -> str:
    path.write_bytes(os.urandom(size))
    return str(path)


def test_a_file_is_pending_then_hashed_once_on_the_hashers_thread(tmp_path: Path) -> None:
    delivered: list[FileHash] = []
    hasher = ModelFileHasher(delivered.append, quiet_seconds=0.01)
    path = model(tmp_path / "a.safetensors")
    try:
        first = hasher.sha256_or_pending(path)
        assert first == {"path": path, "size": 3 * 1024 * 1024, "mtime": os.stat(path).st_mtime}
        assert hasher.sha256_or_pending(path) == first  # asked twice: queued once
        assert hasher.flush(30)
        expected = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        assert [found.sha256 for found in delivered] == [expected]
        assert hasher.sha256_or_pending(path) == expected
        assert hasher.hashed == [(path, "paramlab-model-hashes")]
        assert threading.current_thread().name != "paramlab-model-hashes"
        assert hasher.sha256_or_pending(str(tmp_path / "missing.safetensors")) is None
    finally:
        hasher.close()


def test_known_hashes_are_not_hashed_again_but_still_delivered(tmp_path: Path) -> None:
    path = model(tmp_path / "b.safetensors", size=10)
    stat = os.stat(path)
    known = {path: FileHash(path, stat.st_size, stat.st_mtime, "ab" * 32)}
    delivered: list[FileHash] = []
    hasher = ModelFileHasher(delivered.append, known=lambda: known, quiet_seconds=0.01)
    try:
        hasher.sha256_or_pending(path)  # may come before the ledger's hashes are loaded: then pending
        assert hasher.flush(30)
        assert hasher.sha256_or_pending(path) == "ab" * 32 and hasher.hashed == []
    finally:
        hasher.close()


def paused(hasher: ModelFileHasher) -> bool:
    """Whether the hasher's thread reached a pause, polled up to a deadline (never judged by time)."""
    waiting = threading.Event()
    deadline = time.monotonic() + 30
    while hasher.pauses == 0 and time.monotonic() < deadline:
        waiting.wait(0.01)
    return hasher.pauses >= 1


def test_hashing_waits_while_the_host_is_busy(tmp_path: Path) -> None:
    idle = threading.Event()
    delivered: list[FileHash] = []
    hasher = ModelFileHasher(delivered.append, may_run=idle.is_set, quiet_seconds=0.05)
    try:
        hasher.sha256_or_pending(model(tmp_path / "c.safetensors"))
        assert paused(hasher) and delivered == []
        idle.set()
        assert hasher.flush(30) and len(delivered) == 1
    finally:
        hasher.close()


def test_closing_stops_a_hash_half_done(tmp_path: Path) -> None:
    delivered: list[FileHash] = []
    hasher = ModelFileHasher(delivered.append, may_run=lambda: False, quiet_seconds=0.01)
    hasher.sha256_or_pending(model(tmp_path / "d.safetensors"))
    assert paused(hasher)  # the hash has begun and waits for a quiet host
    hasher.close(5)
    assert delivered == [] and not hasher._thread.is_alive()
