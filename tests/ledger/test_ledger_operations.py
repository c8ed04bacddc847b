"""The writer's operations: idempotent, one transaction each, and readable back from a spill file."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
import sqlalchemy as sa

from paramlab.ledger import ImageRecord, Ledger, RunRecord, schema
from paramlab.ledger.operations import (
    AddImages,
    Findings,
    FinishRun,
    LinkFile,
    RecordFindings,
    StartRun,
    WriteRun,
    operation_from_json,
    operation_to_line,
)
from paramlab.ledger.urls import resolve_ledger_url
from paramlab.ledger.writer import LedgerWriter

FAST_RETRY = (0.05, 0.05, 0.1)


def images(count: int, start: int = 0) -> list[ImageRecord]:
    return [ImageRecord(index_in_run=start + i, seed=100 + start + i, prompt=f"image {start + i}")
            for i in range(count)]


def apply_all(ledger: Ledger, *operations) -> None:
    for operation in operations:
        with ledger.write() as conn:
            operation.apply(conn)


def table(ledger: Ledger, name: str) -> list[dict]:
    with ledger.engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(schema.metadata.tables[name].select())]


def test_a_run_written_in_steps_ends_as_one_run_with_its_images(ledger: Ledger) -> None:
    run = RunRecord(tab="txt2img", source="api", batch_count=2, batch_size=2, owner="h/1/1", planned_seeds="[1, 2]")
    first, second = images(2), images(2, start=2)
    apply_all(ledger, StartRun(RunRecord(**{**run.__dict__, "images": []})))
    [row] = table(ledger, "runs")
    assert (row["status"], row["image_count"], row["owner"], row["planned_seeds"]) == ("running", 0, "h/1/1", "[1, 2]")
    apply_all(ledger, AddImages(run.run_uid, first))
    assert table(ledger, "runs")[0]["image_count"] == 2
    apply_all(ledger, AddImages(run.run_uid, second))
    run.images = first + second
    for image in run.images:
        image.infotext, image.cost_seconds = f"{image.prompt}\nSteps: 4", 0.25
    run.status, run.wall_seconds = "ok", 1.0
    apply_all(ledger, FinishRun(run))
    [row] = table(ledger, "runs")
    assert (row["status"], row["image_count"], row["wall_seconds"], row["owner"]) == ("ok", 4, 1.0, "h/1/1")
    rows = table(ledger, "images")
    assert [(r["prompt"], r["cost_seconds"], r["infotext"].splitlines()[0]) for r in rows] == [
        (f"image {i}", 0.25, f"image {i}") for i in range(4)]


def test_every_operation_applied_twice_changes_nothing_more(ledger: Ledger) -> None:
    run = RunRecord(tab="txt2img", source="api", images=images(2))
    batch = AddImages(run.run_uid, run.images)
    findings = RecordFindings(Findings(run.images[0].image_uid, image_sha256="ab" * 32, metrics={"noise": (1.5, None)},
                                       metrics_version="1", flaws="[]"))
    operations = [StartRun(RunRecord(**{**run.__dict__, "images": []})), batch,
                  LinkFile(run.images[1].image_uid, "/x.png"), findings, FinishRun(run), WriteRun(run)]
    apply_all(ledger, *operations)
    snapshot = {name: table(ledger, name) for name in ("runs", "images", "image_metrics")}
    apply_all(ledger, *operations)
    assert {name: table(ledger, name) for name in snapshot} == snapshot
    assert len(snapshot["runs"]) == 1 and len(snapshot["images"]) == 2 and len(snapshot["image_metrics"]) == 1


def test_findings_replace_earlier_figures_and_skip_deleted_images(ledger: Ledger) -> None:
    run = RunRecord(tab="txt2img", source="api", images=images(1))
    uid = run.images[0].image_uid
    apply_all(ledger, WriteRun(run), RecordFindings(Findings(uid, metrics={"noise": (9.0, None)}, metrics_version="1")))
    apply_all(ledger, RecordFindings(Findings(uid, metrics={"noise": (2.0, None), "sharpness": (None, "why")},
                                              metrics_version="1")))
    assert sorted((m["metric"], m["value"], m["not_measured"]) for m in table(ledger, "image_metrics")) == [
        ("noise", 2.0, None), ("sharpness", None, "why")]
    apply_all(ledger, RecordFindings(Findings("no-such-image", image_sha256="cd" * 32)))  # no error, no row


def test_every_operation_survives_the_spill_file_round_trip(ledger: Ledger) -> None:
    run = RunRecord(tab="img2img", source="ui", images=images(2), planned_seeds="[100, 101]")
    findings = Findings(run.images[0].image_uid, image_sha256="ef" * 32, thumbnail_path="/t.jpg",
                        metrics={"noise": (1.0, None), "clip_score": (None, "no weights")}, metrics_version="1",
                        flaws='[{"code": "cfg_burn", "advice": "lower CFG"}]')
    operations = [StartRun(run), AddImages(run.run_uid, run.images), FinishRun(run), WriteRun(run),
                  LinkFile("u", "/p.png"), RecordFindings(findings)]
    for operation in operations:
        back = operation_from_json(json.loads(operation_to_line(operation)))
        assert type(back) is type(operation)
        assert back.to_json() == operation.to_json()


def test_spill_files_written_before_operations_existed_still_load(tmp_path: Path) -> None:
    run = RunRecord(tab="txt2img", source="api", images=images(1))
    (tmp_path / "pending-20260101-000000-1.jsonl").write_text(
        json.dumps({"run": run.to_json()}) + "\n" + json.dumps({"link": [run.images[0].image_uid, "/old.png"]}) + "\n",
        encoding="utf-8")
    url = resolve_ledger_url(tmp_path / "ledger.sqlite", tmp_path)
    writer = LedgerWriter(lambda: Ledger.open(url), tmp_path, retry_delays=FAST_RETRY)
    assert writer.flush(10)
    writer.close()
    ledger = Ledger.open(url)
    try:
        [row] = table(ledger, "images")
        assert (row["prompt"], row["image_path"]) == ("image 0", "/old.png")
    finally:
        ledger.close()
    assert not list(tmp_path.glob("pending-*.jsonl"))


def test_an_operation_the_database_refuses_for_good_is_set_aside_not_blocking(tmp_path: Path, caplog) -> None:
    url = resolve_ledger_url(tmp_path / "ledger.sqlite", tmp_path)
    caplog.set_level(logging.ERROR, logger="paramlab")
    writer = LedgerWriter(lambda: Ledger.open(url), tmp_path, retry_delays=FAST_RETRY)
    orphan = AddImages("a-run-that-was-never-started", images(1))
    writer.submit(orphan)
    writer.submit(RunRecord(tab="txt2img", source="api", images=images(1, start=5)))
    assert writer.flush(10)
    writer.close()
    [rejected] = list(tmp_path.glob("rejected-*.jsonl"))
    back = operation_from_json(json.loads(rejected.read_text(encoding="utf-8").splitlines()[0]))
    assert isinstance(back, AddImages) and back.run_uid == orphan.run_uid
    ledger = Ledger.open(url)
    try:
        assert [row["prompt"] for row in table(ledger, "images")] == ["image 5"]
    finally:
        ledger.close()
    assert any("set aside" in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize("kind", ["op", "missing"])
def test_unreadable_spill_entries_say_what_is_wrong(kind: str) -> None:
    data = {"op": "no-such-thing"} if kind == "op" else {"something": 1}
    with pytest.raises(ValueError):
        operation_from_json(data)


def test_write_transactions_queue_behind_another_writer_instead_of_failing(tmp_path: Path) -> None:
    """BEGIN IMMEDIATE: a read-then-write transaction waits for the lock rather than failing at once."""
    import sqlite3
    import threading

    path = tmp_path / "ledger.sqlite"
    ledger = Ledger.open(resolve_ledger_url(path, tmp_path))
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO paramlab_meta (key, value) VALUES ('other', 'x')")
    done = threading.Event()

    def write() -> None:
        with ledger.write() as conn:
            conn.execute(sa.select(sa.func.count()).select_from(schema.runs)).scalar_one()
            conn.execute(schema.meta.insert().values(key="mine", value="y"))
        done.set()

    thread = threading.Thread(target=write)
    thread.start()
    assert not done.wait(0.3)  # waiting for the lock, not failed
    other.execute("COMMIT")
    other.close()
    thread.join(15)
    assert done.is_set()
    with ledger.engine.connect() as conn:
        assert {row[0] for row in conn.execute(sa.select(schema.meta.c.key))} >= {"other", "mine"}
    ledger.close()
