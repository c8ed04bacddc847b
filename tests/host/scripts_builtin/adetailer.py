"""Stand-in for ADetailer 25.3.0 (``extensions/adetailer/scripts/!adetailer.py``, class AfterDetailerScript).

Faithful where ParamLab looks (LAB_FINDINGS.md; the real source): title "ADetailer", arguments
``[ad_enable, skip_img2img, tab dict × Settings "ad_max_models" (4)]`` (an API request's dicts kept as posted,
the UI's full default dicts otherwise), a tab skipped when ``ad_model`` is "None" or ``ad_tab_enable`` is
False, its infotext keys ("ADetailer model", "ADetailer prompt 2nd" …) written in ``process``, and its
re-running of every other always-on script's hooks on a COPY of ``p`` in ``postprocess_image``:
``postprocess(copy(p), <empty Processed>)`` at the batch's first image, ``before_process(copy_p)`` and
``process(copy_p)`` at its last — even when nothing is detected.

STAND-IN: no detector runs. Each active tab "detects" the centre of the picture (its size from
``ad_confidence``) and repaints it towards a colour derived from its prompts, model, denoising strength and
the image's seed, so the picture depends on the tab's settings, deterministically.
"""

from __future__ import annotations

import hashlib
from copy import copy
from typing import Any, Optional

import gradio as gr
from modules import scripts, shared
from modules.processing import Processed
from PIL import Image, ImageFilter

try:
    from pydantic.v1 import BaseModel, Extra
except ImportError:  # pydantic 1, as A1111's venv has
    from pydantic import BaseModel, Extra

VERSION = "25.3.0"
MODELS = ["mediapipe_face_full", "mediapipe_face_short", "mediapipe_face_mesh", "mediapipe_face_mesh_eyes_only"]


class ADetailerArgs(BaseModel, extra=Extra.forbid):
    """One tab's settings (adetailer/args.py): an unknown key is refused."""

    ad_model: str = "None"
    ad_model_classes: str = ""
    ad_tab_enable: bool = True
    ad_prompt: str = ""
    ad_negative_prompt: str = ""
    ad_confidence: float = 0.3
    ad_mask_filter_method: str = "Area"
    ad_mask_k: int = 0
    ad_mask_min_ratio: float = 0.0
    ad_mask_max_ratio: float = 1.0
    ad_dilate_erode: int = 4
    ad_x_offset: int = 0
    ad_y_offset: int = 0
    ad_mask_merge_invert: str = "None"
    ad_mask_blur: int = 4
    ad_denoising_strength: float = 0.4
    ad_inpaint_only_masked: bool = True
    ad_inpaint_only_masked_padding: int = 32
    ad_use_inpaint_width_height: bool = False
    ad_inpaint_width: int = 512
    ad_inpaint_height: int = 512
    ad_use_steps: bool = False
    ad_steps: int = 28
    ad_use_cfg_scale: bool = False
    ad_cfg_scale: float = 7.0
    ad_use_checkpoint: bool = False
    ad_checkpoint: Optional[str] = None  # noqa: UP045 - pydantic v1 reads the annotation
    ad_use_vae: bool = False
    ad_vae: Optional[str] = None  # noqa: UP045
    ad_use_sampler: bool = False
    ad_sampler: str = "DPM++ 2M Karras"
    ad_scheduler: str = "Use same scheduler"
    ad_use_noise_multiplier: bool = False
    ad_noise_multiplier: float = 1.0
    ad_use_clip_skip: bool = False
    ad_clip_skip: int = 1
    ad_restore_face: bool = False
    ad_controlnet_model: str = "None"
    ad_controlnet_module: str = "None"
    ad_controlnet_weight: float = 1.0
    ad_controlnet_guidance_start: float = 0.0
    ad_controlnet_guidance_end: float = 1.0


ADetailerArgs.update_forward_refs(Optional=Optional)  # this file is loaded outside sys.modules, as A1111 loads it

model_mapping: dict[str, str] = {name: name for name in MODELS}
"""The real script's module-level ``model_mapping`` (name → file; mediapipe's by name), which
``/adetailer/v1/ad_model`` lists."""

INFOTEXT = {"ad_model": "ADetailer model", "ad_prompt": "ADetailer prompt",
            "ad_negative_prompt": "ADetailer negative prompt", "ad_confidence": "ADetailer confidence",
            "ad_dilate_erode": "ADetailer dilate erode", "ad_mask_blur": "ADetailer mask blur",
            "ad_denoising_strength": "ADetailer denoising strength",
            "ad_inpaint_only_masked": "ADetailer inpaint only masked",
            "ad_inpaint_only_masked_padding": "ADetailer inpaint padding"}


def ordinal(n: int) -> str:
    return str(n) + ("th" if 11 <= n % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th"))


def suffix(n: int) -> str:
    return "" if n == 0 else " " + ordinal(n + 1)


def tabs_of(args: tuple) -> list[dict[str, Any]]:
    """The tab dicts, each validated and completed with the defaults (``ADetailerArgs(**arg)``)."""
    return [ADetailerArgs(**arg).dict() for arg in args if isinstance(arg, dict)]


def is_enabled(args: tuple) -> bool:
    enabled = args[0] if args and isinstance(args[0], bool) else True
    return enabled and any(tab["ad_model"] != "None" and tab["ad_tab_enable"] is not False for tab in tabs_of(args))


class AfterDetailerScript(scripts.Script):
    """The ADetailer always-on script."""

    def title(self) -> str:
        return "ADetailer"

    def show(self, is_img2img: bool) -> Any:
        return scripts.AlwaysVisible

    def ui(self, is_img2img: bool) -> list[Any]:
        count = int(shared.opts.data.get("ad_max_models", 4))
        enable = gr.Checkbox(label="Enable ADetailer", value=False)
        skip = gr.Checkbox(label="Skip img2img", value=False, visible=not is_img2img)
        return [enable, skip, *[gr.State(value=ADetailerArgs().dict()) for _ in range(count)]]

    def process(self, p: Any, *args: Any) -> None:
        if not is_enabled(args):
            p._ad_disabled = True
            return
        for n, tab in enumerate(tabs_of(args)):
            if tab["ad_model"] == "None" or tab["ad_tab_enable"] is False:
                continue
            for key, name in INFOTEXT.items():
                if tab[key] not in ("", None):
                    p.extra_generation_params[name + suffix(n)] = tab[key]
        p.extra_generation_params["ADetailer version"] = VERSION

    def postprocess_image(self, p: Any, pp: Any, *args: Any) -> None:
        if getattr(p, "_ad_disabled", False) or not is_enabled(args):
            return
        if p.batch_index == 0:  # need_call_postprocess
            p.scripts.postprocess(copy(p), Processed(p, [], p.seed, ""))
        seed = (p.seeds[p.batch_index] if getattr(p, "seeds", None) else p.seed) or 0
        for tab in tabs_of(args):
            if tab["ad_model"] != "None" and tab["ad_tab_enable"] is not False:
                pp.image = repaint(pp.image, tab, int(seed))
        if p.batch_index == p.batch_size - 1:  # need_call_process
            copy_p = copy(p)
            p.scripts.before_process(copy_p)
            p.scripts.process(copy_p)


def repaint(image: Image.Image, tab: dict[str, Any], seed: int) -> Image.Image:
    """The "detected" centre box, blended towards the tab's colour by its denoising strength."""
    key = f"{tab['ad_model']}|{tab['ad_prompt']}|{tab['ad_negative_prompt']}|{tab['ad_denoising_strength']}|{seed}"
    colour = tuple(hashlib.sha256(key.encode()).digest()[:3])
    width, height = image.size
    share = min(max(1.0 - float(tab["ad_confidence"]), 0.1), 0.9)
    box_w, box_h = max(int(width * share), 1), max(int(height * share), 1)
    left, top = (width - box_w) // 2 + int(tab["ad_x_offset"]), (height - box_h) // 2 - int(tab["ad_y_offset"])
    mask = Image.new("L", image.size, 0)
    mask.paste(int(255 * float(tab["ad_denoising_strength"])), (left, top, left + box_w, top + box_h))
    if tab["ad_mask_blur"]:
        mask = mask.filter(ImageFilter.GaussianBlur(int(tab["ad_mask_blur"])))
    return Image.composite(Image.new("RGB", image.size, colour), image.convert("RGB"), mask)


Script = AfterDetailerScript
