"""Step sweeps found among the recorded images, for convergence: images that share prompt, negative prompt,
seed, sampler, schedule, size and model but differ in steps form a sweep (compared by
:mod:`paramlab.quality.ledger_convergence`)."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from paramlab.ledger import schema
from paramlab.ledger.store import Ledger

SWEEP_COLUMNS = ("prompt", "negative_prompt", "seed", "sampler", "scheduler", "width", "height", "model_hash")


def sweep_rows(ledger: Ledger, limit: int = 5000) -> pd.DataFrame:
    """The newest ``limit`` images that belong to a sweep (≥ 2 distinct step counts in their group), with
    their steps, their files and the sweep's columns."""
    i = schema.images
    columns = [i.c.id, i.c.steps, i.c.image_path, i.c.thumbnail_path, *(i.c[name] for name in SWEEP_COLUMNS)]
    query = sa.select(*columns).where(i.c.status == "ok", i.c.steps.is_not(None)).order_by(i.c.id.desc()).limit(limit)
    with ledger.read("find step sweeps") as conn:
        frame = pd.DataFrame([dict(row._mapping) for row in conn.execute(query)])
    if frame.empty:
        return frame
    keys = frame[list(SWEEP_COLUMNS)].astype(str).agg("\x1f".join, axis=1)
    distinct_steps = frame.groupby(keys)["steps"].transform("nunique")
    return frame[distinct_steps >= 2].reset_index(drop=True)
