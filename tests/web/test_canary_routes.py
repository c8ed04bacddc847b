"""``/paramlab/v1/canary/...`` as ``paramlab serve`` answers them (the WebUI registers the same table): the pins
and reports are read by every logged-in user, pinned and unpinned only by an editor, named as that user."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from serve_support import logged_in, team_page

from paramlab.ledger import ImageRecord, Ledger, RunRecord
from paramlab.ledger.edits import canary as edits
from paramlab.ledger.reads.canary import CanaryResult
from paramlab.ledger.urls import resolve_ledger_url

CANARY = "/paramlab/v1/canary"
NO_BODY = {"X-ParamLab-Request": "1"}  # a request without a JSON body says it is a script's


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Ledger, list[int]]]:
    """``serve`` with two logins, of which only "lead" may edit, over a ledger of three harbour images."""
    ledger = Ledger.open(resolve_ledger_url(tmp_path / "ledger.sqlite", tmp_path))
    ledger.write_runs([RunRecord(tab="txt2img", source="ui", images=[
        ImageRecord(index_in_run=index, seed=index, prompt=f"harbour {index}") for index in range(3)])])
    ids = sorted(row["id"] for row in ledger.recent_images(limit=3))
    try:
        with team_page(ledger) as url:
            yield url, ledger, ids
    finally:
        ledger.close()


def test_pins_are_read_by_all_and_changed_by_editors_only(served: tuple) -> None:
    url, _ledger, (first, second, _third) = served
    with httpx.Client(base_url=url, timeout=30) as anonymous:
        assert anonymous.get(f"{CANARY}/pins").status_code == 401
    with logged_in(url, "guest", "pw") as guest:
        assert guest.get(f"{CANARY}/pins").json() == []
        assert guest.post(f"{CANARY}/pins", json={"image_ids": [first]}).status_code == 403
    with logged_in(url, "lead", "pw2") as lead:
        pinned = lead.post(f"{CANARY}/pins", json={"image_ids": [first, second], "note": "harbour set"})
        assert pinned.status_code == 200 and pinned.json() == {"pinned": [first, second], "already_pinned": []}
        assert lead.post(f"{CANARY}/pins", json={"image_ids": [999]}).status_code == 404
        assert lead.post(f"{CANARY}/pins", json={"image_ids": "1"}).status_code == 422
        assert lead.delete(f"{CANARY}/pins/{second}", headers=NO_BODY).json() == {"unpinned": [second]}
    with logged_in(url, "guest", "pw") as guest:
        [pin] = guest.get(f"{CANARY}/pins").json()
        assert pin["image_id"] == first and pin["note"] == "harbour set" and pin["pinned_by"].startswith("lead")
        assert pin["image"]["prompt"] == "harbour 0"
        assert guest.delete(f"{CANARY}/pins/{first}", headers=NO_BODY).status_code == 403


def test_the_latest_report_and_the_history(served: tuple) -> None:
    url, ledger, (first, second, _third) = served
    with logged_in(url, "guest", "pw") as guest:
        assert guest.get(f"{CANARY}/reports/latest").status_code == 404
    older = edits.start_report(ledger, [first], "http://gpu:7860", 0.995)
    edits.close_report(ledger, older, "finished", {})
    newer = edits.start_report(ledger, [first, second], "http://gpu:7860", 0.99)
    change = {"field": "rng_source", "label": "RNG source", "recorded": "GPU", "now": "CPU", "cause": True,
              "text": "RNG source: GPU → CPU"}
    edits.record_result(ledger, newer, CanaryResult(0, first, "u1", "different", 0.4, 3.1, 40.0, 0.41,
                                                    fingerprint_changes=[change]))
    edits.close_report(ledger, newer, "interrupted", {"stopped": "Ctrl-C"})
    with logged_in(url, "guest", "pw") as guest:
        latest = guest.get(f"{CANARY}/reports/latest").json()
        assert latest["id"] == newer and latest["status"] == "interrupted" and latest["drifted"] == 1
        assert latest["results"][0]["fingerprint_changes"] == [change]
        assert [report["id"] for report in guest.get(f"{CANARY}/reports").json()] == [newer, older]
        assert [report["id"] for report in guest.get(f"{CANARY}/reports?last=1").json()] == [newer]
