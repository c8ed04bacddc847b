"""Which model files a run used: the checkpoint, the VAE, each LoRA its prompt activated and each enabled
ControlNet unit's model, by the key the fingerprint's ``model_sha256`` uses.

Only attributes and modules the WebUI already loaded are read (``sys.modules``, never an import, never a
file read): this runs at the end of each run, on the generation thread.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from typing import Any

from modules import shared

CONTROLNET_TITLE = "ControlNet"
_HASH_SUFFIX = re.compile(r"\s*[\[(][0-9a-fA-F]{6,}[\])]\s*$")  # "control_x [a1b2c3d4]", A1111's "x(abcd1234)"


def model_files(p: Any | None) -> dict[str, str]:
    """``{"checkpoint": path, "vae": path, "lora:<name>": path, "controlnet:<model>": path}`` for what exists;
    without ``p`` (the WebUI's current state) only the checkpoint and the VAE."""
    files: dict[str, str] = {}
    sd_model = getattr(p, "sd_model", None) or getattr(shared, "sd_model", None)
    checkpoint = getattr(getattr(sd_model, "sd_checkpoint_info", None), "filename", None)
    if checkpoint:
        files["checkpoint"] = str(checkpoint)
    sd_vae = sys.modules.get("modules.sd_vae")
    vae = getattr(sd_vae, "loaded_vae_file", None)
    if vae:
        files["vae"] = str(vae)
    if p is None:
        return files
    for name, path in lora_files(p):
        files[f"lora:{name}"] = path
    for model, path in controlnet_files(p):
        files[f"controlnet:{model}"] = path
    return files


def lora_files(p: Any) -> list[tuple[str, str]]:
    """Each LoRA the prompt named (``<lora:name:weight>``), as the Lora extension found it on disk."""
    networks = sys.modules.get("networks")  # A1111's extensions-builtin/Lora, Forge's sd_forge_lora
    data = getattr(p, "extra_network_data", None) or {}
    found = []
    for params in data.get("lora", []) if isinstance(data, dict) else []:
        items = getattr(params, "positional", None) or getattr(params, "items", None) or []
        if not items:
            continue
        name = str(items[0])
        on_disk = None
        for table in ("available_network_aliases", "available_networks"):
            on_disk = on_disk or (getattr(networks, table, None) or {}).get(name)
        filename = getattr(on_disk, "filename", None)
        if filename:
            found.append((name, str(filename)))
    return found


def controlnet_files(p: Any) -> list[tuple[str, str]]:
    """Each enabled ControlNet unit's model (name without its short hash) and file."""
    found = []
    for unit in _controlnet_units(p):
        model = _field(unit, "model")
        if not _field(unit, "enabled") or not model or str(model) == "None":
            continue
        filename = _controlnet_filename(str(model))
        if filename:
            found.append((_HASH_SUFFIX.sub("", str(model)), filename))
    return found


def _controlnet_units(p: Any) -> Iterable[Any]:
    """The ControlNet script's arguments: one unit each (a dict as posted, or the extension's unit object)."""
    runner = getattr(p, "scripts", None)
    args = list(getattr(p, "script_args", None) or [])
    for script in getattr(runner, "alwayson_scripts", None) or []:
        try:
            title = script.title()
        except Exception:  # noqa: BLE001 - another extension's odd script: not ControlNet
            continue
        if title == CONTROLNET_TITLE:
            return args[script.args_from:script.args_to]
    return []


def _field(unit: Any, name: str) -> Any:
    return unit.get(name) if isinstance(unit, dict) else getattr(unit, name, None)


def _controlnet_filename(model: str) -> str | None:
    """sd-webui-controlnet keeps ``cn_models`` ("name [hash]" → file); Forge's built-in ControlNet keeps
    ``controlnet_filename_dict`` (name → file)."""
    a1111 = sys.modules.get("scripts.global_state")
    if a1111 is not None:
        models = getattr(a1111, "cn_models", None) or {}
        names = getattr(a1111, "cn_models_names", None) or {}
        key = model if model in models else names.get(_HASH_SUFFIX.sub("", model).lower())
        return str(models[key]) if key in models else None
    forge = sys.modules.get("lib_controlnet.global_state")
    if forge is not None:
        models = getattr(forge, "controlnet_filename_dict", None) or {}
        filename = models.get(model) or models.get(_HASH_SUFFIX.sub("", model))
        return str(filename) if filename else None
    return None
