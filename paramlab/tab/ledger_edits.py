"""The ledger view's writes: export the filtered rows, delete rows (and, only on request, their files)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import sqlalchemy as sa

from paramlab.ledger import Ledger, schema
from paramlab.ledger.exporter import export_images
from paramlab.tab.query import LedgerFilter, where_clause

images, runs, metrics_table = schema.images, schema.runs, schema.image_metrics
IN_CHUNK = 500  # ids per IN (...) so SQLite's parameter limit is never reached
EXPORT_CHUNK = 1000


@dataclass
class DeleteReport:
    """What a delete did. ``files_failed`` holds (path, reason); nothing is raised for a file."""

    rows_deleted: int = 0
    runs_deleted: int = 0
    metrics_deleted: int = 0
    files_deleted: list[str] = field(default_factory=list)
    files_failed: list[tuple[str, str]] = field(default_factory=list)
    files_kept: list[str] = field(default_factory=list)  # still recorded by another row
    missing_ids: list[int] = field(default_factory=list)


def export_filtered(ledger: Ledger, filt: LedgerFilter, fmt: str, handle: TextIO,
                    chunk_size: int = EXPORT_CHUNK) -> int:
    """The filtered rows, oldest first, in the CLI export's exact CSV/JSON shape; returns the row count."""
    return export_images(ledger, fmt, handle, where=where_clause(filt, ledger.engine.dialect.name),
                         chunk_size=chunk_size)


# -- delete ---------------------------------------------------------------------------------------


def _chunks(values: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(values), IN_CHUNK):
        yield values[start:start + IN_CHUNK]


def _clean_ids(ids: Iterable[Any]) -> list[int]:
    cleaned = set()
    for value in ids:
        if isinstance(value, bool) or not isinstance(value, (int, str, float)):
            raise ValueError(f"ParamLab: an image id is a whole number, got {value!r}.")
        try:
            number = int(value)
        except ValueError as exc:
            raise ValueError(f"ParamLab: an image id is a whole number, got {value!r}.") from exc
        if number != value and str(number) != str(value).strip():
            raise ValueError(f"ParamLab: an image id is a whole number, got {value!r}.")
        cleaned.add(number)
    return sorted(cleaned)


def delete_images(ledger: Ledger, ids: Iterable[Any], delete_files: bool = False,
                  confirm: bool = False) -> DeleteReport:
    """Delete image rows (their figures too) in one transaction, and runs left with no image.

    Files are removed only when ``delete_files`` and ``confirm`` are both True, only the paths these rows
    recorded (image and thumbnail), and never a file another remaining row still records."""
    wanted = _clean_ids(ids)
    report = DeleteReport()
    files: list[str] = []
    ledger.ensure_present()
    with ledger.write() as conn:
        found: dict[int, tuple[int, str | None, str | None]] = {}
        for chunk in _chunks(wanted):
            statement = sa.select(images.c.id, images.c.run_id, images.c.image_path, images.c.thumbnail_path)
            for row in conn.execute(statement.where(images.c.id.in_(chunk))):
                found[row.id] = (row.run_id, row.image_path, row.thumbnail_path)
        report.missing_ids = [i for i in wanted if i not in found]
        present = sorted(found)
        run_ids = sorted({run_id for run_id, _, _ in found.values()})
        for chunk in _chunks(present):
            report.metrics_deleted += conn.execute(
                metrics_table.delete().where(metrics_table.c.image_id.in_(chunk))).rowcount
            conn.execute(schema.image_thumbnails.delete().where(schema.image_thumbnails.c.image_id.in_(chunk)))
            report.rows_deleted += conn.execute(images.delete().where(images.c.id.in_(chunk))).rowcount
        for chunk in _chunks(run_ids):
            orphaned = sa.and_(runs.c.id.in_(chunk), ~sa.exists().where(images.c.run_id == runs.c.id))
            report.runs_deleted += conn.execute(runs.delete().where(orphaned)).rowcount
        if delete_files and confirm:
            recorded = {p for _, image_path, thumb in found.values() for p in (image_path, thumb) if p}
            for path in sorted(recorded):
                still_used = conn.execute(sa.select(images.c.id).where(
                    sa.or_(images.c.image_path == path, images.c.thumbnail_path == path)).limit(1)).first()
                (report.files_kept if still_used else files).append(path)
    for path_text in files:  # after the commit: a row is never left pointing at a deleted file
        try:
            Path(path_text).unlink()
            report.files_deleted.append(path_text)
        except FileNotFoundError:
            report.files_failed.append((path_text, "already gone"))
        except OSError as exc:
            report.files_failed.append((path_text, exc.strerror or str(exc)))
    return report
