"""The ledger view shows each image's replay (verdict, input images with a signed preview, or why one was not
kept, and other extensions' settings) and filters by an extension's setting and by the verdict, with the same
words as the route and the CLI."""

from __future__ import annotations

import html
import re
from typing import Any

import gradio as gr
import sqlalchemy as sa
from input_ledger import record_run_with_inputs
from test_tab_ledger_view import filter_values, ids_in, run_event

from paramlab.ledger import Ledger, schema
from paramlab.ledger.input_store import InputStorage
from paramlab.tab.ledger_view.actions import build_filter
from paramlab.tab.ledger_view.view import build_ledger_view
from paramlab.web.signed_links import PROCESS_SIGNER

HOSTILE = "<img src=x onerror=alert(1)>"


def view_of(ledger: Ledger) -> tuple[gr.Blocks, Any]:
    with gr.Blocks() as demo:
        components = build_ledger_view(lambda: ledger)
    return demo, components


def test_the_detail_shows_the_verdict_inputs_and_extension_settings(ledger: Ledger) -> None:
    _, image_id, operation = record_run_with_inputs(ledger, values=[
        ("ControlNet", "unit 0 model", "control_v11p_sd15_openpose [cab727d4]"), (HOSTILE, "weight", HOSTILE)])
    demo, c = view_of(ledger)
    detail = run_event(demo, c.selected, "change", str(image_id))[c.detail]
    assert "<h4>Replay</h4>" in detail and "<h4>Input images</h4>" in detail
    assert "ControlNet: unit 0 model" in detail and "control_v11p_sd15_openpose [cab727d4]" in detail
    assert HOSTILE not in detail and html.escape(HOSTILE) in detail
    sha = operation.inputs[0].sha256
    links = re.findall(r'(?:href|src)="(/paramlab/v1/inputs/[^"]+)"', detail)
    assert len(links) == 2 and all(html.unescape(link).startswith(f"/paramlab/v1/inputs/{sha}?") for link in links)
    query = dict(part.split("=", 1) for part in html.unescape(links[0]).split("?", 1)[1].split("&"))
    assert PROCESS_SIGNER.verify("input", sha, query["exp"], query["sig"])  # signed for this input alone
    assert "control" in detail and "ControlNet unit 0" in detail and "40×30" in detail and "stored (" in detail


def test_an_input_not_kept_says_why_and_the_verdict_says_not_replayable(ledger: Ledger) -> None:
    _, image_id, _ = record_run_with_inputs(ledger, storage=InputStorage(max_bytes=10))
    demo, c = view_of(ledger)
    detail = run_event(demo, c.selected, "change", str(image_id))[c.detail]
    assert "not stored: " in detail and "cap for input images" in detail and "/paramlab/v1/inputs/" not in detail
    assert "Replay: <b>not replayable</b>" in detail


def test_the_extension_and_replay_filters_narrow_the_table(ledger: Ledger) -> None:
    _, openpose, _ = record_run_with_inputs(ledger)
    _, depth, _ = record_run_with_inputs(ledger, values=[("ControlNet", "unit 0 model", "control_depth [cfd03158]")])
    _, kept_out, _ = record_run_with_inputs(ledger, values=[], storage=InputStorage(enabled=False))
    with ledger.write() as conn:  # the verdict rule is the replay's; these runs' verdicts are set here
        conn.execute(schema.runs.update().where(schema.runs.c.id.in_(
            sa.select(schema.images.c.run_id).where(schema.images.c.id == depth))).values(replay_verdict="approximate"))
    demo, c = view_of(ledger)

    def shown(**chosen: Any) -> list[int]:
        return sorted(ids_in(run_event(demo, c.apply_button, "click", *filter_values(**chosen))[c.table]))

    assert shown(extension="controlnet:unit 0 model=OPENPOSE") == [openpose]
    assert shown(extension="ControlNet:unit 0 model=") == sorted([openpose, depth])
    assert shown(replay="not replayable") == [kept_out] and shown(replay="approximate") == [depth]
    assert shown(replay="(any)", extension="(any)") == sorted([openpose, depth, kept_out])
    refused = run_event(demo, c.apply_button, "click", *filter_values(extension="ControlNet unit 0 model"))
    assert refused[c.table] == "" and "&lt;script&gt;:&lt;name&gt;=&lt;value&gt;" in refused[c.message]
    assert build_filter(filter_values(extension="ADetailer:ad_model=face", replay="exact")).params() == {
        "extension": "ADetailer:ad_model=face", "replay": "exact"}
