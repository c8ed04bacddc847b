"""Stand-in for webui's ``scripts/xyz_grid.py`` (simplified run; real AxisOption API and ui() arg order)."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

from modules import images, processing, scripts, sd_samplers, shared
from modules.processing import Processed, process_images


def apply_field(field: str) -> Callable:
    """Setter for a p attribute."""

    def fun(p: Any, x: Any, xs: Any) -> None:
        setattr(p, field, x)

    return fun


def apply_prompt(p: Any, x: str, xs: list[str]) -> None:
    """Prompt S/R: replace xs[0] with x."""
    if xs[0] not in p.prompt and xs[0] not in p.negative_prompt:
        raise RuntimeError(f"Prompt S/R did not find {xs[0]} in prompt or negative prompt.")
    p.prompt = p.prompt.replace(xs[0], x)
    p.negative_prompt = p.negative_prompt.replace(xs[0], x)


def apply_override(field: str, boolean: bool = False) -> Callable:
    """Setter through p.override_settings."""

    def fun(p: Any, x: Any, xs: Any) -> None:
        if boolean:
            x = x.lower() == "true"
        p.override_settings[field] = x

    return fun


def format_value_add_label(p: Any, opt: Any, x: Any) -> str:
    """'Label: value'."""
    if isinstance(x, float):
        x = round(x, 8)
    return f"{opt.label}: {x}"


def format_value(p: Any, opt: Any, x: Any) -> str:
    """Just the value."""
    return str(round(x, 8) if isinstance(x, float) else x)


def do_nothing(p: Any, x: Any, xs: Any) -> None:
    """Axis 'Nothing'."""


def format_nothing(p: Any, opt: Any, x: Any) -> str:
    """Empty label."""
    return ""


class AxisOption:
    """An axis type: label, value type, apply(p, x, xs)."""

    def __init__(
        self,
        label: str,
        type: Any,
        apply: Callable,
        format_value: Callable = format_value_add_label,
        confirm: Callable | None = None,
        cost: float = 0.0,
        choices: Callable | None = None,
        prepare: Callable | None = None,
    ) -> None:
        self.label = label
        self.type = type
        self.apply = apply
        self.format_value = format_value
        self.confirm = confirm
        self.cost = cost
        self.prepare = prepare
        self.choices = choices


class AxisOptionImg2Img(AxisOption):
    """img2img-only axis."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.is_img2img = True


class AxisOptionTxt2Img(AxisOption):
    """txt2img-only axis."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.is_img2img = False


axis_options: list[AxisOption] = [
    AxisOption("Nothing", type(None), do_nothing, format_value=format_nothing),
    AxisOption("Seed", int, apply_field("seed")),
    AxisOption("Var. seed", int, apply_field("subseed")),
    AxisOption("Var. strength", float, apply_field("subseed_strength")),
    AxisOption("Steps", int, apply_field("steps")),
    AxisOptionTxt2Img("Hires steps", int, apply_field("hr_second_pass_steps")),
    AxisOption("CFG Scale", float, apply_field("cfg_scale")),
    AxisOption("Prompt S/R", str, apply_prompt, format_value=format_value),
    AxisOptionTxt2Img(
        "Sampler",
        str,
        apply_field("sampler_name"),
        format_value=format_value,
        choices=lambda: [x.name for x in sd_samplers.samplers],
    ),
    AxisOptionImg2Img(
        "Sampler",
        str,
        apply_field("sampler_name"),
        format_value=format_value,
        choices=lambda: [x.name for x in sd_samplers.samplers_for_img2img],
    ),
    AxisOption("Schedule type", str, apply_field("scheduler")),
    AxisOption(
        "Size",
        str,
        lambda p, x, xs: (
            setattr(p, "width", int(x.split("x")[0])),
            setattr(p, "height", int(x.split("x")[1])),
        ),
    ),
    AxisOption("Denoising", float, apply_field("denoising_strength")),
    AxisOption("Clip skip", int, apply_override("CLIP_stop_at_last_layers")),
]


class Script(scripts.Script):
    """X/Y/Z plot (selectable). run() only plots the X axis: one process_images per value on a copy of p."""

    def title(self) -> str:
        """Real title."""
        return "X/Y/Z plot"

    def ui(self, is_img2img: bool) -> list:
        """Same 18 controls, in the same order, as the real script."""
        import gradio as gr

        self.current_axis_options = [
            x for x in axis_options if type(x) is AxisOption or x.is_img2img == is_img2img
        ]
        labels = [x.label for x in self.current_axis_options]
        ctrls: list = []
        for axis, default in (("x", 1), ("y", 0), ("z", 0)):
            ctrls.append(
                gr.Dropdown(
                    label=f"{axis.upper()} type",
                    choices=labels,
                    value=labels[default],
                    type="index",
                    elem_id=self.elem_id(f"{axis}_type"),
                )
            )
            ctrls.append(
                gr.Textbox(label=f"{axis.upper()} values", lines=1, elem_id=self.elem_id(f"{axis}_values"))
            )
            ctrls.append(gr.Dropdown(label=f"{axis.upper()} values", multiselect=True, visible=False))
        ctrls.append(gr.Checkbox(label="Draw legend", value=True, elem_id=self.elem_id("draw_legend")))
        ctrls.append(
            gr.Checkbox(label="Include Sub Images", value=False, elem_id=self.elem_id("include_lone_images"))
        )
        ctrls.append(
            gr.Checkbox(label="Include Sub Grids", value=False, elem_id=self.elem_id("include_sub_grids"))
        )
        ctrls.append(
            gr.Checkbox(label="Keep -1 for seeds", value=False, elem_id=self.elem_id("no_fixed_seeds"))
        )
        for axis in ("x", "y", "z"):
            ctrls.append(
                gr.Checkbox(
                    label=f"Vary seeds for {axis.upper()}",
                    value=False,
                    elem_id=self.elem_id(f"vary_seeds_{axis}"),
                )
            )
        ctrls.append(
            gr.Slider(
                label="Grid margins (px)",
                minimum=0,
                maximum=500,
                value=0,
                step=2,
                elem_id=self.elem_id("margin_size"),
            )
        )
        ctrls.append(
            gr.Checkbox(
                label="Use text inputs instead of dropdowns", value=False, elem_id=self.elem_id("csv_mode")
            )
        )
        return ctrls

    def run(self, p: Any, x_type: int, x_values: str, x_values_dropdown: Any, y_type: int = 0,
            y_values: str = "", y_values_dropdown: Any = None, z_type: int = 0, z_values: str = "",
            z_values_dropdown: Any = None, *rest: Any) -> Processed:
        """X, Y and Z as the real script: every cell a ``process_images`` on a copy of ``p``, through the
        module-level ``draw_xyz_grid`` with ``cell(x, y, z, ix, iy, iz)``; returns the grid, then each
        cell's first image (index_of_first_image=1). ``rest``: legend, lone images, sub grids, keep -1,
        vary seeds X/Y/Z, margin, csv mode."""
        no_fixed_seeds = rest[3] if len(rest) > 3 else False
        vary_seeds = [bool(rest[4 + i]) if len(rest) > 4 + i else False for i in range(3)]
        if not no_fixed_seeds:
            processing.fix_seed(p)
        if not shared.opts.return_grid:
            p.batch_size = 1
        options, values = [], []
        for axis_type, text, dropdown in ((x_type, x_values, x_values_dropdown), (y_type, y_values, y_values_dropdown),
                                          (z_type, z_values, z_values_dropdown)):
            labels = [option.label for option in self.current_axis_options]
            index = labels.index(axis_type) if isinstance(axis_type, str) else axis_type or 0  # a default value
            opt = self.current_axis_options[index]
            options.append(opt)
            values.append(_axis_values(opt, text, dropdown))
        for opt, vals in zip(options, values):
            if opt.confirm:
                opt.confirm(p, vals)
        x_opt, y_opt, z_opt = options
        xs, ys, zs = values

        def cell(x: Any, y: Any, z: Any, ix: int, iy: int, iz: int) -> Processed:
            if shared.state.interrupted or shared.state.stopping_generation:
                return Processed(p, [])
            pc = copy.copy(p)
            pc.styles = pc.styles[:]
            x_opt.apply(pc, x, xs)
            y_opt.apply(pc, y, ys)
            z_opt.apply(pc, z, zs)
            xdim = len(xs) if vary_seeds[0] else 1
            ydim = len(ys) if vary_seeds[1] else 1
            if vary_seeds[0]:
                pc.seed += ix
            if vary_seeds[1]:
                pc.seed += iy * xdim
            if vary_seeds[2]:
                pc.seed += iz * xdim * ydim
            return process_images(pc)

        return draw_xyz_grid(
            p, xs=xs, ys=ys, zs=zs,
            x_labels=[x_opt.format_value(p, x_opt, x) for x in xs],
            y_labels=[y_opt.format_value(p, y_opt, y) for y in ys],
            z_labels=[z_opt.format_value(p, z_opt, z) for z in zs],
            cell=cell, draw_legend=True, include_lone_images=True, include_sub_grids=False,
            first_axes_processed="z", second_axes_processed="y", margin_size=0,
        )


def _axis_values(opt: AxisOption, text: str, dropdown: Any) -> list[Any]:
    if opt.label == "Nothing":
        return [0]
    raw = (
        dropdown
        if opt.choices is not None and dropdown
        else [x.strip() for x in re.split(r",(?![^\[]*\])", text or "") if x.strip()]
    )
    return [opt.type(x) for x in raw] if opt.type is not type(None) else [None]


def draw_xyz_grid(p: Any, xs: list, ys: list, zs: list, x_labels: list, y_labels: list, z_labels: list,
                  cell: Callable, draw_legend: bool, include_lone_images: bool, include_sub_grids: bool,
                  first_axes_processed: str, second_axes_processed: str, margin_size: int) -> Processed:
    """The real one's signature and cell order (Z outermost, then Y, then X); one grid of the cells."""
    shared.state.job_count = len(xs) * len(ys) * len(zs) * p.n_iter
    cells: list[Any] = []
    infotexts: list[str] = []
    first: Processed | None = None
    for iz, z in enumerate(zs):
        for iy, y in enumerate(ys):
            for ix, x in enumerate(xs):
                if shared.state.interrupted or shared.state.stopping_generation:
                    break
                processed = cell(x, y, z, ix, iy, iz)
                if not processed.images:
                    continue
                first = first or processed
                cells.append(processed.images[processed.index_of_first_image])
                infotexts.append(processed.infotexts[processed.index_of_first_image] if processed.infotexts else "")
    if first is None or not cells:
        return Processed(p, [])
    grid = images.image_grid(cells, rows=len(ys) * len(zs) if len(cells) == len(xs) * len(ys) * len(zs) else 1)
    return Processed(
        p,
        [grid, *cells],
        first.seed,
        first.info,
        first.subseed,
        index_of_first_image=1,
        infotexts=[first.info, *infotexts],
    )
