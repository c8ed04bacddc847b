"""Reads of one job's cells for the X/Y/Z matrix: the job, its runs with their settings (where the WebUI adapter
notes each cell's place in the plot, ``{"xyz_cell": …}``), and their images with figures. Shaping them into a
matrix is pandas work in :mod:`paramlab.analysis.matrix_load`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
import sqlalchemy as sa

from paramlab.ledger import Ledger, schema
from paramlab.ledger.json_cells import json_cell
from paramlab.ledger.reads.frames import fetch_rows, load_metrics

CELL_IMAGE_COLUMNS = ("id", "run_id", "seed", "cost_seconds", "flaws", "rating", "status")


@dataclass
class JobRun:
    """One run of the job: its id, its settings (parsed JSON; None when empty or not JSON) and batch size."""

    id: int
    settings: Any
    batch_size: int | None


@dataclass
class JobRuns:
    """A job (id, job_uid, script_name, script_args parsed from JSON, started_at) and its runs."""

    job: dict[str, Any]
    runs: list[JobRun]


@dataclass
class CellImages:
    """Images of some runs (:data:`CELL_IMAGE_COLUMNS`, every status, oldest first) and their figures (one row
    per image id; None when there are no images)."""

    images: pd.DataFrame
    figures: pd.DataFrame | None


def job_condition(key: str) -> sa.ColumnElement[bool]:
    """A job by its id (all digits) or its uid."""
    jobs = schema.jobs
    return jobs.c.id == int(key) if key.isdigit() else jobs.c.job_uid == key


def job_runs(ledger: Ledger, key: str) -> JobRuns | None:
    """The job named by ``key`` (its id or uid) with its runs' settings; None when there is no such job."""
    jobs, runs = schema.jobs, schema.runs
    with ledger.read(f"read job {key[:80]!r}") as conn:
        job = conn.execute(sa.select(jobs.c.id, jobs.c.job_uid, jobs.c.script_name, jobs.c.script_args,
                                     jobs.c.started_at).where(job_condition(key))).mappings().first()
        if job is None:
            return None
        run_rows = conn.execute(sa.select(runs.c.id, runs.c.settings, runs.c.batch_size)
                                .where(runs.c.job_id == job["id"])).all()
    return JobRuns({**job, "script_args": json_cell(job["script_args"])},
                   [JobRun(int(run_id), json_cell(settings), batch_size) for run_id, settings, batch_size in run_rows])


def cell_images(ledger: Ledger, run_ids: list[int]) -> CellImages:
    """The images of these runs (the cells of a plot) with their quality figures."""
    images = schema.images
    where = [images.c.run_id.in_([int(run_id) for run_id in run_ids])]
    query = sa.select(*[images.c[name] for name in CELL_IMAGE_COLUMNS]).where(*where).order_by(images.c.id)
    with ledger.read("read the images of the plot's cells") as conn:
        frame = fetch_rows(conn, query, CELL_IMAGE_COLUMNS)
        figures = load_metrics(conn, where, None) if len(frame) else None
    return CellImages(frame, figures)


def job_run_of_image(ledger: Ledger, image_id: int) -> tuple[int | None, Any] | None:
    """The job id and parsed run settings of the run that made image ``image_id``; None when there is no such
    image (whether that run is an X/Y/Z cell, its settings tell)."""
    runs, images = schema.runs, schema.images
    with ledger.read(f"read the run of image {int(image_id)}") as conn:
        row = conn.execute(sa.select(runs.c.job_id, runs.c.settings).select_from(
            images.join(runs, images.c.run_id == runs.c.id)).where(images.c.id == int(image_id))).first()
    return None if row is None else (row.job_id, json_cell(row.settings))


__all__ = ["CELL_IMAGE_COLUMNS", "CellImages", "JobRun", "JobRuns", "cell_images", "job_condition", "job_run_of_image",
           "job_runs"]
