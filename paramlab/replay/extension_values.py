"""Known extensions' arguments as flat (name, value) pairs, for the image detail and the filter model.

A run keeps each always-on script's arguments as JSON (:mod:`paramlab.replay.args_json`); people search
them by what the extension calls them: "unit 0 model" of ControlNet, "ad_model" of ADetailer, the template of
Dynamic Prompts. The readers here know the argument layouts of those extensions (sd-webui-controlnet 1.1.4xx
and Forge's built-in ControlNet, ADetailer 24–25, sd-dynamic-prompts 2.x) as they arrive in
``p.script_args``: raw dicts from an API request, ``ControlNetUnit`` objects (read as JSON already) from the
UI. Any other script's values are its arguments by their controls' labels.
"""

from __future__ import annotations

import json
import re
from typing import Any

from paramlab.replay.args_json import PLACEHOLDER

MAX_VALUE = 2000

CONTROLNET = "controlnet"
ADETAILER = "adetailer"
DYNAMIC_PROMPTS = "dynamic prompts"  # sd-dynamic-prompts' title carries its version: "Dynamic Prompts v2.17.1"

# ControlNet unit fields shown, by the name people search them under, with ControlNet's defaults (a unit
# posted through the API carries only the keys sent; ControlNetUnit.from_dict fills the rest so).
CONTROLNET_FIELDS: dict[str, tuple[str, Any]] = {
    "module": ("module", "none"),
    "model": ("model", "None"),
    "weight": ("weight", 1.0),
    "guidance_start": ("guidance start", 0.0),
    "guidance_end": ("guidance end", 1.0),
    "control_mode": ("control mode", "Balanced"),
    "resize_mode": ("resize mode", "Crop and Resize"),
    "pixel_perfect": ("pixel perfect", False),
    "processor_res": ("processor res", -1),
}
CONTROL_MODES = ("Balanced", "My prompt is more important", "ControlNet is more important")  # the API's ints
RESIZE_MODES = ("Just Resize", "Crop and Resize", "Resize and Fill")
CONTROLNET_ALIASES = {"input_image": "image", "guidance": "guidance_end", "mask_image": "mask"}

ADETAILER_CORE = ("ad_model", "ad_model_classes", "ad_prompt", "ad_negative_prompt", "ad_confidence",
                  "ad_mask_filter_method", "ad_mask_k", "ad_mask_min_ratio", "ad_mask_max_ratio", "ad_x_offset",
                  "ad_y_offset", "ad_dilate_erode", "ad_mask_merge_invert", "ad_mask_blur", "ad_denoising_strength",
                  "ad_inpaint_only_masked", "ad_inpaint_only_masked_padding", "ad_restore_face",
                  "ad_controlnet_model")
# A setting shown only when its switch is on, as ADetailer's own infotext does.
ADETAILER_SWITCHED = {
    "ad_use_inpaint_width_height": ("ad_inpaint_width", "ad_inpaint_height"),
    "ad_use_steps": ("ad_steps",), "ad_use_cfg_scale": ("ad_cfg_scale",), "ad_use_checkpoint": ("ad_checkpoint",),
    "ad_use_vae": ("ad_vae",), "ad_use_sampler": ("ad_sampler", "ad_scheduler"),
    "ad_use_noise_multiplier": ("ad_noise_multiplier",), "ad_use_clip_skip": ("ad_clip_skip",),
}
ADETAILER_CONTROLNET = ("ad_controlnet_module", "ad_controlnet_weight", "ad_controlnet_guidance_start",
                        "ad_controlnet_guidance_end")
ADETAILER_DEFAULTS: dict[str, Any] = {  # adetailer/args.py ADetailerArgs
    "ad_model": "None", "ad_model_classes": "", "ad_tab_enable": True, "ad_prompt": "", "ad_negative_prompt": "",
    "ad_confidence": 0.3, "ad_mask_filter_method": "Area", "ad_mask_k": 0, "ad_mask_min_ratio": 0.0,
    "ad_mask_max_ratio": 1.0, "ad_dilate_erode": 4, "ad_x_offset": 0, "ad_y_offset": 0,
    "ad_mask_merge_invert": "None", "ad_mask_blur": 4, "ad_denoising_strength": 0.4, "ad_inpaint_only_masked": True,
    "ad_inpaint_only_masked_padding": 32, "ad_use_inpaint_width_height": False, "ad_inpaint_width": 512,
    "ad_inpaint_height": 512, "ad_use_steps": False, "ad_steps": 28, "ad_use_cfg_scale": False, "ad_cfg_scale": 7.0,
    "ad_use_checkpoint": False, "ad_checkpoint": None, "ad_use_vae": False, "ad_vae": None, "ad_use_sampler": False,
    "ad_sampler": "DPM++ 2M Karras", "ad_scheduler": "Use same scheduler", "ad_use_noise_multiplier": False,
    "ad_noise_multiplier": 1.0, "ad_use_clip_skip": False, "ad_clip_skip": 1, "ad_restore_face": False,
    "ad_controlnet_model": "None", "ad_controlnet_module": "None", "ad_controlnet_weight": 1.0,
    "ad_controlnet_guidance_start": 0.0, "ad_controlnet_guidance_end": 1.0,
}


def image_source(title: str, arg_path: str) -> tuple[str, str]:
    """(source, role) of an image found at ``arg_path`` ("ControlNet/args/0/image") in ``title``'s arguments:
    a ControlNet unit's image is its control input ("ControlNet unit 0", "control"), its mask "mask"."""
    if title.lower() == CONTROLNET:
        match = re.match(r"[^/]*/args/(\d+)(/.*)?$", arg_path)
        if match:
            rest = match.group(2) or ""
            return f"ControlNet unit {match.group(1)}", "mask" if "mask" in rest else "control"
    return title, "script"


def script_values(title: str, args: list[Any], labelled: dict[str, Any] | None = None,
                  prompts: tuple[str | None, list[str] | None] = (None, None)) -> list[tuple[str, str]]:
    """The script's arguments (as JSON) as (name, value) pairs; ``labelled`` is ``{label: value}`` of its
    controls (for scripts without a reader here), ``prompts`` the run's prompt and resolved prompts."""
    kind = title.lower()
    if kind == CONTROLNET:
        return controlnet_values(args)
    if kind == ADETAILER:
        return adetailer_values(args)
    if kind.startswith(DYNAMIC_PROMPTS):
        return dynamic_prompts_values(args, *prompts)
    return [(str(label), value_text(value)) for label, value in (labelled or {}).items()]


def controlnet_values(args: list[Any]) -> list[tuple[str, str]]:
    """Each enabled unit's settings, "unit N …" (N its place among the script's units, as in ControlNet's own
    infotext "ControlNet N"); the model as ControlNet names it, "name [hash]"."""
    values: list[tuple[str, str]] = []
    for index, unit in enumerate(args):
        if not isinstance(unit, dict):
            continue
        unit = {CONTROLNET_ALIASES.get(key, key): item for key, item in unit.items()}
        if not unit.get("enabled", False):
            continue
        values.append((f"unit {index} enabled", "True"))
        for key, (name, default) in CONTROLNET_FIELDS.items():
            value = unit.get(key, default)
            if key == "control_mode" and isinstance(value, int) and 0 <= value < len(CONTROL_MODES):
                value = CONTROL_MODES[value]
            if key == "resize_mode" and isinstance(value, int) and 0 <= value < len(RESIZE_MODES):
                value = RESIZE_MODES[value]
            values.append((f"unit {index} {name}", value_text(value)))
        if unit.get("image") is not None:
            values.append((f"unit {index} image", "given"))
    return values


def adetailer_values(args: list[Any]) -> list[tuple[str, str]]:
    """ADetailer's ``[enable, skip_img2img, tab dict, …]``: each tab that runs (a model, tab enabled), named
    as ADetailer's infotext suffixes them ("ad_model", "ad_model 2nd", …)."""
    flags = [item for item in args[:2] if isinstance(item, bool)]
    values = [("enabled", value_text(flags[0] if flags else True))]
    if len(flags) > 1 and flags[1]:
        values.append(("skip img2img", "True"))
    tabs = [item for item in args if isinstance(item, dict)]
    for number, tab in enumerate(tabs):
        tab = {**ADETAILER_DEFAULTS, **tab}
        if tab["ad_model"] == "None" or tab["ad_tab_enable"] is False:
            continue
        suffix = "" if number == 0 else f" {ordinal(number + 1)}"
        keys = list(ADETAILER_CORE)
        for switch, settings in ADETAILER_SWITCHED.items():
            if tab.get(switch):
                keys.extend(settings)
        if tab.get("ad_controlnet_model") not in (None, "None"):
            keys.extend(ADETAILER_CONTROLNET)
        values.extend((key + suffix, value_text(tab.get(key))) for key in keys)
    return values


def dynamic_prompts_values(args: list[Any], template: str | None, resolved: list[str] | None
                           ) -> list[tuple[str, str]]:
    """sd-dynamic-prompts: on or off, combinatorial or random, the template (the prompt as written) and the
    prompt it made (the first one, when the run made several)."""
    values = [("enabled", value_text(args[0] if args else None)),
              ("combinatorial", value_text(args[1] if len(args) > 1 else None))]
    if template is not None:
        values.append(("template", value_text(template)))
    if resolved:
        values.append(("resolved prompt", value_text(resolved[0])))
        if len(set(resolved)) > 1:
            values.append(("resolved prompts", str(len(set(resolved)))))
    return values


def ordinal(number: int) -> str:
    """ADetailer's ordinal: 2nd, 3rd, 4th, 11th …"""
    ending = {1: "st", 2: "nd", 3: "rd"}
    return f"{number}{'th' if 11 <= number % 100 <= 13 else ending.get(number % 10, 'th')}"


def value_text(value: Any) -> str:
    """A value as people read it: "True", "0.5", the text itself; an image placeholder as "image"."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value[:MAX_VALUE]
    if isinstance(value, (bool, int, float)):
        return str(value)
    if isinstance(value, dict) and PLACEHOLDER in value:
        return "image"
    return json.dumps(value, ensure_ascii=False, default=str)[:MAX_VALUE]
