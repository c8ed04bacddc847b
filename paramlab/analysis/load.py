"""Reading the ledger into the analysis frame: the ledger reads the rows (:mod:`paramlab.ledger.reads.frames`),
this module gives them the frame's columns and types.

Quality measures live in the long table ``image_metrics`` and ratings in ``images.rating``
(schema v5). Older ledgers lack both; their columns are then NaN rather than an error, so the
analysis can still say "not enough data".
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from paramlab.analysis.frame import FRAME_COLUMNS, MEASURE_COLUMNS, RATING, SETTING_COLUMNS
from paramlab.ledger.filters import ImageFilter
from paramlab.ledger.reads.frames import image_rows

# Interrupted and skipped images have a partial cost and no finished picture: left out unless asked for.
DEFAULT_STATUS = ("ok",)
FINISHED_IMAGES = ImageFilter(status=DEFAULT_STATUS)

IMAGE_COLUMNS = (
    "id", "model_hash", "model_name", "width", "height", *SETTING_COLUMNS, "profile", "seed", "prompt",
    "cost_seconds", "model_evaluations", "energy_joules",
)


def load_frame(ledger: Any, filt: ImageFilter | None = None, limit: int | None = None) -> pd.DataFrame:
    """One row per image matching ``filt`` (default: the finished ones), by id, the newest ``limit`` first when
    ``limit`` is given, with the columns of the analysis frame. The filter's order and paging do not apply."""
    if filt is None:
        filt = FINISHED_IMAGES
    found = image_rows(ledger, filt, IMAGE_COLUMNS, limit)
    return shape_frame(found.rows, found.metrics)


def shape_frame(frame: pd.DataFrame, metrics: pd.DataFrame | None) -> pd.DataFrame:
    """Types and missing columns, so an old or empty ledger loads the same shape as a full one."""
    for name in ("id", "width", "height", "steps", "seed"):
        frame[name] = pd.array(frame[name], dtype="Int64")
    for name in ("cfg_scale", "hires_scale", "cost_seconds", "model_evaluations", "energy_joules"):
        frame[name] = pd.to_numeric(frame[name], errors="coerce").astype("float64")
    frame["hires_enabled"] = frame["hires_enabled"].fillna(False).astype(bool)
    if RATING in frame.columns:
        frame[RATING] = pd.to_numeric(frame[RATING], errors="coerce").astype("float64")
    else:
        frame[RATING] = np.nan
    extra: list[str] = []
    if metrics is not None and not metrics.empty:
        ids = frame["id"].to_numpy(dtype=np.int64)
        aligned = metrics.reindex(ids)
        for name in aligned.columns:
            frame[str(name)] = pd.to_numeric(aligned[name], errors="coerce").to_numpy(dtype=np.float64)
            if str(name) not in FRAME_COLUMNS:
                extra.append(str(name))
    for name in MEASURE_COLUMNS:
        if name not in frame.columns:
            frame[name] = np.nan
    return frame[[*FRAME_COLUMNS, *sorted(extra)]].reset_index(drop=True)


__all__ = ["DEFAULT_STATUS", "FINISHED_IMAGES", "IMAGE_COLUMNS", "load_frame", "shape_frame"]
