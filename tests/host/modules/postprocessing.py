"""Stand-in for ``modules/postprocessing.py`` (v1.10.1): the Extras tab's run (single image, batch, folder)."""

from __future__ import annotations

import html
import os
from typing import Any

from modules import devices, images, infotext_utils, scripts, scripts_postprocessing, shared
from modules.shared import opts
from PIL import Image


def run_postprocessing(extras_mode: int, image: Any, image_folder: Any, input_dir: str, output_dir: str,
                       show_extras_results: bool, *args: Any, save_output: bool = True) -> tuple[list, str, str]:
    """As real: state.begin("extras"); each image through scripts_postproc.run, then saved (or not)."""
    devices.torch_gc()
    shared.state.begin(job="extras")
    outputs = []

    def get_images(extras_mode: int, image: Any, image_folder: Any, input_dir: str) -> Any:
        if extras_mode == 1:
            for img in image_folder:
                if isinstance(img, Image.Image):
                    yield images.fix_image(img), ""
                else:
                    yield images.read(os.path.abspath(img.name)), os.path.splitext(img.orig_name)[0]
        elif extras_mode == 2:
            assert input_dir, "input directory not selected"
            for filename in shared.listfiles(input_dir):
                yield filename, filename
        else:
            assert image, "image not selected"
            yield image, None

    outpath = output_dir if extras_mode == 2 and output_dir != "" else opts.outdir_samples or opts.outdir_extras_samples
    infotext = ""
    data_to_process = list(get_images(extras_mode, image, image_folder, input_dir))
    shared.state.job_count = len(data_to_process)
    for image_placeholder, name in data_to_process:
        shared.state.nextjob()
        shared.state.textinfo = name
        shared.state.skipped = False
        if shared.state.interrupted or shared.state.stopping_generation:
            break
        if isinstance(image_placeholder, str):
            try:
                image_data = images.read(image_placeholder)
            except Exception:
                continue
        else:
            image_data = image_placeholder
        image_data = image_data if image_data.mode in ("RGBA", "RGB") else image_data.convert("RGB")
        parameters, existing_pnginfo = images.read_info_from_image(image_data)
        if parameters:
            existing_pnginfo["parameters"] = parameters
        initial_pp = scripts_postprocessing.PostprocessedImage(image_data)
        scripts.scripts_postproc.run(initial_pp, args)
        if shared.state.skipped:
            continue
        used_suffixes: dict = {}
        for pp in [initial_pp, *initial_pp.extra_images]:
            suffix = pp.get_suffix(used_suffixes)
            if opts.use_original_name_batch and name is not None:
                basename = os.path.splitext(os.path.basename(name))[0]
                forced_filename = basename + suffix
            else:
                basename = ""
                forced_filename = None
            infotext = ", ".join([k if k == v else f"{k}: {infotext_utils.quote(v)}"
                                  for k, v in pp.info.items() if v is not None])
            if opts.enable_pnginfo:
                pp.image.info = existing_pnginfo
                pp.image.info["postprocessing"] = infotext
            if save_output:
                images.save_image(pp.image, path=outpath, basename=basename, extension=opts.samples_format,
                                  info=infotext, short_filename=True, no_prompt=True, grid=False,
                                  pnginfo_section_name="extras", existing_info=existing_pnginfo,
                                  forced_filename=forced_filename, suffix=suffix)
            if extras_mode != 2 or show_extras_results:
                outputs.append(pp.image)
    devices.torch_gc()
    shared.state.end()
    return outputs, html.escape(infotext), ""


def run_postprocessing_webui(id_task: str, *args: Any, **kwargs: Any) -> tuple[list, str, str]:
    return run_postprocessing(*args, **kwargs)


def run_extras(extras_mode: int, resize_mode: int, image: Any, image_folder: Any, input_dir: str, output_dir: str,
               show_extras_results: bool, gfpgan_visibility: float, codeformer_visibility: float,
               codeformer_weight: float, upscaling_resize: float, upscaling_resize_w: int, upscaling_resize_h: int,
               upscaling_crop: bool, extras_upscaler_1: str, extras_upscaler_2: str,
               extras_upscaler_2_visibility: float, upscale_first: bool, save_output: bool = True,
               max_side_length: int = 0) -> tuple[list, str, str]:
    """Old handler for the API (real)."""
    args = scripts.scripts_postproc.create_args_for_run({
        "Upscale": {
            "upscale_enabled": True, "upscale_mode": resize_mode, "upscale_by": upscaling_resize,
            "max_side_length": max_side_length, "upscale_to_width": upscaling_resize_w,
            "upscale_to_height": upscaling_resize_h, "upscale_crop": upscaling_crop,
            "upscaler_1_name": extras_upscaler_1, "upscaler_2_name": extras_upscaler_2,
            "upscaler_2_visibility": extras_upscaler_2_visibility,
        },
    })
    return run_postprocessing(extras_mode, image, image_folder, input_dir, output_dir, show_extras_results, *args,
                              save_output=save_output)
