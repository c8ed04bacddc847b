"""The "[ParamLab] Profile" and "[ParamLab] Batch size" axes for A1111's X/Y/Z plot.

A profile cell applies that profile; a batch-size cell sets ``p.batch_size``, so one plot lays out
throughput per image (each image's cost is its share of its batch, see :mod:`paramlab.cost.timing`).

Registered from ``on_before_ui`` by finding the already-loaded X/Y/Z module; added once, and
silently skipped when the X/Y/Z script is not installed. Every axis option (ours, A1111's, other
extensions') also notes what it sets (:mod:`paramlab.webui.axis_values`), so an axis value always wins
over ParamLab's profile and seed lock; options added later are wrapped again at app start.
"""

from __future__ import annotations

from typing import Any

from modules import scripts

from paramlab.profiles import ProfileError
from paramlab.webui import axis_values, profile_apply, profile_panel, xyz_cells

AXIS_LABEL = "[ParamLab] Profile"
BATCH_AXIS_LABEL = "[ParamLab] Batch size"
MAX_BATCH_SIZE = 64  # A1111's slider stops at 8; the API takes more, but not without bound


def find_xyz_module() -> Any | None:
    for data in scripts.scripts_data:
        if data.script_class.__module__ in ("xyz_grid.py", "xyz_grid") and hasattr(data.module, "axis_options"):
            return data.module
    return None


def register_axis() -> bool:
    """Add the axis if X/Y/Z is loaded and does not have it yet; returns whether it is there now."""
    module = find_xyz_module()
    if module is None:
        return False
    labels = {option.label for option in module.axis_options}
    if AXIS_LABEL not in labels:
        module.axis_options.append(module.AxisOption(
            AXIS_LABEL, str, apply_axis_value, confirm=confirm_axis_values, choices=profile_panel.profile_names,
        ))
    if BATCH_AXIS_LABEL not in labels:
        module.axis_options.append(module.AxisOption(
            BATCH_AXIS_LABEL, int, apply_batch_size, confirm=confirm_batch_sizes,
        ))
    axis_values.record_axis_writes(module.axis_options)
    xyz_cells.wrap_draw_function(module)
    return True


def record_late_axes(*_args: object) -> None:
    """``on_app_started``: axes other extensions added after our ``on_before_ui`` note their writes too."""
    module = find_xyz_module()
    if module is not None:
        axis_values.record_axis_writes(module.axis_options)


def confirm_axis_values(p: Any, names: list[str]) -> None:
    """Checked by X/Y/Z before the first cell runs: every name must be a usable profile."""
    problems = []
    for name in names:
        try:
            profile = profile_apply.load_profile(name)
            if profile.unusable_reason:
                problems.append(f"{name}: {profile.unusable_reason}")
        except ProfileError as exc:
            problems.append(str(exc))
    if problems:
        raise RuntimeError("ParamLab profile axis: " + "; ".join(problems))


def apply_axis_value(p: Any, name: str, _all_names: list[str]) -> None:
    profile_apply.apply_profile(p, profile_apply.load_profile(name), is_img2img=hasattr(p, "init_images"))


def confirm_batch_sizes(_p: Any, sizes: list[Any]) -> None:
    """Checked by X/Y/Z before the first cell runs: whole numbers from 1 to :data:`MAX_BATCH_SIZE`."""
    wrong = [str(size) for size in sizes
             if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_BATCH_SIZE]
    if wrong:
        raise RuntimeError(f"ParamLab batch size axis: {', '.join(wrong)} is not a batch size; use whole numbers "
                           f"from 1 to {MAX_BATCH_SIZE}, e.g. 1, 2, 4.")


def apply_batch_size(p: Any, size: int, _all_sizes: list[int]) -> None:
    p.batch_size = int(size)
