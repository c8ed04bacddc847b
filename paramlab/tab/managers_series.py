"""The Series manager of the ParamLab tab: list, edit, delete, export and import character series.

Series files are versioned JSON, ``{"format": "paramlab-series", "version": 1, "series": [...]}``,
imported all-or-nothing like profiles files. Table cells are plain text and every message is escaped:
names, notes and prompt fragments come from users and from files.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import gradio as gr
import pandas as pd
import sqlalchemy as sa

from paramlab import gradio_compat
from paramlab.documents import MAX_FILE_BYTES, read_document
from paramlab.gradio_compat import update
from paramlab.ledger import Ledger, schema
from paramlab.ledger.records import utc_now
from paramlab.profiles.fileformat import ACTIONS, ImportEntry
from paramlab.profiles.fileformat import CONFLICT_CHOICES as ON_CONFLICT
from paramlab.profiles.model import ProfileError, name_key
from paramlab.profiles.store import ProfileStore
from paramlab.seeds.series import Series, SeriesError, SeriesStore
from paramlab.seeds.series import table as series_table_schema
from paramlab.tab.managers_common import (
    CONFLICT_CHOICES,
    ManagerComponents,
    bind,
    conflict_choice,
    free_name,
    guarded,
    message_html,
    report_html,
    safe_file_part,
    truncate,
    write_download,
)

SERIES_FORMAT = "paramlab-series"
SERIES_VERSION = 1

SERIES_FIELDS = ("name", "seed", "variation_seed", "variation_strength", "profile", "prompt_fragment", "notes")
SERIES_HEADERS = ["name", "seed", "variation", "profile", "prompt fragment", "notes", "images"]
EDITOR_COUNT = 8  # info + the seven fields
SAVE_COUNT = 3 + EDITOR_COUNT


# -- the file ---------------------------------------------------------------------------------------


@dataclass
class SeriesImportReport:
    """``ok`` is True only when the whole file was written; ``error`` is a problem with the file as a whole."""

    ok: bool
    entries: list[ImportEntry] = field(default_factory=list)
    error: str | None = None

    def summary(self) -> str:
        if self.ok:
            counts = {action: sum(e.action == action for e in self.entries) for action in ACTIONS}
            done = ", ".join(f"{count} {action}" for action, count in counts.items() if count)
            lines = [f"Imported {len(self.entries)} series: {done or 'nothing to do'}."]
        else:
            lines = [f"Nothing was imported: {self.error or 'some entries have problems'}"]
        lines += [f"- {e.name or '(no name)'}: {e.action}{' (' + e.detail + ')' if e.detail else ''}"
                  for e in self.entries]
        return "\n".join(lines)


def series_json(series: Series) -> dict[str, Any]:
    return {name: getattr(series, name) for name in SERIES_FIELDS}


def export_series(series: list[Series]) -> str:
    """The series file's text (pretty JSON)."""
    document = {"format": SERIES_FORMAT, "version": SERIES_VERSION,
                "exported_at": utc_now().isoformat(timespec="seconds"), "series": [series_json(s) for s in series]}
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def _read_series_document(text: str | bytes) -> tuple[list[Any] | None, str | None]:
    """(the entries, None) or (None, what is wrong with the file as a whole)."""
    entries, problem = read_document(text, file_format=SERIES_FORMAT, version=SERIES_VERSION, list_key="series",
                                     what="series", max_bytes=MAX_FILE_BYTES)
    if entries is not None and not entries:
        return None, "the file holds no series."
    return entries, problem


def _check_entry(raw: Any) -> tuple[ImportEntry, Series | None]:
    shown = raw.get("name") if isinstance(raw, dict) and isinstance(raw.get("name"), str) else ""
    shown = shown.strip()[:100]
    if not isinstance(raw, dict):
        return ImportEntry(shown, "rejected", f"an entry must be an object with {', '.join(SERIES_FIELDS)}"), None
    extra = sorted(str(key) for key in raw if key not in SERIES_FIELDS)
    if extra:
        detail = f"unknown field(s) {', '.join(extra)}; valid fields: {', '.join(SERIES_FIELDS)}"
        return ImportEntry(shown, "rejected", detail), None
    try:
        series = Series(**{key: raw[key] for key in SERIES_FIELDS if key in raw and raw[key] is not None})
    except SeriesError as exc:
        return ImportEntry(shown, "rejected", str(exc)), None
    return ImportEntry(series.name, "created"), series


def import_series(store: SeriesStore, text: str | bytes, *, on_conflict: str | None = None) -> SeriesImportReport:
    """Check every entry, then write them all in one transaction, or write nothing and say why.

    ``on_conflict``: ``skip``, ``rename`` ("Name (2)" …) or ``replace`` for names that exist; None refuses.
    """
    if on_conflict not in (None, *ON_CONFLICT):
        raise SeriesError(f"on_conflict must be one of {', '.join(ON_CONFLICT)} (or None), got {on_conflict!r}.")
    entries, problem = _read_series_document(text)
    if entries is None:
        return SeriesImportReport(ok=False, error=problem)
    planned = [_check_entry(raw) for raw in entries]
    first_by_key: dict[str, ImportEntry] = {}
    for entry, series in planned:
        if series is not None and first_by_key.setdefault(series.key, entry) is not entry:
            for duplicate in (first_by_key[series.key], entry):
                duplicate.action = "rejected"
                duplicate.detail = f"the name '{series.name}' appears more than once in this file"
    existing = {name_key(name): name for name in store.names()}
    taken = set(existing) | {series.key for _, series in planned if series is not None}
    created: list[Series] = []
    replacing: list[Series] = []
    for entry, series in planned:
        if series is None or entry.action == "rejected":
            continue
        if series.key not in existing:
            created.append(series)
        elif on_conflict is None:
            entry.action = "rejected"
            entry.detail = f"a series named '{existing[series.key]}' already exists; choose skip, rename or replace"
        elif on_conflict == "skip":
            entry.action, entry.detail = "skipped", "a series with this name already exists"
        elif on_conflict == "replace":
            entry.action = "replaced"
            replacing.append(series)
        else:
            new_name = free_name(series.name, taken)
            taken.add(name_key(new_name))
            entry.action, entry.detail = "renamed", f"imported as '{new_name}'"
            created.append(series.copy(update={"name": new_name}))
    report = SeriesImportReport(ok=True, entries=[entry for entry, _ in planned])
    if any(entry.action == "rejected" for entry in report.entries):
        report.ok = False
        report.error = "some entries have problems (see below); fix them or choose how to resolve name conflicts."
        return report
    try:
        _write_import(store, created, replacing)
    except SeriesError as exc:
        report.ok, report.error = False, str(exc)
        for entry in report.entries:
            if entry.action != "skipped":
                entry.action, entry.detail = "rejected", "not written: the import failed as a whole"
    return report


def _write_import(store: SeriesStore, created: list[Series], replacing: list[Series]) -> None:
    """Every write of an import in ONE transaction, through the store's own helpers (a candidate for
    ``SeriesStore.write_import``, mirroring ``ProfileStore.write_import``)."""
    with store._transaction("import the series") as conn:
        for series in replacing:
            values = store._row_values(series)
            values.pop("created_at")
            row_id = store._id_of(conn, series.name)
            conn.execute(series_table_schema.update().where(series_table_schema.c.id == row_id).values(**values))
        for series in created:
            store._ensure_free(conn, series.name)
            conn.execute(series_table_schema.insert().values(**store._row_values(series)))


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


@guarded(2, status_at=None)
def refresh_series(ledger: Ledger) -> list[Any]:
    frame, names = _listing(ledger)
    return [frame, update(choices=names)]


def _shown(value: int | float | None) -> str:
    return "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


def _editor(ledger: Ledger, series: Series) -> list[Any]:
    count = series_image_counts(ledger).get(series.key, 0)
    info = f"<p><b>{html.escape(series.name)}</b>: {count} image(s) in the ledger are tagged with it.</p>"
    return [info, series.name, _shown(series.seed), _shown(series.variation_seed), _shown(series.variation_strength),
            series.profile or "", series.prompt_fragment or "", series.notes]


@guarded(EDITOR_COUNT)
def select_series(ledger: Ledger, name: str | None) -> list[Any]:
    """Fill the editor with the chosen series."""
    if not name:
        return ["<p class='paramlab-muted'>Pick a series to see and edit it.</p>", "", "", "", "", "", "", ""]
    return _editor(ledger, SeriesStore(ledger).get(name))


def _after_write(ledger: Ledger, message: str, selected: str | None) -> list[Any]:
    frame, names = _listing(ledger)
    editor = _editor(ledger, SeriesStore(ledger).get(selected)) if selected else select_series(ledger, None)
    return [message_html(message), frame, update(choices=names, value=selected), *editor]


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


def _profile_note(ledger: Ledger, series: Series) -> str:
    """A hint when the series names a profile that does not exist (choosing the series would then fail)."""
    if not series.profile:
        return ""
    try:
        ProfileStore(ledger).get(series.profile)
    except ProfileError:
        return f" Note: there is no profile named '{series.profile}' yet."
    return ""


@guarded(SAVE_COUNT)
def save_series_changes(ledger: Ledger, selected: str | None, *fields: Any) -> list[Any]:
    """Update the selected series from the editor (renaming allowed; images keep their old tag)."""
    if not selected:
        return save_series_changes.failure("Pick a series to change first, or use Save as new.")
    try:
        saved = SeriesStore(ledger).update(selected, _edited(*fields))
    except SeriesError as exc:
        return save_series_changes.failure(f"Not saved: {exc}")
    return _after_write(ledger, f"Saved '{saved.name}'.{_profile_note(ledger, saved)}", saved.name)


@guarded(SAVE_COUNT)
def save_series_as_new(ledger: Ledger, *fields: Any) -> list[Any]:
    """Store the editor's contents as a new series (the name must be free)."""
    try:
        saved = SeriesStore(ledger).create(_edited(*fields))
    except SeriesError as exc:
        return save_series_as_new.failure(f"Not saved: {exc}")
    return _after_write(ledger, f"Saved the new series '{saved.name}'.{_profile_note(ledger, saved)}", saved.name)


@guarded(SAVE_COUNT + 1)
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


@guarded(2, status_at=1)
def export_series_file(ledger: Ledger, selected: str | None) -> list[Any]:
    """A series file for download: the selected series, or all of them for None."""
    store = SeriesStore(ledger)
    series = [store.get(selected)] if selected else store.list()
    file_name = f"paramlab-series-{safe_file_part(selected)}.json" if selected else "paramlab-series.json"
    return [write_download(export_series(series), file_name), message_html(f"Exported {len(series)} series.")]


@guarded(3)
def import_series_file(ledger: Ledger, content: bytes | str | None, on_conflict: str | None) -> list[Any]:
    """All-or-nothing import with the per-entry report (escaped), then the refreshed list."""
    if not content:
        return import_series_file.failure("Choose a series file first.")
    report = import_series(SeriesStore(ledger), content, on_conflict=conflict_choice(on_conflict))
    frame, names = _listing(ledger)
    return [report_html(report.summary(), error=not report.ok), frame, update(choices=names)]


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
            c["profile"] = gr.Textbox(label="Profile (optional)", max_lines=1, elem_id="paramlab-series-profile")
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
