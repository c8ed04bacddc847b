"""The X/Y/Z matrix as HTML: X across, Y down, one table per Z value; each cell its thumbnail, seconds per
image, the chosen quality figure (median and spread with several images), flaw badges, and heat colours
on cost and quality; the pick and the best cell outlined, with the sentence why. Every text is escaped.
"""

from __future__ import annotations

import math

from paramlab.analysis.matrix import Matrix, MatrixCell, Spread
from paramlab.tab.image_links import image_link
from paramlab.tab.ledger_view.render import esc, image_url

FLAW_BADGES = {"cfg_burn": ("CFG burn", "paramlab-flaw-burn"), "under_converged": ("under-converged",
                                                                                   "paramlab-flaw-steps")}
MATRIX_CSS = """
#paramlab-matrix table.paramlab-matrix { border-collapse: collapse; font-size: 0.85em; margin-bottom: 1em; }
#paramlab-matrix .paramlab-matrix th, #paramlab-matrix .paramlab-matrix td { border: 1px solid #8884;
  padding: 3px; text-align: center; vertical-align: top; }
#paramlab-matrix .paramlab-matrix img { width: 72px; height: 72px; object-fit: contain; display: block;
  margin: 0 auto; }
#paramlab-matrix .paramlab-cost, #paramlab-matrix .paramlab-quality { border-radius: 3px; padding: 0 3px;
  margin-top: 2px; white-space: nowrap; }
#paramlab-matrix .paramlab-spread { opacity: 0.75; font-size: 0.85em; white-space: nowrap; }
#paramlab-matrix td.paramlab-matrix-pick { outline: 3px solid #2a9d3a; outline-offset: -3px; }
#paramlab-matrix td.paramlab-matrix-best { outline: 3px dashed #3a6ed8; outline-offset: -3px; }
#paramlab-matrix .paramlab-badge { display: inline-block; border-radius: 3px; padding: 0 3px; margin: 1px;
  font-size: 0.8em; background: #d9534f; color: #fff; }
#paramlab-matrix .paramlab-mark { font-weight: bold; font-size: 0.8em; }
"""
def heat(fraction: float) -> str:
    """A background from green (0, the good end) to red (1), light enough for dark and light themes."""
    if not math.isfinite(fraction):
        return "transparent"
    hue = 120.0 * (1.0 - min(max(fraction, 0.0), 1.0))
    return f"hsla({hue:.0f}, 70%, 45%, 0.35)"


def _fraction(value: float, low: float, high: float) -> float:
    if not math.isfinite(value):
        return math.nan
    return 0.0 if high <= low else (value - low) / (high - low)


def _range(values: list[float]) -> tuple[float, float]:
    finite = [v for v in values if math.isfinite(v)]
    return (min(finite), max(finite)) if finite else (math.nan, math.nan)


def figure(value: float, digits: int = 3) -> str:
    if not math.isfinite(value):
        return "—"
    return f"{value:.{digits}g}" if abs(value) < 1000 else f"{value:,.0f}"


def spread_text(spread: Spread) -> str:
    """"IQR a–b · min–max c–d · n=4" for several values; nothing for one."""
    if spread.count < 2:
        return ""
    return (f"IQR {figure(spread.low)}–{figure(spread.high)} · range {figure(spread.minimum)}–"
            f"{figure(spread.maximum)} · n={spread.count}")


def _cell_html(matrix: Matrix, cell: MatrixCell | None, cost_range: tuple[float, float],
               quality_range: tuple[float, float]) -> str:
    if cell is None:
        return "<td class='paramlab-matrix-empty'>no image</td>"
    marks, classes = [], []
    if cell is matrix.pick:
        marks.append("★ pick")
        classes.append("paramlab-matrix-pick")
    if cell is matrix.best:
        marks.append("best")
        classes.append("paramlab-matrix-best" if cell is not matrix.pick else "")
    thumb = ""
    if cell.image_id is not None:
        thumb = (f'<a href="{esc(image_link(cell.image_id))}" title="Image {cell.image_id} in the ledger">'
                 f'<img loading="lazy" alt="image {cell.image_id}" src="{image_url("thumbnail", cell.image_id)}" '
                 "onerror=\"this.style.visibility='hidden'\"></a>")
    quality_fraction = _fraction(cell.quality.median, *quality_range)
    if matrix.higher_is_better:
        quality_fraction = 1.0 - quality_fraction
    badges = "".join(
        f"<span class='paramlab-badge {FLAW_BADGES.get(code, ('', ''))[1]}' title='{esc(code)} in {count} of "
        f"{cell.images} image(s)'>{esc(FLAW_BADGES.get(code, (code, ''))[0])}"
        f"{f' {count}/{cell.images}' if cell.images > 1 else ''}</span>"
        for code, count in sorted(cell.flaws.items()))
    batch = f" · batch {'/'.join(str(b) for b in cell.batch_sizes)}" if any(b > 1 for b in cell.batch_sizes) else ""
    seeds = f"{cell.images} images, {cell.seeds} seed{'s' if cell.seeds != 1 else ''}" if cell.images > 1 else ""
    title = esc(f"{cell.label}: {seeds or '1 image'}{batch}")
    mark = f"<div class='paramlab-mark'>{esc(' '.join(marks))}</div>" if marks else ""
    return (
        f"<td class='{' '.join(c for c in classes if c)}' data-place='{cell.place[0]},{cell.place[1]},"
        f"{cell.place[2]}' title='{title}'>{thumb}"
        f"<div class='paramlab-cost' style='background:{heat(_fraction(cell.cost.median, *cost_range))}'>"
        f"{figure(cell.cost.median)} s/image</div>"
        f"<div class='paramlab-spread'>{esc(spread_text(cell.cost))}</div>"
        f"<div class='paramlab-quality' style='background:{heat(quality_fraction)}'>{figure(cell.quality.median, 4)}"
        "</div>"
        f"<div class='paramlab-spread'>{esc(spread_text(cell.quality))}</div>"
        f"<div>{badges}</div>"
        f"<div class='paramlab-spread'>{esc(seeds + batch)}</div>"
        f"{mark}</td>")


def matrix_html(matrix: Matrix, title: str = "") -> str:
    """The whole matrix: sentence, legend, then one table per Z value."""
    cells = list(matrix.cells.values())
    cost_range = _range([cell.cost.median for cell in cells])
    quality_range = _range([cell.quality.median for cell in cells])
    x_name, y_name, z_name = (name or axis for name, axis in zip(matrix.axis_names, ("X", "Y", "Z")))
    direction = "higher" if matrix.higher_is_better else "lower"
    legend = (f"Across: {x_name}; down: {y_name}. Colours: cost and {matrix.quality_label} ({direction} is "
              f"better), green the good end. ★ the cheapest cell within {matrix.percent:g} % of the best; the best "
              "outlined dashed. Several images per cell show their median, interquartile range (IQR) and range.")
    parts = [f"<p><b>{esc(title)}</b></p>" if title else "",
             f"<p class='paramlab-recommendation'>{esc(matrix.sentence)}</p>",
             f"<p class='paramlab-muted'>{esc(legend)}</p>"]
    if matrix.folded:
        parts.append(f"<p class='paramlab-muted'>{esc(', '.join(matrix.folded))} axis summarised within "
                     "each cell.</p>")
    x_labels, y_labels, z_labels = matrix.labels
    for z, z_label in enumerate(z_labels or [""]):
        head = "".join(f"<th>{esc(label)}</th>" for label in x_labels)
        rows = []
        for y, y_label in enumerate(y_labels or [""]):
            row = "".join(_cell_html(matrix, matrix.cell(x, y, z), cost_range, quality_range)
                          for x in range(len(x_labels)))
            rows.append(f"<tr><th>{esc(y_label)}</th>{row}</tr>")
        caption = f"<caption>{esc(z_label)}</caption>" if len(z_labels) > 1 else ""
        parts.append(f"<table class='paramlab-matrix' data-z='{z}'>{caption}<thead><tr><th></th>{head}</tr></thead>"
                     f"<tbody>{''.join(rows)}</tbody></table>")
    return f"<div class='paramlab-matrix-view'>{''.join(parts)}</div>"
