"""The charts view in real gradio 3.41 Blocks: the registered functions answer with Altair chart updates."""

from __future__ import annotations

from typing import Any

import altair as alt
import gradio as gr
from test_tab_charts import fill

from paramlab.gradio_compat import event_wiring
from paramlab.ledger import LedgerError
from paramlab.ledger.filters import ImageFilter
from paramlab.tab.charts import figures as charts
from paramlab.tab.charts import run_view
from paramlab.tab.charts.view import build_charts_view, run_summary_html


def run_event(blocks: Any, target: Any, trigger: str, *inputs: Any) -> dict[Any, Any]:
    """Run the function gradio registered for ``target.trigger`` and map its results to components."""
    for event in event_wiring(blocks):
        matches = target._id in event.targets and event.trigger == trigger
        if matches and len(event.inputs) == len(inputs):
            results = event.fn(*inputs)
            results = results if isinstance(results, (list, tuple)) else [results]
            assert len(results) == len(event.outputs)
            return dict(zip(event.outputs, results))
    raise AssertionError(f"no {trigger} event wired on {target}")


def build(ledger: Any, filt: ImageFilter | None = None) -> tuple[gr.Blocks, Any]:
    with gr.Blocks() as blocks:
        view = build_charts_view(lambda: ledger, (lambda: filt) if filt else None)
    return blocks, view


def chart_of(update: Any) -> alt.TopLevelMixin:
    assert isinstance(update, dict) and update.get("__type__") in ("update", "generic_update")
    chart = update["value"]
    assert isinstance(chart, alt.TopLevelMixin)
    return chart


def test_refresh_answers_with_altair_updates_for_every_plot(ledger: Any) -> None:
    fill(ledger)
    blocks, view = build(ledger)
    values = ["Seconds per image", "Composite v1 (technical proxy)", "Sampler", 5, 0]
    result = run_event(blocks, view.refresh_button, "click", *values)
    assert list(result) == [c._id for c in view.outputs]
    by = dict(zip(view.outputs, view.refresh(*values)))
    scatter = chart_of(by[view.scatter]).to_dict()
    assert len(charts.chart_rows(scatter["layer"][-1]["data"])) == 24 and len(scatter["layer"]) == 3
    assert "layer" in chart_of(by[view.steps]).to_dict()
    run = chart_of(by[view.run_plot]).to_dict()
    assert run["title"].startswith(f"Run {run_view.newest_run_id(ledger)}:")
    assert "Sharpness (Laplacian energy)" in by[view.y]["choices"] and by[view.y]["value"] == values[1]
    assert "Showing all 24 images." in by[view.note]
    assert by[view.recommendation].startswith("<p class='paramlab-recommendation'>Within SD 1.5 at 512×512")
    assert "Run 6" in by[view.run_summary] and "First pass" in by[view.run_summary]
    gr.Plot().postprocess(chart_of(by[view.scatter]))  # what gradio does with the value: JSON, no row limit


def test_axes_colour_and_percent_redraw_from_the_loaded_rows(ledger: Any) -> None:
    fill(ledger)
    blocks, view = build(ledger)
    redrawn = run_event(blocks, view.colour, "input", "Model evaluations", "Sharpness (Laplacian energy)", "CFG", 10)
    spec = chart_of(redrawn[view.scatter._id]).to_dict()
    assert spec["layer"][-1]["encoding"]["x"]["title"] == "Model evaluations"
    assert spec["layer"][-1]["encoding"]["color"]["title"] == "CFG"
    [text] = run_event(blocks, view.percent, "release", "Seconds per image", "Sharpness (Laplacian energy)",
                       50).values()
    assert "paramlab-recommendation" in text and "Within SD 1.5" in text


def test_run_selector_and_newest_button(ledger: Any) -> None:
    fill(ledger)
    blocks, view = build(ledger)
    newest = run_event(blocks, view.newest_run, "click")
    assert newest[view.run_id._id]["value"] == 6
    first = run_event(blocks, view.run_id, "submit", 1)
    assert "Run 1 " in first[view.run_summary._id]
    assert chart_of(first[view.run_plot._id]).to_dict()["vconcat"]
    missing = run_event(blocks, view.run_id, "submit", 99)
    assert "No run with id 99" in missing[view.run_summary._id]
    assert chart_of(missing[view.run_plot._id]).to_dict()["mark"]["type"] == "text"


def test_empty_ledger_and_filters_and_extra_conditions(ledger: Any) -> None:
    blocks, view = build(ledger)
    empty = dict(zip(view.outputs, view.refresh("Seconds per image", "Rating (1–5)", "Sampler", 5, 0)))
    assert chart_of(empty[view.scatter]).to_dict()["mark"]["type"] == "text"
    assert "Not enough data" in empty[view.recommendation] and "No runs" in empty[view.run_summary]
    fill(ledger)
    _, narrowed = build(ledger, ImageFilter(sampler="Euler a", steps_min=20, status="ok"))
    result = dict(zip(narrowed.outputs, narrowed.refresh("Seconds per image", "Composite", "Sampler", 5, 0)))
    assert "Showing all 8 images." in result[narrowed.note]


def test_user_text_is_escaped_and_failures_are_reported(ledger: Any) -> None:
    summary = {"found": True, "run_id": 3, "tab": "txt2img", "source": "<script>", "script_name": "<b>x</b>",
               "image_count": 0, "wall_seconds": None, "status": "ok", "phases": {}, "images": []}
    text = run_summary_html(summary)
    assert "<script>" not in text and "&lt;script&gt;" in text and "&lt;b&gt;x&lt;/b&gt;" in text

    def broken() -> Any:
        raise LedgerError("ParamLab: the ledger is locked")

    with gr.Blocks():
        view = build_charts_view(broken)
    result = dict(zip(view.outputs, view.refresh("Seconds per image", "Composite", "Sampler", 5, 0)))
    assert "the ledger is locked" in result[view.note] and "paramlab-error" in result[view.note]
    assert chart_of(result[view.scatter]).to_dict()["mark"]["type"] == "text"
    with gr.Blocks():
        bad = build_charts_view(lambda: ledger, lambda: ImageFilter.from_params({"colour": "red"}))
    note = dict(zip(bad.outputs, bad.refresh("x", "y", "z", 5, 0)))[bad.note]
    assert "unknown filter parameter" in note and "colour" in note
