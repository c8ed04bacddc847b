"""The WebUI side of the background work: a queue, one thread, and the low-priority child process.

Tasks wait until ``may_run`` says the host is idle, and then for a short quiet spell: measured on a
2-core CPU, shipping each image's pixels to the child while the sampler ran cost 7 % of the
generation's time and the child's work, even at idle priority, another 12 %; done between generations it
costs nothing. (The WebUI adapter lets work run at any time when it samples on a GPU: the CPU is
free then.) Until then a task holds only a reference to the image A1111 made, so nothing is copied
during generation. The thread only moves bytes (a pipe write, a pipe read).

Work that started in a pause must not run into the next generation either (someone pressing
Generate again while the child is busy): while a task travels to the child or the child works on it,
the thread watches the host, and when a generation starts it freezes the child (``SIGSTOP``) until
the next quiet spell (``SIGCONT``), so the child takes no CPU, cache or memory bandwidth from it at
all; findings that come back as a generation starts are handed to the writer only after it, so no
database write for them runs beside it either. (Windows has no such signal: there the child only
runs at idle priority.)

If the child cannot be started (an embedded Python, no ``sys.executable``) the work runs on this
thread instead, and the console says once that generation may then be slowed on a CPU. A child
that dies is restarted; a task that kills it twice is skipped with a reason. Waiting pixels are
capped: past the cap, an image keeps only a thumbnail-sized copy and its figures are marked "not
measured" with the reason, so a long queue of work can never eat the WebUI's memory.
"""

from __future__ import annotations

import logging
import os
import select
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

from paramlab.aftercare.tasks import ImageTask, WorkSettings, frame_head, read_frame, send_task, task_for_image
from paramlab.aftercare.work import run_task
from paramlab.ledger.operations import Findings
from paramlab.ledger.records import ImageRecord

log = logging.getLogger("paramlab")

MAX_WAITING_PIXEL_BYTES = 512 * 1024 * 1024
QUIET_SECONDS = 0.3  # the host must have been idle this long before work starts (back-to-back requests)
POLL_SECONDS = 0.1
WATCH_SECONDS = 0.01  # how often the host is looked at while the child works (a task takes ~5-20 ms of CPU)
CAN_FREEZE = hasattr(signal, "SIGSTOP") and hasattr(select, "poll")  # POSIX: poll() works on pipes
MAX_SPAWN_FAILURES = 3
EXTENSION_ROOT = Path(__file__).resolve().parent.parent.parent
ONE_THREAD = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "NUMEXPR_NUM_THREADS": "1"}


class HostWatch:
    """Whether the host is idle now (``may_run``), and when it was last seen busy: background work starts only
    after ``quiet_seconds`` of idle host (the image aftercare and the model hasher alike)."""

    def __init__(self, may_run: Callable[[], bool], quiet_seconds: float = QUIET_SECONDS):
        self.may_run = may_run
        self.quiet_seconds = quiet_seconds
        self.busy_seen = time.monotonic()  # a quiet spell must be seen, not assumed

    def idle(self) -> bool:
        try:
            idle = self.may_run()
        except Exception:  # noqa: BLE001 - a broken probe must not stop the work for good
            idle = True
        if not idle:
            self.busy_seen = time.monotonic()
        return idle

    def quiet(self) -> bool:
        """Idle now, and for the whole quiet spell."""
        return self.idle() and time.monotonic() - self.busy_seen >= self.quiet_seconds


def child_command() -> list[str]:
    return [sys.executable, "-m", "paramlab.aftercare.child"]


class Aftercare:
    """Runs :class:`ImageTask` s in the background process and hands each :class:`Findings` to ``deliver``.

    It is the ledger writer's background work (:class:`paramlab.ledger.background.BackgroundWork`):
    whoever builds the writer passes ``lambda deliver: Aftercare(deliver, …)`` in, so the ledger never
    imports this package."""

    def __init__(self, deliver: Callable[[Findings], None], *, use_child: bool = True,
                 max_waiting_pixel_bytes: int = MAX_WAITING_PIXEL_BYTES,
                 may_run: Callable[[], bool] = lambda: True, quiet_seconds: float = QUIET_SECONDS,
                 work_settings: Callable[[], WorkSettings] = WorkSettings):
        self._deliver = deliver
        self._work_settings = work_settings
        self._watch = HostWatch(may_run, quiet_seconds)
        self._draining = False  # shutting down: run what is queued now, idle host or not
        self._use_child = use_child
        self._max_pixel_bytes = max_waiting_pixel_bytes
        self._queue: deque[ImageTask] = deque()
        self._condition = threading.Condition()
        self._waiting_pixel_bytes = 0
        self._busy = 0
        self._closed = False
        self._thread: threading.Thread | None = None
        self._child: subprocess.Popen[bytes] | None = None
        self._spawn_failures = 0
        self._said: set[str] = set()
        self.skipped_for_backlog = 0
        self.done = 0
        self.freezes = 0  # times the child was frozen because a generation started while it worked

    # -- any thread --------------------------------------------------------------------------

    def submit(self, task: ImageTask) -> None:
        with self._condition:
            if self._closed:
                return
            if task.pixel_bytes and self._waiting_pixel_bytes + task.pixel_bytes > self._max_pixel_bytes:
                self._shrink(task, waiting=len(self._queue))
            self._waiting_pixel_bytes += task.pixel_bytes
            self._queue.append(task)
            self._busy += 1
            if self._thread is None:  # the first image: its generation has just run, unseen (nothing looked yet)
                self._watch.busy_seen = time.monotonic()
                self._thread = threading.Thread(target=self._loop, name="paramlab-aftercare", daemon=True)
                self._thread.start()
            self._condition.notify_all()

    def take_images(self, images: list[ImageRecord]) -> None:
        """Queue the work each recorded image needs, as the settings read now ask for (none: nothing)."""
        settings = self._work_settings()
        for image in images:
            task = task_for_image(image, settings)
            if task is not None:
                self.submit(task)

    def take_saved_file(self, image_uid: str, path: str) -> None:
        """An image's file was linked after its row was written: hash the file."""
        self.submit(ImageTask(image_uid, image_path=path))

    @property
    def pending(self) -> int:
        with self._condition:
            return self._busy

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until every submitted task's findings were delivered; False on timeout."""
        with self._condition:
            return self._condition.wait_for(lambda: self._busy == 0, timeout)

    def close(self, timeout: float = 10.0) -> int:
        """Finish what is queued (bounded), then stop the child. Returns the number of tasks dropped."""
        self._draining = True
        with self._condition:
            self._condition.notify_all()
        drained = self.flush(timeout)
        with self._condition:
            self._closed = True
            dropped = len(self._queue)
            self._queue.clear()
            self._condition.notify_all()
        if not drained:  # a task may be stuck writing to a child that stopped reading: end the child first
            self._stop_child(kill=True)
        if self._thread is not None:
            self._thread.join(timeout)
        self._stop_child()
        if dropped:
            log.warning("ParamLab: %d image(s) left without figures or thumbnail at shutdown.", dropped)
        return dropped

    # -- the aftercare thread ----------------------------------------------------------------

    def _loop(self) -> None:
        while True:
            with self._condition:
                self._condition.wait_for(lambda: self._queue or self._closed, POLL_SECONDS)
                if self._closed and not self._queue:
                    return
                waiting = bool(self._queue)
            if not waiting:
                # Look at the host even with nothing to do: the images of a one-batch generation are often
                # handed over just after it ended, and their quiet spell must count from its end.
                self._host_idle()
                continue
            self._wait_for_quiet()
            with self._condition:
                if not self._queue:
                    return
                task = self._queue.popleft()
            size = task.pixel_bytes
            try:
                findings = self._process(task)
                for problem in findings.problems:  # once per kind ("no hash", "scorer …"), not per file
                    self._say_once(" ".join(problem.split()[:2]), "ParamLab: %s", problem)
                if not self._host_idle():  # finished as a generation started: its database write waits too
                    self._wait_for_quiet()
                self._deliver(findings)
            except Exception as exc:  # noqa: BLE001 - this thread must outlive any single task
                self._say_once("deliver", "ParamLab: background work failed for an image: %s", exc)
            finally:
                with self._condition:
                    self._waiting_pixel_bytes -= size
                    self._busy -= 1
                    self.done += 1
                    self._condition.notify_all()

    def _host_idle(self) -> bool:
        return self._watch.idle()

    def _wait_for_quiet(self) -> None:
        """Return once the host has been idle for the quiet spell (or we are closing)."""
        while not (self._closed or self._draining):
            if self._watch.quiet():
                return
            with self._condition:
                self._condition.wait(POLL_SECONDS)

    def _freeze_while_busy(self, child: subprocess.Popen[bytes]) -> None:
        """A generation started while the child works: stop the child until the next quiet spell."""
        if self._closed or self._draining or self._host_idle():
            return
        try:
            os.kill(child.pid, signal.SIGSTOP)
        except OSError:  # it has just ended: the read that follows finds out
            return
        self.freezes += 1
        try:
            self._wait_for_quiet()
        finally:
            _resume(child)

    def _send(self, child: subprocess.Popen[bytes], task: ImageTask) -> None:
        """Write the task to the child, freezing it whenever a generation starts (the child reads at idle
        priority, so a large image can take a while to go through)."""
        if not CAN_FREEZE:
            send_task(child.stdin, task)  # type: ignore[arg-type]
            return
        task.image_to_send()
        payload = task.pixels.data if task.pixels is not None else b""
        descriptor = child.stdin.fileno()  # type: ignore[union-attr]  # non-blocking, see _running_child
        for part in (frame_head(task.header(), len(payload)), payload):
            left = memoryview(part)
            while left:
                if _ready(descriptor, select.POLLOUT):
                    try:
                        left = left[os.write(descriptor, left):]
                    except BlockingIOError:
                        pass
                else:
                    self._freeze_while_busy(child)

    def _receive(self, child: subprocess.Popen[bytes]) -> tuple[dict, bytes] | None:
        """The child's findings (None: it died), freezing it whenever a generation starts meanwhile."""
        if CAN_FREEZE:
            descriptor = child.stdout.fileno()  # type: ignore[union-attr]
            while not _ready(descriptor, select.POLLIN):
                self._freeze_while_busy(child)
        return read_frame(child.stdout)  # type: ignore[arg-type]

    def _process(self, task: ImageTask) -> Findings:
        for _attempt in range(2):
            if self._closed:  # shutting down: no new child, no work on this thread
                return Findings(task.image_uid)
            child = self._running_child()
            if child is None:
                return run_task(task)
            try:
                self._send(child, task)
                frame = self._receive(child)
            except (OSError, ValueError):
                frame = None
            if frame is not None:
                return Findings.from_json(frame[0])
            self._say_once("child died", "ParamLab: the background process stopped (exit code %s); restarting it.",
                           child.poll())
            self._stop_child()
        return Findings(task.image_uid, problems=["the background process stopped twice on this image; "
                                                 "its figures and thumbnail are skipped"])

    def _running_child(self) -> subprocess.Popen[bytes] | None:
        if self._child is not None and self._child.poll() is None:
            return self._child
        if not self._use_child or self._spawn_failures >= MAX_SPAWN_FAILURES:
            return None
        env = {**os.environ, **ONE_THREAD, "CUDA_VISIBLE_DEVICES": "",
               "PYTHONPATH": os.pathsep.join(filter(None, [str(EXTENSION_ROOT), os.environ.get("PYTHONPATH")]))}
        flags = getattr(subprocess, "IDLE_PRIORITY_CLASS", 0) | getattr(subprocess, "CREATE_NO_WINDOW", 0)
        try:
            self._child = subprocess.Popen(child_command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                           cwd=str(EXTENSION_ROOT), env=env, creationflags=flags)
            if CAN_FREEZE:  # tasks are written piece by piece, so the host can be watched meanwhile
                os.set_blocking(self._child.stdin.fileno(), False)  # type: ignore[union-attr]
        except (OSError, ValueError) as exc:
            self._spawn_failures += 1
            if self._spawn_failures >= MAX_SPAWN_FAILURES:
                log.error("ParamLab: cannot start the background process (%s); quality figures and thumbnails "
                          "are now made inside the WebUI, which may slow generation on a CPU.", exc)
            return None
        return self._child

    @property
    def child_pid(self) -> int | None:
        child = self._child
        return child.pid if child is not None and child.poll() is None else None

    def _stop_child(self, kill: bool = False) -> None:
        """Closing its stdin ends the child; ``kill`` first, when a write to it may be blocked."""
        child = self._child
        if child is None:
            return
        if kill:
            child.kill()
            return  # the blocked thread gets an error, restarts nothing (closed) and returns
        self._child = None
        _resume(child)  # a frozen child would never see its input close
        for stream in (child.stdin, child.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass
        try:
            child.wait(5)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait(5)

    def _shrink(self, task: ImageTask, waiting: int) -> None:
        """Over the memory cap: keep a thumbnail-sized copy, skip the figures, and say why."""
        self.skipped_for_backlog += 1
        if task.thumbnail and task.image is not None:
            image = task.image.copy()
            image.thumbnail((256, 256))
            task.image = image
        else:
            task.image = task.pixels = None
        task.skipped_reason = (f"skipped: ParamLab's background work was {waiting} image(s) behind, so figures "
                              "were dropped rather than slow the generation or fill the memory")
        self._say_once("backlog", "ParamLab: quality figures are %d images behind the generation; figures for new "
                       "images are skipped until it catches up (thumbnails are kept).", waiting)

    def _say_once(self, key: str, message: str, *args: object) -> None:
        if key not in self._said:
            self._said.add(key)
            log.warning(message, *args)


def _ready(descriptor: int, event: int) -> bool:
    """Whether the pipe can be read (or written) now, waiting at most ``WATCH_SECONDS``. poll(), not
    select(): a WebUI holds many files, and select() refuses descriptors above 1023."""
    poller = select.poll()
    poller.register(descriptor, event)
    return bool(poller.poll(WATCH_SECONDS * 1000))


def _resume(child: subprocess.Popen[bytes]) -> None:
    if CAN_FREEZE and child.poll() is None:
        try:
            os.kill(child.pid, signal.SIGCONT)
        except OSError:
            pass
