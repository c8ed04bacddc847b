"""The git commits the WebUI and its enabled extensions run at, read once per process.

A user asking "why does the same seed give another picture" needs to know which code made it (A1111 #11280,
#7773): the WebUI's commit (``launch_utils.commit_hash()``, what A1111's own sysinfo shows) and each enabled
extension's. Reading them must never run git on the generation thread, so :func:`warm_up` reads them on a
thread of its own when the WebUI starts, and :func:`commits` (called at the end of each run) only takes what
was read; before the warm-up finished it reads the commits from the ``.git`` files themselves (a few small
file reads, no git process), and keeps that.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger("paramlab")

SHORT = 8  # as A1111's extensions tab shows a commit (Extension.version)
UNKNOWN = "unknown"  # the extension's folder is not a git checkout (a zip, ``git archive``, copied by hand)
BUILT_IN = "built in"  # part of the WebUI itself: its code is the WebUI commit's


@dataclass(frozen=True)
class HostCommits:
    webui: str | None
    extensions: dict[str, str] = field(default_factory=dict)  # extension folder name → short commit


_lock = threading.Lock()
_cached: HostCommits | None = None


def commits() -> HostCommits:
    """What the warm-up read; before it finished, the ``.git`` files' answer (no git process), kept."""
    global _cached
    with _lock:
        if _cached is None:
            _cached = read_commits(run_git=False)
        return _cached


def warm_up() -> threading.Thread:
    """Read the commits on a thread of their own (at WebUI start, before any generation)."""

    def read() -> None:
        global _cached
        found = read_commits(run_git=True)
        with _lock:
            _cached = found

    thread = threading.Thread(target=read, name="paramlab-commits", daemon=True)
    thread.start()
    return thread


def forget() -> None:
    """Read again on next use (tests; an extension installed and the UI reloaded)."""
    global _cached
    with _lock:
        _cached = None


def read_commits(run_git: bool) -> HostCommits:
    """The WebUI's commit (``launch_utils.commit_hash()`` when ``run_git``, else its ``.git`` files) and each
    enabled extension's short commit."""
    return HostCommits(webui=_webui_commit(run_git), extensions=_extension_commits())


def _webui_commit(run_git: bool) -> str | None:
    try:
        from modules import launch_utils
    except ImportError:
        return None
    if not run_git:
        return head_commit(Path(str(launch_utils.script_path)))
    try:
        value = str(launch_utils.commit_hash()).strip()
    except Exception as exc:  # noqa: BLE001 - an odd WebUI: the commit is just unknown
        log.debug("ParamLab: WebUI commit unknown: %s", exc)
        return None
    return None if value in ("", "<none>") else value


def _extension_commits() -> dict[str, str]:
    try:
        from modules import extensions
    except ImportError:
        return {}
    found: dict[str, str] = {}
    try:
        active = list(extensions.active())
    except Exception as exc:  # noqa: BLE001 - the WebUI's list failed: no extension commits this time
        log.debug("ParamLab: extensions unknown: %s", exc)
        return {}
    for extension in active:
        name = str(getattr(extension, "name", "") or os.path.basename(str(getattr(extension, "path", ""))))
        found[name] = _extension_commit(extension)
    return found


def _extension_commit(extension: object) -> str:
    """A1111 fills ``commit_hash`` when its extensions tab read the repository; else the ``.git`` files say."""
    known = str(getattr(extension, "commit_hash", "") or "")
    if known:
        return known[:SHORT]
    if getattr(extension, "is_builtin", False):
        return BUILT_IN
    path = getattr(extension, "path", None)
    commit = head_commit(Path(str(path))) if path else None
    return commit[:SHORT] if commit else UNKNOWN


def head_commit(folder: Path) -> str | None:
    """The commit ``HEAD`` names in ``folder``'s ``.git`` (a folder, or a worktree's ``gitdir:`` file), read
    from the files as git writes them (loose ref, then ``packed-refs``); None when there is none."""
    git_dir = _git_dir(folder)
    if git_dir is None:
        return None
    try:
        head = (git_dir / "HEAD").read_text(encoding="utf-8").strip()
    except OSError:
        return None
    if not head.startswith("ref:"):
        return head or None
    ref = head[4:].strip()
    for base in _ref_folders(git_dir):
        try:
            return (base / ref).read_text(encoding="utf-8").strip() or None
        except OSError:
            pass
        packed = _packed_ref(base / "packed-refs", ref)
        if packed:
            return packed
    return None


def _git_dir(folder: Path) -> Path | None:
    dot_git = folder / ".git"
    if dot_git.is_dir():
        return dot_git
    try:
        text = dot_git.read_text(encoding="utf-8").strip()
    except OSError:
        return None
    if not text.startswith("gitdir:"):
        return None
    target = Path(text[7:].strip())
    return target if target.is_absolute() else (folder / target).resolve()


def _ref_folders(git_dir: Path) -> list[Path]:
    """A worktree keeps HEAD itself but its branches in the main repository (``commondir``)."""
    try:
        common = (git_dir / "commondir").read_text(encoding="utf-8").strip()
    except OSError:
        return [git_dir]
    common_dir = Path(common) if Path(common).is_absolute() else (git_dir / common).resolve()
    return [git_dir, common_dir]


def _packed_ref(path: Path, ref: str) -> str | None:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    for line in lines:
        parts = line.split()
        if len(parts) == 2 and parts[1] == ref and not line.startswith(("#", "^")):
            return parts[0]
    return None
