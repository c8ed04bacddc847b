"""The analysis frame: one row per image, the columns every analysis reads, and the composite quality.

The analysis works on a plain pandas DataFrame (built by :func:`paramlab.analysis.load.load_frame`
or by hand in tests) so it never touches the database or the WebUI.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
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
# The composite (version 1): each no-weight measure of ONE image mapped onto 0..1 by a fixed formula
# (1 the better image), then averaged. Changing a formula or a constant is a new version: the label and
# the README's table say which one the figures are.
COMPOSITE_VERSION = 1
SHARPNESS_HALF = 100.0  # Laplacian energy scoring 0.5: soft images are below 50, crisp ones in the hundreds
NOISE_ZERO = 12.0  # grey levels of noise scoring 0: clean renders are 0–4, grain shows from about 6
CLIPPING_ZERO = 0.3  # share of clipped channel values scoring 0 (0.15 already counts as CFG burn)
BURN_ZERO = 0.3  # share of burnt (neon) pixels scoring 0
COMPOSITE_FORMULAS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "sharpness": lambda v: v / (v + SHARPNESS_HALF),
    "noise": lambda v: 1.0 - v / NOISE_ZERO,
    "clipping": lambda v: 1.0 - v / CLIPPING_ZERO,
    "saturation_burn": lambda v: 1.0 - v / BURN_ZERO,
}
COMPOSITE_PARTS = tuple(COMPOSITE_FORMULAS)
COMPOSITE = "composite"
COMPOSITE_LABEL = f"Composite v{COMPOSITE_VERSION} (technical proxy)"
RATING = "rating"

FRAME_COLUMNS = (
    "id", "model_hash", "model_name", "width", "height", *SETTING_COLUMNS, "profile", "seed", "prompt",
    *COST_COLUMNS, RATING, *MEASURE_COLUMNS,
)

COST_UNITS = {"cost_seconds": "s", "model_evaluations": "model evaluations", "energy_joules": "J"}


def quality_label(name: str) -> str:
    """A quality key's name for people: a measure's documented label, the rating's, the composite's. The
    measures' module imports torch, so it is read only when a measure is named."""
    if name == COMPOSITE:
        return COMPOSITE_LABEL
    if name == RATING:
        return "Rating (1–5)"
    from paramlab.quality.measures import MEASURES

    learned = {"aesthetic": "Aesthetic (LAION predictor)", "clip_score": "CLIP score"}
    doc = MEASURES.get(name)
    return doc.label if doc else learned.get(name, name.replace("_", " ").capitalize())


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


def composite_part_scores(df: pd.DataFrame) -> dict[str, np.ndarray]:
    """Each composite measure mapped onto 0..1 (1 the better image) by its fixed formula; NaN where missing."""
    scores = {}
    for name, formula in COMPOSITE_FORMULAS.items():
        if name in df.columns:
            values = pd.to_numeric(df[name], errors="coerce").to_numpy(dtype=np.float64)
            with np.errstate(invalid="ignore"):
                scores[name] = np.clip(formula(np.maximum(values, 0.0)), 0.0, 1.0)
    return scores


def composite_quality(df: pd.DataFrame) -> pd.Series:
    """The composite v1, a technical-quality proxy in 0..1, NOT an aesthetic score.

    For each image: the mean of its measures' scores (:data:`COMPOSITE_FORMULAS`), each a fixed
    function of that one image's figure. So an image's composite never changes as the ledger grows,
    and it can be compared across time and across ledgers of the same composite version. Measures an
    image lacks are skipped; an image with none of them gets NaN.
    """
    if len(df) == 0:
        return pd.Series(dtype="float64", index=df.index, name=COMPOSITE)
    scores = composite_part_scores(df)
    if not scores:
        return pd.Series(np.nan, index=df.index, name=COMPOSITE)
    stacked = np.vstack(list(scores.values()))
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
