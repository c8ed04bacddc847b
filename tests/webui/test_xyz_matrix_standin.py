"""The X/Y/Z matrix from plots run by the real adapter in the A1111 stand-in: each cell's run keeps its place
in the plot, a 5 × 4 plot (the seed guide's CFG × steps) renders as a 5 × 4 matrix with its pick, several
seeds per cell are summarised, a seed axis is folded into the cells, and the "[ParamLab] Batch size" axis
records batch size and per-image cost."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from host_fixture import register_xyz
from modules import shared
from modules._standin_ui import default_script_args
from modules.api import api
from webui_support import LoadedExtension

from paramlab.analysis.matrix import build_matrix, matrix_csv
from paramlab.analysis.matrix_load import job_of_image, load_job_cells
from paramlab.ledger import Ledger
from paramlab.tab.ledger_view.query import image_detail
from paramlab.tab.matrix.render import matrix_html
from paramlab.tab.matrix.view import draw_matrix
from paramlab.webui import runtime, xyz_axis

SMALL = {"width": 64, "height": 64}
CFGS = [5.0, 7.0, 9.0, 11.0, 15.0]
STEPS = [15, 20, 25, 30]


@pytest.fixture
def ledger(extension: LoadedExtension):
    opened: list[Ledger] = []

    def open_ledger() -> Ledger:
        extension.jobs()  # drains the writer and closes finished jobs
        opened.append(Ledger.open(runtime.ledger_url()))
        return opened[-1]

    yield open_ledger
    for item in opened:
        item.close()


def run_plot(extension: LoadedExtension, axes: list[tuple[str, str]], **payload: Any) -> dict:
    """One X/Y/Z request through the API: ``axes`` are (axis label, values) for X, then Y, then Z."""
    module = register_xyz()
    assert xyz_axis.register_axis()
    runner = extension.runner()
    xyz = runner.selectable_scripts[0]
    labels = [option.label for option in xyz.current_axis_options]
    args = list(default_script_args(runner)[xyz.args_from: xyz.args_to])
    for position, (label, values) in enumerate(axes):
        args[3 * position: 3 * position + 2] = [labels.index(label), values]
    for position in range(len(axes), 3):
        args[3 * position] = labels.index("Nothing")
    answer = api.text2imgapi(runner, {"prompt": "a sailor", "seed": 12345, "script_name": "X/Y/Z plot",
                                      "script_args": args, **SMALL, **payload})
    assert module.draw_xyz_grid.__name__ == "draw_xyz_grid"
    return json.loads(answer["info"])["extra_generation_params"]["ParamLab"]


def test_a_5_by_4_plot_renders_as_its_matrix_with_the_cheapest_good_enough_cell(extension, ledger) -> None:
    note = run_plot(extension, [("CFG Scale", "5, 7, 9, 11, 15"), ("Steps", "15, 20, 25, 30")])
    opened = ledger()
    cells = load_job_cells(opened, note["job"])
    assert cells.layout.axis_names == ["CFG Scale", "Steps", ""]
    assert cells.layout.labels[0] == [f"CFG Scale: {cfg}" for cfg in CFGS]  # as X/Y/Z labels a float
    assert cells.layout.labels[1] == [f"Steps: {steps}" for steps in STEPS]
    frame = cells.frame.sort_values("image_id")
    # Each image sits where X/Y/Z put it: its CFG and steps are the ones its column and row are labelled with.
    rows = {row["id"]: row for row in extension.rows()}
    for image_id, x, y in zip(frame["image_id"], frame["x"], frame["y"]):
        assert (rows[image_id]["cfg_scale"], rows[image_id]["steps"]) == (CFGS[x], STEPS[y])
    matrix = build_matrix(cells.frame, cells.layout)
    assert len(matrix.cells) == 20 and {cell.place for cell in matrix.cells.values()} == {
        (x, y, 0) for x in range(5) for y in range(4)}
    assert matrix.pick is not None and matrix.best is not None
    assert matrix.pick.cost.median <= matrix.best.cost.median
    assert matrix.pick.label.startswith("CFG Scale: ") and " · Steps: " in matrix.pick.label
    assert matrix.pick.label in matrix.sentence and "s/image" in matrix.sentence
    html = matrix_html(matrix)
    assert html.count("<table class='paramlab-matrix'") == 1 and html.count("<tr><th>Steps: ") == 4
    assert all(f"<th>CFG Scale: {cfg}</th>" in html for cfg in CFGS)
    assert html.count("s/image</div>") == 20 and html.count("#paramlab-image=") == 20
    assert html.count("paramlab-matrix-pick") == 1 + html.count("td.paramlab-matrix-pick")
    # The same through the tab's section code, and the image detail's way back to the matrix.
    body, choices, key, _matrix = draw_matrix(opened, note["job"], None, 5)
    assert key == "composite" and "sharpness" in choices and "20 cell(s), 20 image(s)" in body
    image_id = int(frame["image_id"].iloc[0])
    assert job_of_image(opened, image_id) == cells.job_id
    assert image_detail(opened, image_id)["xyz_job"] == cells.job_id


def test_several_seeds_per_cell_are_summarised_and_a_seed_axis_is_folded(extension, ledger) -> None:
    note = run_plot(extension, [("Steps", "4, 8")], n_iter=3)
    cells = load_job_cells(ledger(), note["job"])
    matrix = build_matrix(cells.frame, cells.layout, "sharpness")
    assert [(cell.images, cell.seeds) for cell in sorted(matrix.cells.values(), key=lambda c: c.place)] == [
        (3, 3), (3, 3)]
    for cell in matrix.cells.values():
        assert cell.quality.count == 3 and cell.quality.minimum <= cell.quality.median <= cell.quality.maximum
    assert "Medians of 3 images per cell." in matrix.sentence
    folded_note = run_plot(extension, [("Steps", "4, 8"), ("Seed", "1, 2, 3, 4")])
    folded = load_job_cells(ledger(), folded_note["job"])
    matrix = build_matrix(folded.frame, folded.layout)
    assert matrix.folded == ["Seed"] and len(matrix.cells) == 2
    assert all(cell.images == 4 and cell.seeds == 4 for cell in matrix.cells.values())
    assert "all 4 seeds" in matrix_csv(matrix)


def test_the_batch_size_axis_records_batch_size_and_per_image_cost(extension, ledger) -> None:
    shared.opts.return_grid = True
    note = run_plot(extension, [(xyz_axis.BATCH_AXIS_LABEL, "1, 2, 4")])
    cells = load_job_cells(ledger(), note["job"])
    runs = [run for run in extension.runs() if run["job_id"] == cells.job_id]
    assert [run["batch_size"] for run in runs] == [1, 2, 4] and [run["image_count"] for run in runs] == [1, 2, 4]
    images = extension.rows()
    for run in runs:
        costs = [row["cost_seconds"] for row in images if row["run_id"] == run["id"]]
        assert sum(costs) == pytest.approx(run["wall_seconds"], rel=1e-6)  # per image: its share of the batch
    matrix = build_matrix(cells.frame, cells.layout)
    assert [cell.batch_sizes for cell in sorted(matrix.cells.values(), key=lambda c: c.place)] == [(1,), (2,), (4,)]
    assert "Medians of 1–4 images per cell." in matrix.sentence
    assert [cell.label for cell in sorted(matrix.cells.values(), key=lambda c: c.place)] == [
        "[ParamLab] Batch size: 1", "[ParamLab] Batch size: 2", "[ParamLab] Batch size: 4"]


def test_the_batch_size_axis_refuses_a_bad_size_before_any_cell(extension) -> None:
    register_xyz()
    assert xyz_axis.register_axis() and xyz_axis.register_axis()  # added once
    module = xyz_axis.find_xyz_module()
    assert [option.label for option in module.axis_options].count(xyz_axis.BATCH_AXIS_LABEL) == 1
    with pytest.raises(RuntimeError, match="0, 65 is not a batch size; use whole numbers from 1 to 64"):
        xyz_axis.confirm_batch_sizes(None, [1, 0, 65])
    xyz_axis.confirm_batch_sizes(None, [1, 8, 64])


def test_the_tab_section_builds_and_draws_a_plot_and_its_csv(extension, ledger) -> None:
    import gradio as gr

    from paramlab.tab.page import build_tab_contents

    note = run_plot(extension, [("CFG Scale", "5, 9"), ("Steps", "4, 8")])
    opened = ledger()
    with gr.Blocks():
        contents = build_tab_contents(lambda: opened)
    section = contents.matrix
    assert section is not None  # a section that fails to build is None (and hidden on the page)
    body, quality = section.refresh(note["job"], "Sharpness (Laplacian energy)", "10")
    assert body.count("<td class") == 4 and "within 10 %" in body and quality["value"] == "Sharpness (Laplacian energy)"
    error, _ = section.refresh("999999", None, 5)
    assert "No job &#x27;999999&#x27; in the ledger." in error
    bad, _ = section.refresh(note["job"], None, "lots")
    assert "must be a number from 0 to 100" in bad
    path = section.export(note["job"], None, 5)[0]
    text = Path(path).read_text(encoding="utf-8")
    assert text.startswith("z,y,x,z label,y label,x label,images") and text.count("\n") == 5
