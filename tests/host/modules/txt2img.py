"""Stand-in for ``modules/txt2img.py``; ``run_txt2img_ui`` mimics the Generate button path."""

from __future__ import annotations

from typing import Any

from modules import _standin_flavour, call_queue, processing, scripts, shared
from modules.infotext_utils import create_override_settings_dict
from modules.shared import opts

UI_DEFAULTS: dict[str, Any] = {
    "prompt": "",
    "negative_prompt": "",
    "prompt_styles": [],
    "n_iter": 1,
    "batch_size": 1,
    "cfg_scale": 7.0,
    "height": 512,
    "width": 512,
    "enable_hr": False,
    "denoising_strength": 0.7,
    "hr_scale": 2.0,
    "hr_upscaler": "Latent",
    "hr_second_pass_steps": 0,
    "hr_resize_x": 0,
    "hr_resize_y": 0,
    "hr_checkpoint_name": "Use same checkpoint",
    "hr_sampler_name": "Use same sampler",
    "hr_scheduler": "Use same scheduler",
    "hr_prompt": "",
    "hr_negative_prompt": "",
    "override_settings_texts": [],
}
"""The txt2img tab's initial control values (steps/sampler/seed come from the builtin scripts' args)."""
if _standin_flavour.FORGE:  # Forge's extra fields, with its UI defaults
    UI_DEFAULTS.update({"distilled_cfg_scale": 3.5, "hr_cfg": 7.0, "hr_distilled_cfg": 3.5,
                        "hr_additional_modules": ["Use same choices"]})
FORGE_FIELDS = ("distilled_cfg_scale", "hr_cfg", "hr_distilled_cfg", "hr_additional_modules")


def txt2img_create_processing(
    runner: scripts.ScriptRunner, ui_values: dict[str, Any], script_args: list[Any]
) -> processing.StableDiffusionProcessingTxt2Img:
    """Build p like the real function: fields from the UI, then p.scripts, then p.script_args (→ setup)."""
    unknown = set(ui_values) - set(UI_DEFAULTS)
    if unknown:
        raise TypeError(f"unknown txt2img UI values: {sorted(unknown)}")
    v = {**UI_DEFAULTS, **ui_values}
    p = processing.StableDiffusionProcessingTxt2Img(
        outpath_samples=opts.outdir_samples or opts.outdir_txt2img_samples,
        outpath_grids=opts.outdir_grids or opts.outdir_txt2img_grids,
        prompt=v["prompt"],
        styles=v["prompt_styles"],
        negative_prompt=v["negative_prompt"],
        batch_size=v["batch_size"],
        n_iter=v["n_iter"],
        cfg_scale=v["cfg_scale"],
        width=v["width"],
        height=v["height"],
        enable_hr=v["enable_hr"],
        denoising_strength=v["denoising_strength"],
        hr_scale=v["hr_scale"],
        hr_upscaler=v["hr_upscaler"],
        hr_second_pass_steps=v["hr_second_pass_steps"],
        hr_resize_x=v["hr_resize_x"],
        hr_resize_y=v["hr_resize_y"],
        hr_checkpoint_name=None
        if v["hr_checkpoint_name"] == "Use same checkpoint"
        else v["hr_checkpoint_name"],
        hr_sampler_name=None if v["hr_sampler_name"] == "Use same sampler" else v["hr_sampler_name"],
        hr_scheduler=None if v["hr_scheduler"] == "Use same scheduler" else v["hr_scheduler"],
        hr_prompt=v["hr_prompt"],
        hr_negative_prompt=v["hr_negative_prompt"],
        override_settings=create_override_settings_dict(v["override_settings_texts"]),
        **{name: v[name] for name in FORGE_FIELDS if name in v},
    )
    p.scripts = runner
    p.script_args = script_args
    return p


def run_txt2img_ui(
    runner: scripts.ScriptRunner,
    ui_values: dict[str, Any] | None = None,
    script_args: list[Any] | None = None,
) -> processing.Processed:
    """TEST HELPER: the UI Generate path (``call_queue.ui_request`` around: create p, run it, p.close).

    ``script_args`` is the full flat list (index 0 = selectable script, 0 = none); default: the UI defaults.
    """
    from modules._standin_ui import default_script_args

    args = list(script_args) if script_args is not None else default_script_args(runner)
    with call_queue.ui_request("txt2img"):
        p = txt2img_create_processing(runner, ui_values or {}, args)
        try:
            processed = runner.run(p, *p.script_args)
            if processed is None:
                processed = processing.process_images(p)
        finally:
            p.close()
        shared.total_tqdm.clear()
    return processed
