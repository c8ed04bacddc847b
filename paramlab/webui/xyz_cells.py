"""Where each X/Y/Z plot cell sits in the plot, noted in its run's ``settings`` JSON.

The matrix view lays a plot out as the user did (X across, Y down, one matrix per Z value), so every
cell's run keeps ``{"xyz_cell": {"x": ix, "y": iy, "z": iz, "size": [nx, ny, nz], "labels": [...]}}``.
X/Y/Z's ``run`` hands its ``cell(x, y, z, ix, iy, iz)`` and the axis labels to the module-level
``draw_xyz_grid``; ParamLab wraps that function once and notes the place of the cell being run in a
thread-local, which the run recorder (``before_process`` of the cell's copy of ``p``, on the same
thread) reads. No schema change: ``runs.settings`` already holds a run's own settings as JSON.
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable
from typing import Any

CELL_KEY = "xyz_cell"
MAX_LABEL = 200  # a Prompt S/R label can be a whole prompt
_WRAPPED_MARK = "_paramlab_notes_cells"
_current = threading.local()


def current_place() -> dict[str, Any] | None:
    """The place of the X/Y/Z cell running on this thread, or None outside a plot."""
    return getattr(_current, "place", None)


def run_settings() -> dict[str, Any] | None:
    """What a run started now keeps in ``runs.settings``: its cell's place, if it is an X/Y/Z cell."""
    place = current_place()
    return {CELL_KEY: dict(place)} if place is not None else None


def wrap_draw_function(module: Any) -> bool:
    """Wrap ``module.draw_xyz_grid`` once (idempotent); False when the module has none."""
    draw = getattr(module, "draw_xyz_grid", None)
    if not callable(draw):
        return False
    if not getattr(draw, _WRAPPED_MARK, False):
        module.draw_xyz_grid = _placing_draw(draw)
    return True


def _label(labels: Any, index: int) -> str:
    try:
        return str(labels[index])[:MAX_LABEL]
    except (IndexError, TypeError, KeyError):
        return ""


def _placing_draw(draw: Callable[..., Any]) -> Callable[..., Any]:
    signature = inspect.signature(draw)

    @functools.wraps(draw)
    def placing_draw(*args: Any, **kwargs: Any) -> Any:
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError:  # a changed signature: draw as it is, without places
            return draw(*args, **kwargs)
        arguments = bound.arguments
        cell = arguments.get("cell")
        if callable(cell):
            axes = [list(arguments.get(name) or [None]) for name in ("xs", "ys", "zs")]
            labels = [list(arguments.get(name) or []) for name in ("x_labels", "y_labels", "z_labels")]
            arguments["cell"] = _placing_cell(cell, [len(values) for values in axes], labels)
        return draw(*bound.args, **bound.kwargs)

    setattr(placing_draw, _WRAPPED_MARK, True)
    return placing_draw


def _placing_cell(cell: Callable[..., Any], size: list[int], labels: list[list[Any]]) -> Callable[..., Any]:
    def placing_cell(x: Any, y: Any, z: Any, ix: int, iy: int, iz: int, *rest: Any, **kwargs: Any) -> Any:
        outer = current_place()
        _current.place = {"x": int(ix), "y": int(iy), "z": int(iz), "size": size,
                          "labels": [_label(labels[0], ix), _label(labels[1], iy), _label(labels[2], iz)]}
        try:
            return cell(x, y, z, ix, iy, iz, *rest, **kwargs)
        finally:
            _current.place = outer

    return placing_cell
