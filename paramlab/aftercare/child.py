"""The background process: ``python -m paramlab.aftercare.child``, reading tasks on stdin.

It lowers its own priority before anything else (Linux ``SCHED_IDLE``, else ``nice 19``; on Windows
the parent starts it at idle priority), so it only ever uses CPU time the generation leaves over.
Measured on a 2-core CPU with a torch workload: quality work in a WebUI thread made each step 2×
slower (torch's thread pool and the measures fight for the cores); the same work in this process
at idle priority cost nothing measurable. It never touches the GPU (the parent hides CUDA from it)
and runs one thread.

Task frames come in on stdin and findings go out on a private copy of stdout; anything a library
prints goes to stderr, so it can never corrupt the stream. It ends when stdin closes (the WebUI
exited or was killed). The WebUI freezes it (``SIGSTOP``) while a generation runs; a frozen process
never sees its input close, so on Linux it also asks the kernel to end it when the WebUI's thread
that started it ends (``PR_SET_PDEATHSIG``): a ``kill -9`` of the WebUI never leaves it behind.

Ctrl-C in the WebUI's terminal reaches every process of its group, this one too, and so does a service
manager's SIGTERM to the group; but the WebUI then still hands its queued images over before it exits.
So this process ignores SIGINT, and SIGTERM where the kernel ends it with the WebUI anyway (Linux).
"""

from __future__ import annotations

import os
import signal
import sys


def lower_own_priority() -> str:
    """Make this process yield to every normal one; returns what was done, for the console."""
    if hasattr(os, "sched_setscheduler") and hasattr(os, "SCHED_IDLE"):
        try:
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
            return "SCHED_IDLE"
        except OSError:
            pass
    if hasattr(os, "nice"):
        try:
            os.nice(19)
            return "nice 19"
        except OSError:
            pass
    return "as started"


def end_with_parent() -> bool:
    """Linux: be killed when the thread that started this process ends (see the module's docstring).
    Returns whether the kernel took the request."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    parent = os.getppid()
    try:
        if ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL), 0, 0, 0) != 0:  # 1: PR_SET_PDEATHSIG
            return False
    except (OSError, AttributeError):
        return False
    if os.getppid() != parent:  # the parent ended before the request was made
        os._exit(0)
    return True


def outlive_the_hosts_stop_signals(ends_with_parent: bool) -> None:
    """Ignore the signals that stop the whole group (see the module's docstring): the WebUI still has
    images to hand over, and this process ends when its input closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if ends_with_parent:  # otherwise SIGTERM stays the way to end a child whose WebUI is gone
        signal.signal(signal.SIGTERM, signal.SIG_IGN)


def main() -> int:
    lower_own_priority()  # before numpy, PIL or torch start any thread: threads inherit it
    outlive_the_hosts_stop_signals(end_with_parent())
    results = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.stdout = sys.stderr
    from paramlab.aftercare.tasks import ImageTask, read_frame, send_findings
    from paramlab.aftercare.work import run_task
    from paramlab.ledger.operations import Findings

    tasks = sys.stdin.buffer
    while True:
        frame = read_frame(tasks)
        if frame is None:
            return 0
        header, payload = frame
        try:
            task = ImageTask.from_frame(header, payload)
            findings = run_task(task)
        except Exception as exc:  # noqa: BLE001 - one bad task must not end the process
            findings = Findings(str(header.get("image_uid", "")), problems=[f"background work failed: {exc!r}"])
        try:
            send_findings(results, findings)
        except (BrokenPipeError, OSError):
            return 0


if __name__ == "__main__":
    sys.exit(main())
