"""Plain words under the charts: which comparable group a figure is about, and why settings cannot be
compared yet when most have too few images (an X/Y/Z grid makes one image per cell)."""

from __future__ import annotations

import pandas as pd

from paramlab.analysis.frame import GROUP_COLUMNS, SETTING_COLUMNS


def group_label(group: dict) -> str:
    """A comparable group in words, e.g. "SD 1.5 at 512×512"."""
    model = group.get("model_name") or group.get("model_hash") or "unknown model"
    width, height = group.get("width"), group.get("height")
    return f"{model} at {width}×{height}" if width and height else str(model)


def few_images_hint(frame: pd.DataFrame) -> str:
    """Why settings cannot be compared when most have fewer than 3 images (typical of an X/Y/Z grid)."""
    columns = [c for c in (*GROUP_COLUMNS, *SETTING_COLUMNS) if c in frame.columns]
    if frame.empty or not columns:
        return ""
    counts = frame.groupby(columns, dropna=False).size()
    if len(counts) < 2 or (counts < 3).sum() * 2 < len(counts):
        return ""
    single = int((counts == 1).sum())
    verb = "has" if single == 1 else "have"
    many = f"{single} of the {len(counts)} settings here {verb} a single image" if single else (
        f"most of the {len(counts)} settings here have fewer than 3 images")
    return (f" {many[0].upper()}{many[1:]} (an X/Y/Z plot makes one image per cell). To compare settings, make 3 or "
            "more images of each: set Batch count to 3 or more and run the grid again.")
