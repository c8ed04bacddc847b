"""The profile panel inside the ParamLab accordion of txt2img and img2img.

Buttons that need the tab's current values (preview, Apply, Save, Update) are wired once A1111 has
registered the tab's paste fields: the first component created after that (the extra-networks UI,
still inside the tab) triggers :func:`wire_pending_panels`. Fields are found by their paste-field
API names, never by element id.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import gradio as gr
from modules import infotext_utils, shared

from paramlab.gradio_compat import update
from paramlab.ledger import LedgerError
from paramlab.profiles import Profile, ProfileError
from paramlab.tab.status_html import status_html
from paramlab.webui import catalog, profile_sharing, runtime
from paramlab.webui.profile_actions import (
    field_updates,
    override_entries,
    preview_html,
    settings_from_fields,
)

log = logging.getLogger("paramlab")


@dataclass
class ProfilePanel:
    tabname: str
    is_img2img: bool
    dropdown: Any
    preview: Any
    status: Any
    apply_button: Any
    save_name: Any
    save_button: Any
    update_button: Any
    wired: bool = False
    field_names: list[str] = field(default_factory=list)
    # More wiring that needs the tab's fields (by API name), e.g. the seed panel's "lock the Seed field".
    on_wired: list[Callable[[dict[str, Any]], None]] = field(default_factory=list)


PENDING_PANELS: list[ProfilePanel] = []
WIRED_PANELS: list[ProfilePanel] = []  # the newest few, for inspection; older UI builds drop out


def profile_names() -> list[str]:
    """Profiles offered first for the loaded checkpoint (by its model scope), then starters, then the rest."""
    info = getattr(getattr(shared, "sd_model", None), "sd_checkpoint_info", None)
    model_name = getattr(info, "model_name", None)
    model_hash = getattr(info, "shorthash", None) or getattr(info, "hash", None)
    try:
        return [profile.name for profile in runtime.profile_store().list(model_name, model_hash)]
    except (LedgerError, ProfileError) as exc:  # the ledger writer reports the fault; offer the starters
        log.debug("ParamLab: profiles unavailable: %s", exc)
        from paramlab.profiles.starters import STARTER_PROFILES

        return [profile.name for profile in STARTER_PROFILES]


def build_panel(tabname: str, is_img2img: bool, elem_id: Any) -> tuple[ProfilePanel, Any, Any, Any]:
    """Lay out the panel; returns it with (dropdown, apply-at-generation checkbox, refresh button)."""
    with gr.Row(elem_id=elem_id("profile_row")):
        dropdown = gr.Dropdown(label="Parameter profile", choices=profile_names(), value=None,
                               elem_id=elem_id("profile"))
        refresh = gr.Button("Refresh list", elem_id=elem_id("profile_refresh"), scale=0)
    apply_at_generation = gr.Checkbox(
        value=False, label="Apply at generation (the run uses the profile even where the fields differ)",
        elem_id=elem_id("apply_at_generation"))
    preview = gr.HTML(value=preview_html(None, {}, None, []), elem_id=elem_id("profile_preview"))
    with gr.Row():
        apply_button = gr.Button("Apply to fields", variant="primary", elem_id=elem_id("profile_apply"))
        update_button = gr.Button("Update with current", elem_id=elem_id("profile_update"))
        duplicate_button = gr.Button("Duplicate", elem_id=elem_id("profile_duplicate"))
        delete_button = gr.Button("Delete", elem_id=elem_id("profile_delete"))
    with gr.Row():
        save_name = gr.Textbox(label="Save current settings as…", placeholder="profile name", max_lines=1,
                               elem_id=elem_id("profile_save_name"))
        save_button = gr.Button("Save", elem_id=elem_id("profile_save"), scale=0)
    status = gr.HTML(elem_id=elem_id("profile_status"))
    profile_sharing.build_sharing(elem_id, dropdown, refresh_choices)

    panel = ProfilePanel(tabname, is_img2img, dropdown, preview, status, apply_button, save_name, save_button,
                         update_button)
    PENDING_PANELS.append(panel)
    refresh.click(fn=refresh_choices, inputs=[dropdown], outputs=[dropdown], show_progress=False)
    # The choices were read when the UI was built: read again on focus (and see panel_lists).
    dropdown.focus(fn=current_choices, inputs=[], outputs=[dropdown], show_progress=False)
    duplicate_button.click(fn=duplicate_profile, inputs=[dropdown], outputs=[dropdown, status], show_progress=False)
    delete_button.click(fn=delete_profile, inputs=[dropdown], outputs=[dropdown, status], show_progress=False)
    return panel, dropdown, apply_at_generation, refresh


def refresh_choices(current: str | None) -> Any:
    return update(choices=profile_names(), value=current)


def current_choices() -> Any:
    """The profile names as the ledger has them now; the selection is left as it is."""
    return update(choices=profile_names())


def wire_pending_panels(component: Any, **_kwargs: Any) -> None:
    """``on_after_component``: wire each panel once its tab's paste fields (which include the panel's
    own dropdown, so they are this UI build's) are registered."""
    for panel in list(PENDING_PANELS):
        registered = infotext_utils.paste_fields.get(panel.tabname) or {}
        fields = registered.get("fields") or []
        if not any(entry[0] is panel.dropdown for entry in fields):
            continue
        PENDING_PANELS.remove(panel)
        _wire(panel, fields, registered.get("override_settings_component"))


def _wire(panel: ProfilePanel, fields: list[Any], override_component: Any) -> None:
    by_api: dict[str, Any] = {}
    for entry in fields:
        api = getattr(entry, "api", None)
        if api and api not in by_api:
            by_api[api] = entry[0]
    panel.field_names = list(by_api)
    components = list(by_api.values())
    outputs = [*components, *([override_component] if override_component is not None else []), panel.status]

    def current(values: tuple[Any, ...]) -> dict[str, Any]:
        return settings_from_fields(dict(zip(panel.field_names, values)), is_img2img=panel.is_img2img)

    def on_select(name: str | None, *values: Any) -> str:
        return render_preview(name, current(values), panel)

    def on_apply(name: str | None) -> list[Any]:
        return apply_to_fields(name, panel, with_override=override_component is not None)

    def on_save(new_name: str, *values: Any) -> list[Any]:
        return save_profile(new_name, current(values))

    def on_update(name: str | None, *values: Any) -> list[Any]:
        return update_profile(name, current(values), panel)

    panel.dropdown.change(fn=on_select, inputs=[panel.dropdown, *components], outputs=[panel.preview],
                          show_progress=False)
    # Then the preview again, from the fields as Apply left them: its "now" column must not go stale.
    panel.apply_button.click(fn=on_apply, inputs=[panel.dropdown], outputs=outputs, show_progress=False).then(
        fn=on_select, inputs=[panel.dropdown, *components], outputs=[panel.preview], show_progress=False)
    panel.save_button.click(fn=on_save, inputs=[panel.save_name, *components], outputs=[panel.dropdown, panel.status],
                            show_progress=False)
    panel.update_button.click(fn=on_update, inputs=[panel.dropdown, *components],
                              outputs=[panel.preview, panel.status], show_progress=False)
    for extra in panel.on_wired:
        extra(by_api)
    panel.wired = True
    WIRED_PANELS.append(panel)
    del WIRED_PANELS[:-8]


# -- handlers (plain functions, so tests call them directly) ----------------------------------------


def _load(name: str | None) -> Profile:
    if not name:
        raise ProfileError("ParamLab: pick a profile first.")
    return runtime.profile_store().get(name)


def render_preview(name: str | None, current: dict[str, Any], panel: ProfilePanel) -> str:
    try:
        profile = _load(name) if name else None
        figures = None
        missing: list[str] = []
        if profile is not None:
            from paramlab.profiles.stats import profile_figures

            figures = profile_figures(runtime.get_ledger()).get(profile.name.lower())
            _, missing = field_updates(profile, panel.field_names, is_img2img=panel.is_img2img)
        return preview_html(profile, current, figures, missing)
    except (ProfileError, LedgerError) as exc:
        return status_html(str(exc), "error")


def apply_to_fields(name: str | None, panel: ProfilePanel, *, with_override: bool) -> list[Any]:
    """Updates for every registered field (unchanged where the profile is silent), then status."""
    keep = [update() for _ in panel.field_names] + ([update()] if with_override else [])
    try:
        profile = _load(name)
        if profile.unusable_reason:
            raise ProfileError(f"ParamLab: {profile.name!r} cannot be used here: {profile.unusable_reason}")
    except (ProfileError, LedgerError) as exc:
        return [*keep, status_html(str(exc), "error")]
    updates, missing = field_updates(profile, panel.field_names, is_img2img=panel.is_img2img)
    result = [update(value=updates[name]) if name in updates else update() for name in panel.field_names]
    if with_override:
        entries = override_entries(profile)
        result.append(update(value=entries, choices=entries, visible=True) if entries else update())
    note = f" Not set here: {', '.join(missing)}." if missing else ""
    return [*result, status_html(f"Applied {profile.name!r} to {len(updates)} field(s).{note}")]


def save_profile(new_name: str, settings: dict[str, Any]) -> list[Any]:
    try:
        profile = Profile(name=new_name or "", settings=settings, description="Saved from the current settings.")
        saved = runtime.profile_store().create(profile, catalog=catalog.host_catalog())
    except (ProfileError, LedgerError, ValueError) as exc:
        return [update(), status_html(str(exc), "error")]
    return [update(choices=profile_names(), value=saved.name), status_html(f"Saved {saved.name!r}.")]


def update_profile(name: str | None, settings: dict[str, Any], panel: ProfilePanel) -> list[Any]:
    """Replace the values of the keys the profile already sets (a partial profile stays partial)."""
    try:
        profile = _load(name)
        changed = {key: settings[key] for key in profile.settings if key in settings}
        updated = profile.copy(update={"settings": {**profile.settings, **changed}})
        runtime.profile_store().update(profile.name, updated, catalog=catalog.host_catalog())
    except (ProfileError, LedgerError, ValueError) as exc:
        return [update(), status_html(str(exc), "error")]
    return [render_preview(profile.name, settings, panel), status_html(f"Updated {profile.name!r}.")]


def duplicate_profile(name: str | None) -> list[Any]:
    try:
        profile = _load(name)
        store = runtime.profile_store()
        taken = {existing.lower() for existing in store.names()}
        candidates = [f"{profile.name} (copy)", *(f"{profile.name} (copy {n})" for n in range(2, 1000))]
        new_name = next(candidate for candidate in candidates if candidate.lower() not in taken)
        copied = store.duplicate(profile.name, new_name)
    except (ProfileError, LedgerError) as exc:
        return [update(), status_html(str(exc), "error")]
    return [update(choices=profile_names(), value=copied.name), status_html(f"Duplicated as {copied.name!r}.")]


def delete_profile(name: str | None) -> list[Any]:
    try:
        profile = _load(name)
        runtime.profile_store().delete(profile.name)
    except (ProfileError, LedgerError) as exc:
        return [update(), status_html(str(exc), "error")]
    return [update(choices=profile_names(), value=None), status_html(f"Deleted {profile.name!r}.")]
