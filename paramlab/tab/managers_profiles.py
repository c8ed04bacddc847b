"""The Profiles manager of the ParamLab tab: list, edit, duplicate, delete, export and import profiles.
Clicking a row of the table selects that profile.

The same page runs inside the WebUI (with a :class:`HostCatalog`) and standalone (without one:
types and ranges only). Every write goes through :class:`ProfileStore` and the profiles file
format, so the rules match the panel, the CLI and the HTTP API. Table cells are plain text and
every message is escaped, because names, descriptions and scopes come from users and from files.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from typing import Any

import gradio as gr
import pandas as pd

from paramlab import gradio_compat
from paramlab.gradio_compat import update
from paramlab.ledger import Ledger
from paramlab.profiles.fileformat import export_profiles, import_profiles
from paramlab.profiles.model import SETTINGS_BY_KEY, HostCatalog, Profile, ProfileError
from paramlab.profiles.stats import ProfileFigures, profile_figures
from paramlab.profiles.store import ProfileStore
from paramlab.tab.managers_common import (
    CONFLICT_CHOICES,
    ManagerComponents,
    bind,
    conflict_choice,
    failure_as_status,
    free_name,
    name_of_clicked_row,
    report_html,
    safe_file_part,
    truncate,
    write_download,
)
from paramlab.tab.status_html import status_html

# "applied at generation": images made with the profile applied at generation (the panel's "Apply at
# generation", the API's ``profile``, the X/Y/Z axis) carry its name; images made after "Apply to fields"
# do not, as their fields may have been changed since, so they are not counted.
PROFILE_HEADERS = ["name", "kind", "scope", "settings", "images applied at generation", "median s/image",
                   "peak VRAM", "failed runs", "usable"]
EDITOR_COUNT = 5  # info, name, description, model scope, settings JSON
SAVE_COUNT = 3 + EDITOR_COUNT  # status, table, selector + the editor


# -- reading --------------------------------------------------------------------------------------


def _value_text(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def settings_summary(settings: dict[str, Any]) -> str:
    """``Sampler Euler a · Steps 20``: a profile's settings on one line for the table."""
    return " · ".join(f"{key} {_value_text(value)}" for key, value in settings.items())


def format_vram(peak: int | None) -> str:
    if peak is None:
        return ""
    return f"{peak / 2**30:.2f} GiB" if peak >= 2**30 else f"{peak / 2**20:.0f} MiB"


def _figure_cells(figures: ProfileFigures | None) -> list[str]:
    if figures is None:
        return ["0", "", "", ""]
    median = figures.median_seconds_per_image
    failed = f"{figures.failed_runs} of {figures.runs}: {figures.failure_causes}" if figures.failed_runs else ""
    return [str(figures.generations), "" if median is None else f"{median:.2f}", format_vram(figures.peak_vram_bytes),
            failed]


def profiles_frame(profiles: list[Profile], figures: dict[str, ProfileFigures]) -> pd.DataFrame:
    """The table's rows as display strings (the table shows them as text, never HTML)."""
    rows = [
        [
            profile.name, "starter" if profile.starter else "profile", profile.model_scope or "",
            truncate(settings_summary(profile.settings), 120), *_figure_cells(figures.get(profile.key)),
            "yes" if profile.usable else f"no: {profile.unusable_reason}",
        ]
        for profile in profiles
    ]
    return pd.DataFrame(rows, columns=PROFILE_HEADERS, dtype=object)


def _listing(ledger: Ledger) -> tuple[pd.DataFrame, list[str]]:
    profiles = ProfileStore(ledger).list()
    return profiles_frame(profiles, profile_figures(ledger)), [profile.name for profile in profiles]


@failure_as_status(2, status_at=None)
def refresh_profiles(ledger: Ledger) -> list[Any]:
    """Table and selector choices (the selection is left as it is)."""
    frame, names = _listing(ledger)
    return [frame, update(choices=names)]


def profile_info_html(profile: Profile, figures: ProfileFigures | None) -> str:
    """The selected profile's kind, "when to use" line, usability and measured figures, escaped."""
    kind = "Starter profile (read-only: duplicate it to change it)" if profile.starter else "Your profile"
    parts = [f"<p><b>{html.escape(profile.name)}</b>: {html.escape(kind)}</p>"]
    if profile.description:
        parts.append(f"<p class='paramlab-description'>{html.escape(profile.description)}</p>")
    if profile.unusable_reason:
        parts.append(f"<p class='paramlab-warning'>Not usable here: {html.escape(profile.unusable_reason)}</p>")
    generations, median, peak, _failed = _figure_cells(figures)
    measured = (f"{generations} image(s) in the ledger made with it applied at generation (images made after "
                "Apply to fields are not counted)")
    if median:
        measured += f", median {median} s/image"
    if peak:
        measured += f", peak VRAM {peak}"
    if figures is not None and figures.failures_text():
        measured += f"; {figures.failures_text()}"
    parts.append(f"<p class='paramlab-muted'>{html.escape(measured)}</p>")
    return "\n".join(parts)


def _editor(ledger: Ledger, profile: Profile) -> list[Any]:
    figures = profile_figures(ledger).get(profile.key)
    settings = json.dumps(profile.settings, ensure_ascii=False, indent=2)
    return [profile_info_html(profile, figures), profile.name, profile.description, profile.model_scope or "",
            settings]


@failure_as_status(EDITOR_COUNT)
def select_profile(ledger: Ledger, name: str | None) -> list[Any]:
    """Fill the editor with the chosen profile (info, name, description, scope, settings JSON)."""
    if not name:
        return ["<p class='paramlab-muted'>Pick a profile to see and edit it.</p>", "", "", "", "{}"]
    return _editor(ledger, ProfileStore(ledger).get(name))


def _after_write(ledger: Ledger, message: str, selected: str | None) -> list[Any]:
    """Status, refreshed table and selector, and the editor showing ``selected`` as stored."""
    frame, names = _listing(ledger)
    store = ProfileStore(ledger)
    editor = _editor(ledger, store.get(selected)) if selected else select_profile(ledger, None)
    return [status_html(message), frame, update(choices=names, value=selected), *editor]


# -- editing --------------------------------------------------------------------------------------


def parse_settings(text: str | None) -> dict[str, Any]:
    """The settings text area as a dict; a JSON mistake is reported with its line and column."""
    if text is None or not text.strip():
        return {}
    try:
        settings = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProfileError(
            f"Settings: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}). "
            'Write an object such as {"Steps": 20, "CFG scale": 7}.'
        ) from None
    if not isinstance(settings, dict):
        raise ProfileError(f'Settings: expected a JSON object such as {{"Steps": 20}}, got {type(settings).__name__}.')
    return settings


def _edited(name: str | None, description: str | None, scope: str | None, settings_text: str | None) -> Profile:
    return Profile(name=name, description=description, model_scope=scope, settings=parse_settings(settings_text))


def _kept_reason(old: Profile, new: Profile, catalog: HostCatalog | None) -> str | None:
    """Without a catalog nothing can be re-checked: an unusable profile stays unusable while the
    names that made it so (sampler, upscaler, model …) are unchanged."""
    if catalog is not None or old.unusable_reason is None:
        return None
    names = [key for key, spec in SETTINGS_BY_KEY.items() if spec.is_name]
    same = all(old.settings.get(key) == new.settings.get(key) for key in names)
    return old.unusable_reason if same and not old.unusable_reason.startswith("its stored settings") else None


@failure_as_status(SAVE_COUNT)
def save_profile_changes(ledger: Ledger, catalog: HostCatalog | None, selected: str | None, name: str | None,
                         description: str | None, scope: str | None, settings_text: str | None) -> list[Any]:
    """Update the selected profile from the editor (renaming allowed); starters are refused by the store."""
    if not selected:
        return save_profile_changes.failure("Pick a profile to change first, or use Save as new.")
    try:
        store = ProfileStore(ledger)
        old = store.get(selected)
        profile = _edited(name, description, scope, settings_text)
        profile = profile.copy(update={"unusable_reason": _kept_reason(old, profile, catalog)})
        saved = store.update(selected, profile, catalog)
    except ProfileError as exc:
        return save_profile_changes.failure(f"Not saved: {exc}")
    return _after_write(ledger, f"Saved '{saved.name}'.", saved.name)


@failure_as_status(SAVE_COUNT)
def save_profile_as_new(ledger: Ledger, catalog: HostCatalog | None, name: str | None, description: str | None,
                        scope: str | None, settings_text: str | None) -> list[Any]:
    """Store the editor's contents as a new profile (the name must be free)."""
    try:
        saved = ProfileStore(ledger).create(_edited(name, description, scope, settings_text), catalog)
    except ProfileError as exc:
        return save_profile_as_new.failure(f"Not saved: {exc}")
    return _after_write(ledger, f"Saved the new profile '{saved.name}'.", saved.name)


@failure_as_status(SAVE_COUNT)
def duplicate_profile(ledger: Ledger, selected: str | None) -> list[Any]:
    """An editable copy, "Name (copy)", of any profile; the way to change a starter."""
    if not selected:
        return duplicate_profile.failure("Pick a profile to duplicate first.")
    store = ProfileStore(ledger)
    source = store.get(selected)
    copy = store.duplicate(source.name, free_name(source.name, store.names(), "copy"))
    return _after_write(ledger, f"Duplicated '{source.name}' as '{copy.name}'.", copy.name)


@failure_as_status(SAVE_COUNT + 1)
def delete_profile(ledger: Ledger, selected: str | None, confirmed: bool) -> list[Any]:
    """Delete the selected profile once confirmed; starters are refused with the store's message."""
    if not selected:
        return delete_profile.failure("Pick a profile to delete first.")
    store = ProfileStore(ledger)
    profile = store.get(selected)
    if not confirmed and not profile.starter:
        return delete_profile.failure(f"Tick 'Yes, delete' to delete '{profile.name}'; nothing was deleted.")
    store.delete(profile.name)  # raises the store's refusal for a starter
    return [*_after_write(ledger, f"Deleted '{profile.name}'.", None), False]


# -- sharing --------------------------------------------------------------------------------------


@failure_as_status(2, status_at=1)
def export_profiles_file(ledger: Ledger, selected: str | None) -> list[Any]:
    """A profiles file for download: the selected profile, or all of them (starters included) for None."""
    store = ProfileStore(ledger)
    profiles = [store.get(selected)] if selected else store.list()
    file_name = f"paramlab-profile-{safe_file_part(selected)}.json" if selected else "paramlab-profiles.json"
    path = write_download(export_profiles(profiles), file_name)
    return [path, status_html(f"Exported {len(profiles)} profile(s).")]


@failure_as_status(3)
def import_profiles_file(ledger: Ledger, catalog: HostCatalog | None, content: bytes | str | None,
                         on_conflict: str | None, keep_unknown: bool) -> list[Any]:
    """All-or-nothing import with the per-entry report (escaped), then the refreshed list."""
    if not content:
        return import_profiles_file.failure("Choose a profiles file first.")
    report = import_profiles(ProfileStore(ledger), content, on_conflict=conflict_choice(on_conflict),
                             keep_unknown=bool(keep_unknown), catalog=catalog)
    frame, names = _listing(ledger)
    return [report_html(report.summary(), error=not report.ok), frame, update(choices=names)]


# -- the components -------------------------------------------------------------------------------


def build_profiles_manager(
    ledger_provider: Callable[[], Ledger],
    catalog_provider: Callable[[], HostCatalog | None] = lambda: None,
) -> ManagerComponents:
    """Build the Profiles manager into the open Blocks and wire its events."""
    c: dict[str, Any] = {}
    with gr.Column(elem_id="paramlab-profiles-manager"):
        c["table"] = gradio_compat.text_table(PROFILE_HEADERS, label="Profiles", elem_id="paramlab-profiles-table",
                                          height=360)
        with gr.Row():
            c["selector"] = gr.Dropdown(label="Profile", choices=[], value=None,
                                        elem_id="paramlab-profiles-selector")
            c["refresh"] = gr.Button("Refresh", elem_id="paramlab-profiles-refresh", scale=0, min_width=120)
        c["info"] = gr.HTML(elem_id="paramlab-profiles-info")
        with gr.Row():
            c["name"] = gr.Textbox(label="Name", max_lines=1, elem_id="paramlab-profiles-name")
            c["scope"] = gr.Textbox(label="Model scope (checkpoint name or hash; empty for any)", max_lines=1,
                                    elem_id="paramlab-profiles-scope")
        c["description"] = gr.Textbox(label="Description (when to use it)", lines=2,
                                      elem_id="paramlab-profiles-description")
        c["settings"] = gr.Textbox(label='Settings (JSON, infotext names: {"Steps": 20, "CFG scale": 7})', lines=8,
                                   value="{}", elem_id="paramlab-profiles-settings")
        c["status"] = gr.HTML(elem_id="paramlab-profiles-status")
        with gr.Row():
            c["save"] = gr.Button("Save changes", variant="primary", elem_id="paramlab-profiles-save")
            c["save_new"] = gr.Button("Save as new", elem_id="paramlab-profiles-save-new")
            c["duplicate"] = gr.Button("Duplicate", elem_id="paramlab-profiles-duplicate")
            c["confirm"] = gr.Checkbox(False, label="Yes, delete", elem_id="paramlab-profiles-confirm")
            c["delete"] = gr.Button("Delete", variant="stop", elem_id="paramlab-profiles-delete")
        with gr.Accordion("Export / import profiles", open=False, elem_id="paramlab-profiles-sharing"):
            with gr.Row():
                c["export_selected"] = gr.Button("Export selected", elem_id="paramlab-profiles-export-selected")
                c["export_all"] = gr.Button("Export all", elem_id="paramlab-profiles-export-all")
            c["exported"] = gr.File(label="Profiles file", interactive=False, elem_id="paramlab-profiles-exported")
            c["upload"] = gr.File(label="Import a profiles file", file_types=[".json"], type="binary",
                                  elem_id="paramlab-profiles-upload")
            with gr.Row():
                c["on_conflict"] = gr.Radio(CONFLICT_CHOICES, value=CONFLICT_CHOICES[0], label="When a name exists",
                                            elem_id="paramlab-profiles-conflict")
                c["keep_unknown"] = gr.Checkbox(False, label="Keep profiles naming samplers/models this WebUI lacks "
                                                "(marked unusable)", elem_id="paramlab-profiles-keep-unknown")
            c["import"] = gr.Button("Import", elem_id="paramlab-profiles-import")
            c["report"] = gr.HTML(elem_id="paramlab-profiles-report")

    editor = [c["info"], c["name"], c["description"], c["scope"], c["settings"]]
    after_write = [c["status"], c["table"], c["selector"], *editor]
    fields = [c["name"], c["description"], c["scope"], c["settings"]]
    listing = [c["table"], c["selector"]]
    c["refresh"].click(bind(refresh_profiles, ledger_provider), inputs=None, outputs=listing)
    c["selector"].change(bind(select_profile, ledger_provider), inputs=[c["selector"]], outputs=editor)
    c["table"].select(name_of_clicked_row, inputs=[c["table"]], outputs=[c["selector"]])
    c["save"].click(bind(save_profile_changes, ledger_provider, catalog_provider), inputs=[c["selector"], *fields],
                    outputs=after_write)
    c["save_new"].click(bind(save_profile_as_new, ledger_provider, catalog_provider), inputs=fields,
                        outputs=after_write)
    c["duplicate"].click(bind(duplicate_profile, ledger_provider), inputs=[c["selector"]], outputs=after_write)
    c["delete"].click(bind(delete_profile, ledger_provider), inputs=[c["selector"], c["confirm"]],
                      outputs=[*after_write, c["confirm"]])
    c["export_selected"].click(bind(export_profiles_file, ledger_provider), inputs=[c["selector"]],
                               outputs=[c["exported"], c["status"]])
    c["export_all"].click(bind(export_profiles_file, ledger_provider, lambda: None), inputs=None,
                          outputs=[c["exported"], c["status"]])
    c["import"].click(bind(import_profiles_file, ledger_provider, catalog_provider),
                      inputs=[c["upload"], c["on_conflict"], c["keep_unknown"]],
                      outputs=[c["report"], *listing])

    def refresh() -> list[Any]:
        return bind(refresh_profiles, ledger_provider)()

    return ManagerComponents(table=c["table"], selector=c["selector"], status=c["status"], refresh=refresh,
                             components=c)
