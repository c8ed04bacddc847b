"""Reading one X/Y/Z job's cells from the ledger for the matrix (SQLAlchemy Core; SQLite and PostgreSQL).

Each cell's run keeps its place in the plot in ``runs.settings`` (``{"xyz_cell": …}``, written by the
WebUI adapter); the axis types come from the job's script arguments ("X type", "Y type", "Z type").
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from paramlab.analysis.load import fetch_rows, load_metrics
from paramlab.analysis.matrix import AXES, Layout, MatrixError
from paramlab.ledger import schema

CELL_KEY = "xyz_cell"
IMAGE_COLUMNS = ("id", "run_id", "seed", "cost_seconds", "flaws", "rating", "status")
AXIS_TYPE_KEYS = ("X type", "Y type", "Z type")


@dataclass
class JobCells:
    job_id: int
    job_uid: str
    script_name: str | None
    started_at: Any
    layout: Layout
    frame: pd.DataFrame  # one row per finished image: x, y, z, image_id, seed, cost_seconds, flaws, … measures
    left_out: int  # images not finished (interrupted, skipped, failed)


def _json(text: Any) -> Any:
    if not isinstance(text, str) or not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def cell_place(settings: Any) -> dict[str, Any] | None:
    """A run's X/Y/Z place, or None (not a cell, or recorded before places were noted)."""
    loaded = _json(settings) if isinstance(settings, str) else settings
    place = loaded.get(CELL_KEY) if isinstance(loaded, dict) else None
    if not isinstance(place, dict) or not all(isinstance(place.get(axis), int) for axis in AXES):
        return None
    return place


def _job(conn: sa.Connection, key: Any) -> dict[str, Any]:
    jobs = schema.jobs
    text = str(key if key is not None else "").strip()
    if not text:
        raise MatrixError("Give a job id (the Jobs list's first column) to draw its matrix.")
    condition = jobs.c.id == int(text) if text.isdigit() else jobs.c.job_uid == text
    row = conn.execute(sa.select(jobs.c.id, jobs.c.job_uid, jobs.c.script_name, jobs.c.script_args,
                                 jobs.c.started_at).where(condition)).mappings().first()
    if row is None:
        raise MatrixError(f"No job {text[:80]!r} in the ledger.")
    return dict(row)


def job_of_image(ledger: Any, image_id: int) -> int | None:
    """The X/Y/Z job an image is a cell of, or None."""
    runs, images = schema.runs, schema.images
    with ledger.engine.connect() as conn:
        row = conn.execute(sa.select(runs.c.job_id, runs.c.settings).select_from(
            images.join(runs, images.c.run_id == runs.c.id)).where(images.c.id == int(image_id))).first()
    if row is None or row[0] is None or cell_place(row[1]) is None:
        return None
    return int(row[0])


def load_job_cells(ledger: Any, key: Any) -> JobCells:
    """The job's cells and their images; :class:`MatrixError` when it is no X/Y/Z plot with places."""
    runs, images = schema.runs, schema.images
    with ledger.engine.connect() as conn:
        job = _job(conn, key)
        run_rows = conn.execute(sa.select(runs.c.id, runs.c.settings, runs.c.batch_size)
                                .where(runs.c.job_id == job["id"])).all()
        places = {int(run_id): (cell_place(settings), batch_size) for run_id, settings, batch_size in run_rows}
        placed = {run_id: value for run_id, value in places.items() if value[0] is not None}
        if not placed:
            what = job["script_name"] or "this job"
            raise MatrixError(f"Job {job['id']} ({what}) has no X/Y/Z cells with their place in the plot: only "
                              "X/Y/Z plots run with this version of ParamLab have them.")
        where = [images.c.run_id.in_(list(placed))]
        frame = fetch_rows(conn, sa.select(*[images.c[name] for name in IMAGE_COLUMNS]).where(*where).order_by(
            images.c.id), IMAGE_COLUMNS)
        metrics = load_metrics(conn, where, None) if len(frame) else None
    return JobCells(int(job["id"]), str(job["job_uid"]), job["script_name"], job["started_at"],
                    _layout(job, [place for place, _ in placed.values()]), *_shape(frame, metrics, placed))


def _layout(job: dict[str, Any], places: list[dict[str, Any]]) -> Layout:
    arguments = _json(job.get("script_args")) or {}
    names = [str(arguments.get(key) or "") if isinstance(arguments, dict) else "" for key in AXIS_TYPE_KEYS]
    names = ["" if name == "Nothing" else name for name in names]
    sizes = [max([int((place.get("size") or [1, 1, 1])[axis]) for place in places] +
                 [int(place[AXES[axis]]) + 1 for place in places]) for axis in range(3)]
    labels = [[""] * size for size in sizes]
    for place in places:
        texts = place.get("labels") or ["", "", ""]
        for axis in range(3):
            index = int(place[AXES[axis]])
            if 0 <= index < sizes[axis] and axis < len(texts) and texts[axis] and not labels[axis][index]:
                labels[axis][index] = str(texts[axis])
    for axis in range(3):  # a cell that never ran leaves its label unknown: number it
        labels[axis] = [text or (f"{names[axis] or AXES[axis].upper()} #{i + 1}" if sizes[axis] > 1 else "")
                        for i, text in enumerate(labels[axis])]
    return Layout(names, labels)


def _shape(frame: pd.DataFrame, metrics: pd.DataFrame | None,
           placed: dict[int, tuple[dict[str, Any], Any]]) -> tuple[pd.DataFrame, int]:
    total = len(frame)
    frame = frame[frame["status"] == "ok"].reset_index(drop=True)
    run_ids = frame["run_id"].to_numpy(dtype=np.int64)
    for axis in AXES:
        frame[axis] = [int(placed[run_id][0][axis]) for run_id in run_ids]
    frame["batch_size"] = [placed[run_id][1] for run_id in run_ids]
    frame["image_id"] = frame["id"].astype("int64")
    frame["flaws"] = [_flaw_codes(text) for text in frame["flaws"]]
    for name in ("cost_seconds", "rating"):
        frame[name] = pd.to_numeric(frame[name], errors="coerce").astype("float64")
    if metrics is not None and not metrics.empty and len(frame):
        aligned = metrics.reindex(frame["image_id"].to_numpy())
        for name in aligned.columns:
            frame[str(name)] = pd.to_numeric(aligned[name], errors="coerce").to_numpy(dtype=np.float64)
    return frame, total - len(frame)


def _flaw_codes(text: Any) -> str:
    loaded = _json(text)
    if not isinstance(loaded, list):
        return ""
    return ",".join(str(item.get("code", "")) for item in loaded if isinstance(item, dict) and item.get("code"))
