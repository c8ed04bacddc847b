"""TEST HELPER for the canary: a stand-in WebUI with ParamLab and the stand-in ControlNet loaded, serving its API
over HTTP, with six recorded images saved as files — three txt2img, two img2img and one txt2img with a ControlNet
unit — which the real replay (:mod:`paramlab.replay.request`) makes again from the ledger alone."""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

from host_fixture import register_controlnet
from modules.api import api
from PIL import Image
from standin_http import StandinWebui
from webui_support import LoadedExtension

from paramlab.ledger import Ledger
from paramlab.webui import runtime

COMMON = {"prompt": "a lighthouse at dusk", "negative_prompt": "blurry", "steps": 3, "width": 64, "height": 64,
          "sampler_name": "Euler", "save_images": True}


def png_base64(image: Image.Image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def pose_unit(model: str) -> dict[str, Any]:
    pose = Image.new("RGB", (64, 64), (0, 0, 0))
    pose.paste((255, 255, 255), (20, 8, 44, 56))
    return {"enabled": True, "image": png_base64(pose), "module": "none", "model": model, "weight": 0.9}


class CanaryHost:
    """The stand-in WebUI (started) and its six recorded images' ids; ``controlnet`` is the stand-in ControlNet's
    module (its ``MODELS`` are the installed models)."""

    def __init__(self, data_dir: Path, auth: str | None = None, **webui: Any):
        self.extension = LoadedExtension(data_dir)
        self.controlnet = register_controlnet()
        txt2img, img2img = self.extension.runner(), self.extension.runner(is_img2img=True)
        for seed in (11, 12, 13):
            api.text2imgapi(txt2img, {**COMMON, "seed": seed})
        for seed in (21, 22):
            api.img2imgapi(img2img, {**COMMON, "seed": seed, "denoising_strength": 0.6,
                                     "init_images": [png_base64(Image.new("RGB", (64, 64), "teal"))]})
        api.text2imgapi(txt2img, {**COMMON, "seed": 31, "alwayson_scripts": {
            "controlnet": {"args": [pose_unit(self.controlnet.MODELS[0])]}}})
        rows = self.extension.rows()
        self.image_ids = [row["id"] for row in rows]
        assert len(self.image_ids) == 6 and all(row["image_path"] for row in rows)
        self.webui = StandinWebui(txt2img, img2img, auth=auth, controlnet=self.controlnet, **webui).start()
        self.ledger = Ledger.open(runtime.ledger_url())

    def rendered_seeds(self) -> list[int]:
        return [payload["seed"] for _, payload in self.webui.renders]

    def close(self) -> None:
        self.webui.stop()
        self.ledger.close()
        self.extension.close()


__all__ = ["CanaryHost", "pose_unit"]
