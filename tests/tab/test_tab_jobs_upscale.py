"""The tab's jobs list and the upscale and batch-size answers, on a real SQLite ledger and a real gradio
3.41 Blocks: newest job first, one line per tile upscale that opens its passes and the image's history,
cost per output megapixel per method with its recommendation, and where a larger batch stops paying."""

from __future__ import annotations

import json
from pathlib import Path

import gradio as gr
import pytest
from upscale_ledger import DRAFT_SECONDS, METHODS, apply, fill_upscale_ledger

from paramlab.ledger import ImageRecord, Ledger, RunRecord
from paramlab.ledger.job_operations import StartJob
from paramlab.ledger.reads.jobs import JobNotFound, job_detail, list_jobs
from paramlab.ledger.records import JobRecord
from paramlab.ledger.urls import resolve_ledger_url
from paramlab.tab.charts.figures import chart_rows
from paramlab.tab.jobs.view import build_jobs_view, job_detail_html, jobs_table_html
from paramlab.tab.page import build_tab_contents
from paramlab.tab.upscale import figures
from paramlab.tab.upscale.view import build_upscale_view

HOSTILE = "<img src=x onerror=alert(1)>"


@pytest.fixture
def filled(tmp_path: Path):
    path = tmp_path / "ledger.sqlite"
    fill_upscale_ledger(path)
    ledger = Ledger.open(resolve_ledger_url(path, tmp_path))
    yield ledger
    ledger.close()


def test_jobs_are_listed_newest_first_and_a_tile_upscale_opens_its_passes(filled: Ledger) -> None:
    rows, total = list_jobs(filled, limit=5)
    assert total == 4 * 6 + 4 and len(rows) == 5
    assert [row["id"] for row in rows] == sorted((row["id"] for row in rows), reverse=True)
    tile_job = min((row for row in list_jobs(filled, limit=200)[0] if row["kind"] == "tile_upscale"),
                   key=lambda row: row["id"])  # the first one (seed 0): exactly the planned cost
    detail = job_detail(filled, tile_job["job_uid"])
    assert detail == job_detail(filled, tile_job["id"])  # by uid (the API answer's) or by id
    assert [run["role"] for run in detail["runs"]] == ["tile"] * 4 + ["output"] and detail["tile_passes"] == 4
    assert detail["runs"][0]["settings"]["steps"] == 8 and detail["script_args"]["Tile width"] == 512
    [image] = detail["images"]
    steps = image["history"]["steps"]
    assert [step["step"] for step in steps] == ["generation", "tile upscale (Ultimate SD upscale)"]
    assert image["history"]["total_seconds"] == pytest.approx(DRAFT_SECONDS + METHODS["tiled"][0])
    html = job_detail_html(detail)
    assert "tile pass" in html and "combined image" in html and "History: #" in html
    with pytest.raises(JobNotFound):
        job_detail(filled, "no-such-job")


def test_every_job_value_is_escaped(ledger: Ledger) -> None:
    job = JobRecord(tab="img2img", source="ui", kind="script", script_name=HOSTILE,
                    script_args=json.dumps({HOSTILE: HOSTILE}))
    apply(ledger, StartJob(job))
    ledger.write_runs([RunRecord(tab="img2img", source="script", job_uid=job.job_uid, error=HOSTILE,
                                 images=[ImageRecord(index_in_run=0)])])
    rows, total = list_jobs(ledger)
    for html in (jobs_table_html(rows, total), job_detail_html(job_detail(ledger, job.job_uid))):
        assert HOSTILE not in html and "&lt;img src=x" in html


def test_the_upscale_answer_prices_the_whole_way_to_each_output(filled: Ledger) -> None:
    data = figures.upscale_data(filled)
    assert figures.size_choices(data) == ["1024×1024"]
    table = figures.method_table(data, "1024×1024", "sharpness").set_index("method")
    assert list(table.index) == list(figures.METHODS)
    megapixels = 1024 * 1024 / 1e6
    assert table.loc["Extras", "cost"] == pytest.approx((DRAFT_SECONDS + 0.6075) / megapixels, rel=0.01)
    assert table.loc["Latent hires", "cost"] == pytest.approx(9.075 / megapixels, rel=0.01)
    text = figures.upscale_recommendation(data, "1024×1024", "sharpness", percent=10)
    assert text.startswith("At 1024×1024: Extras is the cheapest within 10 % of the best sharpness")
    assert "(Tiled SD upscale)" in text and "n=4" in text
    best = figures.upscale_recommendation(data, "1024×1024", "sharpness", percent=1)
    assert best.startswith("At 1024×1024: Tiled SD upscale is both the best and the cheapest")
    chart = figures.upscale_chart(data, "1024×1024", "sharpness").to_dict()
    assert {row["method"] for row in chart_rows(chart["layer"][0]["data"] if "data" in chart["layer"][0]
                                                else chart["data"])} == set(figures.METHODS)


def test_not_enough_upscales_says_so(ledger: Ledger) -> None:
    data = figures.upscale_data(ledger)
    assert figures.upscale_recommendation(data, None).startswith("Not enough data")
    ledger.write_runs([RunRecord(tab="txt2img", source="ui", images=[ImageRecord(
        index_in_run=0, width=1024, height=1024, hires_enabled=True, hires_upscaler="Latent", cost_seconds=3.0)])])
    data = figures.upscale_data(ledger)
    assert "Latent hires 1" in figures.upscale_recommendation(data, "1024×1024")


def test_the_batch_answer_says_where_a_larger_batch_stops_paying(filled: Ledger) -> None:
    frame = figures.batch_frame(filled)
    group = frame[frame["group"] == "sd15 · 512×512"]
    assert list(group["batch_size"]) == [1, 2, 4, 8]
    text = figures.batch_recommendation(frame)
    assert "A larger batch stops paying after 4: batch 8 saves only 2% per image." in text
    assert figures.batch_recommendation(frame.iloc[0:0]).startswith("Not enough data")


def test_the_views_build_in_gradio_and_answer_from_the_ledger(filled: Ledger) -> None:
    with gr.Blocks():
        jobs = build_jobs_view(lambda: filled)
        upscale = build_upscale_view(lambda: filled)
        contents = build_tab_contents(lambda: filled)
    [table] = jobs.refresh()
    assert table.count("data-job-id=") == 28
    size, plot, note, batch_plot, batch_note = upscale.refresh(None, "Sharpness (Laplacian energy)", 10)
    assert size["value"] == "1024×1024" and "Extras is the cheapest" in note
    assert "stops paying after 4" in batch_note and plot["value"] is not None and batch_plot["value"] is not None
    assert contents.jobs is not None and contents.upscale is not None
