"""Schema version 8 (a shared ledger: thumbnails in the ledger, the profile style guide), reached from
versions 6 and 7 with rows in them, on SQLite and PostgreSQL; each step applied again changes nothing."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from paramlab.ledger import Ledger, migrations, schema
from paramlab.ledger.urls import resolve_ledger_url

WHEN = datetime(2026, 1, 1, 10, 0, tzinfo=timezone.utc)


def fill_old_ledger(conn: sa.Connection) -> None:
    """Rows of every kind an old ledger holds, written with the columns that version had."""
    conn.execute(sa.text(
        "INSERT INTO runs (run_uid, started_at, tab, source, status, image_count) "
        "VALUES ('r1', :when, 'txt2img', 'api', 'ok', 2)"), {"when": WHEN})
    run_id = conn.execute(sa.text("SELECT id FROM runs")).scalar_one()
    for i in range(2):
        conn.execute(sa.text(
            "INSERT INTO images (image_uid, run_id, index_in_run, created_at, status, prompt, hires_enabled, rating, "
            "thumbnail_path) VALUES (:uid, :run, :i, :when, 'ok', 'old prompt', false, 3, :thumb)"),
            {"uid": f"img-{i}", "run": run_id, "i": i, "when": WHEN, "thumb": f"/thumbs/{i}.jpg"})
    image_id = conn.execute(sa.text("SELECT min(id) FROM images")).scalar_one()
    conn.execute(sa.text("INSERT INTO image_metrics (image_id, metric, value, metric_version) "
                         "VALUES (:id, 'sharpness', 12.5, '1')"), {"id": image_id})
    for name in ("House style", "Night shots"):
        conn.execute(sa.text(
            "INSERT INTO profiles (name, name_key, description, settings_json, created_at, updated_at) "
            "VALUES (:name, :key, 'why', '{\"Steps\": 30}', :when, :when)"),
            {"name": name, "key": name.lower(), "when": WHEN})
    conn.execute(sa.text("INSERT INTO series (name, name_key, seed, notes, created_at, updated_at) "
                         "VALUES ('Kaito', 'kaito', 42, '', :when, :when)"), {"when": WHEN})


def counts(conn: sa.Connection) -> dict[str, int]:
    names = ("runs", "images", "image_metrics", "profiles", "series")
    return {name: conn.execute(sa.text(f"SELECT count(*) FROM {name}")).scalar_one() for name in names}


@pytest.mark.parametrize("start", [6, 7])
def test_a_ledger_with_rows_reaches_version_8_and_keeps_them(empty_ledger_location: str, tmp_path: Path,
                                                             start: int) -> None:
    url = resolve_ledger_url(empty_ledger_location, tmp_path)
    engine = sa.create_engine(url)
    try:
        assert migrations.migrate(engine, target=start) == list(range(1, start + 1))
        with engine.begin() as conn:
            fill_old_ledger(conn)
            before = counts(conn)
    finally:
        engine.dispose()

    ledger = Ledger.open(url)
    try:
        assert ledger.schema_version() == schema.SCHEMA_VERSION >= 8
        with ledger.engine.connect() as conn:
            assert counts(conn) == before
            inspector = sa.inspect(conn)
            for table in (schema.profiles, schema.profile_versions, schema.image_thumbnails):
                assert {c["name"] for c in inspector.get_columns(table.name)} == {c.name for c in table.columns}
            assert "ix_profiles_profile_uid" in {index["name"] for index in inspector.get_indexes("profiles")}
            profiles = conn.execute(sa.select(schema.profiles).order_by(schema.profiles.c.name)).all()
            assert [(p.name, p.version, p.approved, p.locked) for p in profiles] == [
                ("House style", 1, False, False), ("Night shots", 1, False, False)]
            assert len({p.profile_uid for p in profiles}) == 2 and all(p.profile_uid for p in profiles)
            versions = conn.execute(sa.select(schema.profile_versions)).all()
            assert {(v.profile_uid, v.version, v.action, v.name) for v in versions} == {
                (p.profile_uid, 1, "recorded", p.name) for p in profiles}
            assert [r.thumbnail_path for r in conn.execute(sa.select(schema.images).order_by(schema.images.c.id))] \
                == ["/thumbs/0.jpg", "/thumbs/1.jpg"]

        # Applied again (as after a crash between the step and its version record): nothing changes.
        with ledger.write() as conn:
            snapshot = (counts(conn), conn.execute(sa.select(schema.profile_versions)).all(),
                        conn.execute(sa.select(schema.profiles)).all())
            migrations.MIGRATIONS[8](conn)
            assert (counts(conn), conn.execute(sa.select(schema.profile_versions)).all(),
                    conn.execute(sa.select(schema.profiles)).all()) == snapshot
    finally:
        ledger.close()


def test_a_new_ledger_has_every_table_and_column_at_version_8(ledger: Ledger) -> None:
    with ledger.engine.connect() as conn:
        inspector = sa.inspect(conn)
        for table in schema.metadata.sorted_tables:
            assert {c["name"] for c in inspector.get_columns(table.name)} == {c.name for c in table.columns}, table
