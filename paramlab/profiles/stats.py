"""Measured figures shown beside each profile, from the images the ledger recorded with it."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa

from paramlab.ledger import Ledger, schema


@dataclass(frozen=True)
class ProfileFigures:
    """What a profile has cost so far. ``mean_quality`` stays None until quality measures exist (issue 5)."""

    generations: int
    median_seconds_per_image: float | None
    peak_vram_bytes: int | None
    mean_quality: float | None = None


def _or_none(value: float) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def profile_figures(ledger: Ledger) -> dict[str, ProfileFigures]:
    """Figures per profile, keyed by the lowercased profile name (the name as recorded on each image).

    One query over the images that carry a profile; grouping happens in pandas so names are folded
    the same way as in Python (SQLite's ``lower()`` folds ASCII only).
    """
    images, runs = schema.images, schema.runs
    query = (
        sa.select(images.c.profile, images.c.cost_seconds, runs.c.peak_vram_bytes)
        .select_from(images.join(runs, images.c.run_id == runs.c.id))
        .where(images.c.profile.is_not(None))
    )
    with ledger.engine.connect() as conn:
        frame = pd.DataFrame(conn.execute(query).all(), columns=["profile", "cost_seconds", "peak_vram_bytes"])
    if frame.empty:
        return {}
    frame["key"] = frame["profile"].str.strip().str.lower()
    frame["cost_seconds"] = pd.to_numeric(frame["cost_seconds"], errors="coerce")
    frame["peak_vram_bytes"] = pd.to_numeric(frame["peak_vram_bytes"], errors="coerce")
    grouped = frame.groupby("key", sort=False).agg(
        generations=("profile", "size"),
        median_seconds=("cost_seconds", "median"),
        peak_vram=("peak_vram_bytes", "max"),
    )
    figures: dict[str, ProfileFigures] = {}
    for key, row in grouped.iterrows():
        peak = _or_none(row["peak_vram"])
        figures[str(key)] = ProfileFigures(
            generations=int(row["generations"]),
            median_seconds_per_image=_or_none(row["median_seconds"]),
            peak_vram_bytes=int(peak) if peak is not None else None,
        )
    return figures
