"""Direct writes on the ledger's images: export the filtered rows, delete rows (and, only on request, their files).

A file is deleted where the file routes would serve it from (:func:`paramlab.ledger.locations.locate`):
the path map's file for another machine's row, never a path outside the folders the ledger knows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import sqlalchemy as sa

from paramlab.ledger import Ledger, database_errors, schema
from paramlab.ledger.exporter import export_images
from paramlab.ledger.filters import ImageFilter, where_clause
from paramlab.ledger.known_folders import known_folders
from paramlab.ledger.locations import FileLocation, KnownFolders, PathMap, is_this_machine, locate

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


@dataclass(frozen=True)
class _RecordedFile:
    path: str  # as the row recorded it
    thumbnail: bool  # a thumbnail file lives beside the ledger that made it: never mapped
    host: str | None = None  # the machine that made the row
    output_dir: str | None = None  # the folder its run saved into

    def locate(self, folders: KnownFolders) -> FileLocation:
        if self.thumbnail:
            return locate(self.path, None, PathMap(), folders=folders)
        own = [self.output_dir] if is_this_machine(self.host) else []
        return locate(self.path, self.host, folders=folders.adding(own))


def export_filtered(ledger: Ledger, filt: ImageFilter, fmt: str, handle: TextIO,
                    chunk_size: int = EXPORT_CHUNK) -> int:
    """The filtered rows (all pages), oldest first, in the CLI export's CSV/JSON shape; returns the row count."""
    with database_errors("export the ledger's images"):
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

    Files are removed only when ``delete_files`` and ``confirm`` are both True, only the files these rows
    name (image and thumbnail) where the file routes would find them, and never a file another remaining
    row still records."""
    wanted = _clean_ids(ids)
    report = DeleteReport()
    files: list[_RecordedFile] = []
    removing_files = delete_files and confirm
    ledger.ensure_present()
    with database_errors("read the ledger's folders"):
        folders = known_folders(ledger) if removing_files else KnownFolders()  # before the runs' folders go
    with ledger.transaction("delete the images") as conn:
        found: dict[int, tuple[int, str | None, str | None, str | None, str | None]] = {}
        statement = (sa.select(images.c.id, images.c.run_id, images.c.image_path, images.c.thumbnail_path,
                               runs.c.host_name, runs.c.output_dir)
                     .select_from(images.join(runs, images.c.run_id == runs.c.id)))
        for chunk in _chunks(wanted):
            for row in conn.execute(statement.where(images.c.id.in_(chunk))):
                found[row.id] = (row.run_id, row.image_path, row.thumbnail_path, row.host_name, row.output_dir)
        report.missing_ids = [i for i in wanted if i not in found]
        present = sorted(found)
        run_ids = sorted({values[0] for values in found.values()})
        for chunk in _chunks(present):
            report.metrics_deleted += conn.execute(
                metrics_table.delete().where(metrics_table.c.image_id.in_(chunk))).rowcount
            conn.execute(schema.image_thumbnails.delete().where(schema.image_thumbnails.c.image_id.in_(chunk)))
            report.rows_deleted += conn.execute(images.delete().where(images.c.id.in_(chunk))).rowcount
        for chunk in _chunks(run_ids):
            orphaned = sa.and_(runs.c.id.in_(chunk), ~sa.exists().where(images.c.run_id == runs.c.id))
            report.runs_deleted += conn.execute(runs.delete().where(orphaned)).rowcount
        if removing_files:
            recorded: dict[str, _RecordedFile] = {}
            for _, image_path, thumbnail_path, host, output_dir in found.values():
                if image_path:
                    recorded.setdefault(image_path, _RecordedFile(image_path, False, host, output_dir))
                if thumbnail_path:
                    recorded.setdefault(thumbnail_path, _RecordedFile(thumbnail_path, True))
            for path, file in sorted(recorded.items()):
                still_used = conn.execute(sa.select(images.c.id).where(
                    sa.or_(images.c.image_path == path, images.c.thumbnail_path == path)).limit(1)).first()
                if still_used:
                    report.files_kept.append(path)
                else:
                    files.append(file)
    for file in files:  # after the commit: a row is never left pointing at a deleted file
        _delete_file(file, folders, report)
    return report


def _delete_file(file: _RecordedFile, folders: KnownFolders, report: DeleteReport) -> None:
    """Remove the file a row named, where the file routes would find it; say why when it is not removed."""
    found = file.locate(folders)
    if found.path is None:
        report.files_failed.append((file.path, found.note if found.refused else "already gone"))
        return
    if not _is_saved_image(found.path):  # a shared row naming any other file must not get it deleted
        report.files_failed.append((str(found.path), "not an image file ParamLab would record; left in place"))
        return
    try:
        found.path.unlink()
        report.files_deleted.append(str(found.path))
    except FileNotFoundError:
        report.files_failed.append((file.path, "already gone"))
    except OSError as exc:
        report.files_failed.append((str(found.path), exc.strerror or str(exc)))


def _is_saved_image(path: Path) -> bool:
    """Whether the file starts like a picture A1111 saves (PNG, JPEG, WebP, AVIF, GIF)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(16)
    except OSError:
        return False
    return (head.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a"))
            or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")
            or (head[4:8] == b"ftyp" and head[8:12] in (b"avif", b"avis")))
