"""Where a recorded image file is reachable from the machine that asks.

An image path in the ledger is a path on the machine that made the image (its ``runs.host_name``). In a
ledger shared by several machines, a viewer elsewhere reaches those files, if at all, through a share:
a path map translates a host's output folder to where the team can read it, e.g.
``gpu-2:/home/ai/outputs=/mnt/nas/gpu-2/outputs``. Set in Settings → ParamLab in the WebUI, or with
``python -m paramlab serve --path-map``. When no mapped or recorded path exists here, the viewer says so
plainly instead of showing a broken link.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path


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
                rest = [part for part in wanted[len(source):].split("/") if part]
                found.append(Path(mapping.target, *rest))
        return found


@dataclass(frozen=True)
class FileLocation:
    path: Path | None  # the file as reachable here, or None
    note: str = ""  # why it is not reachable, in plain words (empty when it is)


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:  # e.g. a path too long for this system, or a share that is down
        return False


def locate(recorded: str | None, host: str | None, path_map: PathMap | None = None,
           here: str | None = None) -> FileLocation:
    """The recorded file as reachable from this machine: through the path map first, then as recorded."""
    if not recorded:
        return FileLocation(None, "no file was saved for this image")
    path_map = path_map if path_map is not None else current_path_map()
    tried = path_map.candidates(recorded, host)
    for candidate in [*tried, Path(recorded)]:
        if _is_file(candidate):
            return FileLocation(candidate)
    here = here or socket.gethostname()
    made_on = host or "an unknown machine"
    if host and host.lower() != here.lower():
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
