"""``python -m paramlab migrate``: a machine's SQLite ledger copied into another ledger (the team's
PostgreSQL, or another SQLite file) with every kind of row, references translated, counts verified, safe to
run again or after an interruption, and the source never changed."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image
from test_ledger_schema_v8 import fill_old_ledger

from paramlab.ledger import ImageRecord, Ledger, LedgerError, RunRecord, migrations, schema, transfer
from paramlab.ledger.actor import acting_as, operator
from paramlab.ledger.operations import store_thumbnail
from paramlab.ledger.thumbnails import render_thumbnail, stored_thumbnail
from paramlab.ledger.urls import resolve_ledger_url
from paramlab.profiles import Profile, ProfileStore
from paramlab.seeds import Series, SeriesStore

REPO = Path(__file__).resolve().parents[2]


def make_source(folder: Path) -> Path:
    """A machine's ledger: runs with images, figures, ratings, a thumbnail in the ledger and an older one in a
    file, profiles (one in the style guide, with history) and a series."""
    path = folder / "machine" / "ledger.sqlite"
    ledger = Ledger.open(resolve_ledger_url(path, folder))
    try:
        runs = []
        for number in range(3):
            images = [ImageRecord(index_in_run=i, seed=number * 10 + i, prompt=f"harbour {number} {i}", steps=20,
                                  sampler="Euler a", rating=(i % 5) + 1 if i % 2 else None,
                                  metrics={"sharpness": (10.0 + i, None), "noise": (None, "too small")})
                      for i in range(4)]
            runs.append(RunRecord(tab="txt2img", source="api", host_name="gpu-1", wall_seconds=2.0, images=images))
        ledger.write_runs(runs)
        rows = sorted(ledger.recent_images(limit=100), key=lambda row: row["id"])
        thumbnail = render_thumbnail(Image.new("RGB", (300, 200), "teal"))
        legacy = folder / "machine" / "thumbnails" / "old.jpg"
        legacy.parent.mkdir(parents=True)
        legacy.write_bytes(render_thumbnail(Image.new("RGB", (120, 120), "orange")))
        with ledger.write() as conn:
            store_thumbnail(conn, rows[0]["id"], thumbnail)
            conn.execute(schema.images.update().where(schema.images.c.id == rows[1]["id"])
                         .values(thumbnail_path=str(legacy)))
        profiles = ProfileStore(ledger)
        profiles.create(Profile(name="House style", description="daily", settings={"Steps": 28}))
        profiles.create(Profile(name="Shared name", settings={"Steps": 5}))
        with acting_as(operator()):
            profiles.set_guide("House style", approved=True, locked=True)
        SeriesStore(ledger).create(Series(name="Kaito", seed=42))
    finally:
        ledger.close()
    return path


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def uid_rows(ledger: Ledger) -> dict[str, dict]:
    with ledger.engine.connect() as conn:
        runs = {row.id: row.run_uid for row in conn.execute(sa.select(schema.runs))}
        images = {}
        for row in conn.execute(sa.select(schema.images)):
            metrics = {m.metric: (m.value, m.not_measured) for m in conn.execute(
                sa.select(schema.image_metrics).where(schema.image_metrics.c.image_id == row.id))}
            stored = stored_thumbnail(conn, row.id)
            images[row.image_uid] = {"run": runs[row.run_id], "prompt": row.prompt, "rating": row.rating,
                                     "metrics": metrics, "thumbnail": stored[0] if stored else None}
    return images


@pytest.fixture
def target(ledger: Ledger) -> Ledger:
    """The team's ledger, already holding another machine's run and a profile of the same name."""
    ledger.write_runs([RunRecord(tab="txt2img", source="ui", host_name="gpu-2",
                                 images=[ImageRecord(index_in_run=0, prompt="other machine")])])
    ProfileStore(ledger).create(Profile(name="Shared name", settings={"Steps": 50}))
    return ledger


def test_copies_every_row_verified_twice_safely_and_leaves_the_source_alone(tmp_path: Path, target: Ledger,
                                                                            monkeypatch) -> None:
    monkeypatch.setattr(transfer, "CHUNK", 5)  # several chunks per table, each its own transaction
    source = make_source(tmp_path)
    before = file_digest(source)
    report = transfer.transfer(resolve_ledger_url(source, tmp_path), target.url, progress=False)
    assert report.ok, report.summary()
    assert (report.tables["runs"].copied, report.tables["images"].copied) == (3, 12)
    assert report.tables["image_metrics"].copied == 24 and report.tables["image_thumbnails"].copied == 1
    assert report.tables["profiles"].copied == 1 and report.tables["profiles"].already_there == 1
    assert report.thumbnails_from_files == 1
    assert file_digest(source) == before

    original = Ledger.open(resolve_ledger_url(source, tmp_path))
    try:
        expected = uid_rows(original)
    finally:
        original.close()
    copied = uid_rows(target)
    for uid, row in expected.items():  # same run, prompt, rating, figures and thumbnail, by uid
        assert {**copied[uid], "thumbnail": None} == {**row, "thumbnail": None}
        assert row["thumbnail"] is None or copied[uid]["thumbnail"] == row["thumbnail"]
    assert sum(1 for row in copied.values() if row["thumbnail"]) == 2  # the ledger's one and the file's one
    assert len(copied) == 13 and target.counts() == {"runs": 4, "images": 13}
    store = ProfileStore(target)
    house = store.get("House style")
    assert (house.approved, house.locked, house.version) == (True, True, 3)
    assert [v["action"] for v in store.history("House style")] == ["created", "approved", "locked"]
    assert store.get("Shared name").settings == {"Steps": 50}  # the team's own is kept
    assert SeriesStore(target).get("Kaito").seed == 42

    again = transfer.transfer(resolve_ledger_url(source, tmp_path), target.url, progress=False)
    assert again.ok and sum(t.copied for t in again.tables.values()) == 0 and again.thumbnails_from_files == 0
    assert target.counts() == {"runs": 4, "images": 13}


def test_an_interrupted_copy_goes_on_where_it_stopped(tmp_path: Path, target: Ledger, monkeypatch) -> None:
    monkeypatch.setattr(transfer, "CHUNK", 3)
    source = make_source(tmp_path)
    real_insert = transfer._Copier._insert
    calls = {"n": 0}

    def failing_insert(self, table, rows, *args):  # type: ignore[no-untyped-def]
        calls["n"] += table.name == "images"
        if calls["n"] > 2:  # the third chunk of images
            raise sa.exc.OperationalError("INSERT", {}, Exception("server closed the connection"))
        return real_insert(self, table, rows, *args)

    monkeypatch.setattr(transfer._Copier, "_insert", failing_insert)
    with pytest.raises(LedgerError, match="the copy stopped: .*run the same command again"):
        transfer.transfer(resolve_ledger_url(source, tmp_path), target.url, progress=False)
    partly = target.counts()["images"]
    assert partly == 1 + 2 * 3  # the team's own image and two whole chunks
    monkeypatch.setattr(transfer._Copier, "_insert", real_insert)
    report = transfer.transfer(resolve_ledger_url(source, tmp_path), target.url, progress=False)
    assert report.ok and report.tables["images"].already_there == partly - 1
    assert target.counts() == {"runs": 4, "images": 13}


def test_an_older_ledger_is_copied_without_upgrading_it(tmp_path: Path, target: Ledger) -> None:
    source = tmp_path / "v6.sqlite"
    engine = sa.create_engine(f"sqlite:///{source}")
    migrations.migrate(engine, target=6)
    with engine.begin() as conn:
        fill_old_ledger(conn)
    engine.dispose()
    before = file_digest(source)
    report = transfer.transfer(resolve_ledger_url(source, tmp_path), target.url, progress=False)
    assert report.ok and report.tables["images"].copied == 2 and report.tables["profile_versions"].copied == 2
    assert file_digest(source) == before
    check = sa.create_engine(f"sqlite:///{source}")
    with check.connect() as conn:
        assert migrations.current_version(conn) == 6
    check.dispose()


def test_the_command_shows_progress_verifies_and_refuses_nonsense(tmp_path: Path, ledger_location: str) -> None:
    source = make_source(tmp_path)
    env = dict(os.environ, PARAMLAB_HOME=str(tmp_path / "home"), PYTHONIOENCODING="utf-8")

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "paramlab", *args], cwd=REPO, env=env, capture_output=True,
                              text=True, encoding="utf-8", timeout=300)

    done = cli("migrate", "--from", str(source), "--to", ledger_location)
    assert done.returncode == 0, done.stderr
    assert "ParamLab migrate" in done.stderr and "row" in done.stderr  # the progress bar
    assert "images: 12 in the source, 12 copied, 0 already there; 12 of 12 verified" in done.stderr
    assert "every row verified" in done.stderr
    again = cli("--db", str(source), "migrate", "--to", ledger_location, "--quiet")
    assert again.returncode == 0 and "images: 12 in the source, 0 copied, 12 already there" in again.stderr
    assert cli("migrate", "--from", str(tmp_path / "nope.sqlite"), "--to", ledger_location).returncode == 2
    same = cli("migrate", "--from", str(source), "--to", str(source))
    assert same.returncode == 2 and "the same ledger" in same.stderr


def test_every_table_has_an_identity_to_copy_it_by() -> None:
    for table in schema.metadata.sorted_tables:
        if table is not schema.meta:
            assert transfer.natural_key(table), table.name
    assert transfer.natural_key(schema.image_metrics) == ("image_id", "metric")
    assert transfer.natural_key(schema.profile_versions) == ("profile_uid", "version")
