"""Keep ParamLab's own files out of the WebUI's ``/file=`` route.

gradio 3.41 (A1111 1.10) hands out any file under the folder the WebUI started from, and the default
SQLite ledger lives there (``<data dir>/paramlab/ledger.sqlite``): in the real A1111 v1.10.1, ``GET
/file=paramlab/ledger.sqlite``-style requests answered 200 to anyone who could open the page, every prompt
and setting of the studio included. gradio checks the app's ``blocked_paths`` before anything else (3.41
and 4.40 alike), so ParamLab adds its data folder, the ledger file with SQLite's side files, and the
thumbnails and spill files beside it. It never adds an allowed path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from paramlab.ledger.urls import sqlite_path
from paramlab.paths import THUMBNAIL_DIRNAME
from paramlab.webui import runtime

SQLITE_SIDE_FILES = ("", "-wal", "-shm", "-journal")


def paramlab_files() -> list[Path]:
    """Absolute paths the WebUI must not hand out: ParamLab's data folder and an SQLite ledger's files."""
    hidden = [runtime.data_dir()]
    ledger_file = sqlite_path(runtime.ledger_url())
    if ledger_file is not None:
        hidden += [ledger_file.with_name(ledger_file.name + suffix) for suffix in SQLITE_SIDE_FILES]
        hidden.append(ledger_file.parent / THUMBNAIL_DIRNAME)
        hidden += sorted(ledger_file.parent.glob("pending-*.jsonl"))
    return [path.resolve() for path in hidden]


def block_paramlab_files(demo: Any, _app: Any) -> None:
    """``on_app_started``: add :func:`paramlab_files` to the app's ``blocked_paths`` (once each)."""
    if demo is None:
        return
    blocked = list(getattr(demo, "blocked_paths", None) or [])
    known = {str(path) for path in blocked}
    blocked += [str(path) for path in paramlab_files() if str(path) not in known]
    demo.blocked_paths = blocked
