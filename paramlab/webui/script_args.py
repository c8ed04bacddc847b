"""A selectable script's arguments as the user gave them, by their controls' labels, for the job's row
(X/Y/Z axes and values, a tile upscale's settings …), and the settings of a tile upscale read from them."""

from __future__ import annotations

import json
from typing import Any

from paramlab.gradio_compat import choice_names, component_label, is_index_choice

MAX_TEXT = 2000  # longer values (a prompt list) are cut, so one job row stays small

# Named fallbacks per known tile-upscale script: the canonical setting → the control's label ("Type (2)":
# the second control labelled "Type").
KNOWN_TILE_SCRIPTS: dict[str, dict[str, str]] = {
    "ultimate sd upscale": {
        "upscaler": "Upscaler", "tile_width": "Tile width", "tile_height": "Tile height", "padding": "Padding",
        "mask_blur": "Mask blur", "redraw": "Type", "seams_fix": "Type (2)", "seams_fix_denoise": "Denoise",
        "target": "Target size type", "scale": "Scale",
    },
    "sd upscale": {"upscaler": "Upscaler", "overlap": "Tile overlap", "scale": "Scale Factor"},
}


def selected_script(p: Any) -> Any:
    """The Script-dropdown script driving this ``p``, or None."""
    script_args = getattr(p, "script_args", None) or ()
    index = script_args[0] if script_args and isinstance(script_args[0], int) else 0
    runner = getattr(p, "scripts", None)
    selectable = getattr(runner, "selectable_scripts", None) or []
    return selectable[index - 1] if 0 < index <= len(selectable) else None


def labelled_args(p: Any, script: Any) -> dict[str, Any]:
    """``{label: value}`` of the script's controls; an index choice becomes its name, a repeated label
    gets " (2)", " (3)"…, text-only blocks are left out."""
    runner = getattr(p, "scripts", None)
    inputs = list(getattr(runner, "inputs", None) or [])
    values = list(getattr(p, "script_args", None) or ())
    start, end = int(getattr(script, "args_from", 0) or 0), int(getattr(script, "args_to", 0) or 0)
    result: dict[str, Any] = {}
    for position in range(start, min(end, len(values))):
        component = inputs[position] if position < len(inputs) else None
        label = component_label(component) if component is not None else f"arg {position - start + 1}"
        if label is None:
            continue
        value = values[position]
        if component is not None and is_index_choice(component) and isinstance(value, int):
            names = choice_names(component)
            value = names[value] if 0 <= value < len(names) else value
        key, number = label, 2
        while key in result:
            key, number = f"{label} ({number})", number + 1
        result[key] = json_safe(value)
    return result


def json_safe(value: Any) -> Any:
    """Plain JSON values; an image becomes ``"<image W×H>"``, anything else its (cut) text."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        return value[:MAX_TEXT]
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value[:100]]
    if isinstance(value, dict):
        return {str(key): json_safe(item) for key, item in list(value.items())[:100]}
    if hasattr(value, "size") and hasattr(value, "mode"):
        width, height = value.size
        return f"<image {width}×{height}>"
    return str(value)[:MAX_TEXT]


def args_json(args: dict[str, Any]) -> str | None:
    return json.dumps(args, ensure_ascii=False) if args else None


def tile_upscale_settings(script_name: str | None, args: dict[str, Any], extra_params: dict[str, Any],
                          passes: list[dict[str, Any]], input_size: tuple[int, int] | None,
                          output_size: tuple[int, int]) -> dict[str, Any]:
    """What made a tile upscale's image: upscaler, scale or target, tile size, padding, seams fix,
    denoising and steps per tile, from the script's arguments (named per known script), its infotext
    keys, and its passes."""
    first = passes[0] if passes else {}
    known = KNOWN_TILE_SCRIPTS.get((script_name or "").lower(), {})
    named = {setting: args[label] for setting, label in known.items() if label in args}
    settings: dict[str, Any] = {"method": "tiled", "script": script_name, "output_size": list(output_size),
                                "input_size": list(input_size) if input_size else None, "passes": len(passes),
                                "tile_width": first.get("width"), "tile_height": first.get("height"),
                                "denoising": first.get("denoising_strength"), "steps_per_tile": first.get("steps"),
                                "sampler": first.get("sampler")}
    settings.update(named)
    for side, other in (("tile_height", "tile_width"), ("tile_width", "tile_height")):
        if settings.get(side) in (0, None):  # USDU: 0 means "the same as the other side"
            settings[side] = settings.get(other) or first.get("height" if side == "tile_height" else "width")
    for key, value in extra_params.items():  # e.g. "Ultimate SD upscale upscaler", "SD upscale overlap"
        lowered = str(key).lower()
        if isinstance(value, (str, int, float)) and ("upscale" in lowered or "tile" in lowered):
            settings.setdefault("infotext", {})[str(key)] = value
    if settings.get("upscaler") is None:
        from_infotext = settings.get("infotext", {})
        settings["upscaler"] = next((v for k, v in from_infotext.items() if k.lower().endswith("upscaler")), None)
    if input_size and input_size[0] and settings.get("scale") in (None, ""):
        settings["scale"] = round(output_size[0] / input_size[0], 3)
    return settings
