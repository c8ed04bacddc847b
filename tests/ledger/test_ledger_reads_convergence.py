"""The ledger's step-sweep and preview reads (SQLite and PostgreSQL): images alike but for their steps form a
sweep, a lone image does not; an image's stored preview comes back as stored; failures arrive as LedgerError."""

from __future__ import annotations

import pytest
from db_faults import MISSING_TABLE

from paramlab.ledger import ImageRecord, Ledger, LedgerError, RunRecord
from paramlab.ledger.operations import store_thumbnail
from paramlab.ledger.reads.convergence import sweep_rows
from paramlab.ledger.reads.image_files import thumbnail_in_ledger

ALIKE = {"prompt": "a lighthouse", "seed": 7, "sampler": "Euler", "scheduler": "Karras", "width": 64, "height": 64,
         "model_hash": "abcd1234"}


def test_images_alike_but_for_their_steps_form_a_sweep(ledger: Ledger) -> None:
    ledger.write_runs([RunRecord(tab="txt2img", source="ui", images=[
        *(ImageRecord(index_in_run=index, steps=steps, **ALIKE) for index, steps in enumerate((10, 20, 30))),
        ImageRecord(index_in_run=3, steps=20, **{**ALIKE, "seed": 8}),  # alone: one step count
        ImageRecord(index_in_run=4, steps=None, **ALIKE),  # no steps: in no sweep
    ])])
    frame = sweep_rows(ledger)
    assert sorted(frame["steps"]) == [10, 20, 30] and set(frame["seed"]) == {7}
    assert sweep_rows(ledger, limit=1).empty  # the newest image with steps, alone, is no sweep


def test_an_image_preview_comes_back_as_stored(ledger: Ledger) -> None:
    ledger.write_runs([RunRecord(tab="txt2img", source="ui", images=[ImageRecord(index_in_run=0, **ALIKE)])])
    image_id = ledger.recent_images(1)[0]["id"]
    assert thumbnail_in_ledger(ledger, image_id) is None
    with ledger.write() as conn:
        store_thumbnail(conn, image_id, b"\xff\xd8\xff not really a JPEG")
    assert thumbnail_in_ledger(ledger, image_id) == (b"\xff\xd8\xff not really a JPEG", "image/jpeg")


def test_a_database_failure_arrives_as_a_ledger_error(ledger: Ledger) -> None:
    with ledger.engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE image_thumbnails RENAME TO thumbnails_elsewhere")
        conn.exec_driver_sql("ALTER TABLE images RENAME TO images_elsewhere")
    with pytest.raises(LedgerError, match=f"could not find step sweeps: .*({MISSING_TABLE})"):
        sweep_rows(ledger)
    with pytest.raises(LedgerError, match=rf"could not read image \d+'s thumbnail: .*({MISSING_TABLE})"):
        thumbnail_in_ledger(ledger, 1)
