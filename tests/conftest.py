"""Shared fixtures. ``tests/host`` holds the stand-in for A1111's ``modules`` package, ``tests/support`` the
helpers the tests import (on ``sys.path``); the tests sit in folders that mirror ``paramlab/``.

The ``ledger`` fixture (and ``ledger_location``, for tests that open the ledger themselves or load the
extension) runs each test twice: on an SQLite file and on a database of a real PostgreSQL server that
the session starts on first use (see ``pg_server.py``). When PostgreSQL cannot start, the PostgreSQL
half fails with the reason; it is never skipped.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
HOST_DIR = Path(__file__).resolve().parent / "host"
SUPPORT_DIR = Path(__file__).resolve().parent / "support"  # helpers: browser_support, webui_support, …
ARTIFACTS_DIR = REPO_ROOT / "test-artifacts"
BACKENDS = ("sqlite", "postgresql")

for entry in (str(REPO_ROOT), str(HOST_DIR), str(SUPPORT_DIR)):
    if entry not in sys.path:
        sys.path.insert(0, entry)

from pg_server import PostgresServer, PostgresUnavailable  # noqa: E402

_server_failure: str | None = None


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the whole session, with a migrated template database."""
    global _server_failure
    if _server_failure is not None:
        pytest.fail(_server_failure, pytrace=False)
    server = None
    try:
        server = PostgresServer().start()
        server.create_template()
    except (PostgresUnavailable, OSError) as exc:
        if server is not None:
            server.stop()
        _server_failure = f"PostgreSQL could not be started for the tests: {exc}"
        pytest.fail(_server_failure, pytrace=False)
    yield server
    server.stop()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The ledger's database: "sqlite" or "postgresql"."""
    return request.param


@pytest.fixture
def ledger_location(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """Where a fresh, migrated ledger is: an SQLite file path, or the URL of a new PostgreSQL database."""
    if backend == "sqlite":
        yield str(tmp_path / "ledger.sqlite")
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    url = server.create_database()
    yield url
    server.drop_database(url)


@pytest.fixture
def empty_ledger_location(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """An empty database (no ParamLab tables yet), to build older schema versions in."""
    if backend == "sqlite":
        yield str(tmp_path / "empty.sqlite")
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    url = server.create_database(migrated=False)
    yield url
    server.drop_database(url)


@pytest.fixture
def ledger(ledger_location: str, tmp_path: Path):
    """A fresh ledger, on SQLite and on PostgreSQL."""
    from paramlab.ledger import Ledger
    from paramlab.ledger.urls import resolve_ledger_url

    opened = Ledger.open(resolve_ledger_url(ledger_location, tmp_path))
    yield opened
    opened.close()


@pytest.fixture
def sqlite_ledger(tmp_path: Path):
    """A fresh SQLite ledger, for what only SQLite has (a file, PRAGMAs, FTS5)."""
    from paramlab.ledger import Ledger
    from paramlab.ledger.urls import resolve_ledger_url

    opened = Ledger.open(resolve_ledger_url(tmp_path / "ledger.sqlite", tmp_path))
    yield opened
    opened.close()


@pytest.fixture
def extension(tmp_path: Path):  # -> webui_support.LoadedExtension
    """The extension loaded into the A1111 stand-in, recording into the data dir's SQLite ledger."""
    from webui_support import LoadedExtension

    loaded = LoadedExtension(tmp_path)
    yield loaded
    loaded.close()


@pytest.fixture
def artifacts_dir() -> Path:
    """Where tests leave screenshots and other files for people to look at."""
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    return ARTIFACTS_DIR
