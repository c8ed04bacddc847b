"""The Series manager of the ParamLab tab: list, edit, delete, export and import character series.

It is the one named-document manager (:mod:`paramlab.tab.managers.documents`) given the series kind.
Series files (:mod:`paramlab.seeds.series_file`) are versioned JSON, imported all-or-nothing like profiles
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

from paramlab.gradio_compat import update
from paramlab.ledger import Ledger
from paramlab.profiles.model import ProfileError, list_names
from paramlab.profiles.store import ProfileStore
from paramlab.seeds.series import Series, SeriesError, SeriesStore
from paramlab.seeds.series_file import SERIES_FIELDS, export_series, import_series
from paramlab.tab.managers.common import ManagerComponents, bind, failure_as_status, truncate
from paramlab.tab.managers.documents import DocumentKind, DocumentManager

SERIES_HEADERS = ["name", "seed", "variation", "profile", "prompt fragment", "notes", "images"]


# -- reading --------------------------------------------------------------------------------------


def series_image_counts(ledger: Ledger) -> dict[str, int]:
    """Images tagged with each series, keyed by the lowercased name (as series names are unique)."""
    return SeriesStore(ledger).image_counts()


def _variation(series: Series) -> str:
    if series.variation_seed is None:
        return ""
    strength = "" if series.variation_strength is None else f" @ {series.variation_strength:g}"
    return f"{series.variation_seed}{strength}"


def series_frame(series: list[Series], counts: dict[str, int]) -> pd.DataFrame:
    rows = [[s.name, str(s.seed), _variation(s), s.profile or "", truncate(s.prompt_fragment), truncate(s.notes),
             str(counts.get(s.key, 0))] for s in series]
    return pd.DataFrame(rows, columns=SERIES_HEADERS, dtype=object)


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


@failure_as_status(1, status_at=None)
def current_profile_choices(ledger: Ledger) -> Any:
    """The profile dropdown's choices as they are now (read whenever it is opened)."""
    return update(choices=profile_choices(ledger))


def _build_fields(c: dict[str, Any]) -> None:
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


def _wire_fields(c: dict[str, Any], ledger_provider: Callable[[], Ledger]) -> None:
    c["profile"].focus(bind(current_profile_choices, ledger_provider), inputs=None, outputs=[c["profile"]])


SERIES = DocumentManager(DocumentKind(
    one="series", many="series", counted="series", title="Character series", selector_label="Series",
    headers=SERIES_HEADERS, table_height=320, error_type=SeriesError, store=SeriesStore,
    table=lambda ledger, series: series_frame(series, series_image_counts(ledger)), editor=_editor,
    blank_fields=lambda: ["", "", "", "", update(value=None), "", ""], fields=SERIES_FIELDS,
    build_fields=_build_fields, wire_fields=_wire_fields, export=export_series,
    create=lambda ledger, catalog, fields: SeriesStore(ledger).create(_checked(ledger, _edited(*fields))),
    update=lambda ledger, catalog, selected, fields: SeriesStore(ledger).update(
        selected, _checked(ledger, _edited(*fields))),
    import_file=lambda store, content, on_conflict, catalog: import_series(store, content, on_conflict=on_conflict),
))
refresh_series = SERIES.refresh
select_series = SERIES.select
delete_series = SERIES.delete
export_series_file = SERIES.export_file


def save_series_changes(ledger: Ledger, selected: str | None, *fields: Any) -> list[Any]:
    """Update the selected series from the editor (renaming allowed; images keep their old tag)."""
    return SERIES.save_changes(ledger, None, selected, *fields)


def save_series_as_new(ledger: Ledger, *fields: Any) -> list[Any]:
    """Store the editor's contents as a new series (the name must be free)."""
    return SERIES.save_as_new(ledger, None, *fields)


def import_series_file(ledger: Ledger, content: bytes | str | None, on_conflict: str | None) -> list[Any]:
    """All-or-nothing import with the per-entry report (escaped), then the refreshed list."""
    return SERIES.import_file(ledger, None, content, on_conflict)


def build_series_manager(ledger_provider: Callable[[], Ledger]) -> ManagerComponents:
    """Build the Series manager into the open Blocks and wire its events."""
    return SERIES.build(ledger_provider)
