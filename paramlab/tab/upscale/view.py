"""The "Upscale & batch" section of the ParamLab tab: which upscale method to use for an output size, and
where a larger batch stops paying. Built into whatever Blocks is open (WebUI tab or standalone page)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gradio as gr

from paramlab import gradio_compat
from paramlab.analysis.frame import COMPOSITE, MEASURE_COLUMNS, RATING
from paramlab.ledger import Ledger, LedgerError
from paramlab.tab.charts.figures import empty_chart, quality_label
from paramlab.tab.status_html import status_html
from paramlab.tab.upscale import figures

QUALITY_KEYS = (COMPOSITE, *MEASURE_COLUMNS, RATING)


@dataclass
class UpscaleViewComponents:
    size: Any
    quality: Any
    percent: Any
    upscale_plot: Any
    upscale_note: Any
    batch_plot: Any
    batch_note: Any
    refresh_button: Any
    refresh: Callable[..., list[Any]]
    inputs: list[Any]
    outputs: list[Any]


def _quality_key(label: Any) -> str:
    return next((key for key in QUALITY_KEYS if label in (key, quality_label(key))), COMPOSITE)


def build_upscale_view(ledger_provider: Callable[[], Ledger]) -> UpscaleViewComponents:
    labels = [quality_label(key) for key in QUALITY_KEYS]
    with gr.Column(elem_id="paramlab-upscale-view"):
        with gr.Row():
            size = gr.Dropdown([], value=None, label="Output size", elem_id="paramlab-upscale-size")
            quality = gr.Dropdown(labels, value=labels[0], label="Quality", elem_id="paramlab-upscale-quality")
            percent = gr.Slider(0, 50, value=5, step=0.5, label="Good enough: within this % of the best",
                                elem_id="paramlab-upscale-percent")
            refresh_button = gr.Button("Refresh", elem_id="paramlab-upscale-refresh", scale=0, min_width=100)
        upscale_note = gr.HTML(elem_id="paramlab-upscale-recommendation")
        upscale_plot = gr.Plot(label="Upscale methods", elem_id="paramlab-upscale-chart")
        batch_note = gr.HTML(elem_id="paramlab-batch-recommendation")
        batch_plot = gr.Plot(label="Batch size", elem_id="paramlab-batch-chart")

    def draw(size_label: Any, quality_label_value: Any, percent_value: Any) -> list[Any]:
        ledger = ledger_provider()
        data = figures.upscale_data(ledger)
        sizes = figures.size_choices(data)
        chosen = size_label if size_label in sizes else (sizes[0] if sizes else None)
        key = _quality_key(quality_label_value)
        share = float(percent_value if percent_value is not None else 5.0)
        batches = figures.batch_frame(ledger)
        return [
            gradio_compat.update(choices=sizes, value=chosen),
            gradio_compat.update(value=figures.upscale_chart(data, chosen, key)),
            status_html(figures.upscale_recommendation(data, chosen, key, share), "recommendation"),
            gradio_compat.update(value=figures.batch_chart(batches)),
            status_html(figures.batch_recommendation(batches, share), "recommendation"),
        ]

    def refresh(size_label: Any = None, quality_value: Any = None, percent_value: Any = 5.0) -> list[Any]:
        try:
            return draw(size_label, quality_value, percent_value)
        except (LedgerError, ValueError) as exc:
            message = f"Charts unavailable: {exc}"
            empty = gradio_compat.update(value=empty_chart(message))
            return [gradio_compat.update(), empty, status_html(message, "error"), empty, ""]

    inputs = [size, quality, percent]
    outputs = [size, upscale_plot, upscale_note, batch_plot, batch_note]
    refresh_button.click(refresh, inputs=inputs, outputs=outputs)
    for control in (size, quality):
        control.input(refresh, inputs=inputs, outputs=outputs)
    percent.release(refresh, inputs=inputs, outputs=outputs)
    return UpscaleViewComponents(size, quality, percent, upscale_plot, upscale_note, batch_plot, batch_note,
                                 refresh_button, refresh, inputs, outputs)
