"""The jobs view of the ParamLab tab: one line per press of Generate, API request, script run (an X/Y/Z
plot, a tile upscale) or Extras operation, newest first, all or those of one status (the failed ones, with
why); a click opens its runs (cells or tile passes, a failed run with its error and what it was making),
its images and each image's history with the cost of every step. Every value is escaped."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gradio as gr

from paramlab.analysis.frame import format_number
from paramlab.ledger import Ledger, LedgerError
from paramlab.ledger.failures import FAILED, failure_cause
from paramlab.ledger.reads.jobs import JOB_STATUSES, JobNotFound, UnknownStatus, job_detail, list_jobs
from paramlab.tab.ledger_view.render import esc, local_time
from paramlab.tab.matrix.links import open_matrix_button
from paramlab.tab.status_html import status_html

SELECTED_JOB_ELEM_ID = "paramlab_selected_job"
ANY_STATUS = "any status"
STATUS_CHOICES = (ANY_STATUS, *JOB_STATUSES)
PAGE_SIZE = 50
RUNS_SHOWN = 100
KIND_LABELS = {"generate": "Generate", "script": "Script", "tile_upscale": "Tile upscale", "extras": "Extras",
               "import": "Import"}
# A row click writes the job id into the "Job id" box and fires gradio's input event (as the ledger's rows).
SELECT_JOB_JS = (
    "(function(id){"
    "var root=(typeof gradioApp==='function')?gradioApp():document;"
    f"var sel='#{SELECTED_JOB_ELEM_ID} textarea, #{SELECTED_JOB_ELEM_ID} input';"
    "var box=root.querySelector(sel)||document.querySelector(sel);"
    "if(!box){return;}"
    "box.value=String(id);"
    "box.dispatchEvent(new Event('input',{bubbles:true}));"
    "})"
)
XYZ_SCRIPT_NAMES = frozenset({"x/y/z plot"})  # jobs whose cells the matrix lays out
JOB_HEADERS = ("id", "started", "what", "tab", "source", "runs", "images", "wall", "summed image cost", "status")
VIEW_CSS = """
#paramlab-jobs-table table, #paramlab-job-detail table { border-collapse: collapse; font-size: 0.9em; }
#paramlab-jobs-table th, #paramlab-jobs-table td, #paramlab-job-detail th, #paramlab-job-detail td {
  padding: 2px 6px; border-bottom: 1px solid #8884; text-align: left; }
#paramlab-jobs-table tbody tr { cursor: pointer; }
#paramlab-jobs-table tbody tr:hover { background: #8882; }
"""


@dataclass
class JobsViewComponents:
    table: Any
    selected: Any
    detail: Any
    refresh_button: Any
    refresh: Callable[..., list[Any]]  # (status) → [table]
    outputs: list[Any]
    status: Any = None

    @property
    def inputs(self) -> list[Any]:
        return [self.status]


def _seconds(value: Any) -> str:
    return "—" if value is None else f"{format_number(value)} s"


def job_what(job: dict[str, Any]) -> str:
    kind = KIND_LABELS.get(job.get("kind") or "", job.get("kind") or "?")
    return f"{kind}: {job['script_name']}" if job.get("script_name") and kind != "Extras" else kind


def is_xyz_job(job: dict[str, Any]) -> bool:
    return (job.get("script_name") or "").strip().lower() in XYZ_SCRIPT_NAMES


def status_text(job: dict[str, Any]) -> str:
    """``failed: NaN in Unet`` for a failed job; its status otherwise."""
    status = job.get("status") or ""
    if status == FAILED:
        return f"{status}: {failure_cause(job.get('error_type'), job.get('error'))}"
    return status


def jobs_table_html(rows: list[dict[str, Any]], total: int, status: str | None = None) -> str:
    if not rows:
        return f"<div>No {esc(status)} jobs.</div>" if status else "<div>No jobs recorded yet.</div>"
    head = "".join(f"<th>{esc(h)}</th>" for h in JOB_HEADERS)
    body = []
    for job in rows:
        job_id = int(job["id"])
        cells = [job_id, local_time(job.get("started_at")), job_what(job), job.get("tab"), job.get("source"),
                 job.get("run_count"), job.get("image_count"), _seconds(job.get("wall_seconds")),
                 _seconds(job.get("cost_seconds")), status_text(job)]
        onclick = esc(f"{SELECT_JOB_JS}({job_id})")
        shown = [esc(cell) for cell in cells]
        if is_xyz_job(job):
            shown[2] += " " + open_matrix_button(job_id)
        body.append(f'<tr data-job-id="{job_id}" onclick="{onclick}">'
                    + "".join(f"<td>{cell}</td>" for cell in shown) + "</tr>")
    which = f"{status} jobs" if status else "jobs"
    more = f"<div>Newest {len(rows)} of {total:,} {esc(which)}.</div>" if total > len(rows) else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{more}"


def _settings_text(settings: Any) -> str:
    if not isinstance(settings, dict):
        return ""
    keys = ("failed_in", "sampler", "steps", "cfg_scale", "denoising_strength", "width", "height", "seed",
            "model_evaluations")
    parts = [f"{key} {format_number(settings[key]) if isinstance(settings[key], float) else settings[key]}"
             for key in keys if settings.get(key) is not None]
    return ", ".join(parts)


def _upscale_text(upscale: Any) -> str:
    if not isinstance(upscale, dict):
        return ""
    keys = ("upscaler", "scale", "target", "tile_width", "tile_height", "padding", "overlap", "seams_fix",
            "denoising", "steps_per_tile", "passes", "input_size", "output_size")
    return ", ".join(f"{key} {upscale[key]}" for key in keys if upscale.get(key) not in (None, "", []))


def job_detail_html(job: dict[str, Any]) -> str:
    runs = job["runs"]
    role_names = {"tile": "tile pass", "output": "combined image", "extras": "Extras operation", "run": "run"}
    head = (f"Job {job['id']} · {job_what(job)} · {job['tab']} · {job['source']} · {job['status']} · "
            f"{len(runs)} run(s), {job['tile_passes']} tile pass(es), {job['image_count']} image(s) · wall "
            f"{_seconds(job.get('wall_seconds'))} · summed image cost {_seconds(job.get('cost_seconds'))}")
    parts = [f"<p><b>{esc(head)}</b></p>", f"<p>Job uid: {esc(job['job_uid'])}</p>"]
    if is_xyz_job(job):
        parts.append(f"<p>{open_matrix_button(int(job['id']), 'Open its cost/quality matrix')}</p>")
    if job.get("script_args"):
        args = job["script_args"]
        shown = ", ".join(f"{k}: {v}" for k, v in args.items()) if isinstance(args, dict) else str(args)
        parts.append(f"<p>Script arguments: {esc(shown)}</p>")
    if job.get("error_text") or job.get("error"):
        parts.append(status_html(str(job.get("error_text") or job["error"]), "error"))
    rows = "".join(
        f"<tr><td>{esc(run['id'])}</td><td>{esc(role_names.get(run['role'] or 'run', run['role']))}</td>"
        f"<td>{esc(status_text(run))}</td><td>{esc(_seconds(run['wall_seconds']))}</td>"
        f"<td>{esc(run['image_count'])}</td><td>{esc(_settings_text(run.get('settings')))}</td>"
        f"<td>{esc(run.get('error_text') if run.get('status') == FAILED else '')}</td></tr>"
        for run in runs[:RUNS_SHOWN])
    if rows:
        parts.append("<p>Runs (cells, tile passes, operations):</p><table><tr><th>run</th><th>what</th><th>status</th>"
                     f"<th>wall</th><th>images</th><th>settings</th><th>error</th></tr>{rows}</table>")
    if len(runs) > RUNS_SHOWN:
        parts.append(f"<p>{len(runs) - RUNS_SHOWN} more run(s) not listed.</p>")
    for image in job["images"][:RUNS_SHOWN]:
        steps = image["history"]["steps"]
        chain = " → ".join(f"#{s['image_id']} {s['step']} ({s['width']}×{s['height']}, {_seconds(s['cost_seconds'])})"
                           for s in steps)
        total = image["history"]["total_seconds"]
        upscale = _upscale_text(image.get("upscale"))
        parts.append(
            f"<p><a href='?image={int(image['id'])}'>Image {int(image['id'])}</a> {esc(image['width'])}×"
            f"{esc(image['height'])}, {esc(_seconds(image['cost_seconds']))}"
            f"{', ' + esc(upscale) if upscale else ''}<br>History: {esc(chain)}"
            f"{' · total ' + esc(_seconds(total)) if len(steps) > 1 else ''}</p>")
    return f"<div>{''.join(parts)}</div>"


def build_jobs_view(ledger_provider: Callable[[], Ledger]) -> JobsViewComponents:
    """The jobs table and one job's detail, built into the open Blocks."""
    with gr.Column(elem_id="paramlab-jobs-view"):
        with gr.Row():
            refresh_button = gr.Button("Refresh", elem_id="paramlab-jobs-refresh", scale=0, min_width=100)
            status = gr.Dropdown(choices=list(STATUS_CHOICES), value=ANY_STATUS, label="Status",
                                 elem_id="paramlab-jobs-status", scale=0, min_width=160)
            selected = gr.Textbox(label="Job id (click a row)", max_lines=1, elem_id=SELECTED_JOB_ELEM_ID)
        table = gr.HTML("<div>Loading…</div>", elem_id="paramlab-jobs-table")
        detail = gr.HTML("", elem_id="paramlab-job-detail")

    def refresh(shown: Any = ANY_STATUS) -> list[Any]:
        wanted = None if shown in (None, "", ANY_STATUS) else str(shown)
        try:
            rows, total = list_jobs(ledger_provider(), PAGE_SIZE, status=wanted)
        except UnknownStatus as exc:
            return [status_html(str(exc), "error")]
        except (LedgerError) as exc:
            return [status_html(f"Jobs unavailable: {exc}", "error")]
        return [jobs_table_html(rows, total, wanted)]

    def open_job(key: Any) -> str:
        if key in (None, "") or not str(key).strip():
            return ""
        try:
            return job_detail_html(job_detail(ledger_provider(), key))
        except JobNotFound as exc:
            return status_html(str(exc), "error")
        except (LedgerError) as exc:
            return status_html(f"Jobs unavailable: {exc}", "error")

    refresh_button.click(refresh, inputs=[status], outputs=[table])
    status.change(refresh, inputs=[status], outputs=[table])
    selected.change(open_job, inputs=[selected], outputs=[detail])
    return JobsViewComponents(table, selected, detail, refresh_button, refresh, [table], status)
