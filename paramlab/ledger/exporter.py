"""Write the ledger's image rows as CSV or JSON, streaming so a large ledger never sits in memory.

CSV cells that a spreadsheet would run as a formula are written as text (:mod:`paramlab.csv_cells`).
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timezone
from typing import Any, TextIO

from paramlab.csv_cells import safe_cell, safe_row
from paramlab.ledger import Ledger

EXPORT_FORMATS = ("csv", "json")


def export_images(ledger: Ledger, fmt: str, handle: TextIO, where: Sequence[Any] = (),
                  chunk_size: int = 1000) -> int:
    """Write every image row (or those matching ``where``, SQLAlchemy conditions on ``images``) with its
    run's columns to ``handle``; returns the number of rows."""
    writers: dict[str, Callable[[list[str], Iterable[dict[str, Any]], TextIO], int]] = {
        "csv": _write_csv, "json": _write_json,
    }
    writer = writers.get(fmt.lower() if isinstance(fmt, str) else fmt)
    if writer is None:
        raise ValueError(f"unknown export format {fmt!r}; choose one of: {', '.join(EXPORT_FORMATS)}")
    return writer(export_columns(ledger), ledger.iter_images(chunk_size, where), handle)


def export_columns(ledger: Ledger) -> list[str]:
    """Column names in query order, known even when the ledger is empty (so CSV still has a header)."""
    return list(ledger.image_query().selected_columns.keys())


def _write_csv(columns: list[str], rows: Iterable[dict[str, Any]], handle: TextIO) -> int:
    writer = csv.writer(handle)
    writer.writerow(safe_row(columns))
    count = 0
    for row in rows:
        writer.writerow([_csv_value(row.get(column)) for column in columns])
        count += 1
    return count


def _write_json(columns: list[str], rows: Iterable[dict[str, Any]], handle: TextIO) -> int:
    """One JSON array, written row by row."""
    count = 0
    handle.write("[")
    for row in rows:
        handle.write(",\n" if count else "\n")
        record = {column: _json_value(row.get(column)) for column in columns}
        handle.write(json.dumps(record, ensure_ascii=False, allow_nan=False))
        count += 1
    handle.write("\n]\n" if count else "]\n")
    return count


def iso_utc(value: datetime) -> str:
    """ISO 8601 in UTC; SQLite hands back naive datetimes, which the ledger stores as UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).isoformat()


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None  # JSON has no NaN/Infinity
    return value


def _csv_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso_utc(value)
    return "" if value is None else safe_cell(value)
