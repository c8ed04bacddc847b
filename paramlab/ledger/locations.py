"""Where a recorded image file is reachable from the machine that asks.

An image path in the ledger is a path on the machine that made the image (its ``runs.host_name``). In a
ledger shared by several machines, a viewer elsewhere reaches those files, if at all, through a share:
a path map translates a host's output folder to where the team can read it, e.g.
``gpu-2:/home/ai/outputs=/mnt/nas/gpu-2/outputs``. Set in Settings → ParamLab in the WebUI, or with
``python -m paramlab serve --path-map``. When no mapped or recorded path exists here, the viewer says so
plainly instead of showing a broken link.

A row is not trusted to name any file: a path with ``..`` is never followed, another machine's row only
through the path map (its raw path names a file of that machine, not of this one), and the file found
must lie, symlinks resolved, inside the folders of :mod:`paramlab.ledger.known_folders`.
"""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

FolderText = str | os.PathLike[str] | None


@dataclass(frozen=True)
class PathMapping:
    source: str  # a folder as recorded (on the machine that made the image)
    target: str  # the same folder as reachable from here
    host: str | None = None  # only for images made on this host (None: any host)

    def text(self) -> str:
        return f"{self.host + ':' if self.host else ''}{self.source}={self.target}"


def _split_host(text: str) -> tuple[str | None, str]:
    """``HOST:FROM`` → (HOST, FROM); a drive letter (``D:\\``) or a path is not a host."""
    head, colon, rest = text.partition(":")
    if colon and len(head) > 1 and not any(sep in head for sep in "/\\") and rest:
        return head.strip(), rest.strip()
    return None, text.strip()


def _norm(path: str) -> str:
    return path.replace("\\", "/").rstrip("/")


def has_parent_part(path: str) -> bool:
    """Whether a path (either separator) has a ``..`` part, which could climb out of any folder."""
    return any(part == ".." for part in re.split(r"[\\/]", path))


def is_this_machine(host: str | None, here: str | None = None) -> bool:
    """A row made here, or by an unknown machine (imports, and rows older than host names)."""
    return not host or host.lower() == (here or socket.gethostname()).lower()


@dataclass(frozen=True)
class PathMap:
    mappings: tuple[PathMapping, ...] = ()

    @classmethod
    def parse(cls, entries: str | Iterable[str]) -> PathMap:
        """One ``[HOST:]FROM=TO`` per line or entry; blank lines and ``#`` comments are skipped."""
        lines = entries.splitlines() if isinstance(entries, str) else [line for entry in entries
                                                                       for line in str(entry).splitlines()]
        mappings = []
        for number, line in enumerate(lines, start=1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            left, equals, target = line.partition("=")
            host, source = _split_host(left)
            if not equals or not source or not target.strip():
                raise ValueError(f"ParamLab: path map entry {number} ({line!r}) must be FROM=TO or HOST:FROM=TO, "
                                 "e.g. gpu-2:/home/ai/outputs=/mnt/nas/gpu-2/outputs.")
            mappings.append(PathMapping(source=source, target=target.strip(), host=host))
        return cls(tuple(mappings))

    def candidates(self, recorded: str, host: str | None) -> list[Path]:
        """Where the file may be reachable from here, most specific mapping first."""
        found = []
        wanted = _norm(recorded)
        for mapping in sorted(self.mappings, key=lambda m: (m.host is None, -len(_norm(m.source)))):
            if mapping.host is not None and (host or "").lower() != mapping.host.lower():
                continue
            source = _norm(mapping.source)
            if wanted == source or wanted.startswith(source + "/"):
                rest = [part for part in wanted[len(source):].split("/") if part not in ("", ".")]
                if ".." not in rest:  # never climb out of the mapped folder
                    found.append(Path(mapping.target, *rest))
        return found


def _inside(path: str, folder: str) -> bool:
    path, folder = os.path.normcase(path), os.path.normcase(folder)
    try:
        return os.path.commonpath([path, folder]) == folder
    except ValueError:  # another drive, or a relative path
        return False


def _real_home() -> str | None:
    try:
        return os.path.realpath(Path.home())
    except (OSError, RuntimeError):  # no home folder known: only the disks' roots are refused
        return None


def _real_folder(folder: FolderText, home: str | None) -> str | None:
    """The folder's real path; None when it is relative, a disk's root or holds the home folder (admitting
    those would admit nearly everything)."""
    if folder is None or not os.fspath(folder):
        return None
    text = os.fspath(folder)
    if not os.path.isabs(text):
        return None
    try:
        real = os.path.realpath(text)
    except (OSError, ValueError):
        return None
    too_wide = os.path.dirname(real) == real or (home is not None and _inside(home, real))
    return None if too_wide else real


@dataclass(frozen=True)
class KnownFolders:
    """Real folder paths (symlinks resolved); a file is admitted when its real path lies inside one."""

    roots: tuple[str, ...] = ()

    @classmethod
    def of(cls, folders: Iterable[FolderText]) -> KnownFolders:
        roots: list[str] = []
        home = _real_home()
        for folder in folders:
            real = _real_folder(folder, home)
            if real is not None and real not in roots:
                roots.append(real)
        return cls(tuple(roots))

    def adding(self, folders: Iterable[FolderText]) -> KnownFolders:
        """These folders and ``folders`` (checked the same way)."""
        extra = KnownFolders.of(folders).roots
        return KnownFolders(self.roots + tuple(root for root in extra if root not in self.roots))

    def contains(self, real_path: str | os.PathLike[str]) -> bool:
        """Whether ``real_path`` (already resolved) lies inside one of the folders."""
        text = os.fspath(real_path)
        return any(_inside(text, root) for root in self.roots)


@dataclass(frozen=True)
class FileLocation:
    path: Path | None  # the file as reachable here, or None
    note: str = ""  # why it is not reachable, in plain words (empty when it is)
    refused: bool = False  # a file is there, but ParamLab does not follow the row to it


def _real_file(path: Path) -> str | None:
    """The path with every symlink resolved, when it is a regular file; None otherwise."""
    try:
        real = os.path.realpath(path)
        return real if os.path.isfile(real) else None
    except (OSError, ValueError):  # e.g. a path too long for this system, or a share that is down
        return None


def locate(recorded: str | None, host: str | None, path_map: PathMap | None = None,
           here: str | None = None, *, folders: KnownFolders) -> FileLocation:
    """The recorded file as reachable from this machine, inside ``folders``: through the path map first,
    then as recorded (a row of this machine only). The path found has its symlinks resolved."""
    if not recorded:
        return FileLocation(None, "no file was saved for this image")
    if has_parent_part(recorded):
        return FileLocation(None, f"The recorded path {recorded} contains '..'; ParamLab does not follow it.",
                            refused=True)
    path_map = path_map if path_map is not None else current_path_map()
    here = here or socket.gethostname()
    local = is_this_machine(host, here)
    tried = path_map.candidates(recorded, host)
    outside = []
    for candidate in [*tried, Path(recorded)] if local else tried:
        real = _real_file(candidate)
        if real is not None and folders.contains(real):
            return FileLocation(Path(real))
        if real is not None:
            outside.append(str(candidate))
    if outside:
        return FileLocation(None, f"The file {outside[0]} lies outside the folders ParamLab serves images from "
                            "(the output folders the ledger knows, and the path map's targets). To open it, add "
                            "a path map entry for its folder (one that maps it to itself will do).", refused=True)
    made_on = host or "an unknown machine"
    if not local:
        hint = (f"Map that folder to a share this machine can read (Settings → ParamLab → path map, or serve "
                f"--path-map '{host}:<folder>=<share>').")
        where = f"it was saved on {made_on} at {recorded}, which is not reachable from {here}"
    else:
        hint = "It was moved or deleted, or its drive is not mounted."
        where = f"it is not at {recorded} on {here}"
    mapped = f" (also tried {', '.join(str(p) for p in tried)})" if tried else ""
    return FileLocation(None, f"The full-size file is not available here: {where}{mapped}. {hint}")


_provider: Callable[[], PathMap] = PathMap


def use_path_map(provider: Callable[[], PathMap]) -> None:
    """Where this process reads its path map (the WebUI's Settings, or serve's --path-map)."""
    global _provider
    _provider = provider


def current_path_map() -> PathMap:
    try:
        return _provider()
    except ValueError:  # a malformed Settings entry: no mapping (the Settings check reports it)
        return PathMap()
