"""The ledger's jobs reads (SQLite and PostgreSQL): a page of jobs newest first, one job by id or uid with its
runs, images and each image's history, and a database failure arriving as LedgerError."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from db_faults import MISSING_TABLE
from upscale_ledger import apply

from paramlab.ledger import ImageRecord, Ledger, LedgerError, RunRecord
from paramlab.ledger.job_operations import FinishJob, StartJob
from paramlab.ledger.reads.jobs import JobNotFound, UnknownStatus, job_detail, list_jobs
from paramlab.ledger.records import JobRecord

UPSCALE = {"method": "extras", "upscaler": "R-ESRGAN 4x+", "scale": 2}


def _draft_and_its_extras_upscale(ledger: Ledger) -> JobRecord:
    """A draft (a job of its own), then an Extras job whose one image was made from it."""
    ledger.write_runs([RunRecord(tab="txt2img", source="ui", images=[ImageRecord(
        index_in_run=0, seed=1, width=512, height=512, cost_seconds=2.0)])])
    source_id = ledger.recent_images(1)[0]["id"]
    job = JobRecord(tab="extras", source="ui", kind="extras", script_args=json.dumps({"scale": 2}))
    apply(ledger, StartJob(job))
    ledger.write_runs([RunRecord(
        tab="extras", source="ui", job_uid=job.job_uid, role="extras", settings=json.dumps({"scale": 2}),
        images=[ImageRecord(index_in_run=0, seed=1, width=1024, height=1024, cost_seconds=0.5,
                            source_image_id=source_id, upscale=json.dumps(UPSCALE))])])
    apply(ledger, FinishJob(job.job_uid, "ok", wall_seconds=0.6))
    return job


def test_jobs_come_newest_first_and_a_status_keeps_its_own(ledger: Ledger) -> None:
    job = _draft_and_its_extras_upscale(ledger)
    rows, total = list_jobs(ledger)
    assert total == 2 and rows[0]["job_uid"] == job.job_uid and rows[0]["kind"] == "extras"
    assert [row["id"] for row in rows] == sorted((row["id"] for row in rows), reverse=True)
    assert list_jobs(ledger, limit=1, offset=1)[0] == rows[1:]
    assert list_jobs(ledger, status="failed") == ([], 0)
    with pytest.raises(UnknownStatus, match="is no job status"):
        list_jobs(ledger, status="lost")


def test_a_job_opens_by_id_or_uid_with_its_runs_images_and_history(ledger: Ledger) -> None:
    job = _draft_and_its_extras_upscale(ledger)
    detail = job_detail(ledger, job.job_uid)
    assert detail == job_detail(ledger, f" {detail['id']} ")
    assert detail["script_args"] == {"scale": 2} and detail["tile_passes"] == 0
    [run] = detail["runs"]
    assert run["role"] == "extras" and run["settings"] == {"scale": 2} and run["error_text"] is None
    [image] = detail["images"]
    assert image["upscale"] == UPSCALE
    assert [step["step"] for step in image["history"]["steps"]] == ["generation", "Extras upscale (R-ESRGAN 4x+)"]
    assert image["history"]["total_seconds"] == pytest.approx(2.5)
    with pytest.raises(JobNotFound, match="no job 'nobody'"):
        job_detail(ledger, "nobody")


def test_a_database_failure_arrives_as_a_ledger_error(ledger: Ledger) -> None:
    job = _draft_and_its_extras_upscale(ledger)
    with ledger.engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE jobs RENAME TO jobs_elsewhere")
    with pytest.raises(LedgerError, match=f"could not list the jobs: .*({MISSING_TABLE})") as caught:
        list_jobs(ledger)
    assert isinstance(caught.value.__cause__, sa.exc.SQLAlchemyError)
    with pytest.raises(LedgerError, match=f"could not read the job: .*({MISSING_TABLE})"):
        job_detail(ledger, job.job_uid)
