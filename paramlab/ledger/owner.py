"""Which process writes a run, and whether that process is still alive.

A run's row says ``running`` from its start until its end. If the WebUI is killed in between, the
next start must close that run, but only if its process really is gone: several WebUIs (one per
GPU) may share one ledger. A process is named ``host/pid/start``; ``start`` (the process's start
time, from ``/proc`` or psutil) tells a reused pid from the original one.
"""

from __future__ import annotations

import functools
import os
import socket
from dataclasses import dataclass


@dataclass(frozen=True)
class ProcessIdentity:
    host: str
    pid: int
    start: str  # empty when this system cannot say when a process started

    def text(self) -> str:
        return f"{self.host}/{self.pid}/{self.start}"

    @classmethod
    def parse(cls, text: str | None) -> ProcessIdentity | None:
        if not text:
            return None
        parts = text.rsplit("/", 2)
        if len(parts) != 3 or not parts[1].isdigit():
            return None
        host, pid, start = parts
        return cls(host, int(pid), start)


def process_start(pid: int) -> str | None:
    """When process ``pid`` started, as an opaque token; None when there is no such process."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            stat = handle.read()
        return stat.rsplit(")", 1)[1].split()[19]  # field 22, after the (command name)
    except FileNotFoundError:
        return None
    except (OSError, IndexError):
        pass
    try:
        import psutil  # the WebUI ships it; optional elsewhere
    except ImportError:
        return "" if _pid_exists(pid) else None
    try:
        return f"{psutil.Process(pid).create_time():.3f}"
    except psutil.NoSuchProcess:
        return None
    except psutil.Error:
        return ""


def _pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. no permission: it exists
        return True
    return True


@functools.lru_cache(maxsize=1)
def this_process() -> ProcessIdentity:
    return ProcessIdentity(socket.gethostname(), os.getpid(), process_start(os.getpid()) or "")


def is_gone(owner: ProcessIdentity) -> bool | None:
    """True when ``owner`` has ended; False when it runs; None when it ran on another machine."""
    if owner.host != socket.gethostname():
        return None
    if owner == this_process():
        return False
    started = process_start(owner.pid)
    if started is None:
        return True
    return bool(owner.start and started and owner.start != started)  # the pid now belongs to another process
