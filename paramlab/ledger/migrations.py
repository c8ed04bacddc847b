"""Versioned, forward-only schema migrations.

Each step runs in its own transaction and records the new version in ``paramlab_meta``, so a
crash between steps leaves a database at a clean, known version. Version 1 is frozen here as it
shipped; later steps only add.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.schema import CreateColumn

from paramlab.ledger import dialect, schema

VERSION_KEY = "schema_version"


class SchemaTooNewError(RuntimeError):
    """The database was written by a newer ParamLab; we must not touch it."""


def _v1_tables() -> sa.MetaData:
    """The schema as version 1 created it (kept verbatim so old databases can be rebuilt in tests)."""
    md = sa.MetaData()
    sa.Table(
        "paramlab_meta", md,
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    later_run_columns = {"energy_joules", "fingerprint", "owner", "output_dir", "planned_seeds", "job_id", "role",
                         "settings", "error_type", "profile", "replay_args", "replay_verdict", "replay_reason"}
    run_columns = [c.copy() for c in schema.runs.columns if c.name not in later_run_columns]
    sa.Table("runs", md, *run_columns)
    later_image_columns = {
        "thumbnail_path", "model_evaluations", "megapixel_steps", "energy_joules", "profile", "series",
        "rating", "flaws", "source_image_id", "pixel_sha256", "upscale",
    }
    image_columns = [_copy_column(c) for c in schema.images.columns if c.name not in later_image_columns]
    sa.Table("images", md, *image_columns)
    return md


def _copy_column(column: sa.Column) -> sa.Column:
    copied = column.copy()
    if column.foreign_keys:
        fk = next(iter(column.foreign_keys))
        copied = sa.Column(
            column.name, column.type, sa.ForeignKey(fk.target_fullname, ondelete=fk.ondelete),
            nullable=column.nullable,
        )
    return copied


def _migrate_to_1(conn: Connection) -> None:
    _v1_tables().create_all(conn)


def _add_column(conn: Connection, table: sa.Table, name: str) -> None:
    column_sql = CreateColumn(table.c[name]).compile(dialect=conn.dialect)
    conn.execute(sa.text(f"ALTER TABLE {table.name} ADD COLUMN {column_sql}"))


def _create_indexes(conn: Connection, indexes: Iterable[sa.Index]) -> None:
    """A version's new indexes (those a half-finished earlier attempt made are left as they are)."""
    for index in indexes:
        index.create(conn, checkfirst=True)


def _migrate_to_2(conn: Connection) -> None:
    """Cost normalisation (model evaluations, megapixel-steps, energy), thumbnails, query indexes."""
    _add_column(conn, schema.runs, "energy_joules")
    for name in ("thumbnail_path", "model_evaluations", "megapixel_steps", "energy_joules"):
        _add_column(conn, schema.images, name)
    _create_indexes(conn, schema.INDEXES)
    dialect.create_prompt_search(conn)


def _migrate_to_3(conn: Connection) -> None:
    """Parameter profiles: the ``profiles`` table and the profile each image was made with."""
    schema.profiles.create(conn, checkfirst=True)
    _add_column(conn, schema.images, "profile")
    _create_indexes(conn, schema.V3_INDEXES)


def _migrate_to_4(conn: Connection) -> None:
    """Seed lock and character series: the ``series`` table, each image's series, each run's fingerprint."""
    schema.series.create(conn, checkfirst=True)
    _add_column(conn, schema.images, "series")
    _add_column(conn, schema.runs, "fingerprint")
    _create_indexes(conn, schema.V4_INDEXES)


def _migrate_to_5(conn: Connection) -> None:
    """Quality: per-image figures (long table), the user's 1–5 rating, and flaw diagnostics."""
    schema.image_metrics.create(conn, checkfirst=True)
    _add_column(conn, schema.images, "rating")
    _add_column(conn, schema.images, "flaws")
    _create_indexes(conn, schema.V5_INDEXES)


def _migrate_to_6(conn: Connection) -> None:
    """Crash recovery: runs are written when they start; who runs them, where they save, which seeds."""
    for name in ("owner", "output_dir", "planned_seeds"):
        _add_column(conn, schema.runs, name)
    _create_indexes(conn, schema.V6_INDEXES)


def _migrate_to_7(conn: Connection) -> None:
    """Jobs: every existing run becomes a job of its own (its uid reused as the job's), with the run's
    times, status and totals, so nothing is lost and every run belongs to a job."""
    schema.jobs.create(conn, checkfirst=True)
    for name in ("job_id", "role", "settings"):
        _add_column(conn, schema.runs, name)
    for name in ("source_image_id", "pixel_sha256", "upscale"):
        _add_column(conn, schema.images, name)
    runs, images, jobs = schema.runs, schema.images, schema.jobs

    def per_run(value: sa.ColumnElement) -> sa.ScalarSelect:
        return sa.select(value).where(images.c.run_id == runs.c.id).scalar_subquery()

    kind = sa.case((runs.c.source == "import", "import"), (runs.c.script_name.is_not(None), "script"),
                   else_="generate")
    conn.execute(jobs.insert().from_select(
        ["job_uid", "started_at", "finished_at", "tab", "source", "kind", "script_name", "status", "error",
         "wall_seconds", "run_count", "image_count", "cost_seconds", "model_evaluations", "owner"],
        sa.select(runs.c.run_uid, runs.c.started_at, runs.c.finished_at, runs.c.tab, runs.c.source, kind,
                  runs.c.script_name, runs.c.status, runs.c.error, runs.c.wall_seconds, sa.literal(1),
                  per_run(sa.func.count()), per_run(sa.func.sum(images.c.cost_seconds)),
                  per_run(sa.func.sum(images.c.model_evaluations)), runs.c.owner),
    ))
    job_of_run = sa.select(jobs.c.id).where(jobs.c.job_uid == runs.c.run_uid).scalar_subquery()
    conn.execute(runs.update().values(job_id=job_of_run, role="run"))
    _create_indexes(conn, schema.V7_INDEXES)


def _add_missing_columns(conn: Connection, table: sa.Table, names: tuple[str, ...]) -> None:
    """Add the columns the table lacks: a table created by an earlier step from the current schema
    already has them, and a step applied again must change nothing."""
    present = {column["name"] for column in sa.inspect(conn).get_columns(table.name)}
    for name in names:
        if name not in present:
            _add_column(conn, table, name)


def _migrate_to_8(conn: Connection) -> None:
    """A shared ledger: thumbnails kept in the ledger, and the studio's style guide (profile approval,
    lock and a versioned history with who and when). Existing profiles get a uid and a first version."""
    schema.image_thumbnails.create(conn, checkfirst=True)
    schema.profile_versions.create(conn, checkfirst=True)
    _add_missing_columns(conn, schema.profiles, (
        "profile_uid", "version", "approved", "approved_by", "approved_at", "locked", "updated_by"))
    profiles, versions = schema.profiles, schema.profile_versions
    for row in conn.execute(sa.select(profiles).where(profiles.c.profile_uid.is_(None))).all():
        uid = str(uuid.uuid4())
        conn.execute(profiles.update().where(profiles.c.id == row.id).values(profile_uid=uid, version=1))
        conn.execute(versions.insert().values(
            profile_uid=uid, version=1, action="recorded", name=row.name, description=row.description,
            model_scope=row.model_scope, settings_json=row.settings_json, approved=False, locked=False,
            changed_by=None, changed_at=row.updated_at))
    _create_indexes(conn, schema.V8_INDEXES)


def _migrate_to_9(conn: Connection) -> None:
    """Blind A/B tests: the judges' votes."""
    schema.ab_votes.create(conn, checkfirst=True)
    _create_indexes(conn, schema.V9_INDEXES)


def _migrate_to_10(conn: Connection) -> None:
    """Failed generations: the exception's class beside its message, and each run's profile (a failed run
    has no images to carry it). Runs and jobs written as ``error`` (``process_images`` raised) become
    ``failed``, and runs take the profile their images were made with."""
    _add_missing_columns(conn, schema.runs, ("error_type", "profile"))
    _add_missing_columns(conn, schema.jobs, ("error_type",))
    runs, images, jobs = schema.runs, schema.images, schema.jobs
    conn.execute(runs.update().where(runs.c.status == "error").values(status="failed"))
    conn.execute(jobs.update().where(jobs.c.status == "error").values(status="failed"))
    with_profile = sa.and_(images.c.run_id == runs.c.id, images.c.profile.is_not(None))
    first_profile = sa.select(images.c.profile).where(with_profile).order_by(images.c.id).limit(1).scalar_subquery()
    conn.execute(runs.update().where(runs.c.profile.is_(None), sa.exists().where(with_profile))
                 .values(profile=first_profile))
    _create_indexes(conn, schema.V10_INDEXES)


def _migrate_to_11(conn: Connection) -> None:
    """Replay and the canary: input images by content, other extensions' arguments (whole and flattened for
    search), each run's replay verdict, model file hashes, canary pins and reports."""
    _add_missing_columns(conn, schema.runs, ("replay_args", "replay_verdict", "replay_reason"))
    for table in (schema.input_blobs, schema.run_inputs, schema.run_extension_values, schema.file_hashes,
                  schema.canary_pins, schema.canary_reports, schema.canary_results):
        table.create(conn, checkfirst=True)
    _create_indexes(conn, [*schema.V11_RUN_INDEXES, *schema.V11_INDEXES])


MIGRATIONS: dict[int, Callable[[Connection], None]] = {
    1: _migrate_to_1,
    2: _migrate_to_2,
    3: _migrate_to_3,
    4: _migrate_to_4,
    5: _migrate_to_5,
    6: _migrate_to_6,
    7: _migrate_to_7,
    8: _migrate_to_8,
    9: _migrate_to_9,
    10: _migrate_to_10,
    11: _migrate_to_11,
}
assert max(MIGRATIONS) == schema.SCHEMA_VERSION


def current_version(conn: Connection) -> int:
    """0 for an empty database, else the version recorded in ``paramlab_meta``."""
    if not sa.inspect(conn).has_table(schema.meta.name):
        return 0
    value = conn.execute(
        sa.select(schema.meta.c.value).where(schema.meta.c.key == VERSION_KEY)
    ).scalar_one_or_none()
    return int(value) if value is not None else 0


def migrate(engine: sa.Engine, target: int = schema.SCHEMA_VERSION) -> list[int]:
    """Bring the database to ``target``; returns the versions applied (empty if already there).

    Several processes may open one ledger at the same moment (two WebUIs, the viewer): each step
    takes the database's write lock first and re-reads the version inside its transaction, so a
    step another process has just applied is skipped instead of applied twice.
    """
    with engine.connect() as conn:
        version = current_version(conn)
    _refuse_newer(version)
    applied: list[int] = []
    for step in range(version + 1, target + 1):
        with engine.connect() as conn:
            conn.execution_options(paramlab_write=True)  # BEGIN IMMEDIATE on SQLite (see store.py)
            with conn.begin():
                dialect.lock_for_migration(conn)
                now = current_version(conn)
                _refuse_newer(now)
                if now >= step:
                    continue
                MIGRATIONS[step](conn)
                _set_version(conn, step)
        applied.append(step)
    return applied


def _refuse_newer(version: int) -> None:
    if version > schema.SCHEMA_VERSION:
        raise SchemaTooNewError(
            f"ParamLab: the ledger has schema version {version}, newer than this ParamLab "
            f"({schema.SCHEMA_VERSION}); update ParamLab to use it."
        )


def _set_version(conn: Connection, version: int) -> None:
    table = schema.meta
    updated = conn.execute(
        table.update().where(table.c.key == VERSION_KEY).values(value=str(version))
    ).rowcount
    if not updated:
        conn.execute(table.insert().values(key=VERSION_KEY, value=str(version)))
