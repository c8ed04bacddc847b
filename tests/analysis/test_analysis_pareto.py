"""Pareto front, knee and "cheapest within X %" on synthetic frames with known answers."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from paramlab.analysis import (
    FRAME_COLUMNS,
    analyse,
    cheapest_within,
    composite_quality,
    knee,
    pareto_front,
    summarise_settings,
)
from paramlab.analysis.bootstrap import bootstrap_mean
from paramlab.analysis.pareto import SettingSummary


def frame(specs: list[tuple[dict, int, float, float]], model: str = "m1", size: int = 512, seed: int = 0,
          spread: float = 0.001) -> pd.DataFrame:
    """Rows for (setting, count, cost, quality); quality goes into ``sharpness``."""
    rng = np.random.default_rng(seed)
    rows = []
    for setting, count, cost, quality in specs:
        for i in range(count):
            rows.append({
                "sampler": "Euler a", "scheduler": "Automatic", "steps": 20, "cfg_scale": 7.0,
                "hires_enabled": False, "hires_scale": np.nan, **setting,
                "model_hash": model, "model_name": f"name-{model}", "width": size, "height": size,
                "seed": i, "prompt": "a cat", "cost_seconds": cost + rng.normal(0, spread),
                "model_evaluations": float(setting.get("steps", 20)), "energy_joules": cost * 300,
                "sharpness": quality + rng.normal(0, spread), "rating": np.nan,
            })
    df = pd.DataFrame(rows)
    df["id"] = np.arange(1, len(df) + 1)
    for name in FRAME_COLUMNS:
        if name not in df.columns:
            df[name] = np.nan
    return df


A, B, C, D, E = ({"steps": s} for s in (10, 20, 30, 40, 25))


def four_settings() -> pd.DataFrame:
    return frame([(A, 5, 1.0, 0.50), (B, 5, 2.0, 0.70), (C, 5, 3.0, 0.60), (D, 5, 4.0, 0.90)])


def summary(cost: float, quality: float, steps: int = 20, count: int = 5) -> SettingSummary:
    return SettingSummary({"steps": steps}, count, cost, (cost, cost), quality, (quality, quality))


def test_front_excludes_dominated_settings_and_is_sorted_by_cost() -> None:
    summaries = summarise_settings(four_settings(), "cost_seconds", "sharpness")
    assert [s.setting["steps"] for s in summaries] == [10, 20, 30, 40]
    front = pareto_front(summaries)
    assert [s.setting["steps"] for s in front] == [10, 20, 40]  # 30 steps costs more than 20 and is worse


def test_ties_stay_on_the_front_and_equal_quality_at_higher_cost_does_not() -> None:
    front = pareto_front([summary(1, 0.5, 1), summary(1, 0.5, 2), summary(2, 0.5, 3), summary(3, 0.8, 4)])
    assert [s.setting["steps"] for s in front] == [1, 2, 4]
    same_cost = pareto_front([summary(1, 0.4, 1), summary(1, 0.6, 2)])
    assert [s.setting["steps"] for s in same_cost] == [2]


def test_knee_is_the_point_of_diminishing_returns() -> None:
    front = [summary(1, 0.5, 1), summary(2, 0.85, 2), summary(3, 0.9, 3), summary(4, 0.92, 4)]
    assert knee(front).setting["steps"] == 2
    assert knee(front[:2]) is None
    assert knee([summary(1, 0.1, 1), summary(2, 0.2, 2), summary(3, 0.3, 3)]) is None  # a straight line


def test_cheapest_within_percent_names_saving_counts_and_intervals() -> None:
    df = frame([(A, 5, 1.0, 0.50), (B, 6, 2.0, 0.70), (E, 7, 2.5, 0.87), (D, 8, 4.0, 0.90)])
    summaries = summarise_settings(df, "cost_seconds", "sharpness")
    rec = cheapest_within(summaries, 5.0)
    assert rec.status == "ok"
    assert rec.chosen.setting["steps"] == 25 and rec.best.setting["steps"] == 40
    assert rec.samples == 26 and rec.excluded_settings == 0
    assert "38% cheaper (2.5 s vs 4 s per image)" in rec.message
    assert re.search(r"within 3\.\d% of the best, Euler a, 40 steps, CFG 7 \(n=7 and n=8\)", rec.message)
    assert rec.message.startswith("Euler a, 25 steps, CFG 7: ")
    assert "95% CI" in rec.message
    # a wider margin picks a cheaper setting; zero picks the best itself
    assert cheapest_within(summaries, 25.0).chosen.setting["steps"] == 20
    zero = cheapest_within(summaries, 0.0)
    assert zero.chosen is zero.best and "both the best and the cheapest" in zero.message


def test_not_enough_data_when_fewer_than_two_settings_have_enough_images() -> None:
    df = frame([(A, 5, 1.0, 0.5), (B, 2, 2.0, 0.7), (C, 1, 3.0, 0.6)])
    summaries = summarise_settings(df, "cost_seconds", "sharpness")
    assert len(summaries) == 1 and summaries.excluded_settings == 2
    rec = cheapest_within(summaries, 5.0)
    assert rec.status == "not enough data" and rec.chosen is None
    assert rec.message.startswith("Not enough data: 1 setting has at least 3 images")
    assert "2 more have fewer" in rec.message
    empty = analyse(frame([]), "cost_seconds", "sharpness")
    assert empty.groups == []


def test_nan_quality_rows_are_dropped_and_counted() -> None:
    df = frame([(A, 5, 1.0, 0.5), (B, 4, 2.0, 0.7), (D, 5, 4.0, 0.9)])
    df.loc[df["steps"] == 20, "sharpness"] = [np.nan, np.nan, 0.7, 0.7]  # B falls to 2 usable images
    df.loc[df.index[0], "cost_seconds"] = np.nan
    summaries = summarise_settings(df, "cost_seconds", "sharpness")
    assert summaries.dropped_rows == 3
    assert summaries.excluded_settings == 1
    assert [s.setting["steps"] for s in summaries] == [10, 40]
    assert summaries[0].count == 4
    rec = cheapest_within(summaries, 5.0)
    assert "1 setting with fewer than 3 images left out" in rec.message


def test_bootstrap_is_reproducible_and_brackets_the_estimate() -> None:
    df = frame([(A, 12, 1.0, 0.5), (D, 15, 4.0, 0.9)], spread=0.05)
    first = summarise_settings(df, "cost_seconds", "sharpness", seed=7)
    again = summarise_settings(df, "cost_seconds", "sharpness", seed=7)
    other = summarise_settings(df, "cost_seconds", "sharpness", seed=8)
    assert [(s.cost_ci, s.quality_ci) for s in first] == [(s.cost_ci, s.quality_ci) for s in again]
    assert [s.quality_ci for s in first] != [s.quality_ci for s in other]
    for s in first:
        assert s.cost_ci[0] <= s.cost_median <= s.cost_ci[1]
        assert s.quality_ci[0] < s.quality_mean < s.quality_ci[1]


def test_big_settings_get_a_correctly_sized_interval() -> None:
    """Settings above the resampling cap use the rescaled m-out-of-n bootstrap: the interval must
    still match the textbook 1.96·sd/√n."""
    rng = np.random.default_rng(1)
    values = rng.normal(0.0, 1.0, 2500)
    mean, lo, hi = bootstrap_mean(values, 2000, seed=3)
    expected = 1.96 * values.std() / np.sqrt(len(values))
    assert lo < mean < hi
    assert (hi - lo) / 2 == pytest.approx(expected, rel=0.15)
    assert mean == pytest.approx(values.mean())


def test_groups_are_compared_apart_and_summarise_needs_one() -> None:
    df = pd.concat([four_settings(), frame([(A, 5, 9.0, 0.1), (B, 5, 8.0, 0.2)], model="m2")], ignore_index=True)
    report = analyse(df, "cost_seconds", "sharpness")
    assert [g.group["model_hash"] for g in report.groups] == ["m1", "m2"]
    assert [s.setting["steps"] for s in report.groups[1].front] == [20]
    with pytest.raises(ValueError, match="2 comparable groups"):
        summarise_settings(df, "cost_seconds", "sharpness")
    only = summarise_settings(df, "cost_seconds", "sharpness", group={"model_hash": "m2"})
    assert len(only) == 2
    with pytest.raises(ValueError, match="group may only name"):
        analyse(df, "cost_seconds", "sharpness", group={"sampler": "Euler a"})
    data = json.loads(json.dumps(report.to_json()))
    assert data["groups"][0]["knee"]["setting"]["steps"] == 20 and data["groups"][1]["knee"] is None


def test_lower_is_better_measures_are_turned_around() -> None:
    df = frame([(A, 5, 1.0, 0.5), (B, 5, 2.0, 0.1), (D, 5, 4.0, 0.3)])
    df["noise"] = df["sharpness"]
    summaries = summarise_settings(df, "cost_seconds", "noise")
    assert [s.setting["steps"] for s in pareto_front(summaries)] == [10, 20]
    assert cheapest_within(summaries, 5.0).best.setting["steps"] == 20


def test_composite_is_an_absolute_score_in_zero_to_one() -> None:
    df = frame([(A, 4, 1.0, 50.0), (D, 4, 4.0, 300.0)], spread=0.0)
    df["noise"], df["clipping"], df["saturation_burn"] = 3.0, 0.0, np.nan
    composite = composite_quality(df)
    assert composite.between(0, 1).all()
    # the documented v1 formula: mean of sharpness/(sharpness+100), 1 - noise/12, 1 - clipping/0.3
    assert composite[0] == pytest.approx((50 / 150 + (1 - 3 / 12) + 1.0) / 3)
    assert composite[(df["steps"] == 40)].min() > composite[(df["steps"] == 10)].max()
    df.loc[0, ["sharpness", "noise", "clipping"]] = np.nan
    assert np.isnan(composite_quality(df)[0])
    report = analyse(df, "cost_seconds", "composite", min_samples=3)
    assert report.groups[0].recommendation.status == "ok" and report.groups[0].dropped_rows == 1


def test_an_images_composite_does_not_move_as_the_ledger_grows() -> None:
    """The same 6-step images keep their figure when better and worse images arrive (issue 11, item 7)."""
    first = frame([(A, 4, 1.0, 80.0)], spread=0.0)
    first["noise"], first["clipping"], first["saturation_burn"] = 7.0, 0.02, 0.0
    before = composite_quality(first).tolist()
    later = frame([(B, 4, 2.0, 900.0), (D, 4, 4.0, 5.0)], spread=0.0)
    later["noise"], later["clipping"], later["saturation_burn"] = [1.0] * 4 + [11.0] * 4, 0.0, 0.5
    grown = pd.concat([first, later], ignore_index=True)
    assert composite_quality(grown)[: len(first)].tolist() == before
    other_model = first.assign(model_hash="m2")  # nor does it depend on the other images of its group
    assert composite_quality(other_model).tolist() == before


def test_unknown_cost_or_quality_is_refused_in_plain_words() -> None:
    df = four_settings()
    with pytest.raises(ValueError, match="unknown cost"):
        analyse(df, "vram", "sharpness")
    with pytest.raises(ValueError, match="unknown quality"):
        analyse(df, "cost_seconds", "beauty")
