"""Schema version 10 (failed generations), reached from version 9 with rows in it, on SQLite and PostgreSQL:
runs and jobs written as ``error`` become ``failed``, runs take their images' profile, and the step applied
again changes nothing."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from test_ledger_schema_v8 import WHEN, counts, fill_old_ledger

from paramlab.ledger import Ledger, migrations, schema
from paramlab.ledger.urls import resolve_ledger_url


def fill_version_9(conn: sa.Connection) -> None:
    """A run with images made with a profile, and a run that raised (``error``), each with its job."""
    fill_old_ledger(conn)
    conn.execute(sa.text("UPDATE images SET profile = 'House style'"))
    conn.execute(sa.text(
        "INSERT INTO runs (run_uid, started_at, tab, source, status, error, image_count) "
        "VALUES ('r2', :when, 'txt2img', 'api', 'error', 'process_images stopped with an exception before it "
        "finished', 0)"), {"when": WHEN})
    for run_uid, status in (("r1", "ok"), ("r2", "error")):
        conn.execute(sa.text(
            "INSERT INTO jobs (job_uid, started_at, tab, source, kind, status, run_count, image_count) "
            "VALUES (:uid, :when, 'txt2img', 'api', 'generate', :status, 1, 0)"),
            {"uid": run_uid, "when": WHEN, "status": status})
        conn.execute(sa.text("UPDATE runs SET job_id = (SELECT id FROM jobs WHERE job_uid = :uid) "
                             "WHERE run_uid = :uid"), {"uid": run_uid})


def test_a_version_9_ledger_names_its_failed_runs_and_their_profiles(empty_ledger_location: str,
                                                                    tmp_path: Path) -> None:
    url = resolve_ledger_url(empty_ledger_location, tmp_path)
    engine = sa.create_engine(url)
    try:
        assert migrations.migrate(engine, target=9) == list(range(1, 10))
        with engine.begin() as conn:
            fill_version_9(conn)
            before = counts(conn)
    finally:
        engine.dispose()
    ledger = Ledger.open(url)
    try:
        assert ledger.schema_version() == schema.SCHEMA_VERSION >= 10
        with ledger.engine.connect() as conn:
            assert counts(conn) == before
            runs = conn.execute(sa.text("SELECT run_uid, status, profile, error_type FROM runs ORDER BY id")).all()
            jobs = conn.execute(sa.text("SELECT job_uid, status, error_type FROM jobs ORDER BY id")).all()
            inspector = sa.inspect(conn)
            for table in (schema.runs, schema.jobs):
                assert {c["name"] for c in inspector.get_columns(table.name)} == {c.name for c in table.columns}
            assert "ix_runs_profile" in {index["name"] for index in inspector.get_indexes("runs")}
        assert [tuple(row) for row in runs] == [("r1", "ok", "House style", None), ("r2", "failed", None, None)]
        assert [tuple(row) for row in jobs] == [("r1", "ok", None), ("r2", "failed", None)]
        with ledger.write() as conn:  # applied again (a crash before its version record): nothing changes
            migrations.MIGRATIONS[10](conn)
        with ledger.engine.connect() as conn:
            again = conn.execute(sa.text("SELECT run_uid, status, profile, error_type FROM runs ORDER BY id")).all()
        assert again == runs
    finally:
        ledger.close()
