"""Backfill the ledger from the infotext of PNG files A1111 already wrote.

Each file is read once: its SHA-256 (the de-duplication key) and its text chunks come from the same
bytes, and pixels are never decoded. Imported rows carry no cost: the time they took is unknown.
"""

from __future__ import annotations

import hashlib
import socket
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from tqdm import tqdm

from paramlab import __version__
from paramlab.infotext import InfotextError, image_fields, parse_infotext
from paramlab.ledger import Ledger, LedgerError
from paramlab.ledger.records import ImageRecord, RunRecord
from paramlab.ledger.saved_infotext import SkipFile, read_infotext
from paramlab.ledger.schema import IMAGE_TEXT_LENGTHS

MAX_LISTED_REASONS = 20
GRID_REASON = "grid image"


@dataclass
class ImportReport:
    """What an import did, file by file where something was not imported."""

    imported: int = 0
    duplicates: int = 0
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        text = (
            f"Imported {self.imported} image(s); {self.duplicates} already in the ledger; "
            f"{len(self.skipped)} skipped"
        )
        if self.skipped:
            text += ":"
            for path, reason in self.skipped[:MAX_LISTED_REASONS]:
                text += f"\n  {path}: {reason}"
            hidden = len(self.skipped) - MAX_LISTED_REASONS
            if hidden > 0:
                text += f"\n  … and {hidden} more"
        else:
            text += "."
        for error in self.errors:
            text += f"\nError: {error}"
        return text


@dataclass
class _Candidate:
    record: ImageRecord
    tab: str
    mtime: datetime
    webui_version: str | None


def import_folder(
    ledger: Ledger, folder: Path, *, progress: bool = True, batch_size: int = 500
) -> ImportReport:
    """Import every ``*.png`` under ``folder`` (recursively, in sorted order) that is not yet in the ledger.

    Each batch is written in one transaction; if one fails the import stops there with ``ok`` False,
    and the batches before it stay.
    """
    report = ImportReport()
    folder = Path(folder)
    if not folder.is_dir():
        report.errors.append(f"{folder} is not a folder")
        return report
    root = folder.resolve()
    try:
        files = find_png_files(root)
        seen_sha256 = ledger.known_sha256()
    except (OSError, sa.exc.SQLAlchemyError) as exc:
        report.errors.append(f"cannot start the import: {exc}")
        return report

    pending: list[_Candidate] = []
    bar = tqdm(total=len(files), file=sys.stderr, disable=not progress, unit="file", desc="ParamLab import")
    with bar:
        for path in files:
            bar.update(1)
            try:
                candidate = _read_candidate(root, path, seen_sha256)
            except SkipFile as skip:
                report.skipped.append((path, str(skip)))
                continue
            if candidate is None:
                report.duplicates += 1
                continue
            seen_sha256.add(candidate.record.image_sha256 or "")
            pending.append(candidate)
            if len(pending) >= batch_size:
                if not _flush(ledger, pending, report, root):
                    return report
                pending = []
        if pending:
            _flush(ledger, pending, report, root)
    return report


def find_png_files(root: Path) -> list[Path]:
    """Every file under ``root`` whose name ends in ``.png`` (any case), sorted for a stable order."""
    return sorted(path for path in root.rglob("*") if path.suffix.lower() == ".png" and path.is_file())


def is_grid_path(root: Path, path: Path) -> bool:
    """A1111 saves grids under ``txt2img-grids``/``img2img-grids`` (maybe in dated sub-folders)."""
    return any(part.lower().endswith("grids") for part in _folder_parts(root, path))


def guess_tab(root: Path, path: Path, fields: dict[str, Any]) -> str:
    """img2img when a folder says so, or when the infotext has a denoising strength without hires."""
    if any("img2img" in part.lower() for part in _folder_parts(root, path)):
        return "img2img"
    return "img2img" if fields.get("denoising_strength") is not None else "txt2img"


def _folder_parts(root: Path, path: Path) -> tuple[str, ...]:
    """The import folder's own name and the folders between it and the file (not those above it)."""
    return (root.name, *path.parent.relative_to(root).parts)


def _read_candidate(root: Path, path: Path, seen_sha256: set[str]) -> _Candidate | None:
    """The record for one file, None when its bytes are already in the ledger; raises SkipFile."""
    if is_grid_path(root, path):
        raise SkipFile(GRID_REASON)
    record, params = record_from_file(path, skip_sha256=seen_sha256)
    if record is None:
        return None
    fields = {"denoising_strength": record.denoising_strength}
    return _Candidate(record=record, tab=guess_tab(root, path, fields), mtime=record.created_at,
                      webui_version=params.get("Version"))


def record_from_file(path: Path, skip_sha256: set[str] | frozenset[str] = frozenset()
                     ) -> tuple[ImageRecord | None, dict[str, Any]]:
    """A saved image (PNG, JPEG, WebP or AVIF) read back into an image row (its hash, infotext fields and
    file time) and the parsed infotext; (None, {}) when its SHA-256 is in ``skip_sha256``. Raises SkipFile
    with the reason."""
    try:
        data = path.read_bytes()
        mtime = datetime.fromtimestamp(path.stat().st_mtime, tz=timezone.utc)
    except OSError as exc:
        raise SkipFile(f"cannot read the file ({exc.strerror or exc})") from exc
    sha256 = hashlib.sha256(data).hexdigest()
    if sha256 in skip_sha256:
        return None, {}
    text = read_infotext(data, path.suffix)
    try:
        params = parse_infotext(text)
    except InfotextError as exc:
        raise SkipFile(f"malformed infotext: {exc}") from exc
    record = ImageRecord(index_in_run=0, created_at=mtime, infotext=text, image_path=str(path),
                         image_sha256=sha256, **image_fields(params, IMAGE_TEXT_LENGTHS))
    return record, params


def _flush(ledger: Ledger, pending: list[_Candidate], report: ImportReport, root: Path) -> bool:
    """Write one batch as one transaction; on failure record the error and return False."""
    runs = build_runs(pending, output_dir=str(root))
    try:
        ledger.write_runs(runs)
    except (sa.exc.SQLAlchemyError, LedgerError, OSError) as exc:
        first = pending[0].record.image_path
        report.errors.append(
            f"writing {len(pending)} image(s) (from {first}) failed, nothing of that batch was "
            f"written, and the import stopped: {_short(exc)}"
        )
        return False
    report.imported += len(pending)
    return True


def build_runs(candidates: Iterable[_Candidate], output_dir: str | None = None) -> list[RunRecord]:
    """One ``source="import"`` run per tab, timed by the files' modification times. The imported folder is
    the runs' ``output_dir`` on this host: the file routes serve the files from there."""
    by_tab: dict[str, list[_Candidate]] = {}
    for candidate in candidates:
        by_tab.setdefault(candidate.tab, []).append(candidate)
    runs = []
    for tab, group in by_tab.items():
        images = [candidate.record for candidate in group]
        for index, image in enumerate(images):
            image.index_in_run = index
        mtimes = [candidate.mtime for candidate in group]
        runs.append(RunRecord(
            tab=tab,
            source="import",
            status="ok",
            started_at=min(mtimes),
            finished_at=max(mtimes),
            wall_seconds=None,
            model_name=_shared(image.model_name for image in images),
            model_hash=_shared(image.model_hash for image in images),
            webui_version=_shared([candidate.webui_version for candidate in group], limit=64),
            paramlab_version=__version__,
            host_name=socket.gethostname(),
            output_dir=output_dir,
            images=images,
        ))
    return runs


def _shared(values: Iterable[str | None], limit: int | None = None) -> str | None:
    """The value when every image agrees on it, else None (a run has one model, one version)."""
    distinct = set(values)
    value = distinct.pop() if len(distinct) == 1 else None
    return None if value is None or (limit is not None and len(value) > limit) else value


def _short(exc: BaseException) -> str:
    original = getattr(exc, "orig", None)
    lines = str(original or exc).splitlines()
    return lines[0] if lines else type(exc).__name__
