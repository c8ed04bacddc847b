"""Stand-in for sd-webui-controlnet 1.1.455 (``extensions/sd-webui-controlnet/scripts/controlnet.py``), and for
Forge's built-in ControlNet under the Forge flavour (there the unit is a dataclass, not a pydantic model).

Faithful where ParamLab looks (LAB_FINDINGS.md; the real source): title "ControlNet", one argument per unit
(Settings ``control_net_unit_count``, 3), the UI's default units are ``ControlNetUnit`` objects, an API request's
units stay in ``p.script_args`` as the raw dicts posted (parsed inside ``process`` without writing them back),
the accepted image forms (base64 with or without a data URL, numpy arrays, ``{"image", "mask"}``, ``[image,
mask]``, a separate ``mask``/``mask_image``), the infotext ``ControlNet N: "Module: …, Model: …"`` written for
the enabled units, each unit's detected map appended to the run's images (an API answer with one unit
has 2 images), and a model that is not installed: the infotext names it, ``process`` fails ("model not
found: None"), A1111 reports it and the picture is made without ControlNet.

STAND-IN: no network runs. Each enabled unit adds its control image (resized by its resize mode to the
latent's size, times its weight, guidance span and control mode, masked by its mask) and a small offset from
its other settings to the sampling noise, so the picture depends on every input, deterministically.
"""

from __future__ import annotations

import base64
import dataclasses
import enum
import hashlib
import io
import types
from typing import Any

import gradio as gr
import numpy as np
import torch
from modules import _standin_flavour, script_callbacks, scripts, shared
from PIL import Image, ImageOps

MODELS: list[str] = ["control_v11p_sd15_openpose [cab727d4]", "control_v11f1p_sd15_depth [cfd03158]"]
"""TEST HELPER: the installed models, as ``/controlnet/model_list`` names them ("name [hash8]")."""
MODULES: list[str] = ["none", "canny", "depth_midas", "openpose"]
API_VERSION = 3


InputMode = enum.Enum("InputMode", {"SIMPLE": "simple", "BATCH": "batch", "MERGE": "merge"}, type=str)
ResizeMode = enum.Enum("ResizeMode", {"RESIZE": "Just Resize", "INNER_FIT": "Crop and Resize",
                                      "OUTER_FIT": "Resize and Fill"}, type=str)
ControlMode = enum.Enum("ControlMode", {"BALANCED": "Balanced", "PROMPT": "My prompt is more important",
                                        "CONTROL": "ControlNet is more important"}, type=str)
HiResFixOption = enum.Enum("HiResFixOption", {"BOTH": "Both", "LOW_RES_ONLY": "Low res only",
                                              "HIGH_RES_ONLY": "High res only"}, type=str)
"""The unit's str-valued enums (scripts/enums.py)."""

UNIT_FIELDS: list[tuple[str, type, Any]] = [
    ("is_ui", bool, False), ("input_mode", InputMode, InputMode.SIMPLE), ("batch_images", Any, None),
    ("output_dir", str, ""), ("loopback", bool, False), ("enabled", bool, False), ("module", str, "none"),
    ("model", str, "None"), ("weight", float, 1.0), ("image", Any, None), ("resize_mode", ResizeMode,
    ResizeMode.INNER_FIT), ("low_vram", bool, False), ("processor_res", int, -1), ("threshold_a", float, -1),
    ("threshold_b", float, -1), ("guidance_start", float, 0.0), ("guidance_end", float, 1.0),
    ("pixel_perfect", bool, False), ("control_mode", ControlMode, ControlMode.BALANCED),
    ("inpaint_crop_input_image", bool, True), ("hr_option", HiResFixOption, HiResFixOption.BOTH),
    ("save_detected_map", bool, True), ("advanced_weighting", Any, None), ("effective_region_mask", Any, None),
    ("mask", Any, None),
]
INFOTEXT_FIELDS = ("module", "model", "weight", "resize_mode", "processor_res", "threshold_a", "threshold_b",
                   "guidance_start", "guidance_end", "pixel_perfect", "control_mode")
ALIASES = {"guidance": "guidance_end", "lowvram": "low_vram", "input_image": "image", "mask_image": "mask"}


def _unit_class() -> type:
    """A1111's extension: a pydantic (v1) BaseModel; Forge's built-in one: a dataclass."""
    if _standin_flavour.FORGE:
        return dataclasses.make_dataclass("ControlNetUnit", [(name, kind, dataclasses.field(default=default))
                                                             for name, kind, default in UNIT_FIELDS])
    try:
        from pydantic.v1 import BaseModel, create_model
    except ImportError:
        from pydantic import BaseModel, create_model

    class Config(BaseModel.Config):
        arbitrary_types_allowed = True
        extra = "ignore"

    return create_model("ControlNetUnit", __config__=Config,
                        **{name: (kind, default) for name, kind, default in UNIT_FIELDS})


ControlNetUnit = _unit_class()


def unit_from(value: Any) -> Any:
    """``to_processing_unit``: a dict (legacy aliases applied) or a unit; enum fields from their values."""
    if not isinstance(value, dict):
        return value
    values = {ALIASES.get(key, key): item for key, item in value.items()}
    for name, kind, _default in UNIT_FIELDS:
        if isinstance(kind, type) and issubclass(kind, enum.Enum) and name in values:
            values[name] = kind(values[name])
    known = {name for name, _kind, _default in UNIT_FIELDS}
    return ControlNetUnit(**{key: item for key, item in values.items() if key in known})


def _array(image: Any) -> np.ndarray:
    if isinstance(image, np.ndarray):
        return image
    if isinstance(image, str):
        text = image.split(",", 1)[1] if image.startswith("data:image/") else image
        image = Image.open(io.BytesIO(base64.b64decode(text)))
    return np.array(image.convert("RGB") if isinstance(image, Image.Image) else image).astype("uint8")


def input_images_rgba(unit: Any) -> list[np.ndarray]:
    """``ControlNetUnit.get_input_images_rgba``: H×W×4 (RGB + the mask in alpha) per input."""
    image, mask = unit.image, unit.mask
    if image is None:
        return []
    if isinstance(image, (list, tuple)):
        pairs = image if isinstance(image[0], dict) else [{"image": image[0], "mask": image[1]}]
    elif isinstance(image, dict):
        pairs = [image]
    else:
        pairs = [{"image": image, "mask": mask}]
    result = []
    for pair in pairs:
        rgb = _array(pair["image"])
        rgb = np.stack([rgb] * 3, axis=2) if rgb.ndim == 2 else rgb[:, :, :3]
        alpha = _array(pair["mask"]) if pair.get("mask") is not None else np.zeros(rgb.shape[:2], np.uint8)
        alpha = alpha if alpha.ndim == 2 else alpha[:, :, 0]
        result.append(np.concatenate([rgb, alpha[:, :, None]], axis=2))
    return result


def serialize(unit: Any) -> str:
    """The unit in the infotext: "Module: none, Model: …, Weight: 1.0, …"."""
    def text(value: Any) -> str:
        return str(value.value if isinstance(value, enum.Enum) else value)
    return ", ".join(f"{' '.join(word.capitalize() for word in name.split('_'))}: {text(getattr(unit, name))}"
                     for name in INFOTEXT_FIELDS)


class Script(scripts.Script):
    """The ControlNet always-on script."""

    def title(self) -> str:
        return "ControlNet"

    def show(self, is_img2img: bool) -> Any:
        return scripts.AlwaysVisible

    def ui(self, is_img2img: bool) -> list[Any]:
        count = int(shared.opts.data.get("control_net_unit_count", 3))
        return [gr.State(value=ControlNetUnit()) for _ in range(count)]

    def process(self, p: Any, *args: Any) -> None:
        """Parse the units (never written back), write their infotext, then load their models."""
        units = [unit_from(arg) for arg in args if isinstance(arg, dict) or hasattr(arg, "enabled")]
        enabled = [unit for unit in units if unit.enabled]
        p.extra_generation_params.update({f"ControlNet {index}": serialize(unit)
                                          for index, unit in enumerate(enabled)})
        p.standin_controlnet = []
        for unit in enabled:
            if unit.model not in MODELS:
                raise RuntimeError("model not found: None")
        p.standin_controlnet = [(unit, input_images_rgba(unit)) for unit in enabled]

    def process_before_every_sampling(self, p: Any, *args: Any, **kwargs: Any) -> None:
        """Every sampling (the hires pass too): the units' effect goes into the noise, in place."""
        noise = kwargs.get("noise")
        if noise is None:
            return
        for unit, images in getattr(p, "standin_controlnet", None) or []:
            for rgba in images:
                noise[:, :3] += control_effect(unit, rgba, noise.shape[-2], noise.shape[-1]).to(noise.dtype)


    def postprocess(self, p: Any, processed: Any, *args: Any) -> None:
        """Each unit's detected map goes after the pictures (Settings "control_net_no_detectmap" off): an API
        answer of a run with one unit has 2 images (LAB_FINDINGS). STAND-IN: module "none" maps to its input."""
        if shared.opts.data.get("control_net_no_detectmap", False):
            return
        for unit, images in getattr(p, "standin_controlnet", None) or []:
            if unit.save_detected_map:
                processed.images.extend(Image.fromarray(np.ascontiguousarray(rgba[:, :, :3])) for rgba in images)
        p.standin_controlnet = []


def control_effect(unit: Any, rgba: np.ndarray, height: int, width: int) -> torch.Tensor:
    """3×h×w: the control image fitted to the latent as the unit's resize mode says, scaled by its settings."""
    picture = Image.fromarray(np.ascontiguousarray(rgba[:, :, :3]))
    mask = Image.fromarray(np.ascontiguousarray(rgba[:, :, 3]))
    mode = ResizeMode(getattr(unit.resize_mode, "value", unit.resize_mode))
    if mode == ResizeMode.RESIZE:
        picture, mask = picture.resize((width, height)), mask.resize((width, height))
    elif mode == ResizeMode.INNER_FIT:
        picture, mask = ImageOps.fit(picture, (width, height)), ImageOps.fit(mask, (width, height))
    else:
        picture, mask = ImageOps.pad(picture, (width, height)), ImageOps.pad(mask, (width, height))
    control = torch.from_numpy(np.array(picture, dtype=np.float32) / 255.0 - 0.5).permute(2, 0, 1)
    keep = 1.0 - 0.5 * torch.from_numpy(np.array(mask, dtype=np.float32) / 255.0)
    mode_factor = {ControlMode.BALANCED: 1.0, ControlMode.PROMPT: 0.5, ControlMode.CONTROL: 1.5}[
        ControlMode(getattr(unit.control_mode, "value", unit.control_mode))]
    span = max(float(unit.guidance_end) - float(unit.guidance_start), 0.0)
    key = f"{unit.module}|{unit.model}|{unit.processor_res}|{unit.threshold_a}|{unit.threshold_b}|{unit.pixel_perfect}"
    offset = int.from_bytes(hashlib.sha256(key.encode()).digest()[:2], "little") / 65536 - 0.5
    return (control * float(unit.weight) * span * mode_factor + 0.05 * offset) * keep


def _get_models(update: bool = False) -> list[str]:
    """``external_code.get_models``: the installed models (``update`` rescans the folder; here MODELS is read)."""
    return list(MODELS)


external_code = types.SimpleNamespace(get_models=_get_models)
"""The real script does ``from scripts import global_state, hook, external_code, …``: the module's ``external_code``
is the extension's public API, whose ``get_models`` the ``/controlnet/model_list`` route answers with."""


def model_list() -> dict[str, list[str]]:
    """GET /controlnet/model_list."""
    return {"model_list": external_code.get_models(update=True)}


def controlnet_api(_demo: Any, app: Any) -> None:
    """The extension's routes (scripts/api.py), added when the app starts."""
    app.add_api_route("/controlnet/version", lambda: {"version": API_VERSION}, methods=["GET"])
    app.add_api_route("/controlnet/model_list", model_list, methods=["GET"])
    app.add_api_route("/controlnet/module_list", lambda: {"module_list": list(MODULES)}, methods=["GET"])


script_callbacks.on_app_started(controlnet_api)
