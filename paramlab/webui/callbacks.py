"""WebUI callbacks, registered when ``scripts/paramlab.py`` loads (A1111 clears and re-runs them on
every "Reload UI", so registering at import is exactly once per load)."""

from __future__ import annotations

from modules import script_callbacks

from paramlab.webui import runtime, script, settings


def register() -> None:
    script_callbacks.on_ui_settings(settings.on_ui_settings, name="paramlab_settings")
    script_callbacks.on_image_saved(script.on_image_saved, name="paramlab_image_saved")
    runtime.install_exit_hooks()
