"""The tab's "Canary" section — the latest report (each image's outcome and the fingerprint fields that changed),
the pinned images and the history — and the pin/unpin row the ledger view shows beside its selected image.
Running the canary is the command line's: ``python -m paramlab canary run --webui URL``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gradio as gr

from paramlab.canary.report import OUTCOME_WORDS, causes_text
from paramlab.ledger import Ledger, LedgerError
from paramlab.ledger.actor import current
from paramlab.ledger.edits import canary as edits
from paramlab.ledger.reads import canary as reads
from paramlab.tab.ledger_view.render import esc, local_time
from paramlab.tab.status_html import status_html

RUN_HINT = ("Pin images in the ledger view, then after every update run "
            "<code>python -m paramlab canary run --webui URL</code>: it exits 1 on any drift.")


def _figures(result: reads.CanaryResult) -> str:
    if result.outcome == "different" and result.mean_abs_diff is not None:
        return (f"mean {result.mean_abs_diff:.1f}/255, {result.changed_pixel_share * 100:.0f} % of pixels, "
                f"SSIM {result.ssim:.4f}")
    return f"SSIM {result.ssim:.4f}" if result.outcome == "within_tolerance" else ""


def report_html(report: reads.CanaryReport | None) -> str:
    """The latest report as a table: image, outcome, figures, what changed (or why it was refused)."""
    if report is None:
        return status_html("The canary has not run yet.", "note") + f"<p>{RUN_HINT}</p>"
    head = (f"<p class='paramlab-canary-head'>Report {report.id}, {esc(local_time(report.started_at))}, "
            f"{esc(report.status)} against {esc(report.webui_url)}: {report.total} image(s), "
            f"{report.drifted} drifted (SSIM tolerance {esc(report.ssim_tolerance)}).</p>")
    rows = []
    for result in report.results:
        changed = causes_text(result) if result.outcome == "different" else ""
        why = "; ".join(part for part in (changed, result.message or "") if part)
        rows.append(f"<tr class='paramlab-canary-{esc(result.outcome)}'><td>{esc(result.image_id)}</td>"
                    f"<td>{esc(OUTCOME_WORDS.get(result.outcome, result.outcome))}</td>"
                    f"<td>{esc(_figures(result))}</td><td>{esc(why)}</td></tr>")
    table = ("<table class='paramlab-canary-report'><thead><tr><th>Image</th><th>Outcome</th><th>Figures</th>"
             f"<th>What changed</th></tr></thead><tbody>{''.join(rows)}</tbody></table>")
    return head + table


def pins_html(pins: list[reads.PinnedImage]) -> str:
    if not pins:
        return status_html("No image is pinned.", "muted")
    items = "".join(f"<li>image {pin.image_id} ({esc(pin.image.get('tab'))}, seed {esc(pin.image.get('seed'))}) "
                    f"pinned by {esc(pin.pinned_by or '?')}{' — ' + esc(pin.note) if pin.note else ''}</li>"
                    for pin in pins)
    return f"<ul class='paramlab-canary-pins'>{items}</ul>"


def history_html(history: list[reads.CanaryReport]) -> str:
    items = "".join(f"<li>report {report.id}, {esc(local_time(report.started_at))}: {esc(report.status)}, "
                    f"{report.total} image(s), {report.drifted} drifted</li>" for report in history)
    return f"<ul class='paramlab-canary-history'>{items}</ul>" if items else ""


@dataclass
class CanaryViewComponents:
    report: Any
    pins: Any
    history: Any
    refresh_button: Any
    refresh: Callable[..., list[Any]]
    outputs: list[Any]
    inputs: tuple[Any, ...] = ()


def build_canary_view(ledger_provider: Callable[[], Ledger]) -> CanaryViewComponents:
    """The section, built into the open Blocks; ``refresh`` reads the ledger again."""
    with gr.Column(elem_id="paramlab-canary-view"):
        refresh_button = gr.Button("Refresh", elem_id="paramlab-canary-refresh", scale=0, min_width=100)
        report = gr.HTML(status_html("Loading…", "note"), elem_id="paramlab-canary-report")
        gr.Markdown("**Pinned images**")
        pins = gr.HTML("", elem_id="paramlab-canary-pins")
        gr.Markdown("**History**")
        history = gr.HTML("", elem_id="paramlab-canary-history")

    def refresh() -> list[Any]:
        try:
            ledger = ledger_provider()
            return [report_html(reads.latest_report(ledger)), pins_html(reads.pinned_images(ledger)),
                    history_html(reads.report_history(ledger, 20))]
        except LedgerError as exc:
            return [status_html(f"Canary unavailable: {exc}", "error"), "", ""]

    outputs = [report, pins, history]
    refresh_button.click(refresh, inputs=None, outputs=outputs)
    return CanaryViewComponents(report, pins, history, refresh_button, refresh, outputs)


def _image_id(selected: Any) -> int | None:
    try:
        return int(str(selected).strip())
    except (TypeError, ValueError):
        return None


def pin_selected(ledger_provider: Callable[[], Ledger], selected: Any, note: Any) -> str:
    image_id = _image_id(selected)
    if image_id is None:
        return status_html("Select an image first.", "warning")
    try:
        new = edits.pin_images(ledger_provider(), [image_id], current().name, str(note).strip() or None)
    except (edits.UnknownImages, LedgerError) as exc:
        return status_html(str(exc), "error")
    return status_html(f"Image {image_id} {'pinned to' if new else 'was already in'} the canary set.")


def unpin_selected(ledger_provider: Callable[[], Ledger], selected: Any) -> str:
    image_id = _image_id(selected)
    if image_id is None:
        return status_html("Select an image first.", "warning")
    try:
        gone = edits.unpin_images(ledger_provider(), [image_id])
    except LedgerError as exc:
        return status_html(str(exc), "error")
    return status_html(f"Image {image_id} {'unpinned' if gone else 'was not pinned'}.")


def build_pin_row(ledger_provider: Callable[[], Ledger], selected: Any, status: Any) -> None:
    """Pin/unpin the ledger view's selected image (``selected``: its image id box; ``status``: its status line)."""
    with gr.Row():
        note = gr.Textbox(label="Canary note", max_lines=1, elem_id="paramlab-canary-note", scale=3)
        pin_button = gr.Button("Pin to canary", elem_id="paramlab-canary-pin", scale=1)
        unpin_button = gr.Button("Unpin", elem_id="paramlab-canary-unpin", scale=1)
    pin_button.click(lambda chosen, text: pin_selected(ledger_provider, chosen, text), inputs=[selected, note],
                     outputs=[status])
    unpin_button.click(lambda chosen: unpin_selected(ledger_provider, chosen), inputs=[selected], outputs=[status])
