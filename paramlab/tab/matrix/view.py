"""The "X/Y/Z matrix" section of the ParamLab tab: one X/Y/Z job as a cost/quality matrix, with the quality
figure and the "good enough" percentage chosen by the user, and its CSV export. Opened in place from the
Jobs list and from an image's detail (see :data:`paramlab.tab.matrix.render.OPEN_MATRIX_JS`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gradio as gr

from paramlab import gradio_compat
from paramlab.analysis.frame import COMPOSITE, COMPOSITE_LABEL
from paramlab.analysis.matrix import DEFAULT_PERCENT, MatrixError, build_matrix, matrix_csv, quality_choices
from paramlab.analysis.matrix_load import load_job_cells
from paramlab.ledger import Ledger, LedgerError
from paramlab.tab.ledger_view.render import local_time
from paramlab.tab.managers.common import write_download
from paramlab.tab.matrix.links import MATRIX_JOB_ELEM_ID
from paramlab.tab.matrix.render import matrix_html
from paramlab.tab.status_html import status_html

EMPTY_NOTE = "Open an X/Y/Z job's matrix from the Jobs list or from one of its images, or type its job id."


@dataclass
class MatrixViewComponents:
    job: Any
    quality: Any
    percent: Any
    view: Any
    export_button: Any
    export_file: Any
    refresh: Callable[..., list[Any]]
    export: Callable[..., list[Any]]
    inputs: list[Any]
    outputs: list[Any]


def _quality_key(value: Any, choices: dict[str, str]) -> str:
    return next((key for key, label in choices.items() if value in (key, label)), COMPOSITE)


def draw_matrix(ledger: Ledger, job: Any, quality: Any, percent: Any) -> tuple[str, dict[str, str], str, Any]:
    """(html, quality choices, chosen quality key, the matrix) for a job id; :class:`MatrixError` says why not."""
    cells = load_job_cells(ledger, job)
    choices = quality_choices(cells.frame)
    key = _quality_key(quality, choices)
    matrix = build_matrix(cells.frame, cells.layout, key, percent)
    images = sum(cell.images for cell in matrix.cells.values())
    left_out = f", {cells.left_out} unfinished left out" if cells.left_out else ""
    title = (f"Job {cells.job_id} · {cells.script_name or 'X/Y/Z plot'} · {local_time(cells.started_at)} · "
             f"{len(matrix.cells)} cell(s), {images} image(s){left_out}")
    return matrix_html(matrix, title), choices, key, matrix


def build_matrix_view(ledger_provider: Callable[[], Ledger]) -> MatrixViewComponents:
    """The section, built into the open Blocks."""
    with gr.Column(elem_id="paramlab-matrix-view"):
        with gr.Row():
            job = gr.Textbox(label="Job id", max_lines=1, elem_id=MATRIX_JOB_ELEM_ID)
            quality = gr.Dropdown([COMPOSITE_LABEL], value=COMPOSITE_LABEL, label="Quality figure",
                                  elem_id="paramlab-matrix-quality")
            percent = gr.Number(value=DEFAULT_PERCENT, label="Good enough: within this % of the best",
                                elem_id="paramlab-matrix-percent")
            show_button = gr.Button("Show", elem_id="paramlab-matrix-show", scale=0, min_width=80)
            export_button = gr.Button("Export CSV", elem_id="paramlab-matrix-export", scale=0, min_width=120)
        view = gr.HTML(status_html(EMPTY_NOTE, "muted"), elem_id="paramlab-matrix")
        export_file = gr.File(label="Matrix CSV", interactive=False, elem_id="paramlab-matrix-export-file")

    def refresh(job_value: Any = None, quality_value: Any = None, percent_value: Any = DEFAULT_PERCENT) -> list[Any]:
        if job_value in (None, "") or not str(job_value).strip():
            return [status_html(EMPTY_NOTE, "muted"), gradio_compat.update()]
        try:
            body, choices, key, _matrix = draw_matrix(ledger_provider(), job_value, quality_value, percent_value)
        except MatrixError as exc:
            return [status_html(str(exc), "error"), gradio_compat.update()]
        except (LedgerError) as exc:
            return [status_html(f"Matrix unavailable: {exc}", "error"), gradio_compat.update()]
        labels = list(choices.values())
        return [body, gradio_compat.update(choices=labels, value=choices[key])]

    def export(job_value: Any, quality_value: Any, percent_value: Any) -> list[Any]:
        try:
            _body, _choices, _key, matrix = draw_matrix(ledger_provider(), job_value, quality_value, percent_value)
        except MatrixError as exc:
            return [None, status_html(str(exc), "error")]
        except (LedgerError) as exc:
            return [None, status_html(f"Matrix unavailable: {exc}", "error")]
        name = f"paramlab-matrix-job-{str(job_value).strip()[:36]}.csv"
        file_name = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
        return [write_download(matrix_csv(matrix), file_name, newline=""), gradio_compat.update()]

    inputs = [job, quality, percent]
    outputs = [view, quality]
    job.change(refresh, inputs=inputs, outputs=outputs)
    quality.input(refresh, inputs=inputs, outputs=outputs)
    percent.submit(refresh, inputs=inputs, outputs=outputs)  # gradio 4's Number has no blur event
    show_button.click(refresh, inputs=inputs, outputs=outputs)
    export_button.click(export, inputs=inputs, outputs=[export_file, view])
    return MatrixViewComponents(job, quality, percent, view, export_button, export_file, refresh, export, inputs,
                                outputs)
