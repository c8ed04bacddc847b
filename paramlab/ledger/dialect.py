"""Everything that differs between SQLite and PostgreSQL, in one place; the rest of ParamLab is plain
SQLAlchemy Core and runs unchanged on both.

- SQLite: connection settings (WAL, ``synchronous=FULL``, ``BEGIN IMMEDIATE`` for writes) and the FTS5
  prompt index with its triggers.
- PostgreSQL: the GIN prompt index, the advisory lock that serialises migrations, and text columns that
  cannot hold NUL characters (SQLite's can, and prompts pasted from odd sources do carry them).
"""

from __future__ import annotations

import re
import sqlite3
import time
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection

BUSY_TIMEOUT_MS = 10_000
"""How long an SQLite connection waits for another process's write to finish before it says "locked"."""

MIGRATION_LOCK_KEY = 7265616
"""PostgreSQL advisory lock taken by every migration step, so concurrent opens apply each step once."""

# -- text that may hold NUL ------------------------------------------------------------------------

_ESCAPE, _NUL_MARK, _ESCAPE_MARK = "\ue000", "\ue001", "\ue002"
_ENCODED = re.compile(f"{_ESCAPE}[{_NUL_MARK}{_ESCAPE_MARK}]")


def encode_nul(text: str) -> str:
    """PostgreSQL text cannot hold U+0000: write it as a private-use pair (and escape that pair's
    first character), so every string round-trips exactly."""
    if "\x00" not in text and _ESCAPE not in text:
        return text
    return text.replace(_ESCAPE, _ESCAPE + _ESCAPE_MARK).replace("\x00", _ESCAPE + _NUL_MARK)


def decode_nul(text: str) -> str:
    if _ESCAPE not in text:
        return text
    return _ENCODED.sub(lambda match: "\x00" if match.group()[1] == _NUL_MARK else _ESCAPE, text)


class _NulSafe(sa.types.TypeDecorator):
    """A text column that stores NUL characters on PostgreSQL too. On SQLite it is the plain type with
    no per-value step at all (the processors below are only installed for PostgreSQL)."""

    cache_ok = True

    def bind_processor(self, dialect: sa.Dialect) -> Any:
        if dialect.name != "postgresql":
            return self.impl_instance.bind_processor(dialect)
        return lambda value: encode_nul(value) if isinstance(value, str) else value

    def result_processor(self, dialect: sa.Dialect, coltype: Any) -> Any:
        if dialect.name != "postgresql":
            return self.impl_instance.result_processor(dialect, coltype)
        return lambda value: decode_nul(value) if isinstance(value, str) else value


class LedgerText(_NulSafe):
    impl = sa.Text
    cache_ok = True


class LedgerString(_NulSafe):
    impl = sa.String
    cache_ok = True


# -- connections -----------------------------------------------------------------------------------


def configure_sqlite(engine: sa.Engine) -> None:
    """WAL for concurrent readers, real transactions (pysqlite's legacy mode autocommits DDL).

    ``synchronous = FULL`` syncs the log at every commit, so a committed row survives a power cut,
    not only a crash; it costs one fsync per commit on the writer's thread, never the generation's.
    Write transactions (``Ledger.write``) start with ``BEGIN IMMEDIATE``: a transaction that reads and
    then writes would otherwise fail at once, without waiting, when another process (a second WebUI,
    the viewer) wrote in between. PostgreSQL needs none of this: its row locks make writers wait.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        _use_write_ahead_log(cursor)
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("paramlab_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _use_write_ahead_log(cursor: Any) -> None:
    """Switch a new file to WAL (the mode is kept in the file, so an existing ledger only reads it).

    SQLite does not wait on its busy timeout for this switch: two processes opening a brand-new
    ledger at once (the WebUI's writer and a request, two WebUIs) would see "database is locked".
    So the switch is retried for as long as the busy timeout allows.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            if str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal":
                return
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def lock_for_migration(conn: Connection) -> None:
    """PostgreSQL: one migrating process at a time (SQLite's BEGIN IMMEDIATE already serialises)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})"))


# -- prompt search ---------------------------------------------------------------------------------

_PG_DOCUMENT = "to_tsvector('simple', coalesce(images.prompt, '') || ' ' || coalesce(images.negative_prompt, ''))"


def create_prompt_search(conn: Connection) -> None:
    """The prompt index: FTS5 (external content, kept in step by triggers) or a GIN expression index."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text(f"CREATE INDEX IF NOT EXISTS ix_images_prompt_fts ON images USING gin ({_PG_DOCUMENT})"))
        return
    if conn.dialect.name != "sqlite":
        return
    conn.exec_driver_sql(
        "CREATE VIRTUAL TABLE IF NOT EXISTS images_fts USING fts5("
        "prompt, negative_prompt, content='images', content_rowid='id', tokenize='unicode61')"
    )
    conn.exec_driver_sql(
        "CREATE TRIGGER IF NOT EXISTS images_fts_insert AFTER INSERT ON images BEGIN "
        "INSERT INTO images_fts(rowid, prompt, negative_prompt) "
        "VALUES (new.id, new.prompt, new.negative_prompt); END"
    )
    conn.exec_driver_sql(
        "CREATE TRIGGER IF NOT EXISTS images_fts_delete AFTER DELETE ON images BEGIN "
        "INSERT INTO images_fts(images_fts, rowid, prompt, negative_prompt) "
        "VALUES ('delete', old.id, old.prompt, old.negative_prompt); END"
    )
    conn.exec_driver_sql(
        "CREATE TRIGGER IF NOT EXISTS images_fts_update AFTER UPDATE OF prompt, negative_prompt ON images "
        "BEGIN INSERT INTO images_fts(images_fts, rowid, prompt, negative_prompt) "
        "VALUES ('delete', old.id, old.prompt, old.negative_prompt); "
        "INSERT INTO images_fts(rowid, prompt, negative_prompt) "
        "VALUES (new.id, new.prompt, new.negative_prompt); END"
    )
    conn.exec_driver_sql("INSERT INTO images_fts(images_fts) VALUES ('rebuild')")


def fts5_query(tokens: list[str]) -> str:
    """Every token as a quoted prefix phrase within the prompt column; quoting makes NEAR, AND, * inert."""
    phrases = " ".join('"' + token.replace('"', '""') + '"*' for token in tokens)
    return f"prompt : ({phrases})"


def prompt_search_clause(images: sa.Table, tokens: list[str], dialect: str) -> sa.ColumnElement[bool] | None:
    """Images whose prompt has every token as a word prefix, through the prompt index; None when this
    database has no index (the caller falls back to a substring search)."""
    if dialect == "sqlite":
        fts = sa.table("images_fts", sa.column("rowid"))
        matches = sa.select(fts.c.rowid).where(sa.literal_column("images_fts").op("MATCH")(fts5_query(tokens)))
        return images.c.id.in_(matches)
    if dialect == "postgresql":
        # The index's own expression, so PostgreSQL can use it; it covers both prompts, so the words are
        # then checked against the prompt alone.
        query = sa.func.to_tsquery(sa.literal_column("'simple'"), " & ".join(f"{t}:*" for t in tokens))
        prompt_only = sa.and_(*(images.c.prompt.ilike(f"%{like_escape(t)}%", escape="\\") for t in tokens))
        return sa.and_(sa.literal_column(_PG_DOCUMENT).op("@@")(query), prompt_only)
    return None


def like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
