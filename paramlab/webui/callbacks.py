"""WebUI callbacks, registered when ``scripts/paramlab.py`` loads (A1111 and Forge clear and re-run
them on every "Reload UI", so registering at import is exactly once per load).

The UI-building ones are wrapped by :func:`paramlab.tab.guard.part_callback`: a ParamLab fault is
one console line, never an exception inside the WebUI (``on_after_component`` alone runs for every
component of the page).
"""

from __future__ import annotations

from modules import script_callbacks

from paramlab.ledger.known_folders import use_host_folders
from paramlab.ledger.locations import use_path_map
from paramlab.tab.guard import part_callback
from paramlab.webui import (
    extras,
    failures,
    file_route,
    host_commits,
    http_api,
    jobs,
    panel_lists,
    profile_panel,
    runtime,
    script,
    settings,
    tab,
    xyz_axis,
)


def start_recovery(_demo: object, _app: object) -> None:
    """Start the ledger writer with the WebUI, so runs a crash left "running" are closed and their saved
    images recovered at start-up, not only at the next generation. Its thread does the work; a ledger
    that cannot be opened is reported by the first write, as before."""
    if settings.recording_enabled():
        runtime.get_writer()


def warm_up_fingerprint(_demo: object, _app: object) -> None:
    """Read the WebUI's and extensions' commits and the known model hashes on threads of their own now,
    so the first run's fingerprint takes them without a git process or a ledger read."""
    if settings.recording_enabled():
        host_commits.warm_up()
        runtime.model_hasher()


def register() -> None:
    runtime.before_shutdown(jobs.close_jobs_at_shutdown)  # a job with a run still going stays "running"
    part_callback("noticing failed generations", failures.install)(script.run_failed)
    runtime.before_shutdown(extras.finish_current_job)
    script_callbacks.on_ui_settings(part_callback("ParamLab's settings", settings.on_ui_settings),
                                    name="paramlab_settings")
    script_callbacks.on_image_saved(script.on_image_saved, name="paramlab_image_saved")  # wrapped in script
    script_callbacks.on_image_saved(script.never_fails_generation(extras.on_image_saved), name="paramlab_extras_saved")
    script_callbacks.on_after_component(
        part_callback("the profile panel's Apply/Save wiring", profile_panel.wire_pending_panels),
        name="paramlab_profile_panel")
    script_callbacks.on_after_component(
        part_callback("the profile and series lists' refresh", panel_lists.refresh_when_tab_opens),
        name="paramlab_panel_lists")
    script_callbacks.on_before_ui(part_callback("the X/Y/Z plot's [ParamLab] axes and cell places",
                                                xyz_axis.register_axis), name="paramlab_xyz_axis")
    script_callbacks.on_app_started(part_callback("ParamLab's HTTP API (/paramlab/v1)", http_api.register),
                                    name="paramlab_api")
    script_callbacks.on_app_started(start_recovery, name="paramlab_recovery")
    script_callbacks.on_app_started(part_callback("reading the WebUI's commits and model hashes",
                                                  warm_up_fingerprint), name="paramlab_fingerprint")
    script_callbacks.on_app_started(part_callback("keeping the ledger out of the WebUI's /file= route",
                                                  file_route.block_paramlab_files), name="paramlab_file_route")
    script_callbacks.on_app_started(part_callback("the X/Y/Z axes' notes of what they set",
                                                  xyz_axis.record_late_axes), name="paramlab_xyz_axis_writes")
    script_callbacks.on_ui_tabs(tab.on_ui_tabs, name="paramlab_tab")  # build_part, in tab
    script_callbacks.on_after_component(part_callback("the ParamLab tab's refresh on opening",
                                                      tab.refresh_when_opened), name="paramlab_tab_opened")
    runtime.install_exit_hooks()
    use_path_map(runtime.path_map)
    use_host_folders(runtime.output_folders)
