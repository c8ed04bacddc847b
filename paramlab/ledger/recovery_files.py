"""The image files a dead run saved, found again on disk for start-up recovery.

A run saves into its output folder (A1111's ``outpath_samples``), and with A1111's *Directory name
pattern* (e.g. ``[date]/[model_name]``) into folders below it, in the format its settings name (PNG,
JPEG, WebP or AVIF). A new file changes the modified time of its own folder only, never of the folders
above it (yesterday's ``[date]`` folder gets a new file in its existing ``[model_name]`` folder), so no
folder is skipped for its time: every folder under the run's output folder is listed, and a file is
taken when the file itself was written after the run started and its infotext carries one of the
run's seeds.

Bounded: only the run's own output folder is walked (symlinked folders are not followed, nor folders
deeper than any directory pattern goes), each folder once however many dead runs saved into it, and
only files written after a run's start are opened, each once.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from paramlab.ledger.importer import record_from_file
from paramlab.ledger.records import ImageRecord
from paramlab.ledger.saved_infotext import SkipFile, readable_suffixes

CLOCK_SLACK_SECONDS = 2.0  # a file's time and the run's start come from two clocks' readings
MAX_FOLDER_DEPTH = 8  # a directory name pattern of 8 levels is already far beyond any real one


class SavedFiles:
    """The image files under output folders, read lazily and at most once during one recovery."""

    def __init__(self) -> None:
        self._suffixes = readable_suffixes()
        self._listed: dict[Path, list[tuple[Path, float]]] = {}
        self._records: dict[Path, ImageRecord | None] = {}

    def images(self, folder: Path, since: float, seeds: set[int]) -> list[ImageRecord]:
        """The images under ``folder`` written at or after ``since`` (the run's start as a POSIX time, give
        or take the clock slack) whose infotext names one of ``seeds``, oldest first."""
        found = []
        for path, modified in self._files(folder):
            if modified < since - CLOCK_SLACK_SECONDS:
                continue
            record = self._record(path)
            if record is not None and record.seed in seeds:
                found.append(dataclasses.replace(record, status="ok"))
        return sorted(found, key=lambda record: (record.created_at, record.image_path or ""))

    def _files(self, folder: Path) -> list[tuple[Path, float]]:
        if folder not in self._listed:
            self._listed[folder] = list(_image_files_under(folder, self._suffixes))
        return self._listed[folder]

    def _record(self, path: Path) -> ImageRecord | None:
        if path not in self._records:
            try:
                self._records[path], _params = record_from_file(path)
            except SkipFile:
                self._records[path] = None
        return self._records[path]


def _image_files_under(root: Path, suffixes: tuple[str, ...]) -> list[tuple[Path, float]]:
    """(path, modified time) of every image file under ``root``, its sub-folders included."""
    found: list[tuple[Path, float]] = []
    folders = [(root, 0)]
    while folders:
        folder, depth = folders.pop()
        try:
            with os.scandir(folder) as entries:
                listed = list(entries)
        except OSError:
            continue
        for entry in listed:
            try:
                if entry.is_dir(follow_symlinks=False):
                    if depth < MAX_FOLDER_DEPTH:
                        folders.append((Path(entry.path), depth + 1))
                elif entry.name.lower().endswith(suffixes):
                    found.append((Path(entry.path), entry.stat().st_mtime))
            except OSError:
                continue  # removed or unreadable meanwhile
    return found
