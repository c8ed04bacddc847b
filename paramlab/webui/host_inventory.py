"""What this WebUI has, read in process, so a replay is refused before sampling when something is missing.

Checkpoints come from A1111's own list; extensions are the always-on scripts loaded in txt2img and img2img; the
models an extension loads come from the extension's own list, found through its script's module: sd-webui-
controlnet imports ``external_code`` (whose ``get_models`` the ``/controlnet/model_list`` route answers with),
Forge's built-in ControlNet keeps its list in ``global_state`` (scanned at start and by the UI's refresh button
only, so it is rescanned here), ADetailer keeps ``model_mapping`` (what ``/adetailer/v1/ad_model`` lists). A
ControlNet model that is not installed is no error to A1111: the picture is made without ControlNet (Forge even
renders with a removed model it still holds in its cache), so the check is ours.
"""

from __future__ import annotations

import inspect
import logging
from typing import Any

from modules import scripts, sd_models

from paramlab.replay.request import HostInventory

log = logging.getLogger("paramlab")


def host_inventory() -> HostInventory:
    """The checkpoints, always-on scripts and extension models this WebUI has now."""
    always_on = _always_on_scripts()
    models: dict[str, list[str]] = {}
    for title, script in always_on.items():
        listed = _extension_models(script)
        if listed is not None:
            models[title] = listed
    return HostInventory(checkpoints=_checkpoints(), extensions=sorted(always_on), extension_models=models)


def _checkpoints() -> list[str]:
    names: list[str] = []
    for info in list(sd_models.checkpoints_list.values()):
        names.extend(str(value) for value in (getattr(info, "title", None), getattr(info, "shorthash", None),
                                              getattr(info, "sha256", None), getattr(info, "hash", None))
                     if value)
    return names


def _always_on_scripts() -> dict[str, Any]:
    found: dict[str, Any] = {}
    for runner in (scripts.scripts_txt2img, scripts.scripts_img2img):
        for script in getattr(runner, "alwayson_scripts", None) or []:
            try:
                found.setdefault(str(script.title()), script)
            except Exception as exc:  # noqa: BLE001 - another extension's broken title() must not stop a replay
                log.debug("ParamLab: an always-on script has no title: %s", exc)
    return found


def _extension_models(script: Any) -> list[str] | None:
    """The models the extension can load, from its own list; None when it keeps no list ParamLab knows."""
    module = _module_globals(script)
    external_code, forge_state = module.get("external_code"), module.get("global_state")
    try:
        if callable(getattr(external_code, "get_models", None)):
            return [name for name in external_code.get_models(update=True) if name and name != "None"]
        if callable(getattr(forge_state, "update_controlnet_filenames", None)):
            forge_state.update_controlnet_filenames()
            return [name for name in forge_state.get_all_controlnet_names() if name and name != "None"]
        mapping = module.get("model_mapping")
        if isinstance(mapping, dict):
            return [str(name) for name in mapping]
    except Exception as exc:  # noqa: BLE001 - an extension's failing list: its models go unchecked, as unknown
        log.warning("ParamLab: could not read %s's model list (%s); its models are not checked before a replay.",
                    script.title(), exc)
    return None


def _module_globals(script: Any) -> dict[str, Any]:
    """The globals of the script file that defines the script's class. A1111 loads script files without entering
    them in ``sys.modules``, so they are reached through a function the class defines."""
    for value in vars(type(script)).values():
        if inspect.isfunction(value):
            return value.__globals__
    return {}


__all__ = ["host_inventory"]
