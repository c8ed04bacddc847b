"""The per-run, upscale and matrix views when the ledger cannot answer: each says so in its own place (the
read's LedgerError), rather than raising into gradio. On SQLite and PostgreSQL, under either gradio."""

from __future__ import annotations

import gradio as gr
import pytest
from db_faults import take_away
from matrix_ledger import fill_xyz_job

from paramlab.ledger import ImageRecord, Ledger, LedgerError, RunRecord
from paramlab.tab.charts import run_view
from paramlab.tab.matrix.view import build_matrix_view
from paramlab.tab.upscale.view import build_upscale_view


def test_the_views_say_the_ledger_failed(ledger: Ledger) -> None:
    uid = fill_xyz_job(ledger, [5.0, 9.0], [10], seeds=1)
    ledger.write_runs([RunRecord(tab="txt2img", source="ui", batch_size=1, images=[
        ImageRecord(index_in_run=0, hires_enabled=True, cost_seconds=1.0, width=512, height=512)])])
    with gr.Blocks():
        upscale = build_upscale_view(lambda: ledger)
        matrix = build_matrix_view(lambda: ledger)
    assert "Job " in matrix.refresh(uid, None, 5)[0]  # drawn while the ledger answers
    take_away(ledger, "image_metrics")

    _size, plot, note, _batch_plot, batch_note = upscale.refresh(None, None, 5)
    assert "paramlab-error" in note and "Charts unavailable: ParamLab: could not read the upscaled images" in note
    assert plot["value"] is not None and batch_note == ""
    body, quality = matrix.refresh(uid, None, 5)
    assert "paramlab-error" in body and "Matrix unavailable: ParamLab: could not read the images" in body
    file, shown = matrix.export(uid, None, 5)
    assert file is None and "Matrix unavailable" in shown
    with pytest.raises(LedgerError, match="could not read run"):
        run_view.run_summary(ledger, 1)
