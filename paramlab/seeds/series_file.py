"""Series files: ``{"format": "paramlab-series", "version": 1, "series": [...]}``, exported as pretty JSON
and imported all-or-nothing like profiles files, with a report for each entry.

Part of the Series manager (:mod:`paramlab.tab.managers_series`); kept apart so the manager stays one
feature: listing and editing.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from paramlab.documents import MAX_FILE_BYTES, read_document
from paramlab.ledger.records import utc_now
from paramlab.profiles.fileformat import CONFLICT_CHOICES as ON_CONFLICT
from paramlab.profiles.fileformat import ImportEntry, ImportReport
from paramlab.profiles.model import name_key
from paramlab.seeds.series import Series, SeriesError, SeriesStore
from paramlab.seeds.series import table as series_table_schema
from paramlab.tab.managers_common import free_name

SERIES_FORMAT = "paramlab-series"
SERIES_VERSION = 1

SERIES_FIELDS = ("name", "seed", "variation_seed", "variation_strength", "profile", "prompt_fragment", "notes")


# -- the file ---------------------------------------------------------------------------------------


class SeriesImportReport(ImportReport):
    """The same report for a series file."""

    nouns: ClassVar[tuple[str, str]] = ("series", "series")


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
