"""TEST HELPER for the canary: a stand-in WebUI with ParamLab loaded, serving its API over HTTP, with six
recorded images (four txt2img, two img2img, saved as files), and a replay request built from the ledger row.

The request builder stands in for :func:`paramlab.replay.request.build_replay_request` until the replay
branch is merged: it replays a row's core settings (and the img2img init image this helper used) the way
the A1111 API takes them, and names what the host must have (``needs``)."""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

from modules.api import api
from PIL import Image
from standin_http import StandinWebui
from webui_support import LoadedExtension

from paramlab.ledger import Ledger
from paramlab.ledger.reads.replay import replay_row
from paramlab.replay.request import HostInventory, ReplayNeeds, ReplayRequest
from paramlab.seeds.fingerprint import load_fingerprint
from paramlab.webui import runtime

COMMON = {"prompt": "a lighthouse at dusk", "negative_prompt": "blurry", "steps": 3, "width": 64, "height": 64,
          "sampler_name": "Euler", "save_images": True}
INIT = Image.new("RGB", (64, 64), "teal")
# A ControlNet model the tests name for one image (not installed on the stand-in: the replay is refused).
MISSING_CONTROLNET = "control_v11p_sd15_openpose [cab727d4]"
EXTRA_NEEDS: dict[int, dict[str, list[str]]] = {}  # image id → ReplayNeeds.extension_models, set by a test


def png_base64(image: Image.Image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


class CanaryHost:
    """The stand-in WebUI (started) and its six recorded images' ids."""

    def __init__(self, data_dir: Path, auth: str | None = None, **webui: Any):
        self.extension = LoadedExtension(data_dir)
        txt2img, img2img = self.extension.runner(), self.extension.runner(is_img2img=True)
        for seed in (11, 12, 13, 14):
            api.text2imgapi(txt2img, {**COMMON, "seed": seed})
        for seed in (21, 22):
            api.img2imgapi(img2img, {**COMMON, "seed": seed, "init_images": [png_base64(INIT)],
                                     "denoising_strength": 0.6})
        self.image_ids = [row["id"] for row in self.extension.rows()]
        assert len(self.image_ids) == 6 and all(row["image_path"] for row in self.extension.rows())
        self.webui = StandinWebui(txt2img, img2img, auth=auth, **webui).start()
        self.ledger = Ledger.open(runtime.ledger_url())
        EXTRA_NEEDS.clear()

    def rendered_seeds(self) -> list[int]:
        return [payload["seed"] for _, payload in self.webui.renders]

    def close(self) -> None:
        self.webui.stop()
        self.ledger.close()
        self.extension.close()


def standin_replay_request(ledger: Ledger, image_id: int) -> ReplayRequest:
    """The row's core settings as an A1111 API body (what the replay branch's builder will do fully)."""
    row = replay_row(ledger, image_id)
    assert row is not None
    payload: dict[str, Any] = {
        "prompt": row["prompt"], "negative_prompt": row["negative_prompt"], "seed": row["seed"],
        "steps": row["steps"], "cfg_scale": row["cfg_scale"], "width": row["width"], "height": row["height"],
        "sampler_name": row["sampler"], "send_images": True, "save_images": False,
    }
    if row["tab"] == "img2img":
        payload.update(init_images=[png_base64(INIT)], denoising_strength=row["denoising_strength"])
    needs = ReplayNeeds(checkpoint=row["model_hash"], extension_models=EXTRA_NEEDS.get(image_id, {}))
    return ReplayRequest(image_id, row["tab"], payload, needs, recorded_seconds=row["cost_seconds"],
                         device=load_fingerprint(row["fingerprint"]).get("device"))


def standin_missing_on_host(request: ReplayRequest, inventory: HostInventory) -> list[str]:
    """The host lacks a model, an extension or one of its models: one sentence each, naming it."""
    missing = []
    if request.needs.checkpoint and request.needs.checkpoint not in inventory.checkpoints:
        missing.append(f"checkpoint {request.needs.checkpoint} is not installed")
    for title, models in request.needs.extension_models.items():
        if title not in inventory.extension_models:
            missing.append(f"{title} is not installed")
            continue
        missing += [f"{title} model {model} is not installed" for model in models
                    if model not in inventory.extension_models[title]]
    return missing


__all__ = ["EXTRA_NEEDS", "MISSING_CONTROLNET", "CanaryHost", "standin_missing_on_host", "standin_replay_request"]
