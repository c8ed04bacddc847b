"""One X/Y/Z job's cells for the matrix, shaped from the ledger's read (:mod:`paramlab.ledger.reads.matrix`).

Each cell's run keeps its place in the plot in ``runs.settings`` (``{"xyz_cell": …}``, written by the
WebUI adapter); the axis types come from the job's script arguments ("X type", "Y type", "Z type").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from paramlab.analysis.matrix import AXES, Layout, MatrixError
from paramlab.ledger import Ledger
from paramlab.ledger.json_cells import json_cell
from paramlab.ledger.reads.matrix import cell_images, job_run_of_image, job_runs

CELL_KEY = "xyz_cell"
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


def cell_place(settings: Any) -> dict[str, Any] | None:
    """A run's X/Y/Z place, or None (not a cell, or recorded before places were noted)."""
    loaded = json_cell(settings) if isinstance(settings, str) else settings
    place = loaded.get(CELL_KEY) if isinstance(loaded, dict) else None
    if not isinstance(place, dict) or not all(isinstance(place.get(axis), int) for axis in AXES):
        return None
    return place


def job_of_image(ledger: Ledger, image_id: int) -> int | None:
    """The X/Y/Z job an image is a cell of, or None."""
    found = job_run_of_image(ledger, image_id)
    if found is None or found[0] is None or cell_place(found[1]) is None:
        return None
    return int(found[0])


def load_job_cells(ledger: Ledger, key: Any) -> JobCells:
    """The job's cells and their images; :class:`MatrixError` when it is no X/Y/Z plot with places."""
    text = str(key if key is not None else "").strip()
    if not text:
        raise MatrixError("Give a job id (the Jobs list's first column) to draw its matrix.")
    found = job_runs(ledger, text)
    if found is None:
        raise MatrixError(f"No job {text[:80]!r} in the ledger.")
    job = found.job
    places = {run.id: (cell_place(run.settings), run.batch_size) for run in found.runs}
    placed = {run_id: value for run_id, value in places.items() if value[0] is not None}
    if not placed:
        what = job["script_name"] or "this job"
        raise MatrixError(f"Job {job['id']} ({what}) has no X/Y/Z cells with their place in the plot: only "
                          "X/Y/Z plots run with this version of ParamLab have them.")
    cells = cell_images(ledger, list(placed))
    return JobCells(int(job["id"]), str(job["job_uid"]), job["script_name"], job["started_at"],
                    _layout(job, [place for place, _ in placed.values()]), *_shape(cells.images, cells.figures, placed))


def _layout(job: dict[str, Any], places: list[dict[str, Any]]) -> Layout:
    arguments = job.get("script_args") or {}
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
    loaded = json_cell(text)
    if not isinstance(loaded, list):
        return ""
    return ",".join(str(item.get("code", "")) for item in loaded if isinstance(item, dict) and item.get("code"))
