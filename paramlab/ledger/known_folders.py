"""The folders whose files ParamLab may serve or delete for the ledger's rows, on this machine.

A row names its image file by path, and a row can come from any WebUI sharing the ledger or from a
migrated one: by itself it must not lead ParamLab to any other file on the machine. A recorded path is
followed only when the file it leads to (symlinks resolved) lies inside one of these folders:

- the output folders this machine's runs recorded (``runs.output_dir``; an import records its folder),
- the path map's targets (how this machine reaches other machines' folders; an entry that maps a folder
  to itself, ``/old/outputs=/old/outputs``, admits a local folder no run recorded),
- the thumbnails folder beside an SQLite ledger (thumbnail files of ledgers before version 8),
- the folders the host names (in the WebUI: its output folder settings), see :func:`use_host_folders`.

A folder that is a disk's root or holds the home folder never counts, so no row can open the machine.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterable

import sqlalchemy as sa

from paramlab.ledger import Ledger, schema
from paramlab.ledger.locations import FolderText, KnownFolders, PathMap, current_path_map
from paramlab.ledger.urls import sqlite_path
from paramlab.paths import THUMBNAIL_DIRNAME


def recorded_output_folders(ledger: Ledger, here: str | None = None) -> list[str]:
    """The output folders the runs of this machine (or of no recorded machine) saved into."""
    runs = schema.runs
    here = here or socket.gethostname()
    this_machine = sa.or_(runs.c.host_name.is_(None), runs.c.host_name == "",
                          sa.func.lower(runs.c.host_name) == here.lower())
    query = sa.select(runs.c.output_dir).where(runs.c.output_dir.is_not(None), this_machine).distinct()
    with ledger.read("read the runs' output folders") as conn:
        return [folder for folder in conn.execute(query).scalars() if folder]


def known_folders(ledger: Ledger, *, recorded: KnownFolders | None = None, path_map: PathMap | None = None,
                  here: str | None = None) -> KnownFolders:
    """Every folder a recorded file may lie in (see the module's docstring); ``recorded``: the runs' output
    folders when the caller keeps them (read from the ledger otherwise). The path map is read each time."""
    path_map = path_map if path_map is not None else current_path_map()
    if recorded is None:
        recorded = KnownFolders.of(recorded_output_folders(ledger, here))
    ledger_file = sqlite_path(ledger.url)
    thumbnails = [ledger_file.parent / THUMBNAIL_DIRNAME] if ledger_file is not None else []
    return recorded.adding([*(mapping.target for mapping in path_map.mappings), *thumbnails, *host_folders()])


_host_provider: Callable[[], Iterable[FolderText]] = tuple


def use_host_folders(provider: Callable[[], Iterable[FolderText]]) -> None:
    """Where this process reads the host's own image folders (the WebUI's output folder settings)."""
    global _host_provider
    _host_provider = provider


def host_folders() -> list[FolderText]:
    try:
        return list(_host_provider())
    except (OSError, ValueError, AttributeError):  # a broken setting admits nothing more
        return []


__all__ = ["host_folders", "known_folders", "recorded_output_folders", "use_host_folders"]
