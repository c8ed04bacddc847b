"""Jobs in the ledger on real SQLite: the version 7 migration of a full v6 ledger, the job operations
(idempotent, readable back from a spill file), jobs left running by a dead process, and finding the
image an upscale came from."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image

from paramlab.ledger import ImageRecord, Ledger, RunRecord, migrations, recovery, schema
from paramlab.ledger.job_operations import FinishJob, MarkTileJob, ReleaseParts, StartJob, UnknownJob
from paramlab.ledger.operations import AddImages, FinishRun, StartRun, WriteRun, operation_from_json, operation_to_line
from paramlab.ledger.owner import this_process
from paramlab.ledger.pixels import pixel_sha256
from paramlab.ledger.records import JobRecord
from paramlab.ledger.rows import find_source_image
from paramlab.ledger.urls import resolve_ledger_url

DEAD_OWNER = f"{socket.gethostname()}/4194303/0"  # this machine, a process id no process has


def apply_all(ledger: Ledger, *operations) -> None:
    for operation in operations:
        with ledger.write() as conn:
            operation.apply(conn)


def table(ledger: Ledger, name: str) -> list[dict]:
    with ledger.engine.connect() as conn:
        rows = conn.execute(schema.metadata.tables[name].select().order_by(sa.text("id")))
        return [dict(row._mapping) for row in rows]


def v6_ledger(tmp_path: Path) -> Path:
    """A version 6 ledger holding three runs: a finished one with images and figures, a script run, and
    one left running by a dead process."""
    path = tmp_path / "v6.sqlite"
    engine = sa.create_engine(f"sqlite:///{path}")
    assert migrations.migrate(engine, target=6) == [1, 2, 3, 4, 5, 6]
    with engine.begin() as conn:
        for run_id, (uid, source, script, status, owner) in enumerate([
            ("run-a", "ui", None, "ok", None), ("run-b", "script", "X/Y/Z plot", "ok", None),
            ("run-c", "api", None, "running", DEAD_OWNER),
        ], start=1):
            conn.exec_driver_sql(
                "INSERT INTO runs (id, run_uid, started_at, finished_at, tab, source, script_name, status, "
                "image_count, wall_seconds, owner) VALUES (?, ?, '2026-01-01 10:00:00', "
                "'2026-01-01 10:00:05', 'txt2img', ?, ?, ?, 2, 5.0, ?)", (run_id, uid, source, script, status, owner))
            for index in range(2):
                conn.exec_driver_sql(
                    "INSERT INTO images (image_uid, run_id, index_in_run, created_at, status, prompt, seed, "
                    "hires_enabled, cost_seconds, model_evaluations, rating) VALUES (?, ?, ?, "
                    "'2026-01-01 10:00:01', 'ok', ?, ?, 0, 2.5, 20, 3)",
                    (f"{uid}-{index}", run_id, index, f"prompt {uid}", 100 * run_id + index))
        conn.exec_driver_sql("INSERT INTO image_metrics (image_id, metric, value, metric_version) "
                             "VALUES (1, 'sharpness', 12.5, '1')")
    engine.dispose()
    return path


def test_a_v6_ledger_migrates_to_jobs_without_losing_a_row(tmp_path: Path) -> None:
    path = v6_ledger(tmp_path)
    before = sa.create_engine(f"sqlite:///{path}")
    with before.connect() as conn:
        old_images = [tuple(row) for row in conn.exec_driver_sql("SELECT * FROM images ORDER BY id")]
        old_runs = [tuple(row) for row in conn.exec_driver_sql("SELECT * FROM runs ORDER BY id")]
    before.dispose()
    ledger = Ledger.open(resolve_ledger_url(path, tmp_path))
    try:
        assert ledger.schema_version() == schema.SCHEMA_VERSION  # 7, and any later step
        with ledger.engine.connect() as conn:
            images = [tuple(row) for row in conn.exec_driver_sql("SELECT * FROM images ORDER BY id")]
            runs = [tuple(row) for row in conn.exec_driver_sql("SELECT * FROM runs ORDER BY id")]
            assert [row[:len(old_images[0])] for row in images] == old_images  # every old value as it was
            assert [row[:len(old_runs[0])] for row in runs] == old_runs
            assert conn.exec_driver_sql("SELECT value FROM image_metrics").scalar_one() == 12.5
            columns = {table_name: {c["name"] for c in sa.inspect(conn).get_columns(table_name)}
                       for table_name in ("jobs", "runs", "images")}
            indexes = {i["name"] for t in ("jobs", "runs", "images") for i in sa.inspect(conn).get_indexes(t)}
        for table_name, declared in (("jobs", schema.jobs), ("runs", schema.runs), ("images", schema.images)):
            assert columns[table_name] == {c.name for c in declared.columns}
        assert {index.name for index in schema.V7_INDEXES} <= indexes
        jobs = table(ledger, "jobs")
        assert [(j["job_uid"], j["source"], j["kind"], j["script_name"], j["status"]) for j in jobs] == [
            ("run-a", "ui", "generate", None, "ok"), ("run-b", "script", "script", "X/Y/Z plot", "ok"),
            ("run-c", "api", "generate", None, "running")]
        assert [(j["run_count"], j["image_count"], j["cost_seconds"], j["model_evaluations"]) for j in jobs] == [
            (1, 2, 5.0, 40)] * 3
        assert [(r["job_id"], r["role"]) for r in table(ledger, "runs")] == [(1, "run"), (2, "run"), (3, "run")]
        assert jobs[0]["wall_seconds"] == 5.0 and jobs[2]["owner"] == DEAD_OWNER
        report = recovery.recover_dead_runs(ledger)  # the migrated job of a dead run closes with it
        assert report.runs == ["run-c"] and report.jobs == ["run-c"]
        assert table(ledger, "jobs")[2]["status"] == "interrupted"
    finally:
        ledger.close()


def test_job_operations_are_idempotent_and_survive_a_spill_file(ledger: Ledger) -> None:
    job = JobRecord(tab="img2img", source="api", kind="script", script_name="Ultimate SD upscale",
                    script_args=json.dumps({"Tile width": 64}), owner="h/1/1")
    tile = RunRecord(tab="img2img", source="script", job_uid=job.job_uid, role="tile", wall_seconds=1.0,
                     settings=json.dumps({"steps": 4}))
    held = [ImageRecord(index_in_run=0, seed=7, steps=4, cost_seconds=1.0, model_evaluations=4)]
    output = RunRecord(tab="img2img", source="script", job_uid=job.job_uid, role="output", wall_seconds=3.0,
                       images=[ImageRecord(index_in_run=0, width=128, height=128, cost_seconds=3.0,
                                           model_evaluations=8, upscale=json.dumps({"method": "tiled"}))])
    operations = [StartJob(job), StartRun(tile), FinishRun(tile), WriteRun(output),
                  MarkTileJob(job.job_uid, [tile.run_uid]), FinishJob(job.job_uid, "ok", wall_seconds=3.5)]
    for operation in operations:
        back = operation_from_json(json.loads(operation_to_line(operation)))
        assert type(back) is type(operation) and back.to_json() == operation.to_json()
    apply_all(ledger, *operations)
    apply_all(ledger, *operations)  # twice: nothing more
    [row] = table(ledger, "jobs")
    assert (row["kind"], row["status"], row["run_count"], row["image_count"]) == ("tile_upscale", "ok", 2, 1)
    assert (row["cost_seconds"], row["model_evaluations"], row["wall_seconds"]) == (3.0, 8, 3.5)
    assert [(r["role"], r["image_count"]) for r in table(ledger, "runs")] == [("tile", 0), ("output", 1)]
    release = ReleaseParts(tile.run_uid, held)
    assert operation_from_json(json.loads(operation_to_line(release))).to_json() == release.to_json()
    apply_all(ledger, release, release, FinishJob(job.job_uid, "ok", wall_seconds=3.5))
    assert [(r["role"], r["image_count"]) for r in table(ledger, "runs")] == [("run", 1), ("output", 1)]
    assert table(ledger, "jobs")[0]["image_count"] == 2


def test_a_run_without_a_job_gets_one_of_its_own(ledger: Ledger) -> None:
    run = RunRecord(tab="txt2img", source="import", status="ok", wall_seconds=None,
                    images=[ImageRecord(index_in_run=0, seed=1)])
    apply_all(ledger, WriteRun(run))
    ledger.write_runs([RunRecord(tab="img2img", source="import", images=[ImageRecord(index_in_run=0)])])
    jobs = table(ledger, "jobs")
    assert [(j["job_uid"], j["kind"], j["image_count"]) for j in jobs] == [(run.run_uid, "import", 1),
                                                                              (jobs[1]["job_uid"], "import", 1)]
    assert all(r["job_id"] for r in table(ledger, "runs"))


def test_an_operation_for_a_job_the_ledger_lacks_is_refused(ledger: Ledger) -> None:
    with pytest.raises(UnknownJob):
        apply_all(ledger, FinishJob("no-such-job", "ok"))


def test_a_run_whose_job_row_was_lost_rebuilds_it(ledger: Ledger) -> None:
    run = RunRecord(tab="txt2img", source="api", job_uid="lost-job", owner="h/1/1")
    apply_all(ledger, StartRun(run), AddImages(run.run_uid, [ImageRecord(index_in_run=0)]))
    [job] = table(ledger, "jobs")
    assert (job["job_uid"], job["status"]) == ("lost-job", "running")


def test_a_job_left_running_by_a_dead_process_is_closed_at_start(ledger: Ledger) -> None:
    alive = JobRecord(tab="txt2img", source="ui", owner=this_process().text())
    dead = JobRecord(tab="img2img", source="api", kind="script", owner=DEAD_OWNER)
    tile = RunRecord(tab="img2img", source="script", job_uid=dead.job_uid, role="tile", owner=DEAD_OWNER)
    apply_all(ledger, StartJob(alive), StartJob(dead), StartRun(tile))
    report = recovery.recover_dead_runs(ledger)
    assert report.jobs == [dead.job_uid] and report.runs == [tile.run_uid]
    jobs = {j["job_uid"]: j for j in table(ledger, "jobs")}
    assert jobs[alive.job_uid]["status"] == "running"
    assert (jobs[dead.job_uid]["status"], jobs[dead.job_uid]["run_count"]) == ("interrupted", 1)
    assert "stopped during this job" in jobs[dead.job_uid]["error"]
    assert recovery.recover_dead_runs(ledger).jobs == []  # twice: nothing more


def test_an_upscale_finds_its_source_by_pixels_or_by_infotext(ledger: Ledger) -> None:
    picture = Image.new("RGB", (8, 8), (10, 20, 30))
    infotext = "a lighthouse\nSteps: 4, Sampler: Euler, Seed: 77, Size: 8x8"
    draft = RunRecord(tab="txt2img", source="ui", images=[
        ImageRecord(index_in_run=0, seed=77, infotext=infotext, pixel_sha256=pixel_sha256(picture)),
        ImageRecord(index_in_run=1, seed=78, infotext=infotext.replace("77", "78"))])
    apply_all(ledger, WriteRun(draft))
    with ledger.engine.connect() as conn:
        assert find_source_image(conn, pixel_sha256(picture.convert("RGBA")), None) == 1  # alpha is dropped
        assert find_source_image(conn, None, infotext.replace("77", "78")) == 2
        assert find_source_image(conn, pixel_sha256(Image.new("RGB", (8, 8))), "not infotext") is None
    upscale = RunRecord(tab="extras", source="ui", role="extras", images=[
        ImageRecord(index_in_run=0, width=16, height=16, source_infotext=infotext)])
    apply_all(ledger, WriteRun(upscale))
    assert table(ledger, "images")[-1]["source_image_id"] == 1
