"""An X/Y/Z plot as a cost/quality matrix: per cell the median seconds per image and quality with their
spread, flaw counts, and the cheapest cell whose quality is within a set percentage of the best.

Pure (pandas): the frame has one row per image with its cell's ``x``, ``y``, ``z`` place; the tab draws
the result and :func:`matrix_csv` exports it. Several images per cell (batch count, batch size, a folded
seed axis) are summarised by their median and interquartile range, so one lucky seed does not decide.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from paramlab.analysis.frame import (
    COMPOSITE,
    COMPOSITE_LABEL,
    LEARNED_MEASURES,
    MEASURE_COLUMNS,
    RATING,
    composite_quality,
    higher_is_better,
    quality_label,
)
from paramlab.csv_cells import safe_row

DEFAULT_PERCENT = 5.0
FLAGGED_SHARE = 0.5  # a cell whose images carry a flaw more often than this is never the pick
SEED_AXES = frozenset({"seed", "var. seed"})  # axes summarised within a cell rather than laid out
AXES = ("x", "y", "z")
class MatrixError(ValueError):
    """A matrix that cannot be drawn (no such job, no X/Y/Z cells, a bad setting): the message says why."""


@dataclass(frozen=True)
class Spread:
    """Median with the interquartile range and the extremes of a cell's values (NaN when it has none)."""

    median: float
    low: float  # first quartile
    high: float  # third quartile
    minimum: float
    maximum: float
    count: int

    @classmethod
    def of(cls, values: np.ndarray) -> Spread:
        finite = values[np.isfinite(values)]
        if finite.size == 0:
            return cls(math.nan, math.nan, math.nan, math.nan, math.nan, 0)
        q1, median, q3 = np.percentile(finite, (25, 50, 75))
        return cls(float(median), float(q1), float(q3), float(finite.min()), float(finite.max()), int(finite.size))


@dataclass
class MatrixCell:
    place: tuple[int, int, int]
    label: str  # "Steps: 20 · CFG Scale: 7" (laid-out axes only)
    images: int
    seeds: int
    image_id: int | None  # the image shown: the one nearest the cell's median quality
    cost: Spread
    quality: Spread
    flaws: dict[str, int] = field(default_factory=dict)  # flaw code → how many of its images carry it
    batch_sizes: tuple[int, ...] = ()

    @property
    def flagged(self) -> bool:
        return any(count > FLAGGED_SHARE * self.images for count in self.flaws.values()) if self.images else False


@dataclass
class Matrix:
    axis_names: list[str]  # X, Y, Z axis types as the plot named them
    labels: list[list[str]]  # per axis, its values' labels in the plot's order
    cells: dict[tuple[int, int, int], MatrixCell]
    quality: str
    quality_label: str
    percent: float
    folded: list[str] = field(default_factory=list)  # seed axes summarised within cells
    best: MatrixCell | None = None
    pick: MatrixCell | None = None
    sentence: str = ""

    @property
    def higher_is_better(self) -> bool:
        return higher_is_better(self.quality)

    def cell(self, x: int, y: int, z: int) -> MatrixCell | None:
        return self.cells.get((x, y, z))


@dataclass
class Layout:
    """The plot as laid out: each axis's name and its values' labels (read from the cells' runs)."""

    axis_names: list[str]
    labels: list[list[str]]


def quality_choices(frame: pd.DataFrame) -> dict[str, str]:
    """The composite first, then every measure (and the rating) that has a value in this plot."""
    choices = {COMPOSITE: COMPOSITE_LABEL}
    for name in (*MEASURE_COLUMNS, *LEARNED_MEASURES, RATING):
        if name in frame.columns and pd.to_numeric(frame[name], errors="coerce").notna().any():
            choices[name] = quality_label(name)
    return choices


def parse_percent(value: Any) -> float:
    """The user's "within X %": a number from 0 to 100."""
    try:
        percent = float(DEFAULT_PERCENT if value in (None, "") else value)
    except (TypeError, ValueError):
        raise MatrixError(f"'Within %' must be a number from 0 to 100, not {str(value)[:40]!r}.") from None
    if not 0 <= percent <= 100 or math.isnan(percent):
        raise MatrixError(f"'Within %' must be from 0 to 100, not {percent:g}.")
    return percent


def _cell_label(layout: Layout, place: tuple[int, int, int], laid_out: list[int]) -> str:
    parts = []
    for axis in laid_out:
        name, labels = layout.axis_names[axis], layout.labels[axis]
        text = labels[place[axis]] if place[axis] < len(labels) else str(place[axis] + 1)
        parts.append(text if not name or text.lower().startswith(name.lower()) else f"{name}: {text}")
    return " · ".join(parts) or "the only cell"


def build_matrix(frame: pd.DataFrame, layout: Layout, quality: str = COMPOSITE,
                 percent: float = DEFAULT_PERCENT) -> Matrix:
    """The matrix of ``frame`` (columns ``x``, ``y``, ``z``, ``image_id``, ``seed``, ``cost_seconds``,
    ``flaws`` as comma-joined codes, ``batch_size`` and the quality columns)."""
    percent = parse_percent(percent)
    if quality != COMPOSITE and quality not in frame.columns:
        raise MatrixError(f"Unknown quality figure {quality!r} for this plot: use one of "
                          f"{', '.join(quality_choices(frame))}.")
    folded = [axis for axis in range(3) if layout.axis_names[axis].strip().lower() in SEED_AXES]
    places = frame[list(AXES)].to_numpy(dtype=np.int64, copy=True) if len(frame) else np.zeros((0, 3), np.int64)
    for axis in folded:
        places[:, axis] = 0
    labels = [list(layout.labels[axis]) if axis not in folded else [f"all {len(layout.labels[axis])} seeds"]
              for axis in range(3)]
    shown = Layout(layout.axis_names, labels)
    laid_out = [axis for axis in range(3) if axis not in folded and len(layout.labels[axis]) > 1]
    values = (composite_quality(frame) if quality == COMPOSITE else pd.to_numeric(frame[quality], errors="coerce"))
    quality_array = values.to_numpy(dtype=np.float64)
    cost_array = pd.to_numeric(frame["cost_seconds"], errors="coerce").to_numpy(dtype=np.float64)
    cells: dict[tuple[int, int, int], MatrixCell] = {}
    if len(frame):
        keys = places[:, 0] + places[:, 1] * 100_000 + places[:, 2] * 10_000_000_000
        order = np.argsort(keys, kind="stable")
        bounds = np.flatnonzero(np.diff(keys[order])) + 1
        image_ids = frame["image_id"].to_numpy()
        seeds = frame["seed"].to_numpy()
        flaws = frame["flaws"].fillna("").astype(str).to_numpy()
        batch = pd.to_numeric(frame["batch_size"], errors="coerce").to_numpy(dtype=np.float64)
        for rows in np.split(order, bounds):
            place = tuple(int(v) for v in places[rows[0]])
            cells[place] = _cell(place, rows, shown, laid_out, quality_array, cost_array, image_ids, seeds, flaws,
                                 batch)
    matrix = Matrix(list(layout.axis_names), labels, cells, quality, quality_label(quality), percent,
                    folded=[layout.axis_names[axis] for axis in folded])
    _choose(matrix)
    return matrix


def _cell(place: tuple[int, int, int], rows: np.ndarray, layout: Layout, laid_out: list[int],
          quality: np.ndarray, cost: np.ndarray, image_ids: np.ndarray, seeds: np.ndarray, flaws: np.ndarray,
          batch: np.ndarray) -> MatrixCell:
    cell_quality = quality[rows]
    spread = Spread.of(cell_quality)
    if spread.count:
        nearest = rows[int(np.nanargmin(np.where(np.isfinite(cell_quality), np.abs(cell_quality - spread.median),
                                                 np.inf)))]
    else:
        nearest = rows[0]
    counts: dict[str, int] = {}
    for text in flaws[rows]:
        for code in {code.strip() for code in text.split(",") if code.strip()}:
            counts[code] = counts.get(code, 0) + 1
    sizes = tuple(sorted({int(b) for b in batch[rows] if np.isfinite(b)}))
    return MatrixCell(place, _cell_label(layout, place, laid_out), len(rows), len(set(seeds[rows].tolist())),
                      int(image_ids[nearest]), Spread.of(cost[rows]), spread, counts, sizes)


def _within(value: float, best: float, percent: float, higher: bool) -> bool:
    tolerance = abs(best) * percent / 100.0
    return value >= best - tolerance if higher else value <= best + tolerance


def _choose(matrix: Matrix) -> None:
    """The best cell by median quality and the cheapest within ``percent`` of it, with the sentence why.
    Cells that most of whose images are flagged (CFG burn, under-converged) are left out of both."""
    scored = [cell for cell in matrix.cells.values() if cell.quality.count and cell.cost.count]
    if not scored:
        matrix.sentence = (f"No cell has both a cost and a {matrix.quality_label} figure yet: the figures are "
                           "computed in the background after each image, or pick another quality figure.")
        return
    clean = [cell for cell in scored if not cell.flagged] or scored
    higher = matrix.higher_is_better
    sign = 1.0 if higher else -1.0
    best = max(clean, key=lambda cell: (sign * cell.quality.median, -cell.cost.median))
    good = [cell for cell in clean if _within(cell.quality.median, best.quality.median, matrix.percent, higher)]
    pick = min(good, key=lambda cell: (cell.cost.median, -sign * cell.quality.median))
    matrix.best, matrix.pick = best, pick
    matrix.sentence = pick_sentence(matrix, pick, best, skipped=len(scored) - len(clean))


def pick_sentence(matrix: Matrix, pick: MatrixCell, best: MatrixCell, skipped: int = 0) -> str:
    per_cell = sorted({cell.images for cell in matrix.cells.values()}) or [1]
    counts = str(per_cell[0]) if len(per_cell) == 1 else f"{per_cell[0]}–{per_cell[-1]}"
    medians = f" Medians of {counts} images per cell." if per_cell[-1] > 1 else ""
    flagged = (f" {skipped} cell{'s' if skipped != 1 else ''} flagged with flaws in most images "
               f"{'were' if skipped != 1 else 'was'} not considered.") if skipped else ""
    name = matrix.quality_label
    if pick is best:
        return (f"{pick.label} scores best on {name} and no cell within {matrix.percent:g} % of it is cheaper: "
                f"{pick.cost.median:.3g} s/image.{medians}{flagged}")
    saving = (best.cost.median - pick.cost.median) / best.cost.median * 100 if best.cost.median > 0 else 0.0
    gap = abs(best.quality.median - pick.quality.median) / abs(best.quality.median) * 100 if best.quality.median else 0
    return (f"{pick.label} costs {pick.cost.median:.3g} s/image, {saving:.0f} % less than the best "
            f"({best.label}), and scores within {_percent_text(gap)} % of it on {name}.{medians}{flagged}")


def _percent_text(value: float) -> str:
    """"0.1" for any gap below it (never "within 0.0 %"), one decimal below 10, whole numbers above."""
    return "0.1" if value < 0.1 else f"{value:.1f}" if value < 10 else f"{value:.0f}"


CSV_HEADERS = ("z", "y", "x", "z label", "y label", "x label", "images", "seeds", "batch sizes",
               "s/image median", "s/image q1", "s/image q3", "s/image min", "s/image max",
               "quality", "quality median", "quality q1", "quality q3", "quality min", "quality max",
               "flaws", "image id", "best", "pick")


def matrix_csv(matrix: Matrix) -> str:
    """One line per cell, in the plot's order (Z, then Y, then X), with its figures and flags; a label that
    a spreadsheet would run as a formula is written as text (:mod:`paramlab.csv_cells`)."""
    out = io.StringIO()
    writer = csv.writer(out)  # CRLF line ends (RFC 4180): a CR inside a label is quoted too, never a new line
    writer.writerow(safe_row(CSV_HEADERS))
    for place in sorted(matrix.cells, key=lambda p: (p[2], p[1], p[0])):
        cell = matrix.cells[place]
        labels = [matrix.labels[axis][place[axis]] if place[axis] < len(matrix.labels[axis]) else ""
                  for axis in range(3)]
        writer.writerow(safe_row([
            place[2], place[1], place[0], labels[2], labels[1], labels[0], cell.images, cell.seeds,
            " ".join(str(size) for size in cell.batch_sizes),
            *(_csv_number(v) for v in (cell.cost.median, cell.cost.low, cell.cost.high, cell.cost.minimum,
                                       cell.cost.maximum)),
            matrix.quality,
            *(_csv_number(v) for v in (cell.quality.median, cell.quality.low, cell.quality.high,
                                       cell.quality.minimum, cell.quality.maximum)),
            " ".join(f"{code}:{count}" for code, count in sorted(cell.flaws.items())),
            cell.image_id if cell.image_id is not None else "",
            "yes" if cell is matrix.best else "", "yes" if cell is matrix.pick else "",
        ]))
    return out.getvalue()


def _csv_number(value: float) -> str:
    return "" if value is None or not math.isfinite(value) else f"{value:.6g}"
