"""Series files: ``{"format": "paramlab-series", "version": 1, "series": [...]}``, exported as pretty JSON
and imported all-or-nothing like profiles files (:mod:`paramlab.documents` holds what both share), with a
report for each entry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from paramlab.documents import DocumentFile, ImportEntry, ImportReport, Planned, entry_shape_problem, name_key
from paramlab.seeds.series import Series, SeriesError, SeriesStore

SERIES_FORMAT = "paramlab-series"
SERIES_VERSION = 1
SERIES_FIELDS = ("name", "seed", "variation_seed", "variation_strength", "profile", "prompt_fragment", "notes")


@dataclass
class SeriesImportReport(ImportReport):
    """The same report for a series file."""

    nouns: tuple[str, str] = ("series", "series")


SERIES_FILE = DocumentFile(SERIES_FORMAT, SERIES_VERSION, "series", "series", "series", SeriesError,
                           report=SeriesImportReport)


def series_json(series: Series) -> dict[str, Any]:
    return {name: getattr(series, name) for name in SERIES_FIELDS}


def export_series(series: list[Series]) -> str:
    """The series file's text (pretty JSON)."""
    return SERIES_FILE.export([series_json(s) for s in series])


def _check_entry(raw: Any) -> Planned:
    shown, problem = entry_shape_problem(raw, SERIES_FIELDS)
    if problem:
        return Planned(ImportEntry(shown, "rejected", problem))
    try:
        series = Series(**{key: raw[key] for key in SERIES_FIELDS if key in raw and raw[key] is not None})
    except SeriesError as exc:
        return Planned(ImportEntry(shown, "rejected", str(exc)))
    return Planned(ImportEntry(series.name, "created"), series)


def import_series(store: SeriesStore, text: str | bytes, *, on_conflict: str | None = None) -> ImportReport:
    """Check every entry, then write them all in one transaction, or write nothing and say why.

    ``on_conflict``: ``skip``, ``rename`` ("Name (2)" …) or ``replace`` for names that exist; None refuses.
    """
    return SERIES_FILE.import_all(text, _check_entry, lambda: {name_key(name): name for name in store.names()},
                                  store.write_import, on_conflict=on_conflict)
