"""Serving the ledger's images to the table and detail view, for recorded paths only.

The routes take an image id, never a path: the path comes from the ledger row, so a request cannot
reach any other file on the machine. A file is served only when it still exists and Pillow reads it
as an image (a row edited to point at ``/etc/passwd`` serves nothing). Who may fetch them is
:class:`paramlab.tab.access.AccessRule`'s to say: a login, or a signed link from the tab.

Thumbnails come from the ledger itself first (any machine sharing it sees them), then from an older
thumbnail file, then rendered from the image file. Image files of other machines are found through the
path map (:mod:`paramlab.ledger.locations`); when none is reachable, the answer says so plainly.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa
from fastapi import Depends, FastAPI, HTTPException
from fastapi.responses import FileResponse, Response
from PIL import Image

from paramlab.ledger import Ledger, LedgerError, schema
from paramlab.ledger.locations import FileLocation, PathMap, locate
from paramlab.ledger.thumbnails import render_thumbnail, stored_thumbnail
from paramlab.tab.access import AccessRule

ROUTE_PREFIX = "/paramlab/v1/images"
PREVIEW_CACHE_SIZE = 256
CACHE_CONTROL = "private, max-age=60"  # ids can be reused after a delete, so browsers keep them briefly
Kind = Literal["thumbnail", "image"]
_COLUMNS = {"thumbnail": schema.images.c.thumbnail_path, "image": schema.images.c.image_path}


def locate_recorded(ledger: Ledger, image_id: int, kind: Kind) -> FileLocation:
    """The file the ledger recorded for this image (``kind``) as reachable from here, or why it is not."""
    column = _COLUMNS.get(kind)
    if column is None:
        raise ValueError(f"kind must be 'thumbnail' or 'image', got {kind!r}")
    try:
        image_id = int(image_id)
    except (TypeError, ValueError):
        return FileLocation(None, f"ParamLab: {image_id!r} is not an image id.")
    images, runs = schema.images, schema.runs
    query = sa.select(column, runs.c.host_name).select_from(images.join(runs, images.c.run_id == runs.c.id))
    with ledger.engine.connect() as conn:
        row = conn.execute(query.where(images.c.id == image_id)).first()
    if row is None:
        return FileLocation(None, f"ParamLab: there is no image {image_id} in the ledger.")
    if kind == "thumbnail":  # a thumbnail file lives beside the ledger that made it: never mapped
        return locate(row[0], None, PathMap()) if row[0] else FileLocation(None, "no thumbnail file")
    return locate(row[0], row.host_name)


def recorded_file(ledger: Ledger, image_id: int, kind: Kind) -> Path | None:
    """The file the ledger recorded for this image (``kind``), when it is reachable here as a regular file."""
    return locate_recorded(ledger, image_id, kind).path


def image_media_type(path: Path) -> str | None:
    """The MIME type Pillow reads from the file's header; None when it is not an image."""
    try:
        with Image.open(path) as image:
            return Image.MIME.get(image.format or "")
    except (OSError, ValueError, Image.DecompressionBombError):
        return None


class PreviewCache:
    """Previews rendered from image files, least recently used dropped first (thread-safe)."""

    def __init__(self, size: int = PREVIEW_CACHE_SIZE):
        self.size = size
        self._items: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> bytes | None:
        with self._lock:
            data = self._items.get(key)
            if data is not None:
                self._items.move_to_end(key)
            return data

    def put(self, key: tuple[Any, ...], data: bytes) -> None:
        with self._lock:
            self._items[key] = data
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


def render_preview(path: Path) -> bytes | None:
    """A ≤ 256 px JPEG of an image file, the same way recorded thumbnails are made."""
    try:
        with Image.open(path) as image:
            image.draft("RGB", (512, 512))  # JPEG: decode at a reduced size, much faster for big files
            return render_thumbnail(image)
    except (OSError, ValueError, Image.DecompressionBombError):
        return None


def register_file_routes(app: FastAPI, ledger_provider: Callable[[], Ledger], *, access: AccessRule,
                         cache: PreviewCache | None = None) -> PreviewCache:
    """Add the thumbnail and file routes behind ``access`` (required: a forgotten rule must not mean open)."""
    previews = cache if cache is not None else PreviewCache()

    def ledger() -> Ledger:
        try:
            return ledger_provider()
        except LedgerError as exc:
            raise HTTPException(status_code=503, detail=str(exc)) from exc

    def reading(action: Callable[[], Any]) -> Any:
        try:
            return action()
        except sa.exc.SQLAlchemyError as exc:
            reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
            raise HTTPException(status_code=503, detail=f"ParamLab: cannot read the ledger: {reason}") from exc

    def lookup(image_id: int, kind: Kind) -> Path | None:
        return reading(lambda: recorded_file(ledger(), image_id, kind))

    def not_found(image_id: int, what: str) -> HTTPException:
        return HTTPException(status_code=404, detail=f"ParamLab: image {image_id} has no {what} on disk.")

    def in_ledger(image_id: int) -> tuple[bytes, str] | None:
        def read() -> tuple[bytes, str] | None:
            with ledger().engine.connect() as conn:
                return stored_thumbnail(conn, image_id)

        return reading(read)

    def thumbnail(image_id: int) -> Response:
        """The thumbnail kept in the ledger, else an older thumbnail file, else a preview of the image file."""
        stored = in_ledger(image_id)
        if stored is not None:
            return Response(content=stored[0], media_type=stored[1], headers={"Cache-Control": CACHE_CONTROL})
        path = lookup(image_id, "thumbnail")
        media_type = image_media_type(path) if path is not None else None
        if path is not None and media_type is not None:
            return FileResponse(path, media_type=media_type, headers={"Cache-Control": CACHE_CONTROL})
        source = lookup(image_id, "image")
        if source is None:
            raise not_found(image_id, "thumbnail or image file")
        try:
            stat = source.stat()
        except OSError as exc:
            raise not_found(image_id, "readable image file") from exc
        key = (image_id, str(source), stat.st_mtime_ns, stat.st_size)
        data = previews.get(key)
        if data is None:
            data = render_preview(source)
            if data is None:
                raise not_found(image_id, "readable image file")
            previews.put(key, data)
        return Response(content=data, media_type="image/jpeg", headers={"Cache-Control": CACHE_CONTROL})

    def image_file(image_id: int) -> Response:
        """The recorded image file itself (through the path map when it was made on another machine)."""
        found = reading(lambda: locate_recorded(ledger(), image_id, "image"))
        if found.path is None:
            raise HTTPException(status_code=404, detail=f"ParamLab: image {image_id}: {found.note}")
        path = found.path
        media_type = image_media_type(path)
        if media_type is None:
            raise not_found(image_id, "image file")
        return FileResponse(path, media_type=media_type, headers={"Cache-Control": CACHE_CONTROL})

    app.add_api_route(ROUTE_PREFIX + "/{image_id}/thumbnail", thumbnail, methods=["GET"], tags=["ParamLab"],
                      dependencies=[Depends(access.dependency(signed_kind="thumbnail"))], response_class=Response)
    app.add_api_route(ROUTE_PREFIX + "/{image_id}/file", image_file, methods=["GET"], tags=["ParamLab"],
                      dependencies=[Depends(access.dependency(signed_kind="file"))], response_class=Response)
    return previews


__all__ = ["PreviewCache", "locate_recorded", "recorded_file", "register_file_routes", "render_preview"]
