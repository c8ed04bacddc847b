"""The analysis frame: one row per image, the columns every analysis reads, and the composite quality.

The analysis works on a plain pandas DataFrame (built by :func:`paramlab.analysis.load.load_frame`
or by hand in tests) so it never touches the database or the WebUI.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

COST_COLUMNS = ("cost_seconds", "model_evaluations", "energy_joules")
SETTING_COLUMNS = ("sampler", "scheduler", "steps", "cfg_scale", "hires_enabled", "hires_scale")
# Images are only compared with images of the same model at the same size.
GROUP_COLUMNS = ("model_hash", "width", "height")
MEASURE_COLUMNS = ("sharpness", "noise", "clipping", "saturation_burn", "colourfulness", "exposure", "contrast")
LEARNED_MEASURES = ("aesthetic", "clip_score")
# Measures where a smaller value is the better image. Every other measure (and the rating) is
# read as "higher is better"; exposure, contrast and colourfulness have no safe direction, so
# optimising them is the user's explicit choice.
LOWER_IS_BETTER = frozenset({"noise", "clipping", "saturation_burn"})
# The no-weight measures behind the composite, with the sign that makes "higher is better".
COMPOSITE_PARTS = (("sharpness", 1.0), ("noise", -1.0), ("clipping", -1.0), ("saturation_burn", -1.0))
COMPOSITE = "composite"
RATING = "rating"

FRAME_COLUMNS = (
    "id", "model_hash", "model_name", "width", "height", *SETTING_COLUMNS, "profile", "seed", "prompt",
    *COST_COLUMNS, RATING, *MEASURE_COLUMNS,
)

COST_UNITS = {"cost_seconds": "s", "model_evaluations": "model evaluations", "energy_joules": "J"}


def empty_frame() -> pd.DataFrame:
    """A frame with every column and no rows (what an empty ledger loads as)."""
    return pd.DataFrame({name: pd.Series(dtype=_dtype(name)) for name in FRAME_COLUMNS})


def _dtype(name: str) -> str:
    if name in ("id", "width", "height", "steps", "seed"):
        return "Int64"
    if name in ("model_hash", "model_name", "sampler", "scheduler", "profile", "prompt"):
        return "object"
    if name == "hires_enabled":
        return "bool"
    return "float64"


def higher_is_better(quality: str) -> bool:
    return quality not in LOWER_IS_BETTER


def group_codes(
    df: pd.DataFrame, columns: tuple[str, ...] = GROUP_COLUMNS, within: np.ndarray | None = None
) -> np.ndarray:
    """Integer code per row for the combination of ``columns`` (missing values form their own key),
    optionally refining the codes ``within`` (so group columns are not factorised twice)."""
    if len(df) == 0:
        return np.zeros(0, dtype=np.int64)
    code = np.zeros(len(df), dtype=np.int64) if within is None else np.asarray(within, dtype=np.int64)
    for name in columns:
        values = df[name] if name in df.columns else pd.Series(np.nan, index=df.index)
        part, uniques = pd.factorize(values, use_na_sentinel=False)
        # Re-factorising keeps the combined code compact, so many columns never overflow int64.
        code, _ = pd.factorize(code * (len(uniques) + 1) + part)
    return code.astype(np.int64)


def composite_quality(df: pd.DataFrame) -> pd.Series:
    """A technical-quality proxy in 0..1, NOT an aesthetic score.

    For each image: the mean of its percentile ranks (within its comparable group: same model
    hash, width and height) of sharpness, −noise, −clipping and −saturation_burn. Measures an
    image lacks are skipped; an image with none of them gets NaN. Being ranks, it only says how
    an image compares with the other images of its group, not how good it is in absolute terms,
    and it rewards no measure more than another.
    """
    if len(df) == 0:
        return pd.Series(dtype="float64", index=df.index, name=COMPOSITE)
    codes = group_codes(df)
    ranks = []
    for name, sign in COMPOSITE_PARTS:
        if name not in df.columns:
            continue
        values = pd.to_numeric(df[name], errors="coerce").to_numpy(dtype=np.float64) * sign
        ranks.append(group_percent_rank(values, codes))
    if not ranks:
        return pd.Series(np.nan, index=df.index, name=COMPOSITE)
    stacked = np.vstack(ranks)
    counts = np.isfinite(stacked).sum(axis=0)
    sums = np.nansum(stacked, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        result = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    return pd.Series(result, index=df.index, name=COMPOSITE)


def sort_within(keys: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Order that sorts by ``keys`` then ``values`` (NaN last); two plain argsorts beat ``np.lexsort``."""
    n = len(values)
    position = np.empty(n, dtype=np.int64)
    position[np.argsort(values)] = np.arange(n)
    return np.argsort(keys.astype(np.int64) * max(n, 1) + position)


def group_percent_rank(values: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """``Series.groupby(codes).rank(pct=True)`` (average ties, NaN stays NaN), vectorised: 4× faster."""
    n = len(values)
    result = np.full(n, np.nan)
    if n == 0:
        return result
    order = sort_within(codes, values)
    v, g = values[order], codes[order]
    group_start = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    starts_of = np.repeat(group_start, np.diff(np.r_[group_start, n]))
    position = np.arange(n) - starts_of
    tie_start = np.flatnonzero(np.r_[True, (g[1:] != g[:-1]) | (v[1:] != v[:-1])])
    tie_len = np.diff(np.r_[tie_start, n])
    average = np.repeat(position[tie_start] + (tie_len - 1) / 2.0 + 1.0, tie_len)
    valid = np.isfinite(v)
    per_group = np.bincount(codes[np.isfinite(values)], minlength=int(codes.max()) + 1)
    result[order[valid]] = average[valid] / per_group[g[valid]]
    return result


def quality_values(df: pd.DataFrame, quality: str) -> pd.Series:
    """The quality column to analyse: a measure, ``"rating"`` or ``"composite"`` (NaN where missing)."""
    if quality == COMPOSITE:
        return composite_quality(df)
    if quality not in df.columns:
        raise ValueError(
            f"unknown quality {quality!r}: use 'composite', 'rating' or a measure column "
            f"({', '.join(c for c in df.columns if c in MEASURE_COLUMNS + LEARNED_MEASURES) or 'none loaded'})"
        )
    return pd.to_numeric(df[quality], errors="coerce").astype("float64")


def cost_values(df: pd.DataFrame, cost: str) -> pd.Series:
    if cost not in COST_COLUMNS:
        raise ValueError(f"unknown cost {cost!r}: use one of {', '.join(COST_COLUMNS)}")
    if cost not in df.columns:
        return pd.Series(np.nan, index=df.index, dtype="float64")
    return pd.to_numeric(df[cost], errors="coerce").astype("float64")


def select_rows(df: pd.DataFrame, wanted: Mapping[str, Any] | None) -> pd.DataFrame:
    """Rows whose columns equal every value in ``wanted`` (``None`` matches a missing value)."""
    if not wanted:
        return df
    mask = np.ones(len(df), dtype=bool)
    for key, value in wanted.items():
        if key not in df.columns:
            raise ValueError(f"unknown column {key!r} in the selection")
        column = df[key]
        if value is None or (isinstance(value, float) and np.isnan(value)):
            mask &= column.isna().to_numpy()
        else:
            mask &= (column == value).fillna(False).to_numpy(dtype=bool)
    return df[mask]


def plain_value(value: Any) -> Any:
    """A JSON-friendly Python value from a pandas/numpy scalar (NaN and NA become None)."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def describe_setting(setting: Mapping[str, Any]) -> str:
    """A setting in plain words, e.g. ``DPM++ 2M Karras, 20 steps, CFG 7, hires 1.5×``."""
    parts = []
    scheduler = setting.get("scheduler")
    if scheduler in ("Automatic", ""):
        scheduler = None  # A1111's default: naming it only adds noise
    name = " ".join(str(v) for v in (setting.get("sampler"), scheduler) if v is not None)
    if name:
        parts.append(name)
    if setting.get("steps") is not None:
        parts.append(f"{setting['steps']} steps")
    if setting.get("cfg_scale") is not None:
        parts.append(f"CFG {format_number(setting['cfg_scale'])}")
    if setting.get("hires_enabled"):
        scale = setting.get("hires_scale")
        parts.append(f"hires {format_number(scale)}×" if scale is not None else "hires")
    return ", ".join(parts) or "(unnamed setting)"


def format_number(value: Any) -> str:
    """Short numbers for messages: 7, 7.5, 0.713, 4.1, 1,234, 0.0042."""
    if value is None:
        return "?"
    number = float(value)
    if number.is_integer() and abs(number) < 1e15:
        return f"{int(number):,}"
    magnitude = abs(number)
    if magnitude >= 100:
        return f"{number:,.0f}"
    if magnitude >= 10:
        return f"{number:.1f}"
    if magnitude >= 1:
        return f"{number:.2f}".rstrip("0").rstrip(".")
    if magnitude < 0.01:
        return f"{number:.2g}"  # 0.00042, not "-0"
    return f"{number:.3f}".rstrip("0").rstrip(".")
