"""The background writer: the generation thread only enqueues; a worker thread writes.

Failures (locked, read-only, missing, corrupt database, full disk) are reported ONCE, rows stay
queued and are retried with back-off, and on shutdown whatever still cannot be written is spilled
to a JSON-lines file next to the ledger and re-queued at the next start: nothing is lost.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from paramlab.infotext import InfotextError, image_fields, parse_infotext
from paramlab.ledger.records import RunRecord
from paramlab.ledger.store import Ledger, LedgerError
from paramlab.ledger.thumbnails import make_thumbnail

log = logging.getLogger("paramlab")

RETRY_DELAYS = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0)
SPILL_PREFIX = "pending-"


@dataclass
class _FileLink:
    """A file saved after its row was handed over (a late ``on_image_saved``)."""

    image_uid: str
    path: str


class LedgerWriter:
    """Owns the ledger connection on a daemon thread; everything public is thread-safe and cheap."""

    def __init__(
        self,
        open_ledger: Callable[[], Ledger],
        data_dir: Path,
        *,
        keep_thumbnails: Callable[[], bool] = lambda: True,
        retry_delays: tuple[float, ...] = RETRY_DELAYS,
        measure: Callable[[RunRecord], None] | None = None,
    ):
        self._open_ledger = open_ledger
        self.data_dir = Path(data_dir)
        self.thumbnail_dir = self.data_dir / "thumbnails"
        self._keep_thumbnails = keep_thumbnails
        self._measure = measure
        self._retry_delays = retry_delays
        self._inbox: queue.Queue[RunRecord | _FileLink | None] = queue.Queue()
        self._waiting: list[RunRecord | _FileLink] = []
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._busy = 0
        self._ledger: Ledger | None = None
        self._failing_since: float | None = None
        self.last_error: str | None = None
        self.written_runs = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="paramlab-ledger-writer", daemon=True)
        self._load_spilled()
        self._thread.start()

    # -- public, called from any thread -----------------------------------------------------

    def submit(self, record: RunRecord) -> None:
        """Hand a finished run over. Never blocks, never raises."""
        with self._lock:
            self._busy += 1
        self._inbox.put(record)

    def link_file(self, image_uid: str, path: str) -> None:
        with self._lock:
            self._busy += 1
        self._inbox.put(_FileLink(image_uid, path))

    @property
    def pending(self) -> int:
        with self._lock:
            return self._busy

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every handed-over row is written; False if some still wait (database failing)."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._busy:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._idle.wait(min(remaining, 0.1))
        return True

    def close(self, timeout: float = 10.0) -> None:
        """Flush, stop the thread, and spill what could not be written so the next start retries it."""
        self.flush(timeout)
        self._stop.set()
        self._inbox.put(None)
        self._thread.join(timeout)
        self._spill()
        if self._ledger is not None:
            self._ledger.close()
            self._ledger = None

    # -- worker ------------------------------------------------------------------------------

    def _run(self) -> None:
        attempt = 0
        while not self._stop.is_set():
            timeout = None if not self._waiting else self._retry_delays[min(attempt, len(self._retry_delays) - 1)]
            try:
                item = self._inbox.get(timeout=timeout)
            except queue.Empty:
                item = None
            if item is not None:
                self._waiting.append(self._prepare(item))
                while True:  # take whatever else is queued, to write in one transaction
                    try:
                        more = self._inbox.get_nowait()
                    except queue.Empty:
                        break
                    if more is not None:
                        self._waiting.append(self._prepare(more))
            if self._waiting:
                attempt = 0 if self._write_waiting() else attempt + 1

    def _prepare(self, item: RunRecord | _FileLink) -> RunRecord | _FileLink:
        """Thumbnails and file hashes, done here so the generation thread never pays for them."""
        if isinstance(item, _FileLink):
            return item
        if self._measure is not None:
            try:
                self._measure(item)
            except Exception as exc:  # noqa: BLE001 - figures are optional; the rows are not
                log.error("ParamLab: quality figures skipped for a run: %s", exc)
        for image in item.images:
            if image.infotext and image.extra_params is None:
                image.extra_params = other_extension_params(image.infotext)
            try:
                if image.image_path and not image.image_sha256:
                    image.image_sha256 = sha256_of_file(Path(image.image_path))
                if image.pil_image is not None and not image.image_path and self._keep_thumbnails():
                    target = self.thumbnail_dir / image.image_uid[:2] / f"{image.image_uid}.jpg"
                    image.thumbnail_path = str(make_thumbnail(image.pil_image, target))
            except (OSError, ValueError) as exc:
                log.warning("ParamLab: no thumbnail/hash for image %s: %s", image.image_uid, exc)
            image.pil_image = None
        return item

    def _write_waiting(self) -> bool:
        batch = list(self._waiting)
        runs = [item for item in batch if isinstance(item, RunRecord)]
        links = [item for item in batch if isinstance(item, _FileLink)]
        try:
            if self._ledger is None:
                self._ledger = self._open_ledger()
            self._ledger.ensure_present()
            if runs:
                self._ledger.write_runs(runs)
            for link in links:
                self._ledger.link_image_file(link.image_uid, link.path, _safe_sha(link.path))
        except Exception as exc:  # noqa: BLE001 - any database fault must keep rows queued, never crash
            self._on_failure(exc, len(runs))
            if self._ledger is not None and not isinstance(exc, LedgerError):
                self._ledger.close()  # reconnect on retry: the fault may have broken the connection
                self._ledger = None
            return False
        self._waiting.clear()
        self.written_runs += len(runs)
        if self._failing_since is not None:
            log.warning("ParamLab: the ledger is writable again; %d waiting run(s) written.", len(runs))
            self._failing_since = None
            self.last_error = None
        with self._idle:
            self._busy -= len(batch)
            self._idle.notify_all()
        return True

    def _on_failure(self, exc: BaseException, run_count: int) -> None:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        self.last_error = reason
        if self._failing_since is None:
            self._failing_since = time.monotonic()
            location = self._ledger.describe() if self._ledger is not None else "the configured location"
            log.error(
                "ParamLab: cannot write to the ledger (%s): %s. Generation is not affected; %d run(s) "
                "wait in memory and will be retried (and saved beside the ledger on shutdown).",
                location, reason, run_count,
            )

    # -- spill file ---------------------------------------------------------------------------

    def _spill(self) -> None:
        leftovers: list[RunRecord | _FileLink] = list(self._waiting)
        while True:
            try:
                item = self._inbox.get_nowait()
            except queue.Empty:
                break
            if item is not None:
                leftovers.append(self._prepare(item))
        if not leftovers:
            return
        lines = [
            json.dumps({"run": item.to_json()} if isinstance(item, RunRecord)
                       else {"link": [item.image_uid, item.path]}, ensure_ascii=False)
            for item in leftovers
        ]
        target = self.data_dir / f"{SPILL_PREFIX}{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.jsonl"
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            temporary = target.with_suffix(".tmp")
            temporary.write_text("\n".join(lines) + "\n", encoding="utf-8")
            os.replace(temporary, target)
            log.error("ParamLab: %d unwritten item(s) saved to %s; they are written at the next start.",
                      len(leftovers), target)
        except OSError as exc:
            log.error("ParamLab: could not save %d unwritten item(s) to %s: %s", len(leftovers), target, exc)

    def _load_spilled(self) -> None:
        if not self.data_dir.is_dir():
            return
        for spill in sorted(self.data_dir.glob(f"{SPILL_PREFIX}*.jsonl")):
            try:
                items = [json.loads(line) for line in spill.read_text(encoding="utf-8").splitlines() if line]
            except (OSError, ValueError) as exc:
                log.error("ParamLab: cannot read the waiting rows in %s: %s (file kept)", spill, exc)
                continue
            for entry in items:
                if "run" in entry:
                    self.submit(RunRecord.from_json(entry["run"]))
                elif "link" in entry:
                    self.link_file(*entry["link"])
            spill.unlink()


def other_extension_params(infotext: str) -> str | None:
    """Every infotext key ParamLab has no column for (ADetailer, ControlNet, Lora hashes…), as JSON."""
    try:
        return image_fields(parse_infotext(infotext)).get("extra_params")
    except InfotextError:
        return None


def sha256_of_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _safe_sha(path: str) -> str | None:
    try:
        return sha256_of_file(Path(path))
    except OSError:
        return None
