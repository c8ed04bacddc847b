"""Moving a ledger to another database (``python -m paramlab migrate --to URL``), e.g. a machine's SQLite
ledger into the studio's PostgreSQL one.

Every table of the schema is copied (runs, images, figures, thumbnails, profiles with their history, series,
and whatever later versions add), parents before children. Rows are matched by what identifies them in any
ledger (a run's or image's uid, a profile's or series' name, a figure's image and measure), never by their
numeric ids, which differ between ledgers: ids are given anew and references translated. So copying into a
ledger that already holds other machines' rows works, and copying twice copies nothing twice (a second run,
or one after an interruption, only adds what is missing). Each chunk is one transaction.

The source is never changed: an SQLite ledger is first copied to a temporary snapshot (SQLite's backup,
read-only), which is brought to the current schema there. At the end every source row is looked up in the
target, and the counts are reported.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from tqdm import tqdm

from paramlab.ledger import schema
from paramlab.ledger.input_store import MissingInput, blob_for_target
from paramlab.ledger.operations import store_thumbnail
from paramlab.ledger.store import Ledger, LedgerError
from paramlab.ledger.urls import describe_url, sqlite_path

CHUNK = 1000
CHUNKS: dict[str, int] = {"input_blobs": 16}  # rows of up to megabytes each: a few at a time
NATURAL_KEYS: dict[str, tuple[str, ...]] = {"profiles": ("name_key",), "series": ("name_key",)}
"""Where a table's identity is not its first unique constraint (see :func:`natural_key`)."""

Key = tuple[Any, ...]


def natural_key(table: sa.Table) -> tuple[str, ...]:
    """The columns that identify a row in any ledger: an explicit choice, else a unique constraint or unique
    index, else the primary key (whose reference columns are translated first)."""
    if table.name in NATURAL_KEYS:
        return NATURAL_KEYS[table.name]
    uniques = [tuple(c.name for c in constraint.columns) for constraint in table.constraints
               if isinstance(constraint, sa.UniqueConstraint)]
    uniques += [(column.name,) for column in table.columns if column.unique]
    uniques += [tuple(c.name for c in index.columns) for index in table.indexes if index.unique]
    if uniques:
        return sorted(uniques)[0]
    if has_surrogate_id(table):
        raise LedgerError(f"ParamLab: table {table.name} has no identifying column to copy it by.")
    return tuple(column.name for column in table.primary_key.columns)


def has_surrogate_id(table: sa.Table) -> bool:
    """An ``id`` given by the database: it is given anew in the target and references to it translated."""
    return [column.name for column in table.primary_key.columns] == ["id"]


@dataclass
class TableReport:
    source: int = 0
    copied: int = 0
    already_there: int = 0
    dangling: int = 0  # rows that refer to a row the source no longer has (not copied)
    verified: int = 0  # source rows found in the target afterwards

    @property
    def complete(self) -> bool:
        return self.verified == self.source - self.dangling


@dataclass
class TransferReport:
    tables: dict[str, TableReport] = field(default_factory=dict)
    thumbnails_from_files: int = 0
    inputs_left_out: list[str] = field(default_factory=list)  # input images whose bytes the source lacks
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and all(t.complete for t in self.tables.values())

    def summary(self) -> str:
        lines = [f"{name}: {t.source:,} in the source, {t.copied:,} copied, {t.already_there:,} already there; "
                 f"{t.verified:,} of {t.source - t.dangling:,} verified in the target"
                 + (f" ({t.dangling:,} left out: they refer to rows the source no longer has)" if t.dangling else "")
                 for name, t in self.tables.items()]
        if self.thumbnails_from_files:
            lines.append(f"thumbnails: {self.thumbnails_from_files:,} read from files beside the source ledger")
        lines += [f"Left out: {reason}" for reason in self.inputs_left_out]
        lines += [f"Problem: {problem}" for problem in self.problems]
        lines.append("ParamLab: the ledger was copied and every row verified." if self.ok
                     else "ParamLab: the copy is NOT complete (see above); run the same command again.")
        return "\n".join(lines)


class _Snapshot:
    """A read-only view of the source at the current schema: an SQLite ledger is copied with SQLite's backup
    (opened read-only, so the source file is never written) and migrated in a temporary folder."""

    def __init__(self, url: sa.URL):
        self._folder: tempfile.TemporaryDirectory[str] | None = None
        path = sqlite_path(url)
        self.inputs_folder = path.parent if path is not None else None  # the source's input files (not copied)
        if path is None:
            self.ledger = Ledger.open(url)  # a server database: must already be at this ParamLab's schema
            return
        if not path.is_file():
            raise LedgerError(f"ParamLab: there is no ledger at {path} to copy.")
        self._folder = tempfile.TemporaryDirectory(prefix="paramlab-migrate-")
        copy = Path(self._folder.name) / "snapshot.sqlite"
        try:
            source = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
            try:
                with sqlite3.connect(copy) as target:
                    source.backup(target)
            finally:
                source.close()
        except sqlite3.Error as exc:
            self.close()
            raise LedgerError(f"ParamLab: cannot read the ledger {path}: {exc}") from exc
        self.ledger = Ledger.open(sa.make_url(f"sqlite:///{copy}"))

    def close(self) -> None:
        if getattr(self, "ledger", None) is not None:
            self.ledger.close()
        if self._folder is not None:
            self._folder.cleanup()


def _chunks(conn: sa.Connection, table: sa.Table) -> Iterator[list[dict[str, Any]]]:
    """The table's rows in primary-key order, a chunk at a time (keyset paging: no OFFSET)."""
    order = list(table.primary_key.columns)
    last: tuple[Any, ...] | None = None
    while True:
        query = sa.select(table).order_by(*order).limit(CHUNKS.get(table.name, CHUNK))
        if last is not None:
            query = query.where(sa.tuple_(*order) > sa.tuple_(*last))
        rows = [dict(row._mapping) for row in conn.execute(query)]
        if not rows:
            return
        yield rows
        last = tuple(rows[-1][column.name] for column in order)


class _Copier:
    def __init__(self, source: Ledger, target: Ledger, progress: Callable[[int], None],
                 source_folder: Path | None = None):
        self.source, self.target, self.progress = source, target, progress
        self.ids: dict[str, dict[int, int]] = {}  # table → source id → target id
        self.source_folder = source_folder  # an SQLite source's folder, where its input image files are
        self.target_folder = sqlite_path(target.url).parent if sqlite_path(target.url) is not None else None
        self.inputs_left_out: list[str] = []

    def _carried(self, table: sa.Table, row: dict[str, Any]) -> dict[str, Any] | None:
        """The row as the target stores it: an input image's bytes travel with it (a file beside an SQLite
        target, ``data`` in a server's); None when the source has lost them (left out, with the reason)."""
        if table.name != "input_blobs":
            return row
        try:
            return blob_for_target(row, self.source_folder, self.target_folder)
        except MissingInput as exc:
            self.inputs_left_out.append(str(exc))
            return None

    def _references(self, table: sa.Table) -> dict[str, str]:
        """Column → referenced table, for the integer ids that must be translated."""
        return {fk.parent.name: fk.column.table.name for fk in table.foreign_keys}

    def _translate(self, table: sa.Table, row: dict[str, Any], refs: dict[str, str]) -> dict[str, Any] | None:
        row = dict(row)
        for column, parent in refs.items():
            if row.get(column) is None:
                continue
            mapped = self.ids.get(parent, {}).get(row[column])
            if mapped is None:
                if parent == table.name:  # a reference within the table: set once all rows are in
                    row[column] = None
                    continue
                return None  # its parent row is not in the source any more (a dangling reference)
            row[column] = mapped
        return row

    def copy_table(self, table: sa.Table) -> TableReport:
        report = TableReport()
        key_columns = natural_key(table)
        surrogate = has_surrogate_id(table)
        refs = self._references(table)
        with self.target.engine.connect() as conn:
            selected = [table.c[name] for name in key_columns] + ([table.c.id] if surrogate else [])
            existing = {tuple(row[:len(key_columns)]): (row[-1] if surrogate else None)
                        for row in conn.execute(sa.select(*selected))}
        ids = self.ids.setdefault(table.name, {})
        self_refs: list[tuple[int, str, int]] = []
        with self.source.engine.connect() as reading:
            for chunk in _chunks(reading, table):
                report.source += len(chunk)
                fresh, fresh_source_ids = [], []
                for original in chunk:
                    row = self._translate(table, original, refs)
                    if row is None:
                        report.dangling += 1
                        continue
                    key = tuple(row[name] for name in key_columns)
                    if key in existing:
                        report.already_there += 1
                        if surrogate:
                            ids[original["id"]] = existing[key]
                        continue
                    row = self._carried(table, row)
                    if row is None:
                        report.dangling += 1
                        continue
                    if surrogate:
                        fresh_source_ids.append(original["id"])
                        self_refs += [(original["id"], column, original[column]) for column, parent in refs.items()
                                      if parent == table.name and original.get(column) is not None]
                        row.pop("id")
                    existing[key] = None
                    fresh.append(row)
                self._insert(table, fresh, fresh_source_ids, existing, key_columns)
                report.copied += len(fresh)
                self.progress(len(chunk))
        self._link_within(table, self_refs)
        report.verified = self._verify(table, key_columns)
        return report

    def _insert(self, table: sa.Table, rows: list[dict[str, Any]], source_ids: list[int],
                existing: dict[Key, Any], key_columns: tuple[str, ...]) -> None:
        if not rows:
            return
        with self.target.write() as conn:
            if not source_ids:
                conn.execute(table.insert(), rows)
                return
            new_ids = conn.execute(table.insert().returning(table.c.id, sort_by_parameter_order=True), rows).scalars()
            for source_id, row, new_id in zip(source_ids, rows, new_ids):
                self.ids[table.name][source_id] = new_id
                existing[tuple(row[name] for name in key_columns)] = new_id

    def _link_within(self, table: sa.Table, pending: list[tuple[int, str, int]]) -> None:
        """References from a row to another row of the same table, once both are in the target."""
        ids = self.ids[table.name]
        updates = [(ids[row_id], column, ids.get(other)) for row_id, column, other in pending if row_id in ids]
        for start in range(0, len(updates), CHUNK):
            with self.target.write() as conn:
                for row_id, column, other in updates[start:start + CHUNK]:
                    conn.execute(table.update().where(table.c.id == row_id).values({column: other}))

    def _verify(self, table: sa.Table, key_columns: tuple[str, ...]) -> int:
        """How many source rows (by their identity, references translated) the target now holds."""
        refs = self._references(table)
        with self.target.engine.connect() as conn:
            present = set(conn.execute(sa.select(*[table.c[name] for name in key_columns])).tuples())
        found = 0
        with self.source.engine.connect() as reading:
            for chunk in _chunks(reading, table):
                for original in chunk:
                    row = self._translate(table, original, refs)
                    found += row is not None and tuple(row[name] for name in key_columns) in present
        return found

    def thumbnails_from_files(self) -> int:
        """Older ledgers kept thumbnails as files beside the ledger: put them in the target itself."""
        images, thumbnails = schema.images, schema.image_thumbnails
        query = (sa.select(images.c.id, images.c.thumbnail_path)
                 .where(images.c.thumbnail_path.is_not(None), ~sa.exists().where(thumbnails.c.image_id == images.c.id)))
        with self.source.engine.connect() as conn:
            candidates = conn.execute(query).all()
        target_ids = self.ids.get("images", {})
        with self.target.engine.connect() as conn:
            have = set(conn.execute(sa.select(thumbnails.c.image_id)).scalars())
        added = 0
        for source_id, path in candidates:
            image_id = target_ids.get(source_id)
            if image_id is None or image_id in have:
                continue
            try:
                data = Path(path).read_bytes()
            except OSError:
                continue  # gone: the viewer falls back to the image file, as before
            with self.target.write() as conn:
                store_thumbnail(conn, image_id, data)
            added += 1
        return added


def transfer(source_url: sa.URL, target_url: sa.URL, *, progress: bool = True) -> TransferReport:
    """Copy every row of the source ledger that the target lacks, then verify; see the module's docstring."""
    if describe_url(source_url) == describe_url(target_url):
        raise LedgerError("ParamLab: the source and the target are the same ledger.")
    snapshot = _Snapshot(source_url)
    target = None
    try:
        target = Ledger.open(target_url)
        tables = [t for t in schema.metadata.sorted_tables if t is not schema.meta]
        with snapshot.ledger.engine.connect() as conn:
            total = sum(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one() for t in tables)
        report = TransferReport()
        with tqdm(total=total, unit="row", desc="ParamLab migrate", disable=not progress) as bar:
            copier = _Copier(snapshot.ledger, target, bar.update, snapshot.inputs_folder)
            for table in tables:
                report.tables[table.name] = copier.copy_table(table)
        report.thumbnails_from_files = copier.thumbnails_from_files()
        report.inputs_left_out = copier.inputs_left_out
        return report
    except sa.exc.SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise LedgerError(f"ParamLab: the copy stopped: {reason}. What was copied is kept; run the same "
                          "command again to go on.") from exc
    finally:
        if target is not None:
            target.close()
        snapshot.close()
