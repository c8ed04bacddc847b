"""Closing the runs a dead process left ``running``, and recovering the images it saved.

A run's row is written when sampling is about to start and each batch's images when the batch is
done, so a crash (kill -9, an out-of-memory kill, a driver reset, a power cut) leaves the run
``running`` and at most its batch in flight without rows. At the next start, each such run whose
process is gone (see :mod:`paramlab.ledger.owner`) becomes ``interrupted``; the images it had
already saved to disk but not yet recorded are read back from their infotext (PNG, JPEG, WebP or
AVIF, see :mod:`paramlab.ledger.recovery_files`) and attached to it. A file counts as the run's when
it lies in the run's output folder or a folder below it, was written after the run started, is not
in the ledger yet, and carries one of the seeds the run planned. Jobs left ``running`` by a dead
process are closed the same way, after their runs, with their totals counted again. Running this
twice changes nothing more.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timezone
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from paramlab.ledger import schema
from paramlab.ledger.job_operations import interrupted_job_values
from paramlab.ledger.operations import interrupted_run_values
from paramlab.ledger.owner import ProcessIdentity, is_gone
from paramlab.ledger.records import ImageRecord
from paramlab.ledger.recovery_files import SavedFiles
from paramlab.ledger.rows import insert_images, refresh_job_totals
from paramlab.ledger.store import Ledger

INTERRUPTED_ERROR = ("the WebUI process stopped during this run (crash, kill or power cut); "
                     "ParamLab closed it at the next start")


@dataclass
class RecoveryReport:
    runs: list[str] = field(default_factory=list)  # run uids closed as interrupted
    jobs: list[str] = field(default_factory=list)  # job uids closed as interrupted
    recovered_images: int = 0
    images_needing_work: list[ImageRecord] = field(default_factory=list)  # to hash and measure again

    def summary(self) -> str:
        return (f"closed {len(self.runs)} run(s) and {len(self.jobs)} job(s) left running by a WebUI process that "
                f"ended (crash, kill or power cut); recovered {self.recovered_images} saved image(s) from their "
                "files.")


def recover_dead_runs(ledger: Ledger) -> RecoveryReport:
    report = RecoveryReport()
    saved_files = SavedFiles()
    runs = schema.runs
    with ledger.engine.connect() as conn:
        running = [dict(row._mapping) for row in conn.execute(runs.select().where(runs.c.status == "running"))]
    for run in running:
        identity = ProcessIdentity.parse(run["owner"])
        if identity is not None and is_gone(identity) is not True:
            continue  # still running, or out of sight (another machine or container): its own start closes it
        candidates = _saved_images_of(run, saved_files)
        with ledger.write() as conn:
            if conn.execute(sa.select(runs.c.status).where(runs.c.id == run["id"])).scalar_one() != "running":
                continue  # another process closed it meanwhile
            recovered = _unrecorded(conn, candidates)
            if recovered:
                _number(conn, run["id"], recovered)
                insert_images(conn, run["id"], recovered)
            last = conn.execute(sa.select(sa.func.max(schema.images.c.created_at))
                                .where(schema.images.c.run_id == run["id"])).scalar_one_or_none()
            count = (sa.select(sa.func.count()).select_from(schema.images)
                     .where(schema.images.c.run_id == run["id"]).scalar_subquery())
            conn.execute(runs.update().where(runs.c.id == run["id"]).values(
                image_count=count, **interrupted_run_values(INTERRUPTED_ERROR, last or run["started_at"])))
            report.images_needing_work += recovered + _rows_without_work(conn, run["id"])
        report.runs.append(run["run_uid"])
        report.recovered_images += len(recovered)
    report.jobs = _close_dead_jobs(ledger)
    return report


def _close_dead_jobs(ledger: Ledger) -> list[str]:
    """Jobs still ``running`` whose process is gone: interrupted, ended at their last run's end."""
    jobs, runs = schema.jobs, schema.runs
    with ledger.engine.connect() as conn:
        running = [dict(row._mapping) for row in conn.execute(jobs.select().where(jobs.c.status == "running"))]
    closed = []
    for job in running:
        identity = ProcessIdentity.parse(job["owner"])
        if identity is not None and is_gone(identity) is not True:
            continue
        with ledger.write() as conn:
            if conn.execute(sa.select(jobs.c.status).where(jobs.c.id == job["id"])).scalar_one() != "running":
                continue
            last = conn.execute(sa.select(sa.func.max(sa.func.coalesce(runs.c.finished_at, runs.c.started_at)))
                                .where(runs.c.job_id == job["id"])).scalar_one_or_none()
            conn.execute(jobs.update().where(jobs.c.id == job["id"]).values(
                **interrupted_job_values(INTERRUPTED_ERROR.replace("this run", "this job"), last or job["started_at"])))
            refresh_job_totals(conn, job["id"])
        closed.append(job["job_uid"])
    return closed


def _saved_images_of(run: dict[str, Any], saved_files: SavedFiles) -> list[ImageRecord]:
    """The run's images on disk, read back from their infotext (outside any transaction: file reads)."""
    folder, seeds = run.get("output_dir"), _seeds(run.get("planned_seeds"))
    if not folder or not seeds:
        return []
    started = run["started_at"]
    if started.tzinfo is None:
        started = started.replace(tzinfo=timezone.utc)
    return saved_files.images(Path(folder), started.timestamp(), seeds)


def _seeds(text: str | None) -> set[int]:
    try:
        return {int(seed) for seed in json.loads(text or "[]")}
    except (TypeError, ValueError):
        return set()


def _unrecorded(conn: sa.Connection, candidates: list[ImageRecord]) -> list[ImageRecord]:
    """Drop files the ledger already has (by hash or path), and duplicates among the candidates."""
    if not candidates:
        return []
    images = schema.images
    hashes = [record.image_sha256 for record in candidates]
    paths = [record.image_path for record in candidates]
    known = set(conn.execute(sa.select(images.c.image_sha256).where(images.c.image_sha256.in_(hashes))).scalars())
    known |= set(conn.execute(sa.select(images.c.image_path).where(images.c.image_path.in_(paths))).scalars())
    fresh, seen = [], set()
    for record in candidates:
        if record.image_sha256 in known or record.image_path in known or record.image_sha256 in seen:
            continue
        seen.add(record.image_sha256)
        fresh.append(record)
    return fresh


def _number(conn: sa.Connection, run_id: int, records: list[ImageRecord]) -> None:
    start = conn.execute(sa.select(sa.func.coalesce(sa.func.max(schema.images.c.index_in_run) + 1, 0))
                         .where(schema.images.c.run_id == run_id)).scalar_one()
    for offset, record in enumerate(records):
        record.index_in_run = start + offset


def _rows_without_work(conn: sa.Connection, run_id: int) -> list[ImageRecord]:
    """Saved images of the run whose hash (and so figures) the dead process never got to."""
    images = schema.images
    rows = conn.execute(sa.select(images).where(images.c.run_id == run_id, images.c.image_path.is_not(None),
                                                images.c.image_sha256.is_(None)))
    columns = set(ImageRecord.__dataclass_fields__)
    return [ImageRecord(**{key: value for key, value in row._mapping.items() if key in columns}) for row in rows]
