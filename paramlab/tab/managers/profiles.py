"""The Profiles manager of the ParamLab tab: list, edit, duplicate, delete, export and import profiles.
Clicking a row of the table selects that profile.

It is the one named-document manager (:mod:`paramlab.tab.managers.documents`) given the profile kind:
its table with measured figures, its editor (name, description, model scope, settings JSON) and its file.
The same page runs inside the WebUI (with a :class:`HostCatalog`) and standalone (without one: types and
ranges only). Every write goes through :class:`ProfileStore` and the profiles file format, so the rules
match the panel, the CLI and the HTTP API.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Sequence
from typing import Any

import gradio as gr
import pandas as pd

from paramlab.ledger import Ledger
from paramlab.profiles.fileformat import export_profiles, import_profiles
from paramlab.profiles.model import SETTINGS_BY_KEY, HostCatalog, Profile, ProfileError
from paramlab.profiles.stats import ProfileFigures, profile_figures
from paramlab.profiles.store import ProfileStore
from paramlab.tab.managers.common import ManagerComponents, truncate
from paramlab.tab.managers.documents import DocumentKind, DocumentManager

# "applied at generation": images made with the profile applied at generation (the panel's "Apply at
# generation", the API's ``profile``, the X/Y/Z axis) carry its name; images made after "Apply to fields"
# do not, as their fields may have been changed since, so they are not counted.
PROFILE_HEADERS = ["name", "kind", "scope", "settings", "images applied at generation", "median s/image",
                   "peak VRAM", "failed runs", "usable"]
PROFILE_FIELDS = ("name", "description", "scope", "settings")


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


def _updated(ledger: Ledger, catalog: HostCatalog | None, selected: str, fields: Sequence[Any]) -> Profile:
    """Update the selected profile from the editor (renaming allowed); starters are refused by the store."""
    store = ProfileStore(ledger)
    old = store.get(selected)
    profile = _edited(*fields)
    profile = profile.copy(update={"unusable_reason": _kept_reason(old, profile, catalog)})
    return store.update(selected, profile, catalog)


def _created(ledger: Ledger, catalog: HostCatalog | None, fields: Sequence[Any]) -> Profile:
    return ProfileStore(ledger).create(_edited(*fields), catalog)


def _imported(store: ProfileStore, content: bytes | str, on_conflict: str | None, catalog: HostCatalog | None,
              keep_unknown: bool) -> Any:
    return import_profiles(store, content, on_conflict=on_conflict, keep_unknown=bool(keep_unknown), catalog=catalog)


# -- the components -------------------------------------------------------------------------------


def _build_fields(c: dict[str, Any]) -> None:
    with gr.Row():
        c["name"] = gr.Textbox(label="Name", max_lines=1, elem_id="paramlab-profiles-name")
        c["scope"] = gr.Textbox(label="Model scope (checkpoint name or hash; empty for any)", max_lines=1,
                                elem_id="paramlab-profiles-scope")
    c["description"] = gr.Textbox(label="Description (when to use it)", lines=2,
                                  elem_id="paramlab-profiles-description")
    c["settings"] = gr.Textbox(label='Settings (JSON, infotext names: {"Steps": 20, "CFG scale": 7})', lines=8,
                               value="{}", elem_id="paramlab-profiles-settings")


def _build_import_options(c: dict[str, Any]) -> list[Any]:
    c["keep_unknown"] = gr.Checkbox(False, label="Keep profiles naming samplers/models this WebUI lacks "
                                    "(marked unusable)", elem_id="paramlab-profiles-keep-unknown")
    return [c["keep_unknown"]]


PROFILES = DocumentManager(DocumentKind(
    one="profile", many="profiles", counted="profile(s)", title="Profiles", selector_label="Profile",
    headers=PROFILE_HEADERS, table_height=360, error_type=ProfileError, store=ProfileStore,
    table=lambda ledger, profiles: profiles_frame(profiles, profile_figures(ledger)), editor=_editor,
    blank_fields=lambda: ["", "", "", "{}"], fields=PROFILE_FIELDS, build_fields=_build_fields,
    create=_created, update=_updated, export=export_profiles, import_file=_imported,
    build_import_options=_build_import_options, duplicable=True, read_only=lambda profile: profile.starter,
))
refresh_profiles = PROFILES.refresh
select_profile = PROFILES.select
save_profile_changes = PROFILES.save_changes
save_profile_as_new = PROFILES.save_as_new
duplicate_profile = PROFILES.duplicate
delete_profile = PROFILES.delete
export_profiles_file = PROFILES.export_file
import_profiles_file = PROFILES.import_file


def build_profiles_manager(
    ledger_provider: Callable[[], Ledger],
    catalog_provider: Callable[[], HostCatalog | None] = lambda: None,
) -> ManagerComponents:
    """Build the Profiles manager into the open Blocks and wire its events."""
    return PROFILES.build(ledger_provider, catalog_provider)
