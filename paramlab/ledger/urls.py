"""How a ``--paramlab-db`` value becomes the ledger's database URL, and how a URL is shown.

A database URL may hold a password: nothing ParamLab prints, logs or shows contains it, a malformed URL
included (the README keeps it off the command line altogether: ``PGPASSFILE``/``PGPASSWORD``). The
ledger owns URLs, so SQLAlchemy's URL type is used here and nowhere outside ``paramlab/ledger/``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from paramlab.paths import LEDGER_FILENAME


class LedgerLocationError(ValueError):
    """A ledger location the user gave cannot be used."""


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
            # ``from None``: the parser's own message can quote a piece of the password (as a "port")
            raise LedgerLocationError(f"ParamLab: {mask_password(text)!r} is not a valid database URL: "
                                      f"{_parse_problem(exc)}") from None
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


_SCHEME = re.compile(r"[^:/?#]*://")
_QUERY_PASSWORD = re.compile(r"(?i)([?&]password=)[^&#]*")


def describe_url(url: URL) -> str:
    """A URL safe to print: the password is hidden (also one given as ``?password=``)."""
    return _QUERY_PASSWORD.sub(r"\1***", url.render_as_string(hide_password=True))


def holds_password(url: URL) -> bool:
    """Whether the URL itself carries a password (after the user name, or as ``?password=``)."""
    return bool(url.password) or any(key.lower() == "password" for key in url.query)


def mask_password(text: str) -> str:
    """A database URL as typed, with anything that may be a password replaced by ``***``, for text that
    SQLAlchemy cannot parse: what lies between the user name and the last ``@``; without an ``@``, a
    "port" that is not a number (``user:secret/db`` lacks its host); and a ``password=`` query value."""
    text = _QUERY_PASSWORD.sub(r"\1***", text)
    scheme = _SCHEME.match(text)
    start = scheme.end() if scheme else 0
    at = text.rfind("@", start)
    if at >= 0:
        user, colon, _secret = text[start:at].partition(":")
        return f"{text[:start]}{user}:***{text[at:]}" if colon else text
    end = min((i for i in (text.find(c, start) for c in "/?#") if i >= 0), default=len(text))
    host, colon, port = text[start:end].rpartition(":")
    if colon and not port.isdigit():
        return f"{text[:start]}{host}:***{text[end:]}"
    return text


def _parse_problem(exc: Exception) -> str:
    """What is wrong, in words that quote nothing from the URL."""
    if isinstance(exc, ValueError) and "int()" in str(exc):
        return ("its port is not a number (a password holding '@', ':' or '/' must be percent-encoded; "
                "better, keep it out of the URL: PGPASSFILE or PGPASSWORD).")
    return "expected dialect+driver://user@host:port/database, e.g. postgresql+psycopg://paramlab@db/paramlab."
