"""Paired comparison of two settings on shared seeds."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from paramlab.analysis import paired_comparison

A = {"sampler": "Euler a", "steps": 20}
B = {"sampler": "DPM++ 2M", "steps": 20}


def pairs(count: int, gain: float, noise: float = 0.002, cost_a: float = 2.0, cost_b: float = 2.0,
          seed: int = 0) -> pd.DataFrame:
    """``count`` seeds rendered with both settings; B's sharpness is A's plus ``gain``."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(count):
        base = rng.uniform(0.3, 0.7)  # seeds differ a lot; the pair difference is what matters
        for setting, value, cost in ((A, base, cost_a), (B, base + gain + rng.normal(0, noise), cost_b)):
            rows.append({
                **setting, "scheduler": "Automatic", "cfg_scale": 7.0, "hires_enabled": False,
                "hires_scale": np.nan, "model_hash": "m1", "width": 512, "height": 512, "seed": 1000 + i,
                "prompt": "a cat", "cost_seconds": cost + rng.normal(0, 0.01), "sharpness": value,
                "noise": 1 - value,
            })
    return pd.DataFrame(rows)


def test_clear_winner_on_shared_seeds() -> None:
    result = paired_comparison(pairs(12, 0.03, cost_b=3.0), A, B, "sharpness")
    assert result.status == "ok" and result.pairs == 12
    assert result.quality_diff == pytest.approx(0.03, abs=0.002)
    assert 0 < result.quality_ci[0] < result.quality_diff < result.quality_ci[1]
    assert result.verdict.startswith("B is better by 0.03 (95% CI 0.0")
    assert "on 12 shared seeds" in result.verdict
    assert "B costs 1 s more per image" in result.verdict
    assert json.loads(json.dumps(result.to_json()))["pairs"] == 12


def test_a_can_win_and_lower_is_better_measures_are_turned_around() -> None:
    worse = paired_comparison(pairs(10, -0.05), A, B, "sharpness")
    assert worse.verdict.startswith("A is better by 0.05")
    # noise = 1 − sharpness: B's noise is lower, which is better
    less_noise = paired_comparison(pairs(10, 0.05), A, B, "noise")
    assert less_noise.quality_diff < 0
    assert less_noise.verdict.startswith("B is better by 0.05") and "noise lower than A" in less_noise.verdict


def test_no_clear_difference_when_the_interval_spans_zero() -> None:
    result = paired_comparison(pairs(15, 0.0, noise=0.05, seed=4), A, B, "sharpness")
    assert result.status == "ok"
    assert result.quality_ci[0] < 0 < result.quality_ci[1]
    assert result.verdict.startswith("no clear difference in sharpness")
    assert "Cost: no clear difference" in result.verdict


def test_not_enough_shared_seeds() -> None:
    result = paired_comparison(pairs(3, 0.1), A, B, "sharpness")
    assert result.status == "not enough data" and result.quality_diff is None
    assert result.verdict.startswith("not enough data: 3 shared seeds, need 5")


def test_only_same_seed_prompt_model_and_size_pair_up() -> None:
    df = pairs(6, 0.05)
    df.loc[(df["sampler"] == "DPM++ 2M") & (df["seed"] == 1000), "prompt"] = "a dog"
    df.loc[(df["sampler"] == "DPM++ 2M") & (df["seed"] == 1001), "width"] = 768
    assert paired_comparison(df, A, B, "sharpness").pairs == 4
    df.loc[(df["sampler"] == "Euler a") & (df["seed"] == 1002), "sharpness"] = np.nan
    result = paired_comparison(df, A, B, "sharpness")
    assert result.pairs == 3 and result.dropped_pairs == 1
    assert "1 more lack a sharpness value" in result.verdict


def test_repeated_renders_of_a_seed_are_averaged() -> None:
    df = pairs(6, 0.04)
    repeat = df[df["sampler"] == "DPM++ 2M"].assign(sharpness=lambda d: d["sharpness"] + 0.02)
    result = paired_comparison(pd.concat([df, repeat], ignore_index=True), A, B, "sharpness")
    assert result.pairs == 6
    assert result.quality_diff == pytest.approx(0.05, abs=0.002)
