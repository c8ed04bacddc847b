"""The charts part of the ParamLab tab, built into whatever ``gr.Blocks`` is open (WebUI tab or the
standalone page alike).

Loading is the slow part (a count and a sample in SQL), so it happens on Refresh (and when the lead
refreshes on tab select); changing the axes or the colour redraws from the rows already loaded, and
the percent slider only recomputes the recommendation. Every user string reaching HTML is escaped.
"""

from __future__ import annotations

import html
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import gradio as gr

from paramlab import gradio_compat
from paramlab.analysis.frame import COMPOSITE, format_number
from paramlab.ledger import Ledger, LedgerError
from paramlab.ledger.filters import ImageFilter
from paramlab.tab.charts import figures as charts
from paramlab.tab.charts import run_view
from paramlab.tab.image_links import image_link
from paramlab.tab.status_html import status_html

DEFAULT_X, DEFAULT_Y, DEFAULT_COLOUR = "cost_seconds", COMPOSITE, "sampler"
MAX_POINTS = 5000
RUN_IMAGES_SHOWN = 50


@dataclass
class ChartsViewComponents:
    """The view's components, and the callables the lead wires to the tab's own events."""

    x: Any
    y: Any
    colour: Any
    percent: Any
    scatter: Any
    steps: Any
    note: Any
    recommendation: Any
    run_id: Any
    newest_run: Any
    run_plot: Any
    run_summary: Any
    refresh_button: Any
    refresh: Callable[..., list[Any]]  # refresh(*inputs) → values for ``outputs``; reloads from the ledger
    inputs: list[Any] = field(default_factory=list)
    outputs: list[Any] = field(default_factory=list)


def _key(choices: dict[str, str], label: Any, default: str) -> str:
    """Dropdowns hold labels (gradio 3 has no (label, value) choices): map one back to its key."""
    for key, text in choices.items():
        if label in (text, key):
            return key
    return default


def _seconds(value: Any) -> str:
    return "—" if value is None else f"{format_number(value)} s"


def run_summary_html(summary: dict) -> str:
    """The run in a few lines and a table; every value is escaped (prompts never appear here anyway)."""
    if not summary.get("found"):
        return status_html(f"No run with id {summary.get('run_id')} in the ledger.", "muted")
    e = html.escape
    head = (f"Run {summary['run_id']} · {summary['tab']} · {summary['source']}"
            f"{' · ' + summary['script_name'] if summary.get('script_name') else ''} · {summary['image_count']} "
            f"image(s) · wall {_seconds(summary['wall_seconds'])} · status {summary['status']}")
    total = sum(summary["phases"].values()) or 1.0
    phases = " · ".join(f"{name} {_seconds(v)} ({v / total:.0%})" for name, v in summary["phases"].items())
    rows = []
    for image in summary["images"][:RUN_IMAGES_SHOWN]:
        share = "—" if image["cost_share"] is None else f"{image['cost_share']:.0%}"
        figures = ", ".join(f"{k} {format_number(v)}" for k, v in sorted(image["figures"].items())) or "—"
        setting = f"{image['sampler'] or '?'}, {image['steps'] or '?'} steps, CFG {format_number(image['cfg_scale'])}"
        rows.append(
            f"<tr><td><a href='{image_link(image['id'])}'>#{int(image['index_in_run'])}</a></td>"
            f"<td>{e(str(image['seed']))}</td><td>{e(setting)}</td><td>{e(_seconds(image['cost_seconds']))}</td>"
            f"<td>{e(share)}</td><td>{e(figures)}</td></tr>"
        )
    more = len(summary["images"]) - RUN_IMAGES_SHOWN
    tail = status_html(f"{more} more image(s) not listed.", "muted") if more > 0 else ""
    table = ("<table class='paramlab-run-images'><tr><th>Image</th><th>Seed</th><th>Setting</th><th>Cost</th>"
             f"<th>Share</th><th>Figures</th></tr>{''.join(rows)}</table>") if rows else ""
    phase_line = f"<p>{e(phases)}</p>" if phases else status_html("No phase timing recorded.", "muted")
    return f"<div class='paramlab-run-summary'><p><b>{e(head)}</b></p>{phase_line}{table}{tail}</div>"


def build_charts_view(
    ledger_provider: Callable[[], Ledger],
    filter_provider: Callable[[], ImageFilter] | None = None,
) -> ChartsViewComponents:
    """Dropdowns, the scatter, the steps curves, the run view and the recommendation, built in place.

    ``filter_provider`` returns the ledger's one filter (:class:`~paramlab.ledger.filters.ImageFilter`), so
    the charts can follow the tab's query; without it they show every finished image.
    """
    cache: dict[str, Any] = {}
    lock = threading.Lock()

    def load() -> charts.ChartData:
        filt = filter_provider() if filter_provider else None
        data = charts.chart_data(ledger_provider(), filt, max_points=MAX_POINTS)
        with lock:
            cache["data"] = data
        return data

    def current() -> charts.ChartData:
        with lock:
            data = cache.get("data")
        return data if data is not None else load()

    def draw(data: charts.ChartData, x_label: Any, y_label: Any, colour_label: Any, percent: Any) -> list[Any]:
        qualities = charts.quality_choices(data.frame)
        x = _key(charts.X_CHOICES, x_label, DEFAULT_X)
        y = _key(qualities, y_label, DEFAULT_Y)
        colour = _key(charts.COLOUR_CHOICES, colour_label, DEFAULT_COLOUR)
        return [
            gradio_compat.update(choices=list(qualities.values()), value=qualities[y]),
            gradio_compat.update(value=charts.cost_quality_chart(data, x, y, colour)),
            gradio_compat.update(value=charts.steps_quality_chart(data, y)),
            status_html(data.note, "muted"),
            recommend(data, x, y, percent),
        ]

    def recommend(data: charts.ChartData, x: str, y: str, percent: Any) -> str:
        text = charts.recommendation_text(data, x, y, float(percent if percent is not None else 5.0))
        return status_html(text, "recommendation")

    def failed(exc: Exception) -> list[Any]:
        """What the chart outputs show when the ledger cannot answer (unavailable, bad filter)."""
        message = f"Charts unavailable: {exc}"
        empty = gradio_compat.update(value=charts.empty_chart(message))
        return [gradio_compat.update(), empty, empty, status_html(message, "error"), ""]

    def show_run(run_id: Any) -> list[Any]:
        ledger = ledger_provider()
        if run_id in (None, "") or int(run_id) <= 0:
            run_id = run_view.newest_run_id(ledger)
        if run_id is None:
            return [gradio_compat.update(value=charts.empty_chart("No runs recorded yet.")),
                    status_html("No runs yet.", "muted")]
        chart = run_view.run_chart(ledger, int(run_id))
        summary = run_view.run_summary(ledger, int(run_id))
        if chart is None:
            chart = charts.empty_chart(f"No run with id {int(run_id)} in the ledger.")
        return [gradio_compat.update(value=chart), run_summary_html(summary)]

    with gr.Column(elem_id="paramlab-charts"):
        with gr.Row():
            x = gr.Dropdown(list(charts.X_CHOICES.values()), value=charts.X_CHOICES[DEFAULT_X], label="Cost (x)",
                            elem_id="paramlab-charts-x")
            y_label = charts.quality_label(DEFAULT_Y)
            y = gr.Dropdown([y_label], value=y_label, label="Quality (y)", elem_id="paramlab-charts-y")
            colour = gr.Dropdown(list(charts.COLOUR_CHOICES.values()), value=charts.COLOUR_CHOICES[DEFAULT_COLOUR],
                                 label="Colour by", elem_id="paramlab-charts-colour")
            refresh_button = gr.Button("Refresh charts", elem_id="paramlab-charts-refresh")
        note = gr.HTML(elem_id="paramlab-charts-note")
        recommendation = gr.HTML(elem_id="paramlab-charts-recommendation")
        percent = gr.Slider(0, 50, value=5, step=0.5, label="Good enough: within this % of the best quality",
                            elem_id="paramlab-charts-percent")
        scatter = gr.Plot(label="Cost against quality (click a point to open the image)",
                          elem_id="paramlab-charts-scatter")
        steps = gr.Plot(label="Steps against quality", elem_id="paramlab-charts-steps")
        with gr.Row():
            run_id = gr.Number(value=0, precision=0, label="Run id (0 = newest)", elem_id="paramlab-charts-run-id")
            newest_run = gr.Button("Newest run", elem_id="paramlab-charts-newest-run")
        run_plot = gr.Plot(label="One run: where its time went", elem_id="paramlab-charts-run")
        run_summary = gr.HTML(elem_id="paramlab-charts-run-summary")

    chart_outputs = [y, scatter, steps, note, recommendation]
    controls = [x, y, colour, percent]

    def refresh(x_label: Any, y_label: Any, colour_label: Any, percent_value: Any, run_value: Any) -> list[Any]:
        try:
            drawn = draw(load(), x_label, y_label, colour_label, percent_value)
        except (LedgerError, ValueError) as exc:
            return [*failed(exc), gradio_compat.update(value=charts.empty_chart(f"Charts unavailable: {exc}")), ""]
        return [*drawn, *show_run(run_value)]

    def redraw(x_label: Any, y_label: Any, colour_label: Any, percent_value: Any) -> list[Any]:
        try:
            return draw(current(), x_label, y_label, colour_label, percent_value)
        except (LedgerError, ValueError) as exc:
            return failed(exc)

    def on_percent(x_label: Any, y_label: Any, percent_value: Any) -> str:
        try:
            data = current()
            qualities = charts.quality_choices(data.frame)
            x_key, y_key = _key(charts.X_CHOICES, x_label, DEFAULT_X), _key(qualities, y_label, DEFAULT_Y)
            return recommend(data, x_key, y_key, percent_value)
        except (LedgerError, ValueError) as exc:
            return status_html(f"Charts unavailable: {exc}", "error")

    def on_run(run_value: Any) -> list[Any]:
        try:
            return show_run(run_value)
        except (LedgerError) as exc:
            return [gradio_compat.update(value=charts.empty_chart(str(exc))), status_html(str(exc), "error")]

    def on_newest() -> list[Any]:
        newest = run_view.newest_run_id(ledger_provider())
        return [gradio_compat.update(value=newest or 0), *on_run(newest or 0)]

    inputs = [*controls, run_id]
    outputs = [*chart_outputs, run_plot, run_summary]
    refresh_button.click(refresh, inputs=inputs, outputs=outputs)
    for control in (x, y, colour):  # user input only: refresh's own update of y must not redraw twice
        control.input(redraw, inputs=controls, outputs=chart_outputs)
    percent.release(on_percent, inputs=[x, y, percent], outputs=[recommendation])
    run_id.submit(on_run, inputs=[run_id], outputs=[run_plot, run_summary])
    newest_run.click(on_newest, inputs=[], outputs=[run_id, run_plot, run_summary])
    return ChartsViewComponents(
        x=x, y=y, colour=colour, percent=percent, scatter=scatter, steps=steps, note=note,
        recommendation=recommendation, run_id=run_id, newest_run=newest_run, run_plot=run_plot,
        run_summary=run_summary, refresh_button=refresh_button, refresh=refresh, inputs=inputs, outputs=outputs,
    )
