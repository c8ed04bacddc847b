"""The canary's pins and reports in the ledger, on SQLite and PostgreSQL: who pinned what and why, a report
written result by result, an interrupted report found again to resume, and every report kept as history."""

from __future__ import annotations

import pytest

from paramlab.ledger import ImageRecord, Ledger, LedgerError, RunRecord
from paramlab.ledger.actor import Actor, acting_as
from paramlab.ledger.edits import canary as edits
from paramlab.ledger.reads import canary as reads


def images(ledger: Ledger, count: int) -> list[int]:
    run = RunRecord(tab="txt2img", source="ui", images=[ImageRecord(index_in_run=i, seed=i, steps=4,
                                                                    prompt=f"p{i}") for i in range(count)])
    ledger.write_runs([run])
    return sorted(row["id"] for row in ledger.recent_images(limit=count))


def test_pins_name_who_and_why_and_pinning_twice_keeps_the_first(ledger: Ledger) -> None:
    first, second, third = images(ledger, 3)
    assert edits.pin_images(ledger, [second, first], "alice", "house portrait") == [second, first]
    assert edits.pin_images(ledger, [first, third], "bob") == [third]
    pins = reads.pinned_images(ledger)
    assert [pin.image_id for pin in pins] == [first, second, third]  # pinned order (same time: by id)
    assert (pins[0].pinned_by, pins[0].note) == ("alice", "house portrait")
    assert pins[2].pinned_by == "bob" and pins[2].image["prompt"] == "p2"
    assert edits.unpin_images(ledger, [first, 99999]) == [first]
    assert reads.pinned_ids(ledger) == {second, third}


def test_pinning_an_unknown_image_pins_nothing(ledger: Ledger) -> None:
    [image] = images(ledger, 1)
    with pytest.raises(edits.UnknownImages, match="no image 4242"):
        edits.pin_images(ledger, [image, 4242], "alice")
    assert reads.pinned_ids(ledger) == set()


def test_a_viewer_may_not_pin(ledger: Ledger) -> None:
    [image] = images(ledger, 1)
    with acting_as(Actor(name="viewer", may_write=False, read_only_reason="ParamLab: you only view.")), \
            pytest.raises(LedgerError, match="only view"):
        edits.pin_images(ledger, [image], "viewer")


def result(position: int, image_id: int, outcome: str, **values) -> reads.CanaryResult:
    return reads.CanaryResult(position, image_id, f"uid-{image_id}", outcome, **values)


def test_a_report_is_written_as_it_goes_and_resumed_after_an_interrupt(ledger: Ledger) -> None:
    ids = images(ledger, 3)
    report_id = edits.start_report(ledger, ids, "http://gpu-1:7860", 0.995)
    edits.record_result(ledger, report_id, result(0, ids[0], "identical", seconds=1.5, recorded_seconds=1.4))
    changes = [{"field": "rng_source", "label": "RNG source", "recorded": "GPU", "now": "CPU", "cause": True}]
    edits.record_result(ledger, report_id, result(1, ids[1], "different", mean_abs_diff=3.1,
                                                  fingerprint_changes=changes))
    edits.close_report(ledger, report_id, "interrupted", {"stopped": "Ctrl-C"})
    unfinished = reads.unfinished_report(ledger)
    assert unfinished is not None and unfinished.id == report_id and unfinished.image_ids == ids
    assert unfinished.finished_positions() == {0, 1} and unfinished.drifted == 1
    assert unfinished.results[1].fingerprint_changes == changes and unfinished.results[1].drifted
    assert unfinished.summary["stopped"] == "Ctrl-C" and unfinished.finished_at is None

    edits.resume_report(ledger, report_id, "http://gpu-2:7860")
    edits.record_result(ledger, report_id, result(2, ids[2], "refused", message="ControlNet model x is missing"))
    edits.close_report(ledger, report_id, "finished", {"stopped": None})
    assert reads.unfinished_report(ledger) is None
    latest = reads.latest_report(ledger)
    assert latest.status == "finished" and latest.webui_url == "http://gpu-2:7860" and latest.drifted == 2
    assert latest.summary["image_ids"] == ids and latest.finished_at is not None
    assert [r.outcome for r in latest.results] == ["identical", "different", "refused"]


def test_every_report_is_kept_newest_first(ledger: Ledger) -> None:
    ids = images(ledger, 1)
    made = [edits.start_report(ledger, ids, None, 0.99) for _ in range(3)]
    for report_id in made:
        edits.close_report(ledger, report_id, "finished", {})
    assert [report.id for report in reads.report_history(ledger)] == made[::-1]
    assert [report.id for report in reads.report_history(ledger, last=2)] == made[:0:-1]
    with pytest.raises(ValueError):
        edits.close_report(ledger, made[0], "running", {})
