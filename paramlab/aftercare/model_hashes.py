"""Full SHA-256 of the model files a run used (checkpoint, VAE, LoRAs, ControlNet models), never on the
generation thread and once per file.

At the end of a run the fingerprint asks :meth:`ModelFileHasher.sha256_or_pending` for each file: one
``stat`` and a dictionary look-up. A file hashed before (same path, size and modification time; kept in the
ledger's ``file_hashes``) gives its hash; any other is recorded as pending (``{"path", "size", "mtime"}``)
and queued. One low-priority worker thread hashes the queue and hands each hash to ``deliver``, which in the
WebUI submits a ledger operation that keeps it and fills it into every run that recorded the file as pending.

A thread, not ParamLab's background process: hashing is file reads and ``hashlib``'s C loop, both outside the
GIL, so the generation's Python never waits for it; nothing has to travel (the image aftercare ships pixels),
and a multi-gigabyte checkpoint must not hold up every image's thumbnail and figures in that process's queue.
What the background process gets from its priority and its freezing, this thread gets the same way: it runs
at idle priority (Linux ``SCHED_IDLE`` for this thread alone, else nothing: the pause below still holds), and
between every 1 MiB it stops while a generation samples on the CPU (``may_run`` False, the same rule as the
image aftercare, measured there: even idle-priority work beside a CPU sampler slows it) until a quiet spell.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from paramlab.aftercare.runner import POLL_SECONDS, QUIET_SECONDS, HostWatch
from paramlab.aftercare.work import sha256_of_file
from paramlab.ledger.reads.file_hashes import FileHash

log = logging.getLogger("paramlab")


class Closed(Exception):
    """The hasher was closed while it hashed a file (it is hashed again at the next start)."""


def pending_entry(path: str, size_bytes: int, mtime: float) -> dict[str, Any]:
    """What a fingerprint records for a file not hashed yet (filled in when the hash is done)."""
    return {"path": path, "size": size_bytes, "mtime": mtime}


def lower_thread_priority() -> str:
    """Make the calling thread yield to every other (Linux: ``SCHED_IDLE`` applies per thread)."""
    if hasattr(os, "sched_setscheduler") and hasattr(os, "SCHED_IDLE"):
        try:
            os.sched_setscheduler(threading.get_native_id(), os.SCHED_IDLE, os.sched_param(0))
            return "SCHED_IDLE"
        except OSError:
            pass
    return "as started"


class ModelFileHasher:
    """Hashes model files in the background; see the module's docstring.

    ``known`` loads the hashes already in the ledger (called once, on the hasher's thread); ``deliver``
    receives each new hash (and each known one a run was waiting for); ``may_run`` says whether the host is
    idle (False while a CPU generation runs)."""

    def __init__(self, deliver: Callable[[FileHash], None], known: Callable[[], dict[str, FileHash]] = dict,
                 may_run: Callable[[], bool] = lambda: True, quiet_seconds: float = QUIET_SECONDS):
        self._deliver = deliver
        self._known = known
        self.watch = HostWatch(may_run, quiet_seconds)  # public: a bench plays a GPU host with it
        self._hashes: dict[str, FileHash] = {}
        self._queue: deque[tuple[str, int, float, float]] = deque()  # path, size, mtime, when it was asked for
        self._queued: set[str] = set()
        self._condition = threading.Condition()
        self._closed = False
        self.hashed: list[tuple[str, str]] = []  # (path, the thread that hashed it), for the tests and the bench
        self.pauses = 0  # times hashing stopped because a generation started
        self.priority = ""
        self._thread = threading.Thread(target=self._loop, name="paramlab-model-hashes", daemon=True)
        self._thread.start()

    # -- any thread (the generation's: only a stat and a look-up) ---------------------------------

    def sha256_or_pending(self, path: str | None) -> str | dict[str, Any] | None:
        """The file's hash when known for its current size and time; else its pending entry (and it is queued).
        None when there is no such file."""
        if not path:
            return None
        path = os.path.abspath(path)
        try:
            found = os.stat(path)
        except OSError:
            return None
        with self._condition:
            known = self._hashes.get(path)
            if known is not None and known.matches(found.st_size, found.st_mtime):
                return known.sha256
            if path not in self._queued:
                self._queued.add(path)
                self._queue.append((path, found.st_size, found.st_mtime, time.monotonic()))
                self._condition.notify_all()
        return pending_entry(path, found.st_size, found.st_mtime)

    def flush(self, timeout: float = 60.0) -> bool:
        """Wait until every queued file was hashed and delivered; False on timeout."""
        with self._condition:
            return self._condition.wait_for(lambda: not self._queued, timeout)

    def close(self, timeout: float = 5.0) -> None:
        with self._condition:
            self._closed = True
            self._condition.notify_all()
        self._thread.join(timeout)

    # -- the hasher's thread --------------------------------------------------------------------

    def _loop(self) -> None:
        self.priority = lower_thread_priority()
        try:
            loaded = self._known()
        except Exception as exc:  # noqa: BLE001 - an unreadable ledger only means hashing again
            log.warning("ParamLab: model file hashes could not be read from the ledger: %s", exc)
            loaded = {}
        with self._condition:
            for path, known in loaded.items():
                self._hashes.setdefault(path, known)
        while True:
            with self._condition:
                self._condition.wait_for(lambda: self._queue or self._closed)
                if self._closed:
                    return
                path, size_bytes, mtime, asked_at = self._queue[0]
                known = self._hashes.get(path)
            try:
                self._let_the_run_be_written(asked_at)
                if known is None or not known.matches(size_bytes, mtime):
                    known = self._hash(path, size_bytes, mtime)
                if known is not None:
                    self._deliver(known)
            except Closed:
                return
            except Exception as exc:  # noqa: BLE001 - this thread must outlive any single file
                log.warning("ParamLab: the hash of %s could not be recorded: %s", path, exc)
            with self._condition:
                self._queue.popleft()
                self._queued.discard(path)
                if known is not None:
                    self._hashes[path] = known
                self._condition.notify_all()

    def _let_the_run_be_written(self, asked_at: float) -> None:
        """The run that asked submits its fingerprint to the writer just after asking; a hash delivered before
        that would find no run to fill. So each file waits the quiet spell after it was asked for."""
        spell = self.watch.quiet_seconds
        while not self._closed and time.monotonic() - asked_at < spell:
            with self._condition:
                self._condition.wait(max(0.0, spell - (time.monotonic() - asked_at)))
        if self._closed:
            raise Closed

    def _hash(self, path: str, size_bytes: int, mtime: float) -> FileHash | None:
        self._wait_for_quiet()  # not even the first MiB while a CPU generation runs
        try:
            sha = sha256_of_file(Path(path), between_chunks=self._wait_for_quiet)
            after = os.stat(path)
        except OSError as exc:
            log.warning("ParamLab: no SHA-256 for %s: %s", path, exc)
            return None
        if after.st_size != size_bytes or after.st_mtime != mtime:  # written to while hashed: next run asks again
            return None
        self.hashed.append((path, threading.current_thread().name))
        return FileHash(path, size_bytes, mtime, sha)

    def _wait_for_quiet(self) -> None:
        """Return at once while the host is idle; else once it has been idle for the quiet spell."""
        paused = False
        while True:
            if self._closed:
                raise Closed
            if self.watch.quiet() if paused else self.watch.idle():
                return
            if not paused:
                paused, self.pauses = True, self.pauses + 1
            with self._condition:
                self._condition.wait(POLL_SECONDS)
