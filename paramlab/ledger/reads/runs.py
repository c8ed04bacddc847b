"""Reads of runs (one press of Generate each): one run with its images and their figures, and what a run's
batch size does to the seconds per image. The tab's per-run view and batch chart shape these; no SQL there."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
import sqlalchemy as sa

from paramlab.ledger import Ledger, schema
from paramlab.ledger.reads.frames import fetch_rows, load_metrics

RUN_IMAGE_COLUMNS = ("id", "index_in_run", "status", "seed", "sampler", "scheduler", "steps", "cfg_scale", "width",
                     "height", "cost_seconds", "model_evaluations", "energy_joules", "rating")
BATCH_COLUMNS = ("model", "width", "height", "batch_size", "n", "seconds")


@dataclass
class RunImages:
    """One run's row, its images in run order, and their quality figures (one row per image id)."""

    run: dict[str, Any]
    images: list[dict[str, Any]]
    figures: pd.DataFrame | None  # None when the run has no images


def newest_run_id(ledger: Ledger) -> int | None:
    """The newest run's id, None in an empty ledger (the per-run view opens on it)."""
    with ledger.read("read the newest run") as conn:
        return conn.execute(sa.select(sa.func.max(schema.runs.c.id))).scalar_one_or_none()


def run_with_images(ledger: Ledger, run_id: int) -> RunImages | None:
    """The run ``run_id`` with its images (:data:`RUN_IMAGE_COLUMNS`) and figures; None when there is none."""
    runs, images = schema.runs, schema.images
    with ledger.read(f"read run {int(run_id)}") as conn:
        run = conn.execute(sa.select(runs).where(runs.c.id == int(run_id))).mappings().first()
        if run is None:
            return None
        query = (sa.select(*[images.c[name] for name in RUN_IMAGE_COLUMNS])
                 .where(images.c.run_id == int(run_id)).order_by(images.c.index_in_run))
        rows = [dict(row) for row in conn.execute(query).mappings()]
        figures = load_metrics(conn, [images.c.run_id == int(run_id)], None) if rows else None
    return RunImages(dict(run), rows, figures)


def batch_costs(ledger: Ledger) -> pd.DataFrame:
    """Per model, size and batch size of ordinary runs: finished images with a cost (``n``) and their mean
    seconds per image (:data:`BATCH_COLUMNS`), so a chart can show where a larger batch stops paying."""
    images, runs = schema.images, schema.runs
    group = [images.c.model_name, images.c.width, images.c.height, runs.c.batch_size]
    query = (sa.select(*group, sa.func.count(), sa.func.avg(images.c.cost_seconds))
             .select_from(images.join(runs, images.c.run_id == runs.c.id))
             .where(images.c.cost_seconds.is_not(None), runs.c.batch_size.is_not(None), images.c.status == "ok",
                    sa.or_(runs.c.role.is_(None), runs.c.role == "run"))
             .group_by(*group))
    with ledger.read("read the seconds per image by batch size") as conn:
        return fetch_rows(conn, query, BATCH_COLUMNS)


__all__ = ["BATCH_COLUMNS", "RUN_IMAGE_COLUMNS", "RunImages", "batch_costs", "newest_run_id", "run_with_images"]
