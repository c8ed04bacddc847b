"""The writer's operations for jobs: a job's row when it starts, its end and totals, and what a tile
upscale turns out to be.

A job is one press of Generate, one API request, one selectable-script run or one Extras operation; its
runs arrive through the run operations (:mod:`paramlab.ledger.operations`), each naming the job. Like
those, every operation here is idempotent, runs in one transaction and is a JSON line in a spill file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from paramlab.ledger import schema
from paramlab.ledger.records import ImageRecord, JobRecord, as_utc, utc_now
from paramlab.ledger.rows import UnknownRun, count_images, insert_images, job_id_of, refresh_job_totals, run_id_of


class UnknownJob(UnknownRun):
    """An operation names a job the ledger does not have (its start was lost, e.g. set aside)."""


def _job_id(conn: Connection, job_uid: str) -> int:
    found = job_id_of(conn, job_uid)
    if found is None:
        raise UnknownJob(f"ParamLab: no job {job_uid} in the ledger")
    return found


@dataclass
class StartJob:
    """The job's row, status ``running``, before its first run."""

    kind: ClassVar[str] = "job_start"
    job: JobRecord

    def apply(self, conn: Connection) -> None:
        if job_id_of(conn, self.job.job_uid) is None:
            conn.execute(schema.jobs.insert().values(**dict(self.job.row(), status="running", run_count=0,
                                                            image_count=0)))

    def to_json(self) -> dict[str, Any]:
        return {"op": self.kind, "job": self.job.to_json()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StartJob:
        return cls(JobRecord.from_json(data["job"]))


@dataclass
class FinishJob:
    """The job's end, wall time and status; its totals are counted from its rows."""

    kind: ClassVar[str] = "job_finish"
    job_uid: str
    status: str
    wall_seconds: float | None = None
    finished_at: Any = field(default_factory=utc_now)
    error: str | None = None
    error_type: str | None = None

    def apply(self, conn: Connection) -> None:
        job_id = _job_id(conn, self.job_uid)
        conn.execute(schema.jobs.update().where(schema.jobs.c.id == job_id).values(
            status=self.status, wall_seconds=self.wall_seconds, finished_at=as_utc(self.finished_at),
            error=self.error, error_type=self.error_type))
        refresh_job_totals(conn, job_id)

    def to_json(self) -> dict[str, Any]:
        return {"op": self.kind, "job_uid": self.job_uid, "status": self.status, "wall_seconds": self.wall_seconds,
                "finished_at": as_utc(self.finished_at).isoformat(), "error": self.error,
                "error_type": self.error_type}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FinishJob:
        from datetime import datetime

        status = "failed" if data["status"] == "error" else data["status"]  # spilled before version 10
        return cls(data["job_uid"], status, data.get("wall_seconds"),
                   datetime.fromisoformat(data["finished_at"]), data.get("error"), data.get("error_type"))


@dataclass
class MarkTileJob:
    """The job is a tile upscale: these runs were its tile passes (parts, not images)."""

    kind: ClassVar[str] = "job_tiles"
    job_uid: str
    tile_run_uids: list[str]

    def apply(self, conn: Connection) -> None:
        job_id = _job_id(conn, self.job_uid)
        conn.execute(schema.jobs.update().where(schema.jobs.c.id == job_id).values(kind="tile_upscale"))
        if self.tile_run_uids:
            runs = schema.runs
            conn.execute(runs.update().where(runs.c.run_uid.in_(self.tile_run_uids), runs.c.job_id == job_id)
                         .values(role="tile"))

    def to_json(self) -> dict[str, Any]:
        return {"op": self.kind, "job_uid": self.job_uid, "tile_run_uids": list(self.tile_run_uids)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MarkTileJob:
        return cls(data["job_uid"], list(data["tile_run_uids"]))


@dataclass
class ReleaseParts:
    """Runs held back as possible tile passes were not (no combined image followed): they become
    ordinary runs and their images are written after all."""

    kind: ClassVar[str] = "job_release"
    run_uid: str
    images: list[ImageRecord]

    def apply(self, conn: Connection) -> None:
        run_id = run_id_of(conn, self.run_uid)
        conn.execute(schema.runs.update().where(schema.runs.c.id == run_id).values(role="run"))
        insert_images(conn, run_id, self.images)
        count_images(conn, run_id)
        job_id = conn.execute(sa.select(schema.runs.c.job_id).where(schema.runs.c.id == run_id)).scalar_one()
        if job_id is not None:
            refresh_job_totals(conn, job_id)

    def to_json(self) -> dict[str, Any]:
        return {"op": self.kind, "run_uid": self.run_uid, "images": [image.to_json() for image in self.images]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ReleaseParts:
        return cls(data["run_uid"], [ImageRecord.from_json(image) for image in data["images"]])


JobOperation = StartJob | FinishJob | MarkTileJob | ReleaseParts
JOB_OPERATIONS = (StartJob, FinishJob, MarkTileJob, ReleaseParts)


def interrupted_job_values(error: str, finished_at: Any = None) -> dict[str, Any]:
    """How a job that was still ``running`` when its process died is closed."""
    return {"status": "interrupted", "error": error, "finished_at": as_utc(finished_at) or utc_now()}
