"""Paired comparison of two settings on shared seeds.

Comparing the same seed and prompt under two settings removes most of the image-to-image
variation, so a handful of pairs says more than many unpaired images.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from paramlab.analysis.bootstrap import bootstrap_mean
from paramlab.analysis.frame import (
    COST_UNITS,
    cost_values,
    describe_setting,
    format_number,
    higher_is_better,
    quality_values,
    select_rows,
)
from paramlab.analysis.pareto import NOT_ENOUGH

# Two images are a pair when all of these match.
PAIR_COLUMNS = ("seed", "prompt", "model_hash", "width", "height")


@dataclass
class PairedResult:
    status: str  # "ok" | "not enough data"
    verdict: str
    pairs: int  # shared seeds with a quality value on both sides
    quality: str
    cost: str
    setting_a: dict
    setting_b: dict
    quality_diff: float | None = None  # mean of B − A
    quality_ci: tuple[float, float] | None = None
    cost_diff: float | None = None  # mean of B − A
    cost_ci: tuple[float, float] | None = None
    cost_pairs: int = 0
    dropped_pairs: int = 0  # shared seeds without a quality value on one side
    higher_is_better: bool = True

    def to_json(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        for name in ("quality_ci", "cost_ci"):
            data[name] = list(data[name]) if data[name] is not None else None
        return data


def _side(df: pd.DataFrame, quality: pd.Series, cost: pd.Series, setting: dict) -> pd.DataFrame:
    """One value per shared key (the mean when a seed was rendered more than once)."""
    rows = select_rows(df, setting)
    frame = pd.DataFrame({name: rows[name] if name in rows.columns else np.nan for name in PAIR_COLUMNS})
    frame["prompt"] = frame["prompt"].fillna("")
    frame["quality"] = quality.loc[rows.index].to_numpy()
    frame["cost"] = cost.loc[rows.index].to_numpy()
    frame = frame[frame["seed"].notna()]
    return frame.groupby(list(PAIR_COLUMNS), dropna=False, sort=False)[["quality", "cost"]].mean().reset_index()


def _interval(lo: float, hi: float) -> str:
    joiner = "–" if lo >= 0 else " to "
    return f"95% CI {format_number(lo)}{joiner}{format_number(hi)}"


def paired_comparison(
    df: pd.DataFrame, setting_a: dict, setting_b: dict, quality: str, cost: str = "cost_seconds",
    min_pairs: int = 5, bootstrap: int = 2000, seed: int = 0,
) -> PairedResult:
    """Mean B − A difference of quality and cost over images sharing seed, prompt, model and size."""
    q_all, c_all = quality_values(df, quality), cost_values(df, cost)
    a, b = _side(df, q_all, c_all, setting_a), _side(df, q_all, c_all, setting_b)
    both = a.merge(b, on=list(PAIR_COLUMNS), suffixes=("_a", "_b"))
    q_diff = (both["quality_b"] - both["quality_a"]).to_numpy(dtype=np.float64)
    c_diff = (both["cost_b"] - both["cost_a"]).to_numpy(dtype=np.float64)
    q_diff, c_diff = q_diff[np.isfinite(q_diff)], c_diff[np.isfinite(c_diff)]
    better = higher_is_better(quality)
    result = PairedResult(
        status=NOT_ENOUGH, verdict="", pairs=len(q_diff), quality=quality, cost=cost,
        setting_a=dict(setting_a), setting_b=dict(setting_b), cost_pairs=len(c_diff),
        dropped_pairs=len(both) - len(q_diff), higher_is_better=better,
    )
    if len(q_diff) < max(min_pairs, 2):
        missing = f" ({result.dropped_pairs} more lack a {quality} value)" if result.dropped_pairs else ""
        result.verdict = (
            f"not enough data: {len(q_diff)} shared seed{'s' if len(q_diff) != 1 else ''}{missing}, "
            f"need {max(min_pairs, 2)}. Render the same seeds and prompts with both settings."
        )
        return result
    mean, lo, hi = bootstrap_mean(q_diff, bootstrap, seed)
    result.status, result.quality_diff, result.quality_ci = "ok", mean, (lo, hi)
    if len(c_diff) >= 2:
        c_mean, c_lo, c_hi = bootstrap_mean(c_diff, bootstrap, seed + 1)
        result.cost_diff, result.cost_ci = c_mean, (c_lo, c_hi)
    result.verdict = _verdict(result, describe_setting(setting_a), describe_setting(setting_b))
    return result


def _verdict(result: PairedResult, label_a: str, label_b: str) -> str:
    assert result.quality_diff is not None and result.quality_ci is not None
    sign = 1.0 if result.higher_is_better else -1.0
    gain = sign * result.quality_diff
    lo, hi = sorted((sign * result.quality_ci[0], sign * result.quality_ci[1]))
    seeds = f"on {result.pairs} shared seeds"
    if lo <= 0 <= hi:
        text = (
            f"no clear difference in {result.quality} between A ({label_a}) and B ({label_b}): "
            f"B − A {format_number(result.quality_diff)} ({_interval(*result.quality_ci)}) {seeds}."
        )
    else:
        winner, loser = ("B", "A") if gain > 0 else ("A", "B")
        if gain < 0:
            gain, lo, hi = -gain, -hi, -lo
        direction = "higher" if result.higher_is_better else "lower"
        text = (
            f"{winner} is better by {format_number(gain)} ({_interval(lo, hi)}) {seeds}: "
            f"{result.quality} {direction} than {loser}. A is {label_a}; B is {label_b}."
        )
    if result.cost_diff is not None and result.cost_ci is not None:
        unit = COST_UNITS.get(result.cost, result.cost)
        c_lo, c_hi = result.cost_ci
        if c_lo <= 0 <= c_hi:
            text += f" Cost: no clear difference (B − A {_interval(c_lo, c_hi)} {unit} per image)."
        else:
            more = "more" if result.cost_diff > 0 else "less"
            text += (
                f" B costs {format_number(abs(result.cost_diff))} {unit} {more} per image "
                f"(B − A {_interval(c_lo, c_hi)})."
            )
    return text
