"""Jobs read back from the ledger: the newest first, and one job with its runs (an X/Y/Z plot's cells, a
tile upscale's passes), its images and each image's history (draft → final → upscale, with the cost of
each step and the sum). The tab's jobs view and the ``/paramlab/v1/jobs`` route read them here, as plain
dicts, and see a database failure only as :class:`~paramlab.ledger.LedgerError`."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from paramlab.ledger import schema
from paramlab.ledger.failures import error_text
from paramlab.ledger.json_cells import json_cell
from paramlab.ledger.schema import JOB_STATUSES
from paramlab.ledger.store import Ledger

MAX_JOBS_PAGE = 200
MAX_HISTORY = 8  # steps followed back through source images (a loop in the data cannot run forever)
JOB_LIST_COLUMNS = ("id", "job_uid", "started_at", "finished_at", "tab", "source", "kind", "script_name", "status",
                    "run_count", "image_count", "wall_seconds", "cost_seconds", "model_evaluations", "error_type",
                    "error")
IMAGE_COLUMNS = ("id", "image_uid", "run_id", "index_in_run", "status", "seed", "sampler", "steps", "cfg_scale",
                 "width", "height", "hires_enabled", "hires_upscaler", "image_path", "cost_seconds",
                 "model_evaluations", "megapixel_steps", "upscale", "source_image_id")


class JobNotFound(LookupError):
    """No job with that id or uid."""


class UnknownStatus(ValueError):
    """A status filter that is no job status."""


def list_jobs(ledger: Ledger, limit: int = 50, offset: int = 0,
              status: str | None = None) -> tuple[list[dict[str, Any]], int]:
    """One page of jobs, newest first, and how many there are; ``status`` (one of :data:`JOB_STATUSES`)
    keeps only the jobs with it, e.g. the failed ones."""
    jobs = schema.jobs
    limit = max(1, min(int(limit), MAX_JOBS_PAGE))
    where = []
    if status:
        if status not in JOB_STATUSES:
            raise UnknownStatus(f"ParamLab: {str(status)[:40]!r} is no job status; use one of "
                                f"{', '.join(JOB_STATUSES)}.")
        where.append(jobs.c.status == status)
    with ledger.read("list the jobs") as conn:
        total = int(conn.execute(sa.select(sa.func.count()).select_from(jobs).where(*where)).scalar_one())
        rows = conn.execute(sa.select(*[jobs.c[name] for name in JOB_LIST_COLUMNS]).where(*where)
                            .order_by(jobs.c.started_at.desc(), jobs.c.id.desc()).limit(limit).offset(max(offset, 0)))
        return [dict(row._mapping) for row in rows], total


def _job_row(conn: sa.Connection, key: Any) -> dict[str, Any] | None:
    jobs = schema.jobs
    text = str(key).strip()
    condition = jobs.c.id == int(text) if text.isdigit() else jobs.c.job_uid == text
    row = conn.execute(sa.select(jobs).where(condition)).mappings().first()
    return dict(row) if row is not None else None


def job_detail(ledger: Ledger, key: Any) -> dict[str, Any]:
    """The job (by id or uid) with its runs, its images and each image's history; :class:`JobNotFound`."""
    runs, images = schema.runs, schema.images
    with ledger.read("read the job") as conn:
        job = _job_row(conn, key)
        if job is None:
            raise JobNotFound(f"ParamLab: no job {str(key)[:80]!r} in the ledger.")
        job["script_args"] = json_cell(job.get("script_args"), otherwise=job.get("script_args"))
        run_rows = [dict(row) for row in conn.execute(sa.select(
            runs.c.id, runs.c.run_uid, runs.c.role, runs.c.status, runs.c.started_at, runs.c.wall_seconds,
            runs.c.image_count, runs.c.script_name, runs.c.settings, runs.c.error, runs.c.error_type,
        ).where(runs.c.job_id == job["id"]).order_by(runs.c.id)).mappings()]
        image_rows = [dict(row) for row in conn.execute(
            sa.select(*[images.c[name] for name in IMAGE_COLUMNS])
            .where(images.c.run_id.in_([run["id"] for run in run_rows] or [-1])).order_by(images.c.id)).mappings()]
        for image in image_rows:
            image["upscale"] = json_cell(image.get("upscale"), otherwise=image.get("upscale"))
            image["history"] = history(conn, image)
    for run in run_rows:
        run["settings"] = json_cell(run.get("settings"), otherwise=run.get("settings"))
        run["error_text"] = error_text(run.get("error_type"), run.get("error")) or None
    job["error_text"] = error_text(job.get("error_type"), job.get("error")) or None
    job["runs"] = run_rows
    job["images"] = image_rows
    job["tile_passes"] = sum(1 for run in run_rows if run["role"] == "tile")
    return job


def step_label(image: dict[str, Any]) -> str:
    """What made an image: a generation (with or without hires), a tile upscale or an Extras upscale."""
    upscale = image.get("upscale")
    if not isinstance(upscale, dict):
        upscale = json_cell(upscale)
    method = (upscale or {}).get("method")
    if method == "tiled":
        return f"tile upscale ({(upscale or {}).get('script') or 'script'})"
    if method == "extras":
        return f"Extras upscale ({(upscale or {}).get('upscaler') or 'upscaler'})"
    if image.get("hires_enabled"):
        return f"generation with hires ({image.get('hires_upscaler') or 'upscaler'})"
    return "generation"


def history(conn: sa.Connection, image: dict[str, Any]) -> dict[str, Any]:
    """The image's steps back through its source images, oldest first, with their cost and the sum."""
    images = schema.images
    steps, seen, current = [], set(), dict(image)
    while current is not None and len(steps) < MAX_HISTORY and current["id"] not in seen:
        seen.add(current["id"])
        steps.insert(0, {"image_id": current["id"], "step": step_label(current), "cost_seconds": current.get(
            "cost_seconds"), "width": current.get("width"), "height": current.get("height")})
        source = current.get("source_image_id")
        current = None
        if source is not None:
            row = conn.execute(sa.select(images.c.id, images.c.cost_seconds, images.c.width, images.c.height,
                                         images.c.upscale, images.c.hires_enabled, images.c.hires_upscaler,
                                         images.c.source_image_id).where(images.c.id == source)).mappings().first()
            current = dict(row) if row is not None else None
    costs = [step["cost_seconds"] for step in steps]
    return {"steps": steps, "total_seconds": None if None in costs else sum(costs)}
