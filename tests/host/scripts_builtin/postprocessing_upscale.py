"""Stand-in for A1111's ``scripts/postprocessing_upscale.py``: the Extras tab's "Upscale" (scale by or to)."""

from __future__ import annotations

from typing import Any

import gradio as gr
from modules import scripts_postprocessing, shared
from PIL import Image


class ScriptPostprocessingUpscale(scripts_postprocessing.ScriptPostprocessing):
    name = "Upscale"
    order = 1000

    def ui(self) -> dict[str, Any]:
        names = [x.name for x in shared.sd_upscalers]
        return {
            "upscale_enabled": gr.Checkbox(label="Upscale", value=True),
            "upscale_mode": gr.Number(label="mode", value=0),
            "upscale_by": gr.Slider(minimum=1.0, maximum=8.0, step=0.05, label="Resize", value=2),
            "max_side_length": gr.Number(label="Max side length", value=0),
            "upscale_to_width": gr.Slider(minimum=64, maximum=8192, step=8, label="Width", value=512),
            "upscale_to_height": gr.Slider(minimum=64, maximum=8192, step=8, label="Height", value=512),
            "upscale_crop": gr.Checkbox(label="Crop to fit", value=True),
            "upscaler_1_name": gr.Dropdown(label="Upscaler 1", choices=names, value=names[0]),
            "upscaler_2_name": gr.Dropdown(label="Upscaler 2", choices=names, value=names[0]),
            "upscaler_2_visibility": gr.Slider(minimum=0.0, maximum=1.0, step=0.001, label="Upscaler 2 visibility",
                                               value=0.0),
        }

    def upscale(self, image: Any, info: dict, upscaler: Any, upscale_mode: int, upscale_by: float,
                upscale_to_width: int, upscale_to_height: int, upscale_crop: bool) -> Any:
        if upscale_mode == 1:
            upscale_by = max(upscale_to_width / image.width, upscale_to_height / image.height)
            info["Postprocess upscale to"] = f"{upscale_to_width}x{upscale_to_height}"
        else:
            info["Postprocess upscale by"] = upscale_by
        image = upscaler.scaler.upscale(image, upscale_by, upscaler.data_path)
        if upscale_mode == 1 and upscale_crop:
            cropped = Image.new("RGB", (upscale_to_width, upscale_to_height))
            cropped.paste(image, box=(upscale_to_width // 2 - image.width // 2,
                                      upscale_to_height // 2 - image.height // 2))
            image = cropped
            info["Postprocess crop to"] = f"{image.width}x{image.height}"
        return image

    def process_firstpass(self, pp: Any, upscale_enabled: bool = True, upscale_mode: int = 1,
                          upscale_by: float = 2.0, max_side_length: int = 0, upscale_to_width: int | None = None,
                          upscale_to_height: int | None = None, **_rest: Any) -> None:
        if upscale_mode == 1:
            pp.shared.target_width, pp.shared.target_height = upscale_to_width, upscale_to_height
        else:
            pp.shared.target_width = int(pp.image.width * upscale_by)
            pp.shared.target_height = int(pp.image.height * upscale_by)

    def process(self, pp: Any, upscale_enabled: bool = True, upscale_mode: int = 1, upscale_by: float = 2.0,
                max_side_length: int = 0, upscale_to_width: int | None = None, upscale_to_height: int | None = None,
                upscale_crop: bool = False, upscaler_1_name: str | None = None, upscaler_2_name: str | None = None,
                upscaler_2_visibility: float = 0.0) -> None:
        if not upscale_enabled or upscaler_1_name in (None, "None"):
            return
        upscaler1 = next(iter([x for x in shared.sd_upscalers if x.name == upscaler_1_name]), None)
        assert upscaler1, f"could not find upscaler named {upscaler_1_name}"
        pp.image = self.upscale(pp.image, pp.info, upscaler1, int(upscale_mode or 0), upscale_by,
                                upscale_to_width, upscale_to_height, upscale_crop)
        pp.info["Postprocess upscaler"] = upscaler1.name
