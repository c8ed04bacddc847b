"""The Series manager of the ParamLab tab: list, edit, delete, export and import character series.

Series files (:mod:`paramlab.tab.series_file`) are versioned JSON, imported all-or-nothing like profiles
files. Table cells are plain text and every message is escaped: names, notes and prompt fragments come
from users and from files. A series' profile is picked from the profiles there are, and a name that is
not a profile is refused; clicking a row of the table selects that series.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import gradio as gr
import pandas as pd
import sqlalchemy as sa

from paramlab import gradio_compat
from paramlab.gradio_compat import update
from paramlab.ledger import Ledger, schema
from paramlab.profiles.model import ProfileError, list_names, name_key
from paramlab.profiles.store import ProfileStore
from paramlab.seeds.series import Series, SeriesError, SeriesStore
from paramlab.tab.managers_common import (
    CONFLICT_CHOICES,
    ManagerComponents,
    bind,
    conflict_choice,
    failure_as_status,
    name_of_clicked_row,
    report_html,
    safe_file_part,
    truncate,
    write_download,
)
from paramlab.tab.series_file import SERIES_FIELDS, export_series, import_series
from paramlab.tab.status_html import status_html

SERIES_HEADERS = ["name", "seed", "variation", "profile", "prompt fragment", "notes", "images"]
EDITOR_COUNT = 8  # info + the seven fields
SAVE_COUNT = 3 + EDITOR_COUNT


# -- reading --------------------------------------------------------------------------------------


def series_image_counts(ledger: Ledger) -> dict[str, int]:
    """Images tagged with each series, keyed by the lowercased name (as series names are unique)."""
    images = schema.images
    query = sa.select(images.c.series, sa.func.count()).where(images.c.series.is_not(None)).group_by(images.c.series)
    counts: dict[str, int] = {}
    with ledger.engine.connect() as conn:
        for name, count in conn.execute(query):
            counts[name_key(name)] = counts.get(name_key(name), 0) + int(count)
    return counts


def _variation(series: Series) -> str:
    if series.variation_seed is None:
        return ""
    strength = "" if series.variation_strength is None else f" @ {series.variation_strength:g}"
    return f"{series.variation_seed}{strength}"


def series_frame(series: list[Series], counts: dict[str, int]) -> pd.DataFrame:
    rows = [[s.name, str(s.seed), _variation(s), s.profile or "", truncate(s.prompt_fragment), truncate(s.notes),
             str(counts.get(s.key, 0))] for s in series]
    return pd.DataFrame(rows, columns=SERIES_HEADERS, dtype=object)


def _listing(ledger: Ledger) -> tuple[pd.DataFrame, list[str]]:
    series = SeriesStore(ledger).list()
    return series_frame(series, series_image_counts(ledger)), [s.name for s in series]


@failure_as_status(2, status_at=None)
def refresh_series(ledger: Ledger) -> list[Any]:
    frame, names = _listing(ledger)
    return [frame, update(choices=names)]


def _shown(value: int | float | None) -> str:
    return "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


def _editor(ledger: Ledger, series: Series) -> list[Any]:
    count = series_image_counts(ledger).get(series.key, 0)
    info = f"<p><b>{html.escape(series.name)}</b>: {count} image(s) in the ledger are tagged with it.</p>"
    return [info, series.name, _shown(series.seed), _shown(series.variation_seed), _shown(series.variation_strength),
            update(value=series.profile, choices=profile_choices(ledger)), series.prompt_fragment or "",
            series.notes]


def profile_choices(ledger: Ledger) -> list[str]:
    """What the editor's profile dropdown offers: every profile there is, starters included."""
    return ProfileStore(ledger).names()


@failure_as_status(EDITOR_COUNT)
def select_series(ledger: Ledger, name: str | None) -> list[Any]:
    """Fill the editor with the chosen series."""
    if not name:
        return ["<p class='paramlab-muted'>Pick a series to see and edit it.</p>", "", "", "", "",
                update(value=None), "", ""]
    return _editor(ledger, SeriesStore(ledger).get(name))


def _after_write(ledger: Ledger, message: str, selected: str | None) -> list[Any]:
    frame, names = _listing(ledger)
    editor = _editor(ledger, SeriesStore(ledger).get(selected)) if selected else select_series(ledger, None)
    return [status_html(message), frame, update(choices=names, value=selected), *editor]


# -- editing --------------------------------------------------------------------------------------


def _number(text: Any, label: str, kind: type) -> Any:
    """The text box's number (None when empty); the Series model then checks the range."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    if not isinstance(text, str):
        return text
    try:
        return kind(text.strip())
    except ValueError:
        what = "a whole number" if kind is int else "a number"
        raise SeriesError(f"Series {label}: expected {what}, got {text.strip()!r}.") from None


def _edited(name: Any, seed: Any, variation_seed: Any, variation_strength: Any, profile: Any, fragment: Any,
            notes: Any) -> Series:
    return Series(
        name=name, seed=_number(seed, "seed", int), variation_seed=_number(variation_seed, "variation_seed", int),
        variation_strength=_number(variation_strength, "variation_strength", float),
        profile=profile, prompt_fragment=fragment, notes=notes,
    )


def _checked(ledger: Ledger, series: Series) -> Series:
    """The series, refused when its profile is not a profile there is (it would select nothing)."""
    if series.profile:
        store = ProfileStore(ledger)
        try:
            return series.copy(update={"profile": store.get(series.profile).name})
        except ProfileError:
            raise SeriesError(f"there is no profile named '{series.profile}'. Pick one of "
                              f"{list_names(store.names())}, or leave it empty.") from None
    return series


@failure_as_status(SAVE_COUNT)
def save_series_changes(ledger: Ledger, selected: str | None, *fields: Any) -> list[Any]:
    """Update the selected series from the editor (renaming allowed; images keep their old tag)."""
    if not selected:
        return save_series_changes.failure("Pick a series to change first, or use Save as new.")
    try:
        saved = SeriesStore(ledger).update(selected, _checked(ledger, _edited(*fields)))
    except SeriesError as exc:
        return save_series_changes.failure(f"Not saved: {exc}")
    return _after_write(ledger, f"Saved '{saved.name}'.", saved.name)


@failure_as_status(SAVE_COUNT)
def save_series_as_new(ledger: Ledger, *fields: Any) -> list[Any]:
    """Store the editor's contents as a new series (the name must be free)."""
    try:
        saved = SeriesStore(ledger).create(_checked(ledger, _edited(*fields)))
    except SeriesError as exc:
        return save_series_as_new.failure(f"Not saved: {exc}")
    return _after_write(ledger, f"Saved the new series '{saved.name}'.", saved.name)


@failure_as_status(SAVE_COUNT + 1)
def delete_series(ledger: Ledger, selected: str | None, confirmed: bool) -> list[Any]:
    """Delete the selected series once confirmed; its images keep their tag."""
    if not selected:
        return delete_series.failure("Pick a series to delete first.")
    store = SeriesStore(ledger)
    series = store.get(selected)
    if not confirmed:
        return delete_series.failure(f"Tick 'Yes, delete' to delete '{series.name}'; nothing was deleted.")
    store.delete(series.name)
    return [*_after_write(ledger, f"Deleted '{series.name}'.", None), False]


@failure_as_status(2, status_at=1)
def export_series_file(ledger: Ledger, selected: str | None) -> list[Any]:
    """A series file for download: the selected series, or all of them for None."""
    store = SeriesStore(ledger)
    series = [store.get(selected)] if selected else store.list()
    file_name = f"paramlab-series-{safe_file_part(selected)}.json" if selected else "paramlab-series.json"
    return [write_download(export_series(series), file_name), status_html(f"Exported {len(series)} series.")]


@failure_as_status(3)
def import_series_file(ledger: Ledger, content: bytes | str | None, on_conflict: str | None) -> list[Any]:
    """All-or-nothing import with the per-entry report (escaped), then the refreshed list."""
    if not content:
        return import_series_file.failure("Choose a series file first.")
    report = import_series(SeriesStore(ledger), content, on_conflict=conflict_choice(on_conflict))
    frame, names = _listing(ledger)
    return [report_html(report.summary(), error=not report.ok), frame, update(choices=names)]


@failure_as_status(1, status_at=None)
def current_profile_choices(ledger: Ledger) -> Any:
    """The profile dropdown's choices as they are now (read whenever it is opened)."""
    return update(choices=profile_choices(ledger))


# -- the components -------------------------------------------------------------------------------


def build_series_manager(ledger_provider: Callable[[], Ledger]) -> ManagerComponents:
    """Build the Series manager into the open Blocks and wire its events."""
    c: dict[str, Any] = {}
    with gr.Column(elem_id="paramlab-series-manager"):
        c["table"] = gradio_compat.text_table(SERIES_HEADERS, label="Character series", elem_id="paramlab-series-table",
                                          height=320)
        with gr.Row():
            c["selector"] = gr.Dropdown(label="Series", choices=[], value=None, elem_id="paramlab-series-selector")
            c["refresh"] = gr.Button("Refresh", elem_id="paramlab-series-refresh", scale=0, min_width=120)
        c["info"] = gr.HTML(elem_id="paramlab-series-info")
        with gr.Row():
            c["name"] = gr.Textbox(label="Name", max_lines=1, elem_id="paramlab-series-name")
            c["seed"] = gr.Textbox(label="Seed (0–4294967295)", max_lines=1, elem_id="paramlab-series-seed")
            c["variation_seed"] = gr.Textbox(label="Variation seed (optional)", max_lines=1,
                                             elem_id="paramlab-series-variation-seed")
            c["variation_strength"] = gr.Textbox(label="Variation strength (0–1)", max_lines=1,
                                                 elem_id="paramlab-series-variation-strength")
            c["profile"] = gr.Dropdown(label="Profile (optional)", choices=[], value=None,
                                       elem_id="paramlab-series-profile")
        c["prompt_fragment"] = gr.Textbox(label="Prompt fragment", lines=2, elem_id="paramlab-series-fragment")
        c["notes"] = gr.Textbox(label="Notes", lines=3, elem_id="paramlab-series-notes")
        c["status"] = gr.HTML(elem_id="paramlab-series-status")
        with gr.Row():
            c["save"] = gr.Button("Save changes", variant="primary", elem_id="paramlab-series-save")
            c["save_new"] = gr.Button("Save as new", elem_id="paramlab-series-save-new")
            c["confirm"] = gr.Checkbox(False, label="Yes, delete", elem_id="paramlab-series-confirm")
            c["delete"] = gr.Button("Delete", variant="stop", elem_id="paramlab-series-delete")
        with gr.Accordion("Export / import series", open=False, elem_id="paramlab-series-sharing"):
            with gr.Row():
                c["export_selected"] = gr.Button("Export selected", elem_id="paramlab-series-export-selected")
                c["export_all"] = gr.Button("Export all", elem_id="paramlab-series-export-all")
            c["exported"] = gr.File(label="Series file", interactive=False, elem_id="paramlab-series-exported")
            c["upload"] = gr.File(label="Import a series file", file_types=[".json"], type="binary",
                                  elem_id="paramlab-series-upload")
            c["on_conflict"] = gr.Radio(CONFLICT_CHOICES, value=CONFLICT_CHOICES[0], label="When a name exists",
                                        elem_id="paramlab-series-conflict")
            c["import"] = gr.Button("Import", elem_id="paramlab-series-import")
            c["report"] = gr.HTML(elem_id="paramlab-series-report")

    fields = [c[name] for name in SERIES_FIELDS]
    editor = [c["info"], *fields]
    after_write = [c["status"], c["table"], c["selector"], *editor]
    listing = [c["table"], c["selector"]]
    c["refresh"].click(bind(refresh_series, ledger_provider), inputs=None, outputs=listing)
    c["selector"].change(bind(select_series, ledger_provider), inputs=[c["selector"]], outputs=editor)
    c["table"].select(name_of_clicked_row, inputs=[c["table"]], outputs=[c["selector"]])
    c["profile"].focus(bind(current_profile_choices, ledger_provider), inputs=None, outputs=[c["profile"]])
    c["save"].click(bind(save_series_changes, ledger_provider), inputs=[c["selector"], *fields], outputs=after_write)
    c["save_new"].click(bind(save_series_as_new, ledger_provider), inputs=fields, outputs=after_write)
    c["delete"].click(bind(delete_series, ledger_provider), inputs=[c["selector"], c["confirm"]],
                      outputs=[*after_write, c["confirm"]])
    c["export_selected"].click(bind(export_series_file, ledger_provider), inputs=[c["selector"]],
                               outputs=[c["exported"], c["status"]])
    c["export_all"].click(bind(export_series_file, ledger_provider, lambda: None), inputs=None,
                          outputs=[c["exported"], c["status"]])
    c["import"].click(bind(import_series_file, ledger_provider), inputs=[c["upload"], c["on_conflict"]],
                      outputs=[c["report"], *listing])

    def refresh() -> list[Any]:
        return bind(refresh_series, ledger_provider)()

    return ManagerComponents(table=c["table"], selector=c["selector"], status=c["status"], refresh=refresh,
                             components=c)
