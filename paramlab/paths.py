"""Where ParamLab keeps its data on disk: its folder outside and inside the WebUI, and the names of the
files in it. (A ``--paramlab-db`` value becomes a database URL in :mod:`paramlab.ledger.urls`.)"""

from __future__ import annotations

import os
from pathlib import Path

LEDGER_FILENAME = "ledger.sqlite"
THUMBNAIL_DIRNAME = "thumbnails"


def standalone_data_dir() -> Path:
    """The data folder used outside the WebUI (``python -m paramlab``).

    ``PARAMLAB_HOME`` wins; otherwise the XDG data folder, as other desktop tools do.
    """
    override = os.environ.get("PARAMLAB_HOME")
    if override:
        return Path(override).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".local" / "share"
    return base / "paramlab"


def webui_data_dir(webui_data_path: str | os.PathLike[str]) -> Path:
    """ParamLab's folder inside the WebUI's data dir (``<data dir>/paramlab``)."""
    return Path(webui_data_path) / "paramlab"
