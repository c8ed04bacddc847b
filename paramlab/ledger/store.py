"""Opening the ledger safely and reading/writing it with SQLAlchemy Core."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL

from paramlab.ledger import actor, dialect, migrations, schema
from paramlab.ledger.records import RunRecord
from paramlab.ledger.urls import describe_url, sqlite_path


class LedgerError(RuntimeError):
    """The ledger cannot be opened or written; the message says why in plain words."""


class LedgerReadOnly(LedgerError):
    """The person acting may look but not change anything (a viewer of a shared ledger)."""


def check_sqlite_file(path: Path) -> None:
    """Refuse a path that holds something other than a ParamLab ledger, so it is never overwritten.

    The file is read through SQLite only, never with a plain ``open()``: on POSIX, closing any
    descriptor of a file drops every lock this process holds on it, including those of live SQLite
    connections, and another program would then delete the write-ahead log still being written.
    """
    if path.is_dir():
        raise LedgerError(f"ParamLab: the ledger path {path} is a folder, not a database file.")
    if not path.exists() or path.stat().st_size == 0:
        return
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise LedgerError(f"ParamLab: {path} cannot be opened ({exc}); it is left untouched.") from exc
    try:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.DatabaseError as exc:
        if "not a database" in str(exc):
            raise LedgerError(
                f"ParamLab: {path} exists but is not an SQLite database (corrupt, or another kind of "
                "file); it is left untouched. Move it away or choose another ledger path."
            ) from exc
        raise LedgerError(f"ParamLab: {path} cannot be read as a database ({exc}); it is left untouched.") from exc
    finally:
        connection.close()
    if tables and schema.meta.name not in tables:
        raise LedgerError(
            f"ParamLab: {path} is another application's SQLite database; it is left untouched. "
            "Choose another ledger path."
        )


class Ledger:
    """The ledger database: one engine, migrated to the current schema on open."""

    def __init__(self, engine: sa.Engine, url: URL):
        self.engine = engine
        self.url = url

    @classmethod
    def open(cls, url: URL) -> Ledger:
        """Open (creating and migrating when needed). Raises :class:`LedgerError` with a clear reason."""
        path = sqlite_path(url)
        if path is not None:
            check_sqlite_file(path)
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise LedgerError(f"ParamLab: cannot create the folder for {path}: {exc}") from exc
        try:
            engine = sa.create_engine(url, pool_pre_ping=path is None)
            if engine.dialect.name == "sqlite":
                dialect.configure_sqlite(engine)
            migrations.migrate(engine)
        except migrations.SchemaTooNewError as exc:
            raise LedgerError(str(exc)) from exc
        except (sa.exc.SQLAlchemyError, OSError) as exc:
            raise LedgerError(f"ParamLab: cannot open the ledger at {describe_url(url)}: {_reason(exc)}") from exc
        return cls(engine, url)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def write(self) -> Iterator[sa.Connection]:
        """One write transaction (committed on success, rolled back on error), holding SQLite's write
        lock from its first statement so concurrent writers queue up instead of failing. Refused, before
        anything is written, when the person acting may only view (see :mod:`paramlab.ledger.actor`)."""
        acting = actor.current()
        if not acting.may_write:
            raise LedgerReadOnly(acting.read_only_reason or "ParamLab: this ledger is read-only for you.")
        with self.engine.connect() as conn:
            conn.execution_options(paramlab_write=True)
            with conn.begin():
                yield conn

    @contextmanager
    def read(self, what: str = "read the ledger") -> Iterator[sa.Connection]:
        """A read connection whose database failures arrive as :class:`LedgerError` ("ParamLab: could not
        <what>: <reason>"), so callers outside the ledger catch one thing and never see SQLAlchemy."""
        with database_errors(what), self.engine.connect() as conn:
            yield conn

    @contextmanager
    def transaction(self, what: str, name_taken: str | None = None) -> Iterator[sa.Connection]:
        """:meth:`write` after :meth:`ensure_present`, with database failures as :class:`LedgerError`
        ("ParamLab: could not <what>; nothing was changed: <reason>"); the SQLAlchemy error stays the cause.

        ``name_taken`` is the reason given when a unique name was taken by a concurrent writer meanwhile."""
        with database_errors(what, after_rollback=True, name_taken=name_taken):
            self.ensure_present()
            with self.write() as conn:
                yield conn

    def ensure_present(self) -> None:
        """Refuse to write into an SQLite file that vanished while open (deleted, moved, drive gone):
        SQLite would happily write to the unlinked file and the rows would be lost with it."""
        path = sqlite_path(self.url)
        if path is not None and not path.exists():
            raise LedgerError(
                f"ParamLab: the ledger file {path} has gone missing (moved, deleted or its drive "
                "unmounted); rows wait until it is back, or restart the WebUI to start a new ledger."
            )

    def describe(self) -> str:
        return describe_url(self.url)

    def schema_version(self) -> int:
        with self.engine.connect() as conn:
            return migrations.current_version(conn)

    # -- writing -----------------------------------------------------------------------------

    def write_runs(self, records: Iterable[RunRecord]) -> list[int]:
        """Write runs with their images in ONE transaction: all of them land, or none does. A run that
        names no job (an import) gets a job of its own."""
        from paramlab.ledger.rows import ensure_job, insert_images, is_own_job, mirror_run_into_job, refresh_job_totals

        run_ids: list[int] = []
        with self.write() as conn:
            for record in records:
                job_id = ensure_job(conn, record)
                insert = schema.runs.insert().values(**record.row(), job_id=job_id)
                run_id = conn.execute(insert).inserted_primary_key[0]
                run_ids.append(run_id)
                insert_images(conn, run_id, record.images)
                if is_own_job(record):
                    mirror_run_into_job(conn, job_id, record)
                refresh_job_totals(conn, job_id)
        return run_ids

    def set_rating(self, image_id: int, rating: int | None) -> bool:
        """The user's 1–5 judgement (None clears it); False when there is no such image."""
        if rating is not None and (isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5):
            raise ValueError(f"ParamLab: a rating is a whole number from 1 to 5 (or null to clear), got {rating!r}.")
        with self.write() as conn:
            result = conn.execute(
                schema.images.update().where(schema.images.c.id == image_id).values(rating=rating)
            )
        return result.rowcount > 0

    def link_image_file(self, image_uid: str, path: str, sha256: str | None) -> bool:
        """Attach a file saved after the row was written (late ``on_image_saved``)."""
        with self.write() as conn:
            result = conn.execute(
                schema.images.update()
                .where(schema.images.c.image_uid == image_uid)
                .values(image_path=path, image_sha256=sha256)
            )
        return result.rowcount > 0

    # -- reading -----------------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            return {
                "runs": conn.execute(sa.select(sa.func.count()).select_from(schema.runs)).scalar_one(),
                "images": conn.execute(sa.select(sa.func.count()).select_from(schema.images)).scalar_one(),
            }

    def image_query(self) -> sa.Select:
        """Images joined with their run's cost and provenance columns (the shape every view reads)."""
        i, r = schema.images, schema.runs
        run_columns = [
            r.c.run_uid, r.c.tab, r.c.source, r.c.script_name, r.c.status.label("run_status"),
            r.c.wall_seconds, r.c.first_pass_seconds, r.c.hires_seconds, r.c.vae_decode_seconds,
            r.c.peak_vram_bytes, r.c.vae_name, r.c.vae_hash, r.c.webui_version, r.c.host_name,
        ]
        return sa.select(i, *run_columns).select_from(i.join(r, i.c.run_id == r.c.id))

    def recent_images(self, limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
        query = self.image_query().order_by(schema.images.c.id.desc()).limit(limit).offset(offset)
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    def iter_images(self, chunk_size: int = 1000, where: Sequence[sa.ColumnElement[bool]] = ()
                    ) -> Iterator[dict[str, Any]]:
        """Every image row (or those matching ``where``), oldest first, read in chunks (large exports)."""
        last_id = 0
        while True:
            query = (
                self.image_query().where(*where, schema.images.c.id > last_id)
                .order_by(schema.images.c.id).limit(chunk_size)
            )
            with self.engine.connect() as conn:
                rows = [dict(row._mapping) for row in conn.execute(query)]
            if not rows:
                return
            yield from rows
            last_id = rows[-1]["id"]

    def known_sha256(self) -> set[str]:
        with self.engine.connect() as conn:
            column = schema.images.c.image_sha256
            return {v for (v,) in conn.execute(sa.select(column).where(column.is_not(None)))}

    def image_by_uid(self, image_uid: str) -> dict[str, Any] | None:
        query = self.image_query().where(schema.images.c.image_uid == image_uid)
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return dict(row._mapping) if row else None


def _reason(exc: BaseException) -> str:
    original = getattr(exc, "orig", None)
    return str(original or exc).splitlines()[0]


@contextmanager
def database_errors(what: str, after_rollback: bool = False, name_taken: str | None = None) -> Iterator[None]:
    """SQLAlchemy's errors raised inside become :class:`LedgerError` with a plain sentence (the original
    stays ``__cause__``): the ledger's modules wrap their SQL in this, and nothing outside catches SQLAlchemy.

    ``name_taken`` replaces the database's wording when a unique constraint refused the write (another
    writer took the name between the check and the write)."""
    try:
        yield
    except sa.exc.SQLAlchemyError as exc:
        rolled_back = "; nothing was changed" if after_rollback else ""
        reason = _reason(exc)
        if name_taken and isinstance(exc, sa.exc.IntegrityError) and "unique" in reason.lower():
            reason = name_taken
        raise LedgerError(f"ParamLab: could not {what}{rolled_back}: {reason}") from exc


@contextmanager
def ledger_errors_as(error_type: type[Exception]) -> Iterator[None]:
    """A :class:`LedgerError` raised inside becomes ``error_type`` with the same message (the original stays
    ``__cause__``): for a store whose callers catch its own error (``ProfileError``, ``SeriesError``)."""
    try:
        yield
    except LedgerError as exc:
        raise error_type(str(exc)) from exc
