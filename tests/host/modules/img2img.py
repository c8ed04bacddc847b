"""Stand-in for ``modules/img2img.py``; ``run_img2img_ui`` mimics the img2img Generate path (mode 0)."""

from __future__ import annotations

from typing import Any

from modules import call_queue, processing, scripts, shared
from modules.infotext_utils import create_override_settings_dict
from modules.shared import opts

UI_DEFAULTS: dict[str, Any] = {
    "prompt": "",
    "negative_prompt": "",
    "prompt_styles": [],
    "init_images": None,
    "mask": None,
    "mask_blur": 4,
    "inpainting_fill": 1,
    "n_iter": 1,
    "batch_size": 1,
    "cfg_scale": 7.0,
    "image_cfg_scale": 1.5,
    "denoising_strength": 0.75,
    "height": 512,
    "width": 512,
    "resize_mode": 0,
    "inpaint_full_res": False,
    "inpaint_full_res_padding": 32,
    "inpainting_mask_invert": 0,
    "override_settings_texts": [],
}


def img2img_create_processing(
    runner: scripts.ScriptRunner, ui_values: dict[str, Any], script_args: list[Any]
) -> processing.StableDiffusionProcessingImg2Img:
    """Build p like the real img2img(): fields, p.scripts, p.script_args (→ setup)."""
    unknown = set(ui_values) - set(UI_DEFAULTS)
    if unknown:
        raise TypeError(f"unknown img2img UI values: {sorted(unknown)}")
    v = {**UI_DEFAULTS, **ui_values}
    if not v["init_images"]:
        raise ValueError("init_images is required")
    p = processing.StableDiffusionProcessingImg2Img(
        outpath_samples=opts.outdir_samples or opts.outdir_img2img_samples,
        outpath_grids=opts.outdir_grids or opts.outdir_img2img_grids,
        prompt=v["prompt"],
        negative_prompt=v["negative_prompt"],
        styles=v["prompt_styles"],
        batch_size=v["batch_size"],
        n_iter=v["n_iter"],
        cfg_scale=v["cfg_scale"],
        width=v["width"],
        height=v["height"],
        init_images=list(v["init_images"]),
        mask=v["mask"],
        mask_blur=v["mask_blur"],
        inpainting_fill=v["inpainting_fill"],
        resize_mode=v["resize_mode"],
        denoising_strength=v["denoising_strength"],
        image_cfg_scale=v["image_cfg_scale"],
        inpaint_full_res=v["inpaint_full_res"],
        inpaint_full_res_padding=v["inpaint_full_res_padding"],
        inpainting_mask_invert=v["inpainting_mask_invert"],
        override_settings=create_override_settings_dict(v["override_settings_texts"]),
    )
    p.scripts = runner
    p.script_args = script_args
    if v["mask"] is not None:
        p.extra_generation_params["Mask blur"] = v["mask_blur"]
    return p


def run_img2img_ui(
    runner: scripts.ScriptRunner, ui_values: dict[str, Any], script_args: list[Any] | None = None
) -> processing.Processed:
    """TEST HELPER: the img2img Generate path; ``ui_values['init_images']`` is a list of PIL images."""
    from modules._standin_ui import default_script_args

    args = list(script_args) if script_args is not None else default_script_args(runner)
    with call_queue.ui_request("img2img"):
        p = img2img_create_processing(runner, ui_values, args)
        try:
            processed = runner.run(p, *args)
            if processed is None:
                processed = processing.process_images(p)
        finally:
            p.close()
        shared.total_tqdm.clear()
    return processed
