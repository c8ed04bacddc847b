"""Which settings are worth their cost: per-setting summaries, the Pareto front, its knee, and
"the cheapest setting within X % of the best quality" — or "not enough data" instead of a guess.

Settings are only compared inside a comparable group (same model hash, width and height): a
512² image on one checkpoint says nothing about a 1024² image on another.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from paramlab.analysis.bootstrap import segment_bootstrap, segment_bounds
from paramlab.analysis.frame import (
    COST_UNITS,
    GROUP_COLUMNS,
    SETTING_COLUMNS,
    cost_values,
    describe_setting,
    format_number,
    group_codes,
    higher_is_better,
    plain_value,
    quality_values,
    select_rows,
    sort_within,
)

NOT_ENOUGH = "not enough data"


@dataclass
class SettingSummary:
    """One setting in one comparable group: its median cost and mean quality, with 95% intervals."""

    setting: dict
    count: int
    cost_median: float
    cost_ci: tuple[float, float]
    quality_mean: float
    quality_ci: tuple[float, float]
    group: dict = field(default_factory=dict)
    cost: str = "cost_seconds"
    quality: str = "composite"
    higher_is_better: bool = True

    def label(self) -> str:
        return describe_setting(self.setting)

    def oriented_quality(self) -> float:
        """Quality with "higher is better" whatever the measure."""
        return self.quality_mean if self.higher_is_better else -self.quality_mean

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["cost_ci"], data["quality_ci"] = list(self.cost_ci), list(self.quality_ci)
        data["label"] = self.label()
        return data


class SummaryList(list):
    """``list[SettingSummary]`` that also says what was left out, so no one mistakes silence for data."""

    def __init__(self, items: Any = (), excluded_settings: int = 0, dropped_rows: int = 0, min_samples: int = 3):
        super().__init__(items)
        self.excluded_settings = excluded_settings  # settings with fewer than min_samples usable images
        self.dropped_rows = dropped_rows  # images without a cost or quality value
        self.min_samples = min_samples


@dataclass
class Recommendation:
    status: str  # "ok" | "not enough data"
    message: str
    chosen: SettingSummary | None
    best: SettingSummary | None
    within_percent: float
    samples: int  # images behind the compared settings
    excluded_settings: int

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status, "message": self.message, "within_percent": self.within_percent,
            "samples": self.samples, "excluded_settings": self.excluded_settings,
            "chosen": self.chosen.to_json() if self.chosen else None,
            "best": self.best.to_json() if self.best else None,
        }


@dataclass
class GroupReport:
    group: dict
    summaries: list[SettingSummary]
    front: list[SettingSummary]
    knee: SettingSummary | None
    recommendation: Recommendation
    dropped_rows: int = 0
    excluded_settings: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "group": self.group, "summaries": [s.to_json() for s in self.summaries],
            "front": [s.to_json() for s in self.front], "knee": self.knee.to_json() if self.knee else None,
            "recommendation": self.recommendation.to_json(),
            "dropped_rows": self.dropped_rows, "excluded_settings": self.excluded_settings,
        }


@dataclass
class ParetoReport:
    cost: str
    quality: str
    percent: float
    min_samples: int
    groups: list[GroupReport]

    def to_json(self) -> dict[str, Any]:
        return {
            "cost": self.cost, "quality": self.quality, "percent": self.percent, "min_samples": self.min_samples,
            "higher_is_better": higher_is_better(self.quality), "groups": [g.to_json() for g in self.groups],
        }


# -- summaries ------------------------------------------------------------------------------------


def _summarise_groups(
    df: pd.DataFrame, cost: str, quality: str, min_samples: int, bootstrap: int, seed: int
) -> list[tuple[dict, SummaryList]]:
    """Summaries of every comparable group in one vectorised pass (the 100k-row path)."""
    if len(df) == 0:
        return []
    q = quality_values(df, quality).to_numpy(dtype=np.float64)
    c = cost_values(df, cost).to_numpy(dtype=np.float64)
    g = group_codes(df, GROUP_COLUMNS)
    k = group_codes(df, SETTING_COLUMNS, within=g)
    n_groups, n_keys = int(g.max()) + 1, int(k.max()) + 1
    valid = np.isfinite(q) & np.isfinite(c)
    dropped = np.bincount(g[~valid], minlength=n_groups)
    first_row = np.empty(n_keys, dtype=np.int64)
    first_row[k[::-1]] = np.arange(len(k))[::-1]
    key_group = g[first_row]
    usable = np.bincount(k[valid], minlength=n_keys)
    kept = usable >= max(min_samples, 1)
    excluded = np.bincount(key_group[~kept], minlength=n_groups)

    rows = valid & kept[k]
    kr, cr, qr = k[rows], c[rows], q[rows]
    rng = np.random.default_rng(seed)
    cost_order = sort_within(kr, cr)
    starts, counts = segment_bounds(kr[cost_order])
    cost_mid, cost_lo, cost_hi = segment_bootstrap(cr[cost_order], starts, counts, "median", bootstrap, rng)
    quality_order = sort_within(kr, qr)
    q_mean, q_lo, q_hi = segment_bootstrap(qr[quality_order], starts, counts, "mean", bootstrap, rng)
    keys = kr[cost_order][starts] if len(starts) else np.zeros(0, dtype=np.int64)

    setting_cols, group_cols = list(SETTING_COLUMNS), [*GROUP_COLUMNS, "model_name"]
    group_first = np.empty(n_groups, dtype=np.int64)
    group_first[g[::-1]] = np.arange(len(g))[::-1]
    group_info = [_pick(r, group_cols) for r in _records(df, group_first, group_cols)]
    settings = [_pick(r, setting_cols) for r in _records(df, first_row[keys], setting_cols)]
    better = higher_is_better(quality)
    per_group = [
        SummaryList(excluded_settings=int(excluded[gi]), dropped_rows=int(dropped[gi]), min_samples=min_samples)
        for gi in range(n_groups)
    ]
    for i, key in enumerate(keys):
        gi = int(key_group[key])
        per_group[gi].append(SettingSummary(
            setting=settings[i], count=int(counts[i]), cost_median=float(cost_mid[i]),
            cost_ci=(float(cost_lo[i]), float(cost_hi[i])), quality_mean=float(q_mean[i]),
            quality_ci=(float(q_lo[i]), float(q_hi[i])), group=group_info[gi], cost=cost, quality=quality,
            higher_is_better=better,
        ))
    for summaries in per_group:
        summaries.sort(key=lambda s: (s.cost_median, -s.oriented_quality()))
    return [(group_info[gi], per_group[gi]) for gi in range(n_groups)]


def _select_group(df: pd.DataFrame, group: dict | None) -> pd.DataFrame:
    """Whole comparable groups only: a setting is compared with the others of its model and size."""
    allowed = (*GROUP_COLUMNS, "model_name")
    unknown = sorted(set(group or {}) - set(allowed))
    if unknown:
        raise ValueError(f"group may only name {', '.join(allowed)}; not {', '.join(unknown)}")
    return select_rows(df, group)


def _records(df: pd.DataFrame, rows: np.ndarray, names: list[str]) -> list[dict]:
    present = [name for name in names if name in df.columns]
    return df.iloc[rows][present].to_dict("records")


def _pick(record: dict, names: list[str]) -> dict:
    return {name: plain_value(record.get(name)) for name in names}


def summarise_settings(
    df: pd.DataFrame, cost: str, quality: str, group: dict | None = None, min_samples: int = 3,
    bootstrap: int = 500, seed: int = 0,
) -> SummaryList:
    """Summaries of every setting with at least ``min_samples`` usable images in ONE comparable group.

    ``group`` selects it (e.g. ``{"model_hash": "6ce0161689", "width": 512, "height": 512}``); it may
    be left out when the frame holds only one group. Settings with fewer images are left out and
    counted in ``excluded_settings``; images without a cost or quality in ``dropped_rows``.
    """
    groups = _summarise_groups(_select_group(df, group), cost, quality, min_samples, bootstrap, seed)
    if not groups:
        return SummaryList(min_samples=min_samples)
    if len(groups) > 1:
        raise ValueError(
            f"the frame holds {len(groups)} comparable groups (model hash, width, height); "
            "choose one with group={...} or use analyse() for all of them"
        )
    return groups[0][1]


# -- front, knee, recommendation ----------------------------------------------------------------------


def pareto_front(summaries: list[SettingSummary]) -> list[SettingSummary]:
    """Settings no other setting beats on both counts (cheaper or equal AND better or equal).

    Exact ties (same cost, same quality) all stay on the front. Sorted by cost, cheapest first.
    """
    ordered = sorted(summaries, key=lambda s: (s.cost_median, -s.oriented_quality(), -s.count))
    front: list[SettingSummary] = []
    best_quality, best_cost = -np.inf, np.nan
    for summary in ordered:
        quality = summary.oriented_quality()
        if quality > best_quality:
            front.append(summary)
            best_quality, best_cost = quality, summary.cost_median
        elif quality == best_quality and summary.cost_median == best_cost:
            front.append(summary)
    return front


def knee(front: list[SettingSummary]) -> SettingSummary | None:
    """The point of diminishing returns: the front point farthest from the straight line between the
    cheapest and the best point, after scaling both axes to 0..1. None with fewer than 3 points, or
    when the front is a straight line (no point stands out)."""
    if len(front) < 3:
        return None
    cost = np.array([s.cost_median for s in front], dtype=np.float64)
    quality = np.array([s.oriented_quality() for s in front], dtype=np.float64)
    cost_span, quality_span = np.ptp(cost), np.ptp(quality)
    if cost_span <= 0 or quality_span <= 0:
        return None
    x, y = (cost - cost.min()) / cost_span, (quality - quality.min()) / quality_span
    first, last = 0, int(np.argmax(quality))
    dx, dy = x[last] - x[first], y[last] - y[first]
    distance = np.abs(dy * (x - x[first]) - dx * (y - y[first])) / np.hypot(dx, dy)
    best = int(np.argmax(distance))
    return front[best] if distance[best] > 1e-9 else None


def cheapest_within(summaries: list[SettingSummary], percent: float) -> Recommendation:
    """The cheapest setting whose mean quality is within ``percent`` % of the best setting's mean."""
    if percent < 0:
        raise ValueError("percent must be 0 or more")
    min_samples = getattr(summaries, "min_samples", 1)
    usable = [s for s in summaries if s.count >= min_samples]
    excluded = int(getattr(summaries, "excluded_settings", 0)) + len(summaries) - len(usable)
    samples = sum(s.count for s in usable)
    if len(usable) < 2:
        return Recommendation(
            NOT_ENOUGH, _not_enough_message(len(usable), excluded, min_samples), None,
            usable[0] if usable else None, percent, samples, excluded,
        )
    best = max(usable, key=lambda s: (s.oriented_quality(), -s.cost_median, s.count))
    tolerance = abs(best.quality_mean) * percent / 100.0
    floor = best.oriented_quality() - tolerance - 1e-12
    candidates = [s for s in usable if s.oriented_quality() >= floor]
    chosen = min(candidates, key=lambda s: (s.cost_median, -s.oriented_quality(), -s.count))
    message = _recommendation_message(chosen, best, percent, excluded, min_samples)
    return Recommendation("ok", message, chosen, best, percent, samples, excluded)


def _not_enough_message(usable: int, excluded: int, min_samples: int) -> str:
    have = f"{usable} setting has" if usable == 1 else f"{usable} settings have"
    fewer = f" ({excluded} more {'has' if excluded == 1 else 'have'} fewer)" if excluded else ""
    return (
        f"Not enough data: {have} at least {min_samples} images with a cost and a quality{fewer}; "
        "at least 2 are needed to compare. Generate more images of the settings you want to compare."
    )


def _percent(value: float) -> str:
    return f"{value:.1f}%" if value < 10 else f"{value:.0f}%"


def _cost_text(summary: SettingSummary) -> str:
    unit = COST_UNITS.get(summary.cost, summary.cost)
    return f"{format_number(summary.cost_median)} {unit}"


def _quality_text(summary: SettingSummary) -> str:
    lo, hi = summary.quality_ci
    return f"{format_number(summary.quality_mean)} (95% CI {format_number(lo)}–{format_number(hi)}, n={summary.count})"


def _recommendation_message(
    chosen: SettingSummary, best: SettingSummary, percent: float, excluded: int, min_samples: int
) -> str:
    name = chosen.quality
    if chosen is best:
        text = (
            f"{best.label()} is both the best and the cheapest choice: no cheaper setting comes within "
            f"{_percent(percent)} of its {name} {_quality_text(best)} at {_cost_text(best)} per image."
        )
    else:
        gap = abs(best.quality_mean - chosen.quality_mean) / abs(best.quality_mean) * 100 if best.quality_mean else 0.0
        saving = (1 - chosen.cost_median / best.cost_median) * 100 if best.cost_median > 0 else 0.0
        text = (
            f"{chosen.label()}: {_percent(saving)} cheaper ({_cost_text(chosen)} vs {_cost_text(best)} per image), "
            f"{name} within {_percent(gap)} of the best, {best.label()} (n={chosen.count} and n={best.count}). "
            f"{name.capitalize()} {_quality_text(chosen)} vs {_quality_text(best)}."
        )
        if chosen.quality_ci[1] >= best.quality_ci[0] and best.quality_ci[1] >= chosen.quality_ci[0]:
            text += " The intervals overlap, so the two may not really differ in quality."
    if excluded:
        text += f" {excluded} setting{'s' if excluded != 1 else ''} with fewer than {min_samples} images left out."
    return text


def analyse(
    df: pd.DataFrame, cost: str, quality: str, percent: float = 5.0, group: dict | None = None,
    min_samples: int = 3, bootstrap: int = 500, seed: int = 0,
) -> ParetoReport:
    """Summaries, front, knee and recommendation for every comparable group (or the one ``group`` picks)."""
    reports = []
    for info, summaries in _summarise_groups(_select_group(df, group), cost, quality, min_samples, bootstrap, seed):
        front = pareto_front(summaries)
        reports.append(GroupReport(
            group=info, summaries=list(summaries), front=front, knee=knee(front),
            recommendation=cheapest_within(summaries, percent),
            dropped_rows=summaries.dropped_rows, excluded_settings=summaries.excluded_settings,
        ))
    return ParetoReport(cost=cost, quality=quality, percent=percent, min_samples=min_samples, groups=reports)
