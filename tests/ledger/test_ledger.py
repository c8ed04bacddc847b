"""The ledger on real SQLite: opening safely, migrations, exact round trips, atomic writes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from paramlab.ledger import ImageRecord, Ledger, LedgerError, RunRecord, migrations, schema
from paramlab.ledger.dialect import prompt_search_clause
from paramlab.ledger.urls import LedgerLocationError, resolve_ledger_url


def make_run(prompt: str = "a lighthouse at dusk", images: int = 2, **overrides) -> RunRecord:
    run = RunRecord(tab="txt2img", source="ui", batch_count=1, batch_size=images, wall_seconds=1.5, **overrides)
    run.images = [
        ImageRecord(index_in_run=i, seed=1000 + i, prompt=prompt, negative_prompt="blurry", sampler="Euler a",
                    scheduler="Automatic", steps=20, cfg_scale=7.0, width=512, height=512, cost_seconds=0.75)
        for i in range(images)
    ]
    return run


def test_new_ledger_is_wal_sqlite_at_current_schema(tmp_path: Path) -> None:
    ledger = Ledger.open(resolve_ledger_url(tmp_path / "sub" / "ledger.sqlite", tmp_path))
    assert ledger.schema_version() == schema.SCHEMA_VERSION
    with ledger.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    ledger.close()


def test_default_location_and_url_forms(tmp_path: Path) -> None:
    assert resolve_ledger_url(None, tmp_path).database == str((tmp_path / "ledger.sqlite").resolve())
    assert resolve_ledger_url(str(tmp_path), tmp_path).database == str((tmp_path / "ledger.sqlite").resolve())
    url = resolve_ledger_url("postgresql+psycopg://u:secret@db/paramlab", tmp_path)
    assert url.get_backend_name() == "postgresql" and url.password == "secret"
    with pytest.raises(LedgerLocationError, match="not a valid database URL"):
        resolve_ledger_url("nope://::", tmp_path)


def test_write_and_read_back(ledger: Ledger) -> None:
    [run_id] = ledger.write_runs([make_run()])
    rows = ledger.recent_images()
    assert len(rows) == 2 and {row["run_id"] for row in rows} == {run_id}
    assert rows[0]["sampler"] == "Euler a" and rows[0]["tab"] == "txt2img"
    assert ledger.counts() == {"runs": 1, "images": 2}


@pytest.mark.parametrize(
    "prompt",
    [
        "x" * 100_000,
        "nul\x00inside\x00prompt",
        "カイト、夜の港で 🌃 — «naïve» ½ \u200b zero-width \U0001f9ea",
        "line one\nline two\r\n\ttabbed 'quotes' \"double\" \\backslash",
    ],
    ids=["100k", "nul", "unicode", "control"],
)
def test_prompts_round_trip_exactly(ledger: Ledger, prompt: str) -> None:
    ledger.write_runs([make_run(prompt=prompt, images=1)])
    assert ledger.recent_images()[0]["prompt"] == prompt


def test_prompt_full_text_search_index(ledger: Ledger) -> None:
    """FTS5 on SQLite, the GIN expression index on PostgreSQL: found through the index, not a table scan."""
    ledger.write_runs([make_run(prompt="kaito in the rain", images=1), make_run(prompt="a red fox", images=1)])
    images = schema.images
    dialect = ledger.engine.dialect.name
    search = sa.select(images.c.id).where(prompt_search_clause(images, ["kai"], dialect))
    with ledger.engine.connect() as conn:
        assert len(conn.execute(search).all()) == 1
        if dialect == "postgresql":
            conn.exec_driver_sql("SET enable_seqscan = off")
            plan = "\n".join(row[0] for row in conn.execute(sa.text("EXPLAIN " + str(search.compile(
                dialect=conn.dialect, compile_kwargs={"literal_binds": True})))))
            assert "ix_images_prompt_fts" in plan, plan
        else:
            assert conn.exec_driver_sql("SELECT count(*) FROM images_fts WHERE images_fts MATCH 'kaito'").scalar() == 1


def test_a_failing_batch_writes_nothing(ledger: Ledger) -> None:
    broken = make_run(images=1)
    broken.status = None  # NOT NULL column: the database rejects this run
    with pytest.raises(sa.exc.IntegrityError):
        ledger.write_runs([make_run(), broken])
    assert ledger.counts() == {"runs": 0, "images": 0}


def test_database_failures_reach_callers_as_ledger_errors(ledger: Ledger) -> None:
    """Callers outside the ledger catch LedgerError only: a bad read and a failed transaction both arrive
    as one, with SQLAlchemy's error as the cause, and the transaction left nothing behind."""
    with pytest.raises(LedgerError, match="ParamLab: could not count the pets: ") as caught, \
            ledger.read("count the pets") as conn:
        conn.execute(sa.text("SELECT count(*) FROM pets"))
    assert isinstance(caught.value.__cause__, sa.exc.SQLAlchemyError)
    before = ledger.counts()
    job = {"job_uid": "job-a", "started_at": sa.func.now(), "tab": "txt2img", "source": "api", "kind": "generate",
           "status": "ok"}
    with pytest.raises(LedgerError, match="could not save two runs; nothing was changed: "), \
            ledger.transaction("save two runs") as conn:
        conn.execute(schema.jobs.insert().values(**job))
        conn.execute(sa.text("INSERT INTO pets VALUES (1)"))
    assert ledger.counts() == before


def test_migrates_a_version_1_ledger_without_losing_a_row(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    engine = sa.create_engine(f"sqlite:///{path}")
    assert migrations.migrate(engine, target=1) == [1]
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO runs (id, run_uid, started_at, tab, source, status, image_count) "
            "VALUES (1, 'run-1', '2026-01-01 10:00:00', 'txt2img', 'ui', 'ok', 3)"
        )
        for i in range(3):
            conn.exec_driver_sql(
                "INSERT INTO images (image_uid, run_id, index_in_run, created_at, status, prompt, seed, "
                f"hires_enabled) VALUES ('img-{i}', 1, {i}, '2026-01-01 10:00:0{i}', 'ok', 'old prompt {i}', {i}, 0)"
            )
    engine.dispose()

    ledger = Ledger.open(resolve_ledger_url(path, tmp_path))
    assert ledger.schema_version() == schema.SCHEMA_VERSION
    rows = sorted(ledger.recent_images(), key=lambda row: row["index_in_run"])
    assert [row["prompt"] for row in rows] == ["old prompt 0", "old prompt 1", "old prompt 2"]
    assert all(row["model_evaluations"] is None for row in rows)
    with ledger.engine.connect() as conn:
        assert len(conn.exec_driver_sql("SELECT rowid FROM images_fts WHERE images_fts MATCH 'old'").all()) == 3
        inspector = sa.inspect(conn)
        for table in (schema.runs, schema.images, schema.profiles, schema.series):
            migrated = {column["name"] for column in inspector.get_columns(table.name)}
            assert migrated == {column.name for column in table.columns}
    ledger.write_runs([make_run(images=1)])
    assert ledger.counts() == {"runs": 2, "images": 4}
    ledger.close()


def test_migrates_a_version_2_ledger_to_3_without_losing_a_row(tmp_path: Path) -> None:
    path = tmp_path / "v2.sqlite"
    engine = sa.create_engine(f"sqlite:///{path}")
    assert migrations.migrate(engine, target=2) == [1, 2]
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO runs (id, run_uid, started_at, tab, source, status, image_count, peak_vram_bytes) "
            "VALUES (1, 'run-1', '2026-02-01 10:00:00', 'txt2img', 'ui', 'ok', 2, 4096)"
        )
        for i in range(2):
            conn.exec_driver_sql(
                "INSERT INTO images (image_uid, run_id, index_in_run, created_at, status, prompt, seed, "
                f"hires_enabled, megapixel_steps) VALUES ('img-{i}', 1, {i}, '2026-02-01 10:00:0{i}', 'ok', "
                f"'v2 prompt {i}', {i}, 0, 5.2)"
            )
    engine.dispose()

    ledger = Ledger.open(resolve_ledger_url(path, tmp_path))
    assert ledger.schema_version() == schema.SCHEMA_VERSION  # through 3 and on to the newest
    rows = sorted(ledger.recent_images(), key=lambda row: row["index_in_run"])
    assert [row["prompt"] for row in rows] == ["v2 prompt 0", "v2 prompt 1"]
    assert [row["megapixel_steps"] for row in rows] == [5.2, 5.2]
    assert all(row["profile"] is None and row["peak_vram_bytes"] == 4096 for row in rows)
    with ledger.engine.connect() as conn:
        inspector = sa.inspect(conn)
        assert {c["name"] for c in inspector.get_columns("profiles")} == {c.name for c in schema.profiles.columns}
        assert "ix_images_profile" in {index["name"] for index in inspector.get_indexes("images")}
        assert len(conn.exec_driver_sql("SELECT rowid FROM images_fts WHERE images_fts MATCH 'v2'").all()) == 2
    ledger.write_runs([make_run(images=1)])
    assert ledger.counts() == {"runs": 2, "images": 3}
    ledger.close()


def test_migrates_a_version_3_ledger_to_4_without_losing_a_row(tmp_path: Path) -> None:
    path = tmp_path / "v3.sqlite"
    engine = sa.create_engine(f"sqlite:///{path}")
    assert migrations.migrate(engine, target=3) == [1, 2, 3]
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO runs (id, run_uid, started_at, tab, source, status, image_count, energy_joules) "
            "VALUES (1, 'run-1', '2026-03-01 10:00:00', 'txt2img', 'api', 'ok', 3, 12.5)"
        )
        for i in range(3):
            conn.exec_driver_sql(
                "INSERT INTO images (image_uid, run_id, index_in_run, created_at, status, prompt, seed, subseed, "
                f"subseed_strength, hires_enabled, profile) VALUES ('img-{i}', 1, {i}, '2026-03-01 10:00:0{i}', "
                f"'ok', 'v3 prompt {i}', {4294967295 - i}, 7, 0.25, 0, 'Final render')"
            )
        conn.exec_driver_sql(
            "INSERT INTO profiles (name, name_key, description, settings_json, created_at, updated_at) "
            "VALUES ('Mine', 'mine', '', '{\"Steps\": 30}', '2026-03-01 09:00:00', '2026-03-01 09:00:00')"
        )
    engine.dispose()

    ledger = Ledger.open(resolve_ledger_url(path, tmp_path))
    assert ledger.schema_version() == schema.SCHEMA_VERSION
    rows = sorted(ledger.recent_images(), key=lambda row: row["index_in_run"])
    assert [row["prompt"] for row in rows] == ["v3 prompt 0", "v3 prompt 1", "v3 prompt 2"]
    assert [row["seed"] for row in rows] == [4294967295, 4294967294, 4294967293]  # BigInteger kept exactly
    assert all(row["profile"] == "Final render" and row["series"] is None for row in rows)
    assert all(row["subseed"] == 7 and row["subseed_strength"] == 0.25 for row in rows)
    with ledger.engine.connect() as conn:
        inspector = sa.inspect(conn)
        for table in (schema.runs, schema.images, schema.profiles, schema.series):
            assert {c["name"] for c in inspector.get_columns(table.name)} == {c.name for c in table.columns}
        image_indexes = {index["name"] for index in inspector.get_indexes("images")}
        assert {"ix_images_series", "ix_images_profile"} <= image_indexes
        run = conn.execute(sa.select(schema.runs.c.energy_joules, schema.runs.c.fingerprint)).one()
        assert run.energy_joules == 12.5 and run.fingerprint is None
        assert conn.exec_driver_sql("SELECT name FROM profiles").scalars().all() == ["Mine"]
        assert len(conn.exec_driver_sql("SELECT rowid FROM images_fts WHERE images_fts MATCH 'v3'").all()) == 3
    new_run = make_run(images=1, fingerprint='{"sampler": "Euler a"}')
    new_run.images[0].series = "Kaito"
    ledger.write_runs([new_run])
    assert ledger.counts() == {"runs": 2, "images": 4}
    assert ledger.recent_images(limit=1)[0]["series"] == "Kaito"
    ledger.close()


def test_refuses_a_newer_schema(tmp_path: Path) -> None:
    ledger = Ledger.open(resolve_ledger_url(tmp_path / "l.sqlite", tmp_path))
    with ledger.engine.begin() as conn:
        conn.execute(schema.meta.update().values(value="99"))
    ledger.close()
    with pytest.raises(LedgerError, match="newer than this ParamLab"):
        Ledger.open(resolve_ledger_url(tmp_path / "l.sqlite", tmp_path))


@pytest.mark.parametrize("content", [b"my holiday notes\n", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64])
def test_never_overwrites_a_file_that_is_not_a_ledger(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "notes.sqlite"
    path.write_bytes(content)
    with pytest.raises(LedgerError, match="left untouched"):
        Ledger.open(resolve_ledger_url(path, tmp_path))
    assert path.read_bytes() == content


def test_never_touches_another_applications_database(tmp_path: Path) -> None:
    path = tmp_path / "browser.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE images (path TEXT)")
        conn.execute("INSERT INTO images VALUES ('keep me')")
    before = path.read_bytes()
    with pytest.raises(LedgerError, match="another application's"):
        Ledger.open(resolve_ledger_url(path, tmp_path))
    assert path.read_bytes() == before


def test_a_folder_named_as_the_ledger_gets_the_default_file_inside(tmp_path: Path) -> None:
    folder = tmp_path / "ledger-folder"
    folder.mkdir()
    ledger = Ledger.open(resolve_ledger_url(folder, tmp_path))
    assert Path(ledger.engine.url.database) == (folder / "ledger.sqlite").resolve()
    ledger.close()


def test_migrates_a_version_4_ledger_to_5_without_losing_a_row(tmp_path: Path) -> None:
    path = tmp_path / "v4.sqlite"
    engine = sa.create_engine(f"sqlite:///{path}")
    assert migrations.migrate(engine, target=4) == [1, 2, 3, 4]
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO runs (id, run_uid, started_at, tab, source, status, image_count) "
            "VALUES (1, 'r', '2026-01-01 10:00:00', 'txt2img', 'api', 'ok', 2)"
        )
        for i in range(2):
            conn.exec_driver_sql(
                "INSERT INTO images (image_uid, run_id, index_in_run, created_at, status, prompt, seed, hires_enabled, "
                f"series) VALUES ('v4-{i}', 1, {i}, '2026-01-01 10:00:00', 'ok', 'v4 prompt', 4294967295, 0, 'Kaito')"
            )
    engine.dispose()
    ledger = Ledger.open(resolve_ledger_url(path, tmp_path))
    assert ledger.schema_version() == schema.SCHEMA_VERSION
    rows = ledger.recent_images()
    assert [(row["series"], row["seed"], row["rating"]) for row in rows] == [("Kaito", 4294967295, None)] * 2
    with ledger.engine.connect() as conn:
        assert sa.inspect(conn).has_table("image_metrics")
    ledger.close()


def test_migrates_a_version_5_ledger_to_6_without_losing_a_row(tmp_path: Path) -> None:
    path = tmp_path / "v5.sqlite"
    engine = sa.create_engine(f"sqlite:///{path}")
    assert migrations.migrate(engine, target=5) == [1, 2, 3, 4, 5]
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO runs (id, run_uid, started_at, tab, source, status, image_count) "
            "VALUES (1, 'r', '2026-01-01 10:00:00', 'txt2img', 'api', 'ok', 1)"
        )
        conn.exec_driver_sql(
            "INSERT INTO images (image_uid, run_id, index_in_run, created_at, status, prompt, hires_enabled, rating) "
            "VALUES ('v5', 1, 0, '2026-01-01 10:00:00', 'ok', 'v5 prompt', 0, 4)"
        )
    engine.dispose()
    ledger = Ledger.open(resolve_ledger_url(path, tmp_path))
    try:
        assert ledger.schema_version() == schema.SCHEMA_VERSION
        assert [(row["prompt"], row["rating"]) for row in ledger.recent_images()] == [("v5 prompt", 4)]
        with ledger.engine.connect() as conn:
            run = conn.execute(schema.runs.select()).one()._mapping
            assert (run["status"], run["owner"], run["planned_seeds"]) == ("ok", None, None)
            assert "ix_runs_status" in {index["name"] for index in sa.inspect(conn).get_indexes("runs")}
    finally:
        ledger.close()


def test_processes_opening_a_new_ledger_at_once_migrate_it_once(tmp_path: Path) -> None:
    """Two WebUIs (or a WebUI and the viewer) starting together must not both run a migration step."""
    import subprocess
    import sys

    path = tmp_path / "together.sqlite"
    code = (
        "import sys; from paramlab.ledger import Ledger; from paramlab.ledger.urls import resolve_ledger_url; "
        "Ledger.open(resolve_ledger_url(sys.argv[1], None)).close(); print('ok')"
    )
    repo = Path(__file__).resolve().parents[2]
    starters = [
        subprocess.Popen([sys.executable, "-c", code, str(path)], cwd=repo, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
        for _ in range(6)
    ]
    results = [starter.communicate(timeout=120) for starter in starters]
    assert [starter.returncode for starter in starters] == [0] * 6, [err for _, err in results]
    ledger = Ledger.open(resolve_ledger_url(path, tmp_path))
    try:
        assert ledger.schema_version() == schema.SCHEMA_VERSION
        with ledger.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    finally:
        ledger.close()
