"""Stand-in for the Ultimate SD upscale extension (Coyote-A/ultimate-upscale-for-automatic1111): the same
title, controls (labels and order) and pattern. It upscales the init image with a pixel upscaler, runs
``process_images`` once per tile on the SAME ``p`` with ``do_not_save_samples`` (the linear redraw, then
the band-pass seams fix when chosen), and saves the combined image itself with ``images.save_image(...,
p=p)`` after the last pass. The stand-in's img2img has no inpaint compositing, so each tile is cropped,
run and pasted back here (USDU gets the full composite back from A1111 instead)."""

from __future__ import annotations

import math
from typing import Any

import gradio as gr
from modules import devices, images, processing, scripts, shared
from modules.processing import Processed
from modules.shared import opts, state

TARGET_SIZE_TYPES = ["From img2img2 settings", "Custom size", "Scale from image size"]
SEAMS_FIX_TYPES = ["None", "Band pass", "Half tile offset pass", "Half tile offset pass + intersections"]
REDRAW_MODES = ["Linear", "Chess", "None"]


class Script(scripts.Script):
    def title(self) -> str:
        return "Ultimate SD upscale"

    def show(self, is_img2img: bool) -> Any:
        return is_img2img

    def ui(self, is_img2img: bool) -> list[Any]:
        names = [x.name for x in shared.sd_upscalers]
        info = gr.HTML("<p>Will upscale the image depending on the selected target size type</p>")
        target_size_type = gr.Dropdown(label="Target size type", choices=TARGET_SIZE_TYPES, type="index",
                                       value=TARGET_SIZE_TYPES[0])
        custom_width = gr.Slider(label="Custom width", minimum=64, maximum=8192, step=64, value=2048)
        custom_height = gr.Slider(label="Custom height", minimum=64, maximum=8192, step=64, value=2048)
        custom_scale = gr.Slider(label="Scale", minimum=1, maximum=16, step=0.01, value=2)
        upscaler_index = gr.Radio(label="Upscaler", choices=names, value=names[0], type="index")
        redraw_mode = gr.Dropdown(label="Type", choices=REDRAW_MODES, type="index", value=REDRAW_MODES[0])
        tile_width = gr.Slider(minimum=0, maximum=2048, step=64, label="Tile width", value=512)
        tile_height = gr.Slider(minimum=0, maximum=2048, step=64, label="Tile height", value=0)
        mask_blur = gr.Slider(label="Mask blur", minimum=0, maximum=64, step=1, value=8)
        padding = gr.Slider(label="Padding", minimum=0, maximum=512, step=1, value=32)
        seams_fix_type = gr.Dropdown(label="Type", choices=SEAMS_FIX_TYPES, type="index", value=SEAMS_FIX_TYPES[0])
        seams_fix_denoise = gr.Slider(label="Denoise", minimum=0, maximum=1, step=0.01, value=0.35)
        seams_fix_width = gr.Slider(label="Width", minimum=0, maximum=128, step=1, value=64)
        seams_fix_mask_blur = gr.Slider(label="Mask blur", minimum=0, maximum=64, step=1, value=4)
        seams_fix_padding = gr.Slider(label="Padding", minimum=0, maximum=128, step=1, value=16)
        save_upscaled_image = gr.Checkbox(label="Upscaled", value=True)
        save_seams_fix_image = gr.Checkbox(label="Seams fix", value=False)
        return [info, tile_width, tile_height, mask_blur, padding, seams_fix_width, seams_fix_denoise,
                seams_fix_padding, upscaler_index, save_upscaled_image, redraw_mode, save_seams_fix_image,
                seams_fix_mask_blur, seams_fix_type, target_size_type, custom_width, custom_height, custom_scale]

    def run(self, p: Any, _info: Any, tile_width: int, tile_height: int, mask_blur: int, padding: int,
            seams_fix_width: int, seams_fix_denoise: float, seams_fix_padding: int, upscaler_index: int,
            save_upscaled_image: bool, redraw_mode: int, save_seams_fix_image: bool, seams_fix_mask_blur: int,
            seams_fix_type: int, target_size_type: int, custom_width: int, custom_height: int,
            custom_scale: float) -> Processed:
        processing.fix_seed(p)
        devices.torch_gc()
        p.do_not_save_grid = True
        p.do_not_save_samples = True
        p.inpaint_full_res = False
        p.inpainting_fill = 1
        p.n_iter = 1
        p.batch_size = 1
        seed = p.seed
        init_img = images.flatten(p.init_images[0], opts.img2img_background_color)
        if target_size_type == 1:
            p.width, p.height = custom_width, custom_height
        if target_size_type == 2:
            p.width = math.ceil((init_img.width * custom_scale) / 64) * 64
            p.height = math.ceil((init_img.height * custom_scale) / 64) * 64
        width, height = p.width, p.height
        upscaler = shared.sd_upscalers[upscaler_index]
        image = init_img.resize((width, height)) if upscaler.name == "None" else upscaler.scaler.upscale(
            init_img, max(width, height) / max(init_img.width, init_img.height), upscaler.data_path
        ).resize((width, height))
        tile_w = tile_width if tile_width > 0 else tile_height
        tile_h = tile_height if tile_height > 0 else tile_width
        rows, cols = math.ceil(height / tile_h), math.ceil(width / tile_w)
        p.extra_generation_params["Ultimate SD upscale upscaler"] = upscaler.name
        p.extra_generation_params["Ultimate SD upscale tile_width"] = tile_w
        p.extra_generation_params["Ultimate SD upscale tile_height"] = tile_h
        p.extra_generation_params["Ultimate SD upscale mask_blur"] = mask_blur
        p.extra_generation_params["Ultimate SD upscale padding"] = padding
        state.job_count = rows * cols if redraw_mode != 2 else 0
        results, info = [], None
        if redraw_mode != 2:
            boxes = [(x * tile_w, y * tile_h, x * tile_w + tile_w, y * tile_h + tile_h)
                     for y in range(rows) for x in range(cols)]
            image, info = self._passes(p, image, boxes, tile_w, tile_h, padding, p.denoising_strength)
            results.append(image)
            if save_upscaled_image:
                self._save(p, image, info)
        if seams_fix_type == 1:  # band pass: one pass per inner seam, as USDU counts them
            boxes = [(x * tile_w - seams_fix_width // 2, 0, x * tile_w + seams_fix_width // 2, height)
                     for x in range(1, cols)]
            boxes += [(0, y * tile_h - seams_fix_width // 2, width, y * tile_h + seams_fix_width // 2)
                      for y in range(1, rows)]
            image, info = self._passes(p, image, boxes, seams_fix_width, seams_fix_width, seams_fix_padding,
                                       seams_fix_denoise)
            results.append(image)
            if save_seams_fix_image:
                self._save(p, image, info)
        p.width, p.height = image.width, image.height
        return Processed(p, results, seed, info or "")

    def _passes(self, p: Any, image: Any, boxes: list, tile_w: int, tile_h: int, padding: int,
                denoise: float) -> tuple[Any, str | None]:
        p.denoising_strength = denoise
        p.width = math.ceil((tile_w + padding) / 64) * 64
        p.height = math.ceil((tile_h + padding) / 64) * 64
        info = None
        for box in boxes:
            if state.interrupted:
                break
            p.init_images = [image.crop(box)]
            processed = processing.process_images(p)
            if processed.images:
                image = image.copy()
                image.paste(processed.images[0].resize((box[2] - box[0], box[3] - box[1])), box[:2])
            info = processed.infotext(p, 0)
        return image, info

    def _save(self, p: Any, image: Any, info: str | None) -> None:
        images.save_image(image, p.outpath_samples, "", p.seed, p.prompt, opts.samples_format, info=info, p=p)
