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

    def run(self, p: Any, x_type: int, x_values: str, x_values_dropdown: Any, *rest: Any) -> Processed:
        """One cell per X value; returns grid + cell images (index_of_first_image=1)."""
        no_fixed_seeds = rest[9] if len(rest) > 9 else False
        if not no_fixed_seeds:
            processing.fix_seed(p)
        if not shared.opts.return_grid:
            p.batch_size = 1
        x_opt = self.current_axis_options[x_type]
        raw = (
            x_values_dropdown
            if x_opt.choices is not None and x_values_dropdown
            else [x.strip() for x in re.split(r",(?![^\[]*\])", x_values or "") if x.strip()]
        )
        xs = [x_opt.type(x) for x in raw] if x_opt.type is not type(None) else [None]
        if x_opt.confirm:
            x_opt.confirm(p, xs)
        shared.state.job_count = len(xs) * p.n_iter
        cells: list[Any] = []
        infotexts: list[str] = []
        first: Processed | None = None
        for x in xs:
            if shared.state.interrupted or shared.state.stopping_generation:
                break
            pc = copy.copy(p)
            pc.styles = pc.styles[:]
            x_opt.apply(pc, x, xs)
            processed = process_images(pc)
            first = first or processed
            cells.append(processed.images[processed.index_of_first_image] if processed.images else None)
            infotexts.append(
                processed.infotexts[processed.index_of_first_image] if processed.infotexts else ""
            )
        cells = [c for c in cells if c is not None]
        if first is None or not cells:
            return Processed(p, [])
        grid = images.image_grid(cells, rows=1)
        return Processed(
            p,
            [grid, *cells],
            first.seed,
            first.info,
            first.subseed,
            index_of_first_image=1,
            infotexts=[first.info, *infotexts],
        )
