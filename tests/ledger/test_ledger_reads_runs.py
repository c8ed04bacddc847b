"""The ledger's reads of runs, upscaled images and an X/Y/Z job's cells, on SQLite and PostgreSQL: the rows the
per-run view, the upscale and batch charts and the matrix shape, and a database failure as a LedgerError."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from db_faults import MISSING_TABLE, take_away
from matrix_ledger import fill_xyz_job

from paramlab.ledger import ImageRecord, Ledger, LedgerError, RunRecord
from paramlab.ledger.json_cells import json_cell
from paramlab.ledger.reads.matrix import CELL_IMAGE_COLUMNS, cell_images, job_run_of_image, job_runs
from paramlab.ledger.reads.runs import BATCH_COLUMNS, batch_costs, newest_run_id, run_with_images
from paramlab.ledger.reads.upscales import UPSCALE_COLUMNS, upscaled_images


def figures(sharpness: float) -> dict[str, tuple[float, None]]:
    return {"sharpness": (sharpness, None)}


def image(index: int, **values: Any) -> ImageRecord:
    settings = {"seed": 100 + index, "sampler": "Euler", "steps": 20, "width": 512, "height": 512,
                "model_name": "SD 1.5", "metrics_version": "1", **values}
    return ImageRecord(index_in_run=index, **settings)


def write_run(ledger: Ledger, *images: ImageRecord, **values: Any) -> int:
    [run_id] = ledger.write_runs([RunRecord(tab="txt2img", source="ui", images=list(images), **values)])
    return run_id


def image_ids(ledger: Ledger) -> list[int]:
    return sorted(row["id"] for row in ledger.recent_images(limit=100))


def test_json_cell_reads_what_a_text_column_holds_or_says_otherwise() -> None:
    assert json_cell('{"xyz_cell": {"x": 1}}') == {"xyz_cell": {"x": 1}}
    assert json_cell("[1, 2]") == [1, 2]
    for unreadable in ("", "not json", None, 7, {"a": 1}):
        assert json_cell(unreadable) is None
    assert json_cell("not json", otherwise="not json") == "not json"  # the jobs view shows such a cell as it is
    assert json_cell(None, otherwise=None) is None and json_cell("", otherwise="") == ""


def test_a_run_is_read_with_its_images_in_order_and_their_figures(ledger: Ledger) -> None:
    assert newest_run_id(ledger) is None and run_with_images(ledger, 1) is None
    first = write_run(ledger, image(0, cost_seconds=1.0, metrics=figures(10.0)), wall_seconds=1.5)
    second = write_run(ledger, image(1, cost_seconds=2.5, metrics=figures(30.0)),
                       image(0, cost_seconds=2.0, metrics=figures(20.0)), image(2, status="interrupted"),
                       wall_seconds=5.0, first_pass_seconds=3.0, batch_size=3)
    assert newest_run_id(ledger) == second > first
    read = run_with_images(ledger, second)
    assert read is not None
    assert read.run["id"] == second and read.run["wall_seconds"] == 5.0 and read.run["first_pass_seconds"] == 3.0
    assert [row["index_in_run"] for row in read.images] == [0, 1, 2]
    assert set(read.images[0]) == {"id", "index_in_run", "status", "seed", "sampler", "scheduler", "steps",
                                   "cfg_scale", "width", "height", "cost_seconds", "model_evaluations",
                                   "energy_joules", "rating"}
    assert [row["cost_seconds"] for row in read.images] == [2.0, 2.5, None]
    assert read.images[2]["status"] == "interrupted"
    by_id = {row["index_in_run"]: row["id"] for row in read.images}
    assert read.figures is not None and read.figures.loc[by_id[1], "sharpness"] == 30.0
    assert by_id[2] not in read.figures.index  # the interrupted image has no figures
    empty = write_run(ledger)
    assert run_with_images(ledger, empty).images == [] and run_with_images(ledger, empty).figures is None


def test_batch_costs_average_finished_images_of_ordinary_runs(ledger: Ledger) -> None:
    assert list(batch_costs(ledger).columns) == list(BATCH_COLUMNS) and batch_costs(ledger).empty
    write_run(ledger, image(0, cost_seconds=1.0), batch_size=1)
    write_run(ledger, image(0, cost_seconds=0.7), image(1, cost_seconds=0.9), image(2, status="skipped",
                                                                                     cost_seconds=0.1), batch_size=2)
    write_run(ledger, image(0, cost_seconds=9.0), batch_size=2, role="tile")  # not an ordinary run
    write_run(ledger, image(0), batch_size=4)  # no cost
    frame = batch_costs(ledger).sort_values("batch_size").reset_index(drop=True)
    assert frame["batch_size"].tolist() == [1, 2] and frame["n"].tolist() == [1, 2]
    assert frame["seconds"].tolist() == pytest.approx([1.0, 0.8])
    assert frame.loc[0, "model"] == "SD 1.5" and frame.loc[0, "width"] == 512


def test_upscaled_images_carry_their_source_cost_newest_first(ledger: Ledger) -> None:
    empty = upscaled_images(ledger)
    assert empty.total == 0 and empty.rows.empty and empty.figures is None
    assert list(empty.rows.columns) == list(UPSCALE_COLUMNS)
    write_run(ledger, image(0, cost_seconds=2.0, metrics=figures(5.0)))  # a draft: not upscaled
    [draft] = image_ids(ledger)
    extras = {"method": "extras", "upscaler": "R-ESRGAN 4x+"}
    write_run(ledger, image(0, cost_seconds=3.0, source_image_id=draft, upscale=json.dumps(extras),
                            width=1024, height=1024, metrics=figures(40.0)))
    write_run(ledger, image(0, cost_seconds=4.0, hires_enabled=True, hires_upscaler="Latent", metrics=figures(30.0)))
    write_run(ledger, image(0, cost_seconds=9.0, hires_enabled=True, status="interrupted"))
    read = upscaled_images(ledger)
    assert read.total == 2 and read.rows["cost_seconds"].tolist() == [4.0, 3.0]  # newest first, finished only
    assert read.rows["source_cost"].tolist()[1] == 2.0 and read.rows["source_cost"].isna().tolist()[0]
    assert json.loads(read.rows["upscale"].tolist()[1])["method"] == "extras"
    assert read.figures is not None and sorted(read.figures["sharpness"].tolist()) == [30.0, 40.0]
    newest = upscaled_images(ledger, limit=1)
    assert newest.total == 2 and len(newest.rows) == 1 and newest.figures["sharpness"].tolist() == [30.0]


def test_a_jobs_runs_and_cells_are_read_by_id_or_uid(ledger: Ledger) -> None:
    uid = fill_xyz_job(ledger, [5.0, 9.0], [10, 20], seeds=2)
    found = job_runs(ledger, uid)
    assert found is not None and found == job_runs(ledger, str(found.job["id"]))
    assert found.job["script_name"] == "X/Y/Z plot" and found.job["script_args"]["X type"] == "CFG Scale"
    assert len(found.runs) == 4 and all(run.batch_size == 1 for run in found.runs)
    assert {(run.settings["xyz_cell"]["x"], run.settings["xyz_cell"]["y"]) for run in found.runs} == {
        (0, 0), (1, 0), (0, 1), (1, 1)}
    assert job_runs(ledger, "no-such-job") is None and job_runs(ledger, "999") is None

    cells = cell_images(ledger, [run.id for run in found.runs[:3]])
    assert list(cells.images.columns) == list(CELL_IMAGE_COLUMNS) and len(cells.images) == 6
    assert cells.images["id"].tolist() == sorted(cells.images["id"].tolist())
    assert cells.figures is not None and set(cells.figures.index) == set(cells.images["id"])
    nothing = cell_images(ledger, [])
    assert nothing.images.empty and nothing.figures is None

    image_id = int(cells.images["id"].iloc[0])
    job_id, settings = job_run_of_image(ledger, image_id)
    assert job_id == found.job["id"] and "xyz_cell" in settings
    assert job_run_of_image(ledger, 999_999) is None


READS: dict[str, tuple[str, Callable[[Ledger], Any], str]] = {
    "newest run": ("runs", newest_run_id, "could not read the newest run"),
    "one run": ("image_metrics", lambda ledger: run_with_images(ledger, 1), "could not read run 1"),
    "batch costs": ("runs", batch_costs, "could not read the seconds per image by batch size"),
    "upscales": ("image_metrics", upscaled_images, "could not read the upscaled images"),
    "job runs": ("jobs", lambda ledger: job_runs(ledger, "1"), "could not read job '1'"),
    "cells": ("image_metrics", lambda ledger: cell_images(ledger, [1]), "could not read the images of the plot"),
    "image's run": ("runs", lambda ledger: job_run_of_image(ledger, 1), "could not read the run of image 1"),
}


@pytest.mark.parametrize("name", list(READS))
def test_a_database_failure_arrives_as_a_ledger_error(ledger: Ledger, name: str) -> None:
    table, read, sentence = READS[name]
    write_run(ledger, image(0, cost_seconds=1.0, hires_enabled=True, metrics=figures(1.0)), batch_size=1)
    take_away(ledger, table)
    with pytest.raises(LedgerError, match=f"^ParamLab: {sentence}.*: .*({MISSING_TABLE})") as caught:
        read(ledger)
    assert isinstance(caught.value.__cause__, sa.exc.SQLAlchemyError)
