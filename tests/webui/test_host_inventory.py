"""The models an extension can load, read from the extension's own list before a replay: sd-webui-controlnet's
``external_code.get_models`` and Forge's built-in ControlNet's ``global_state`` (whose list Forge scans only at
start and on the UI's refresh button: a removed model stays listed, and even renders from Forge's cache)."""

from __future__ import annotations

import types
from typing import Any

from paramlab.webui import host_inventory


def _script_of_module(namespace: dict[str, Any], title: str = "ControlNet") -> Any:
    """A script whose class is defined in a script file with these globals (as A1111 loads script files)."""
    namespace = {**namespace, "TITLE": title}
    exec("class Script:\n    def title(self):\n        return TITLE\n", namespace)  # noqa: S102 - a script file
    return namespace["Script"]()


class ForgeGlobalState:
    """lib_controlnet.global_state: the names as last scanned; ``update_controlnet_filenames`` rescans."""

    def __init__(self, on_disk: list[str]) -> None:
        self.on_disk, self.names = on_disk, ["None", *on_disk]

    def update_controlnet_filenames(self) -> None:
        self.names = ["None", *self.on_disk]

    def get_all_controlnet_names(self) -> list[str]:
        return list(self.names)


def test_forge_controlnet_models_are_rescanned_so_a_removed_model_is_missing() -> None:
    state = ForgeGlobalState(["tiny_controlnet_forge [f3b2041b]", "control_depth [cfd03158]"])
    script = _script_of_module({"global_state": state, "external_code": types.SimpleNamespace()})
    assert host_inventory._extension_models(script) == ["tiny_controlnet_forge [f3b2041b]", "control_depth [cfd03158]"]
    state.on_disk.remove("tiny_controlnet_forge [f3b2041b]")  # the file moved away; Forge's list still names it
    assert "tiny_controlnet_forge [f3b2041b]" in state.get_all_controlnet_names()
    assert host_inventory._extension_models(script) == ["control_depth [cfd03158]"]


def test_sd_webui_controlnet_models_come_from_get_models_with_a_rescan() -> None:
    asked = []

    def get_models(update: bool = False) -> list[str]:
        asked.append(update)
        return ["None", "control_openpose [cab727d4]"]

    script = _script_of_module({"external_code": types.SimpleNamespace(get_models=get_models),
                                "global_state": types.SimpleNamespace()})
    assert host_inventory._extension_models(script) == ["control_openpose [cab727d4]"]
    assert asked == [True]


def test_a_script_without_a_known_model_list_has_none() -> None:
    assert host_inventory._extension_models(_script_of_module({}, "Some Script")) is None
