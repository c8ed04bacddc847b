"""The tab's charts on a real SQLite ledger: counts, SQL sampling, specs, the front and the recommendation."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import altair as alt
import numpy as np
import pandas as pd
import pytest

from paramlab.ledger import ImageRecord, RunRecord
from paramlab.ledger.filters import ImageFilter
from paramlab.tab.charts import figures as charts
from paramlab.tab.charts import run_view
from paramlab.tab.charts.figures import (
    ChartData,
    chart_data,
    chart_rows,
    cost_quality_chart,
    recommendation_text,
    steps_quality_chart,
)

START = datetime(2024, 6, 1, tzinfo=timezone.utc)
SETTINGS = [(sampler, steps) for sampler in ("Euler a", "DPM++ 2M") for steps in (10, 20, 30)]


def make_run(sampler: str, steps: int, count: int, first_seed: int, *, metrics: bool = True,
             cost: bool = True, cfg: float = 7.0, series: str | None = None, profile: str | None = None) -> RunRecord:
    """One press of Generate: ``count`` images; cost grows with steps, sharpness saturates with steps."""
    rng = np.random.default_rng(first_seed)
    images = []
    for index in range(count):
        sharp = 100 * (1 - np.exp(-steps / 10)) + (5 if sampler == "DPM++ 2M" else 0) + rng.normal(0, 0.5)
        figures = {"sharpness": (float(sharp), None), "noise": (float(8 / steps), None),
                   "clipping": (0.01, None), "saturation_burn": (0.02, None)}
        images.append(ImageRecord(
            index_in_run=index, created_at=START + timedelta(seconds=first_seed + index), seed=first_seed + index,
            prompt="a lighthouse at dusk, " + "very detailed " * 20, model_name="SD 1.5", model_hash="6ce0161689",
            sampler=sampler, scheduler="Karras", steps=steps, cfg_scale=cfg, width=512, height=512,
            hires_enabled=steps == 30, hires_scale=1.5 if steps == 30 else None, profile=profile, series=series,
            cost_seconds=steps * 0.1 * (1 + 0.01 * index) if cost else None,
            model_evaluations=steps if cost else None,
            metrics=figures if metrics else {}, metrics_version="1",
        ))
    return RunRecord(
        tab="txt2img", source="ui", started_at=START, images=images, wall_seconds=steps * 0.1 * count + 0.5,
        first_pass_seconds=steps * 0.08 * count, hires_seconds=0.2 if steps == 30 else None,
        vae_decode_seconds=0.1 * count, model_name="SD 1.5", model_hash="6ce0161689",
    )


def fill(ledger: Any, per_setting: int = 4) -> None:
    ledger.write_runs(make_run(s, n, per_setting, 1000 * i, series="Kaito" if i == 0 else None)
                      for i, (s, n) in enumerate(SETTINGS))


def spec(chart: alt.TopLevelMixin) -> dict:
    return chart.to_dict()


def test_chart_data_loads_every_image_with_its_figures_when_few(ledger: Any) -> None:
    fill(ledger)
    data = chart_data(ledger)
    assert (data.total_rows, data.shown_rows, data.sampled) == (24, 24, False)
    assert data.note == "Showing all 24 images."
    frame = data.frame
    assert frame["sharpness"].notna().all() and frame["composite"].notna().all()
    assert set(frame["series"].dropna()) == {"Kaito"} and frame["run_id"].nunique() == 6
    assert frame["prompt"].str.len().max() <= charts.PROMPT_CHARS + 1  # truncated in SQL
    only = chart_data(ledger, ImageFilter(sampler="Euler a", status="ok"))
    assert only.total_rows == 12 and set(only.frame["sampler"]) == {"Euler a"}


def test_scatter_has_a_point_per_image_full_tooltips_front_and_href(ledger: Any) -> None:
    fill(ledger)
    data = chart_data(ledger)
    chart = spec(cost_quality_chart(data, "cost_seconds", "sharpness", "sampler"))
    line, diamonds, points = chart["layer"]  # the points on top, so every one can be clicked
    assert len(chart_rows(points["data"])) == 24
    titles = {t["title"] for t in points["encoding"]["tooltip"]}
    assert {"Prompt", "Sampler", "Schedule type", "Steps", "CFG", "Size", "Hires", "Profile", "Series", "Seed",
            "Seconds per image", "Sharpness (Laplacian energy)"} <= titles
    first = chart_rows(points["data"])[0]
    assert first["size"] == "512×512" and first["schedule"] == "Karras" and len(first["prompt"]) <= 120
    assert points["encoding"]["href"]["field"] == "href"
    assert {v["href"] for v in chart_rows(points["data"])} == {f"#paramlab-image={i}" for i in data.frame["id"]}
    assert points["encoding"]["color"]["title"] == "Sampler"
    assert line["mark"]["type"] == "line" and diamonds["mark"]["type"] == "point"
    front = chart_rows(line["data"])
    assert front and all(row["n"] == 4 for row in front)
    assert [row["x"] for row in front] == sorted(row["x"] for row in front)
    assert "Showing all 24 images." in chart["title"]["subtitle"]
    json.loads(cost_quality_chart(data, "model_evaluations", "composite", "cfg_scale").to_json())  # gradio's path


def test_every_colour_and_cost_choice_renders(ledger: Any) -> None:
    fill(ledger)
    data = chart_data(ledger)
    for colour in charts.COLOUR_CHOICES:
        for x in charts.X_CHOICES:
            spec(cost_quality_chart(data, x, "rating", colour))  # rating and energy are all empty here: no raise
    energy = spec(cost_quality_chart(data, "energy_joules", "sharpness", "profile"))
    assert energy["mark"]["type"] == "text" and "energy" in chart_rows(energy["data"])[0]["message"].lower()
    with pytest.raises(ValueError):
        cost_quality_chart(data, "wall_seconds", "sharpness", "sampler")


def test_sampling_happens_in_sql_above_max_points_with_an_honest_note_and_is_deterministic(ledger: Any) -> None:
    ledger.write_runs(make_run(s, n, 50, 1000 * i) for i, (s, n) in enumerate(SETTINGS))
    data = chart_data(ledger, max_points=40)
    assert (data.total_rows, data.shown_rows, data.sampled) == (300, 40, True)
    assert data.note == "Showing a random sample of 40 of 300 images (sampled in SQL)."
    again = chart_data(ledger, max_points=40)
    assert list(again.frame["id"]) == list(data.frame["id"])
    other = chart_data(ledger, max_points=40, seed=1)
    assert list(other.frame["id"]) != list(data.frame["id"])
    ids = data.frame["id"].astype(int)
    assert ids.max() - ids.min() > 200  # spread over the ledger, not the first or newest rows
    assert data.frame["sharpness"].notna().all()  # metrics pivoted for the sampled ids
    chart = spec(cost_quality_chart(data, "cost_seconds", "sharpness", "sampler"))
    assert len(chart_rows(chart["layer"][-1]["data"])) == 40
    assert data.note in chart["title"]["subtitle"]
    text = recommendation_text(data, "cost_seconds", "sharpness")
    assert "sample of 40 of 300 images" in text


def test_empty_ledger_gives_friendly_charts_and_text(ledger: Any) -> None:
    data = chart_data(ledger)
    assert (data.total_rows, data.shown_rows, data.sampled) == (0, 0, False)
    for chart in (cost_quality_chart(data, "cost_seconds", "composite", "sampler"),
                  steps_quality_chart(data, "composite")):
        drawn = spec(chart)
        assert drawn["mark"]["type"] == "text" and "No images" in chart_rows(drawn["data"])[0]["message"]
    assert recommendation_text(data, "cost_seconds", "composite").startswith("Not enough data")
    assert run_view.newest_run_id(ledger) is None and run_view.run_chart(ledger, 1) is None
    assert run_view.run_summary(ledger, 1) == {"found": False, "run_id": 1}
    assert set(charts.quality_choices(data.frame)) == {"rating", "composite"}


def test_images_without_figures_or_cost_render_an_explaining_chart(ledger: Any) -> None:
    ledger.write_runs([make_run("Euler a", 20, 3, 1, metrics=False, cost=False)])
    data = chart_data(ledger)
    assert data.shown_rows == 3 and data.frame["sharpness"].isna().all()
    for chart in (cost_quality_chart(data, "cost_seconds", "sharpness", "sampler"),
                  steps_quality_chart(data, "sharpness"),
                  cost_quality_chart(data, "cost_seconds", "composite", "series")):
        assert spec(chart)["mark"]["type"] == "text"
    assert recommendation_text(data, "cost_seconds", "sharpness").startswith("Not enough data: 0 of 3 images")


def test_quality_choices_lists_present_measures_with_their_documented_labels(ledger: Any) -> None:
    fill(ledger)
    choices = charts.quality_choices(chart_data(ledger).frame)
    assert choices["sharpness"] == "Sharpness (Laplacian energy)" and choices["noise"] == "Noise level (Immerkær)"
    assert "contrast" not in choices and list(choices)[-2:] == ["rating", "composite"]


def test_recommendation_names_a_setting_on_good_data_and_says_not_enough_on_tiny(ledger: Any) -> None:
    fill(ledger, per_setting=2)
    tiny = recommendation_text(chart_data(ledger), "cost_seconds", "sharpness")
    assert tiny.startswith("Not enough data: 12 of 12 images") and "SD 1.5 at 512×512" in tiny
    fill(ledger, per_setting=4)
    text = recommendation_text(chart_data(ledger), "cost_seconds", "sharpness", percent=10.0)
    assert text.startswith("Within SD 1.5 at 512×512: ")
    assert "DPM++ 2M" in text and "steps" in text and "n=6" in text


def test_steps_chart_has_a_median_per_sampler_and_step_count(ledger: Any) -> None:
    fill(ledger)
    chart = spec(steps_quality_chart(chart_data(ledger), "sharpness"))
    line, dots = chart["layer"]
    rows = chart_rows(chart.get("data", line.get("data")))  # Altair lifts data the layers share
    assert len(rows) == 6 and {r["n"] for r in rows} == {4}
    assert dots["encoding"]["size"]["field"] == "n" and line["encoding"]["color"]["field"] == "sampler"


def test_run_view_splits_the_phases_and_shares_the_cost(ledger: Any) -> None:
    fill(ledger)
    run_id = run_view.newest_run_id(ledger)
    summary = run_view.run_summary(ledger, run_id)
    assert summary["found"] and summary["image_count"] == 4
    assert list(summary["phases"]) == ["First pass", "Hires", "VAE decode", "Other"]
    assert sum(summary["phases"].values()) == pytest.approx(summary["wall_seconds"])
    assert sum(i["cost_share"] for i in summary["images"]) == pytest.approx(1.0)
    assert summary["images"][0]["figures"]["sharpness"] > 0
    chart = spec(run_view.run_chart(ledger, run_id))
    phases, images = chart["vconcat"]
    assert [r["phase"] for r in chart_rows(phases["data"])] == list(summary["phases"])
    assert phases["encoding"]["x"]["stack"] == "zero"
    assert len(chart_rows(images["data"])) == 4 and images["encoding"]["href"]["field"] == "href"
    assert run_view.run_chart(ledger, 999) is None


def test_five_thousand_points_and_more_never_hit_altairs_row_limit() -> None:
    n = 6000
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({
        "id": np.arange(1, n + 1), "model_hash": "h", "model_name": "m", "width": 512, "height": 512,
        "sampler": rng.choice([f"S{i}" for i in range(30)], n), "scheduler": "Automatic",
        "steps": rng.choice([10, 20, 30], n), "cfg_scale": rng.choice([5.0, 7.0, 9.0], n),
        "hires_enabled": False, "hires_scale": np.nan, "profile": None, "series": None, "seed": np.arange(n),
        "prompt": "p", "cost_seconds": rng.random(n), "model_evaluations": 20.0, "energy_joules": np.nan,
        "rating": np.nan, "sharpness": rng.random(n), "composite": rng.random(n),
    })
    data = ChartData(frame, n, n, False, "Showing all 6,000 images.")
    chart = cost_quality_chart(data, "cost_seconds", "sharpness", "sampler")
    drawn = json.loads(chart.to_json())
    rows = chart_rows(drawn["layer"][-1]["data"])
    assert len(rows) == n and len({v["colour"] for v in rows}) == charts.MAX_COLOURS
    steps_quality_chart(data, "sharpness").to_json()
    assert alt.data_transformers.options.get("max_rows", 5000) == 5000  # the global guard stays as it was


def test_the_charts_agree_with_each_other(ledger: Any) -> None:
    """Issue 11, item 8: one colour per sampler in both charts, padded axes (edge points whole), "(none)"
    rather than null in tooltips; item 7: the composite's version on the axis."""
    fill(ledger)
    data = chart_data(ledger)
    points = next(layer for layer in spec(cost_quality_chart(data, "cost_seconds", "composite", "sampler"))["layer"]
                  if layer["mark"]["type"] == "circle")
    curves = spec(steps_quality_chart(data, "composite"))["layer"][0]
    scales = [points["encoding"]["color"].get("scale", {}), curves["encoding"]["color"].get("scale", {})]
    mapping = [dict(zip(scale.get("domain", []), scale.get("range", []))) for scale in scales]
    assert mapping[0] == mapping[1] and len(set(mapping[0].values())) == 2
    for layer in (points, curves):
        assert all(layer["encoding"][axis]["scale"].get("padding", 0) > 0 for axis in ("x", "y"))
    rows = chart_rows(points["data"])
    assert {row["profile"] for row in rows} == {"(none)"} and None not in {row["series"] for row in rows}
    assert points["encoding"]["y"]["title"] == "Composite v1 (technical proxy)"


def test_single_images_per_setting_are_explained_and_one_setting_draws_no_front(ledger: Any) -> None:
    """Issue 11, item 8: an X/Y/Z grid's single images, beside one setting with three images."""
    ledger.write_runs([make_run("Euler a", steps, 1, 5000 + steps) for steps in (4, 8, 12, 16)])
    ledger.write_runs([make_run("Euler a", 25, 3, 6000)])
    data = chart_data(ledger)
    drawn = spec(cost_quality_chart(data, "cost_seconds", "sharpness", "sampler"))
    assert [layer["mark"]["type"] for layer in drawn.get("layer", [drawn])] == ["circle"]  # no lone diamond
    assert "No Pareto front" in " ".join(drawn["title"]["subtitle"])
    advice = recommendation_text(data, "cost_seconds", "sharpness")
    assert advice.startswith("Not enough data") and "Batch count to 3 or more" in advice
    assert "4 of the 5 settings here have a single image" in advice
