"""The ledger writer: the generation thread only enqueues; one worker thread writes, in order.

Operations (see :mod:`paramlab.ledger.operations`) are written one transaction each, as they come:
a run's row when it starts, each batch's images as soon as they exist, its totals at the end. Heavy
work (hashes, thumbnails, quality figures) goes to the background work its builder passes in
(:mod:`paramlab.ledger.background`; in the WebUI :mod:`paramlab.aftercare`) and comes back as
more operations. Failures (locked, read-only, missing, corrupt database, full disk) are reported
ONCE; operations stay queued and are retried with back-off. An operation the database refuses
for good (not a lock or an outage) is set aside in ``rejected-*.jsonl`` instead of blocking the
queue. On shutdown whatever still cannot be written is spilled to ``pending-*.jsonl`` beside the
ledger and written at the next start. At start, runs left ``running`` by a dead process are
closed and their saved images recovered (:mod:`paramlab.ledger.recovery`).
"""

from __future__ import annotations

import json
import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

from paramlab.infotext import InfotextError, image_fields, parse_infotext
from paramlab.ledger import recovery
from paramlab.ledger.background import NoBackgroundWork, StartBackgroundWork
from paramlab.ledger.input_records import RecordRunInputs
from paramlab.ledger.input_store import InputStorage
from paramlab.ledger.job_operations import ReleaseParts
from paramlab.ledger.operations import (
    AddImages,
    FinishRun,
    LinkFile,
    Operation,
    RecordFindings,
    WriteRun,
    operation_from_json,
    operation_to_line,
)
from paramlab.ledger.pixels import pixel_sha256
from paramlab.ledger.records import ImageRecord, RunRecord
from paramlab.ledger.rows import UnknownRun
from paramlab.ledger.schema import IMAGE_TEXT_LENGTHS
from paramlab.ledger.store import Ledger, LedgerError

log = logging.getLogger("paramlab")

RETRY_DELAYS = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0)
SPILL_PREFIX = "pending-"
REJECTED_PREFIX = "rejected-"
ATTEMPTS_BEFORE_REJECTING = 3
MAX_GROUP = 200  # operations written in one transaction at most
PERMANENT_ERRORS = (sa.exc.IntegrityError, sa.exc.DataError, sa.exc.ProgrammingError, UnknownRun, TypeError,
                    ValueError)
"""Errors that retrying cannot cure (a lock, an outage or a full disk are OperationalError instead)."""


class LedgerWriter:
    """Owns the ledger connection on a daemon thread; everything public is thread-safe and cheap."""

    def __init__(
        self,
        open_ledger: Callable[[], Ledger],
        data_dir: Path,
        *,
        retry_delays: tuple[float, ...] = RETRY_DELAYS,
        aftercare: StartBackgroundWork = lambda deliver: NoBackgroundWork(),
        recover_at_start: bool = True,
        input_storage: Callable[[], InputStorage] = InputStorage,
    ):
        self._open_ledger = open_ledger
        self.data_dir = Path(data_dir)
        self._retry_delays = retry_delays
        self._input_storage = input_storage  # read when each run's inputs arrive: Settings may change meanwhile
        self.aftercare = aftercare(lambda findings: self.submit(RecordFindings(findings)))
        self._recovered = not recover_at_start
        self._inbox: queue.Queue[Operation | None] = queue.Queue()
        self._waiting: list[Operation] = []
        self._failures = 0  # consecutive failures of the first waiting operation
        self._idle = threading.Condition()
        self._busy = 0
        self._starting = True  # until the first connection (and the start-up recovery) was tried
        self._ledger: Ledger | None = None
        self._failing_since: float | None = None
        self.last_error: str | None = None
        self.written = 0
        self.recovery_report: recovery.RecoveryReport | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="paramlab-ledger-writer", daemon=True)
        self._load_spilled()
        self._thread.start()

    # -- public, called from any thread -----------------------------------------------------

    def submit(self, operation: Operation | RunRecord) -> None:
        """Hand an operation (or a whole finished run) over. Never blocks, never raises."""
        if isinstance(operation, RunRecord):
            operation = WriteRun(operation)
        with self._idle:
            self._busy += 1
        self._inbox.put(operation)

    def link_file(self, image_uid: str, path: str) -> None:
        self.submit(LinkFile(image_uid, path))

    @property
    def pending(self) -> int:
        with self._idle:
            return self._busy

    def flush(self, timeout: float = 10.0, *, background: bool = True) -> bool:
        """Wait until every handed-over operation, and (``background``) the background work it started,
        is written; False if some still wait (database failing, or work still waiting at the deadline:
        during a generation on the CPU the background work does not run)."""
        deadline = time.monotonic() + timeout
        while True:
            with self._idle:
                if not self._idle.wait_for(lambda: self._busy == 0 and not self._starting,
                                           max(0.0, deadline - time.monotonic())):
                    return False
            if not background:
                return True
            if not self.aftercare.flush(max(0.0, deadline - time.monotonic())):
                return False
            with self._idle:
                if self._busy == 0:
                    return True

    def close(self, timeout: float = 10.0) -> None:
        """Flush, stop the threads, and spill what could not be written so the next start retries it."""
        self.flush(timeout)
        self.aftercare.close(min(timeout, 5.0))
        self.flush(min(timeout, 5.0), background=False)  # the findings that draining delivered
        self._stop.set()
        self._inbox.put(None)
        self._thread.join(timeout)
        self._spill()
        if self._ledger is not None:
            self._ledger.close()
            self._ledger = None

    # -- worker ------------------------------------------------------------------------------

    def _run(self) -> None:
        try:
            self._connected()  # opens the ledger and recovers what a dead process left behind
        except Exception:  # noqa: BLE001 - reported by the first write that needs it, once
            pass
        with self._idle:
            self._starting = False
            self._idle.notify_all()
        while not self._stop.is_set():
            delay = self._retry_delays[min(self._failures, len(self._retry_delays) - 1)]
            try:
                item = self._inbox.get(timeout=delay if self._waiting else None)
            except queue.Empty:
                item = None
            while item is not None:
                self._waiting.append(self._prepare(item))
                try:
                    item = self._inbox.get_nowait()
                except queue.Empty:
                    item = None
            self._write_waiting()

    def _recover(self, ledger: Ledger) -> None:
        try:
            report = recovery.recover_dead_runs(ledger)
        except Exception as exc:  # noqa: BLE001 - recovery is best effort; recording must start anyway
            log.error("ParamLab: start-up recovery skipped: %s", str(exc).splitlines()[0] if str(exc) else exc)
            return
        self.recovery_report = report
        if report.runs:
            log.warning("ParamLab: %s", report.summary())
        self._start_work(report.images_needing_work)

    def _prepare(self, operation: Operation) -> Operation:
        """Hand images to the background work, derive what needs the infotext, and encode a run's input images
        (so the transaction only stores them); never raises."""
        try:
            if isinstance(operation, (WriteRun, AddImages, ReleaseParts)):
                self._start_work(operation.run.images if isinstance(operation, WriteRun) else operation.images)
            elif isinstance(operation, FinishRun):
                for image in operation.run.images:
                    if image.infotext and image.extra_params is None:
                        image.extra_params = other_extension_params(image.infotext)
                    image.pil_image = None
            elif isinstance(operation, LinkFile):
                self.aftercare.take_saved_file(operation.image_uid, operation.path)
            elif isinstance(operation, RecordRunInputs):
                operation.prepare(self._input_storage())  # PNG and SHA-256 here, never in the transaction
        except Exception as exc:  # noqa: BLE001 - the row matters more than its extras
            log.error("ParamLab: background work not started for an operation: %s", exc)
        return operation

    def _start_work(self, images: list[ImageRecord]) -> None:
        for image in images:
            if image.source_pixels is not None:  # an upscale's input: its hash finds it in the ledger
                try:
                    image.source_pixel_sha256 = image.source_pixel_sha256 or pixel_sha256(image.source_pixels)
                except (OSError, ValueError) as exc:
                    log.error("ParamLab: cannot read an upscale's input to find it in the ledger: %s", exc)
                image.source_pixels = None
        self.aftercare.take_images(images)
        for image in images:
            image.pil_image = None  # the pixels now travel with the background work, or are not needed

    def _connected(self) -> Ledger:
        if self._ledger is None:
            self._ledger = self._open_ledger()
            if not self._recovered:
                self._recovered = True
                self._recover(self._ledger)
        self._ledger.ensure_present()
        return self._ledger

    def _write_waiting(self) -> None:
        if len(self._waiting) > 1 and self._write_together():
            return
        while self._waiting:
            operation = self._waiting[0]
            try:
                with self._connected().write() as conn:
                    operation.apply(conn)
            except Exception as exc:  # noqa: BLE001 - any database fault must keep rows queued, never crash
                self._failures += 1
                if isinstance(exc, PERMANENT_ERRORS) and self._failures >= ATTEMPTS_BEFORE_REJECTING:
                    self._reject(operation, exc)
                    continue
                self._on_failure(exc)
                if self._ledger is not None and not isinstance(exc, LedgerError):
                    self._ledger.close()  # reconnect on retry: the fault may have broken the connection
                    self._ledger = None
                return
            self._done(written=True)

    def _write_together(self) -> bool:
        """What is waiting, in one transaction: one commit (one fsync) instead of one each, which keeps the
        writer's share of the CPU small beside the generation. False when it failed: then operations go one
        by one, so a fault is pinned on the operation that causes it."""
        group = self._waiting[:MAX_GROUP]
        try:
            with self._connected().write() as conn:
                for operation in group:
                    operation.apply(conn)
        except Exception:  # noqa: BLE001 - the one-by-one path retries, reports and sets aside
            return False
        for _ in group:
            self._done(written=True)
        return True

    def _done(self, *, written: bool) -> None:
        """The first waiting operation is written (or set aside): take it off the queue."""
        self._waiting.pop(0)
        self._failures = 0
        self.written += int(written)
        if self._failing_since is not None:
            log.warning("ParamLab: the ledger is writable again; %d waiting operation(s) being written.",
                        len(self._waiting) + 1)
            self._failing_since = None
            self.last_error = None
        with self._idle:
            self._busy -= 1
            self._idle.notify_all()

    def _reject(self, operation: Operation, exc: BaseException) -> None:
        target = self._save_lines(REJECTED_PREFIX, [operation])
        log.error("ParamLab: the ledger refused an operation (%s) three times: %s. It was set aside in %s so the "
                  "rows after it can be written.", operation.kind, _first_line(exc), target)
        self._done(written=False)

    def _on_failure(self, exc: BaseException) -> None:
        reason = _first_line(exc)
        self.last_error = reason
        if self._failing_since is None:
            self._failing_since = time.monotonic()
            location = self._ledger.describe() if self._ledger is not None else "the configured location"
            log.error(
                "ParamLab: cannot write to the ledger (%s): %s. Generation is not affected; %d operation(s) "
                "wait in memory and will be retried (and saved beside the ledger on shutdown).",
                location, reason, len(self._waiting),
            )

    # -- spill file ---------------------------------------------------------------------------

    def _spill(self) -> None:
        leftovers: list[Operation] = list(self._waiting)
        while True:
            try:
                item = self._inbox.get_nowait()
            except queue.Empty:
                break
            if item is not None:
                leftovers.append(item)
        if leftovers:
            target = self._save_lines(SPILL_PREFIX, leftovers)
            log.error("ParamLab: %d unwritten operation(s) saved to %s; they are written at the next start.",
                      len(leftovers), target)

    def _save_lines(self, prefix: str, operations: list[Operation]) -> Path | None:
        target = self.data_dir / f"{prefix}{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{time.monotonic_ns()}.jsonl"
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            temporary = target.with_suffix(".tmp")
            temporary.write_text("".join(operation_to_line(op) + "\n" for op in operations), encoding="utf-8")
            os.replace(temporary, target)
            return target
        except OSError as exc:
            log.error("ParamLab: could not save %d operation(s) to %s: %s", len(operations), target, exc)
            return None

    def _load_spilled(self) -> None:
        if not self.data_dir.is_dir():
            return
        for spill in sorted(self.data_dir.glob(f"{SPILL_PREFIX}*.jsonl")):
            try:
                operations = [operation_from_json(json.loads(line))
                              for line in spill.read_text(encoding="utf-8").splitlines() if line]
            except (OSError, ValueError, KeyError, TypeError) as exc:
                log.error("ParamLab: cannot read the waiting rows in %s: %s (file kept)", spill, exc)
                continue
            for operation in operations:
                self.submit(operation)
            spill.unlink()


def other_extension_params(infotext: str) -> str | None:
    """Every infotext key ParamLab has no column for (ADetailer, ControlNet, Lora hashes…), as JSON."""
    try:
        return image_fields(parse_infotext(infotext), IMAGE_TEXT_LENGTHS).get("extra_params")
    except InfotextError:
        return None


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc)
    return text.splitlines()[0] if text else type(exc).__name__
