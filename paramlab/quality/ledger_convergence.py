"""Convergence from the user's own ledger: step sweeps found among recorded images.

Images that share prompt, negative prompt, seed, sampler, schedule, size and model but differ in
steps form a sweep; each is compared (SSIM) with the sweep's most-steps image, loaded from the saved
file or, failing that, from the thumbnail (both sides of one sweep come from the same source size).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from PIL import Image

from paramlab.ledger import Ledger, schema
from paramlab.ledger.thumbnails import stored_thumbnail
from paramlab.quality.convergence import convergence_table, steps_to_converge

SWEEP_COLUMNS = ("prompt", "negative_prompt", "seed", "sampler", "scheduler", "width", "height", "model_hash")


def sweep_rows(ledger: Ledger, limit: int = 5000) -> pd.DataFrame:
    """The newest ``limit`` images that belong to a sweep (≥ 2 distinct step counts in their group)."""
    i = schema.images
    columns = [i.c.id, i.c.steps, i.c.image_path, i.c.thumbnail_path, *(i.c[name] for name in SWEEP_COLUMNS)]
    query = sa.select(*columns).where(i.c.status == "ok", i.c.steps.is_not(None)).order_by(i.c.id.desc()).limit(limit)
    with ledger.engine.connect() as conn:
        frame = pd.DataFrame([dict(row._mapping) for row in conn.execute(query)])
    if frame.empty:
        return frame
    keys = frame[list(SWEEP_COLUMNS)].astype(str).agg("\x1f".join, axis=1)
    distinct_steps = frame.groupby(keys)["steps"].transform("nunique")
    return frame[distinct_steps >= 2].reset_index(drop=True)


def load_recorded_image(row: dict[str, Any], ledger: Ledger | None = None) -> Image.Image | None:
    """The image file; else the thumbnail kept in the ledger; else a thumbnail file (before version 8)."""
    path = row.get("image_path")
    if path and Path(path).is_file():
        with Image.open(path) as image:
            return image.convert("RGB")
    if ledger is not None:
        with ledger.engine.connect() as conn:
            stored = stored_thumbnail(conn, int(row["id"]))
        if stored is not None:
            with Image.open(io.BytesIO(stored[0])) as image:
                return image.convert("RGB")
    path = row.get("thumbnail_path")
    if path and Path(path).is_file():
        with Image.open(path) as image:
            return image.convert("RGB")
    return None


def ledger_convergence(ledger: Ledger, limit: int = 5000) -> tuple[pd.DataFrame, dict[tuple[str, str], int | None]]:
    table = convergence_table(sweep_rows(ledger, limit), lambda row: load_recorded_image(row, ledger))
    return table, steps_to_converge(table)
