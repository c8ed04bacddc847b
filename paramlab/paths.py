"""Where ParamLab keeps its data, and how a ``--paramlab-db`` value becomes a database URL."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

LEDGER_FILENAME = "ledger.sqlite"
THUMBNAIL_DIRNAME = "thumbnails"


class LedgerLocationError(ValueError):
    """A ledger location the user gave cannot be used."""


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


def resolve_ledger_url(value: str | os.PathLike[str] | None, default_dir: Path) -> URL:
    """Turn a file path, an SQLAlchemy URL or nothing into the URL of the ledger.

    A bare path names an SQLite file; anything with ``://`` is taken as an SQLAlchemy URL,
    so PostgreSQL (``postgresql+psycopg://…``) works with the same code.
    """
    text = str(value).strip() if value is not None else ""
    if not text:
        return _sqlite_url(default_dir / LEDGER_FILENAME)
    if "://" in text:
        try:
            url = make_url(text)
        except (ArgumentError, ValueError) as exc:
            raise LedgerLocationError(f"ParamLab: {text!r} is not a valid database URL ({exc})") from exc
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:") and not url.query:
            return _sqlite_url(Path(url.database))
        if url.drivername in ("postgresql", "postgres"):  # SQLAlchemy would look for psycopg2; ParamLab uses psycopg 3
            return url.set(drivername="postgresql+psycopg")
        return url
    return _sqlite_url(Path(text))


def _sqlite_url(path: Path) -> URL:
    path = path.expanduser()
    if path.exists() and path.is_dir():
        path = path / LEDGER_FILENAME
    return URL.create("sqlite", database=str(path.resolve()))


def sqlite_path(url: URL) -> Path | None:
    """The file behind an SQLite URL, or None for other databases and in-memory SQLite."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    if url.database.startswith("file:"):  # SQLite URI filename (``?uri=true``), e.g. read-only mode
        return Path(url.database[len("file:"):])
    return Path(url.database)


def describe_url(url: URL) -> str:
    """A URL safe to print: the password is hidden."""
    return url.render_as_string(hide_password=True)
