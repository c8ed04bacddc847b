"""The tab's canary (gradio 3 and 4): the section inside the page, the latest report with each image's outcome
and changed fields, every value escaped, and pin/unpin of the ledger view's selected image as the acting user."""

from __future__ import annotations

import gradio as gr

from paramlab.ledger import ImageRecord, Ledger, RunRecord
from paramlab.ledger.actor import Actor, acting_as
from paramlab.ledger.edits import canary as edits
from paramlab.ledger.reads.canary import CanaryResult, pinned_images
from paramlab.tab.canary.view import build_canary_view, pin_selected, report_html, unpin_selected
from paramlab.tab.page import build_tab_contents

HOSTILE = "<img src=x onerror=alert(1)>"


def one_image(ledger: Ledger) -> int:
    ledger.write_runs([RunRecord(tab="txt2img", source="ui", images=[ImageRecord(index_in_run=0, seed=5)])])
    return ledger.recent_images(limit=1)[0]["id"]


def test_the_page_has_a_canary_section(ledger: Ledger) -> None:
    with gr.Blocks():
        contents = build_tab_contents(lambda: ledger)
    assert contents.canary is not None
    report, pins, history = contents.canary.refresh()
    assert "has not run yet" in report and "canary run --webui URL" in report and "No image is pinned" in pins


def test_the_latest_report_names_what_changed_escaped(ledger: Ledger) -> None:
    image_id = one_image(ledger)
    report_id = edits.start_report(ledger, [image_id, image_id], f"http://{HOSTILE}", 0.995)
    change = {"field": "rng_source", "label": "RNG source", "recorded": "GPU", "now": "CPU", "cause": True,
              "text": "RNG source: GPU → CPU"}
    edits.record_result(ledger, report_id, CanaryResult(0, image_id, "u", "different", 0.2, 3.1, 40.0, 0.41,
                                                        fingerprint_changes=[change]))
    edits.record_result(ledger, report_id, CanaryResult(1, image_id, "u", "refused", message=HOSTILE))
    edits.close_report(ledger, report_id, "finished", {})
    with gr.Blocks():
        view = build_canary_view(lambda: ledger)
    report, _pins, history = view.refresh()
    assert "RNG source: GPU → CPU" in report and "mean 3.1/255, 41 % of pixels" in report
    assert HOSTILE not in report and "&lt;img" in report and f"report {report_id}" in history
    assert report_html(None).count("canary run") == 1


def test_pin_and_unpin_the_selected_image(ledger: Ledger) -> None:
    image_id = one_image(ledger)
    assert "Select an image first" in pin_selected(lambda: ledger, "", "")
    with acting_as(Actor(name="alice")):
        assert "pinned to the canary set" in pin_selected(lambda: ledger, str(image_id), " hero shot ")
    [pin] = pinned_images(ledger)
    assert (pin.pinned_by, pin.note) == ("alice", "hero shot")
    assert "already in" in pin_selected(lambda: ledger, str(image_id), "")
    assert "no image 999" in pin_selected(lambda: ledger, "999", "")
    with acting_as(Actor(name="viewer", may_write=False, read_only_reason="ParamLab: you may only view.")):
        assert "you may only view" in unpin_selected(lambda: ledger, str(image_id))
    assert "unpinned" in unpin_selected(lambda: ledger, str(image_id)) and pinned_images(ledger) == []
