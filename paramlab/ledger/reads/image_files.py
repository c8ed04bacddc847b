"""Reads of a recorded image's files: the path its row names (image or thumbnail file) as reachable from this
machine inside the known folders, and the preview kept in the ledger itself. The file routes and the image
detail ask here; a row's path is never followed outside :mod:`paramlab.ledger.known_folders`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import sqlalchemy as sa

from paramlab.ledger import Ledger, schema
from paramlab.ledger.known_folders import known_folders
from paramlab.ledger.locations import FileLocation, KnownFolders, PathMap, is_this_machine, locate
from paramlab.ledger.thumbnails import stored_thumbnail

Kind = Literal["thumbnail", "image"]
_COLUMNS = {"thumbnail": schema.images.c.thumbnail_path, "image": schema.images.c.image_path}


@dataclass(frozen=True)
class RecordedPath:
    """The path a row names for one of its files, and where its run ran (host and output folder)."""

    path: str | None
    host_name: str | None
    output_dir: str | None


def recorded_path(ledger: Ledger, image_id: int, kind: Kind) -> RecordedPath | None:
    """What the row of image ``image_id`` records for its ``kind`` of file; None when there is no such image."""
    images, runs = schema.images, schema.runs
    query = (sa.select(_COLUMNS[kind], runs.c.host_name, runs.c.output_dir)
             .select_from(images.join(runs, images.c.run_id == runs.c.id)))
    with ledger.read(f"read where image {image_id}'s {kind} file is") as conn:
        row = conn.execute(query.where(images.c.id == image_id)).first()
    return RecordedPath(row[0], row.host_name, row.output_dir) if row is not None else None


def locate_recorded(ledger: Ledger, image_id: int, kind: Kind, folders: KnownFolders | None = None
                    ) -> FileLocation:
    """The file the ledger recorded for this image (``kind``) as reachable from here inside ``folders``
    (default: :func:`paramlab.ledger.known_folders.known_folders`), or why it is not."""
    if kind not in _COLUMNS:
        raise ValueError(f"kind must be 'thumbnail' or 'image', got {kind!r}")
    try:
        image_id = int(image_id)
    except (TypeError, ValueError):
        return FileLocation(None, f"ParamLab: {image_id!r} is not an image id.")
    row = recorded_path(ledger, image_id, kind)
    if row is None:
        return FileLocation(None, f"ParamLab: there is no image {image_id} in the ledger.")
    folders = folders if folders is not None else known_folders(ledger)
    if kind == "thumbnail":  # a thumbnail file lives beside the ledger that made it: never mapped
        if not row.path:
            return FileLocation(None, "no thumbnail file")
        return locate(row.path, None, PathMap(), folders=folders)
    if is_this_machine(row.host_name):  # its own run's folder, even when newer than the caller's list
        folders = folders.adding([row.output_dir])
    return locate(row.path, row.host_name, folders=folders)


def recorded_file(ledger: Ledger, image_id: int, kind: Kind, folders: KnownFolders | None = None) -> Path | None:
    """The file the ledger recorded for this image (``kind``), when it is reachable here as a regular file."""
    return locate_recorded(ledger, image_id, kind, folders).path


def thumbnail_in_ledger(ledger: Ledger, image_id: int) -> tuple[bytes, str] | None:
    """The preview kept in the ledger for this image, with the media type its row claims (not trusted)."""
    with ledger.read(f"read image {image_id}'s thumbnail") as conn:
        return stored_thumbnail(conn, image_id)


__all__ = ["Kind", "RecordedPath", "locate_recorded", "recorded_file", "recorded_path", "thumbnail_in_ledger"]
