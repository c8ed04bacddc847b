"""Which process writes a run, and whether that process is still alive.

A run's row says ``running`` from its start until its end. If the WebUI is killed in between, the
next start must close that run, but only when its process is gone for sure: several WebUIs (one per
GPU, per container or per machine) may share one ledger, and a live run closed by another process
would get its images recorded twice.

A process is named ``host/pid/start``; ``start`` (the process's start time, from ``/proc`` or
psutil) tells a reused pid from the original one. Where Linux tells them, the host part also carries
``@boot:pidns:machine``, because a host name alone proves little (a container gets a new one each
time it is created, and two machines may share one):

- ``boot``: the kernel's boot id, new at every boot and the same in every container on that kernel.
  On the same machine, another boot id means it was rebooted since: that process has ended.
- ``pidns``: the process's pid namespace. A pid can be looked up only in the namespace it lives in;
  another container's processes are out of sight, so their runs are never judged from here.
- ``machine``: an app-specific hash of ``/etc/machine-id`` (never the id itself), which survives a
  reboot: two machines that share a host name are told apart by it.

Old owners (``host/pid/start``) parse and are judged as before, by host name. Older ParamLab versions
read the new host part as another machine's name, so they leave these runs alone.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
import re
import socket
from dataclasses import dataclass
from pathlib import Path

OWNER_MAX_CHARS = 255  # the owner columns' size
BOOT_ID_FILE = Path("/proc/sys/kernel/random/boot_id")
MACHINE_ID_FILES = (Path("/etc/machine-id"), Path("/var/lib/dbus/machine-id"))
_BOOT_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_KERNEL_PART = re.compile(rf"@(?P<boot>{_BOOT_ID.pattern}):(?P<pidns>\d*):(?P<machine>[0-9a-f]*)$")


@dataclass(frozen=True)
class ProcessIdentity:
    host: str
    pid: int
    start: str  # empty when this system cannot say when a process started
    boot_id: str = ""  # empty when unknown (not Linux, or an owner written by an older ParamLab)
    pid_namespace: str = ""
    machine: str = ""

    def text(self) -> str:
        host = self.host
        if self.boot_id:
            host += f"@{self.boot_id}:{self.pid_namespace}:{self.machine}"
        text = f"{host}/{self.pid}/{self.start}"
        return text if len(text) <= OWNER_MAX_CHARS else f"{self.host}/{self.pid}/{self.start}"

    @classmethod
    def parse(cls, text: str | None) -> ProcessIdentity | None:
        if not text:
            return None
        parts = text.rsplit("/", 2)
        if len(parts) != 3 or not parts[1].isdigit():
            return None
        host, pid, start = parts
        kernel = _KERNEL_PART.search(host)
        if kernel is None:
            return cls(host, int(pid), start)
        return cls(host[:kernel.start()], int(pid), start, kernel["boot"], kernel["pidns"], kernel["machine"])


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


def _boot_id() -> str:
    try:
        text = BOOT_ID_FILE.read_text(encoding="ascii").strip().lower()
    except (OSError, UnicodeDecodeError):
        return ""
    return text if _BOOT_ID.fullmatch(text) else ""


def _pid_namespace() -> str:
    """The inode number of this process's pid namespace (``pid:[4026531836]``), or empty."""
    try:
        link = os.readlink("/proc/self/ns/pid")
    except OSError:
        return ""
    number = link.partition("[")[2].rstrip("]")
    return number if number.isdigit() else ""


def _machine() -> str:
    """machine-id(5) asks never to show the id itself: a keyed hash of it, as it recommends."""
    for path in MACHINE_ID_FILES:
        try:
            machine_id = path.read_bytes().strip()
        except OSError:
            continue
        if machine_id:
            return hmac.new(machine_id, b"paramlab process owner", hashlib.sha256).hexdigest()[:16]
    return ""


@functools.lru_cache(maxsize=1)
def this_process() -> ProcessIdentity:
    boot_id = _boot_id()
    return ProcessIdentity(socket.gethostname(), os.getpid(), process_start(os.getpid()) or "", boot_id,
                           _pid_namespace() if boot_id else "", _machine() if boot_id else "")


def is_gone(owner: ProcessIdentity) -> bool | None:
    """True when ``owner`` has ended for sure; False when it runs; None when this process cannot see it
    (another machine, or another container on this kernel): its own machine closes it."""
    me = this_process()
    if owner == me:
        return False
    if owner.boot_id and me.boot_id:
        if owner.boot_id != me.boot_id:
            return True if _earlier_boot_of_this_machine(owner, me) else None
        return _has_ended(owner) if _pid_in_sight(owner, me) else None
    if owner.host != me.host:
        return None
    return _has_ended(owner)


def _earlier_boot_of_this_machine(owner: ProcessIdentity, me: ProcessIdentity) -> bool:
    """Judged by the host name, unless the machine ids say these are two machines of one name."""
    if owner.machine and me.machine and owner.machine != me.machine:
        return False
    return owner.host == me.host


def _pid_in_sight(owner: ProcessIdentity, me: ProcessIdentity) -> bool:
    """On this kernel, the owner's pid names the same process here when it ran in this pid namespace,
    or under this host name (a container restarted under its own name: live containers side by side
    are told apart by their names, as before boot ids)."""
    if owner.pid_namespace and owner.pid_namespace == me.pid_namespace:
        return True
    return owner.host == me.host


def _has_ended(owner: ProcessIdentity) -> bool:
    started = process_start(owner.pid)
    if started is None:
        return True
    return bool(owner.start and started and owner.start != started)  # the pid now belongs to another process
