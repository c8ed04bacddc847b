"""Serving the ledger's images to the table and detail view, for recorded paths only.

The routes take an image id, never a path: the path comes from the ledger row. A row is not trusted
either (any WebUI sharing the ledger writes rows): its path is followed only inside the folders of
:mod:`paramlab.ledger.known_folders`, and only JPEG, PNG and WebP are served, decided from the bytes
themselves (a row's stored media type is ignored), with ``nosniff`` and a Content-Security-Policy that
lets nothing run, so no row can put a page with a script on the viewer's origin. Who may fetch them is
:class:`paramlab.web.access.AccessRule`'s to say: a login, or a signed link from the tab.

Thumbnails come from the ledger itself first (any machine sharing it sees them), then from an older
thumbnail file, then rendered from the image file. Image files of other machines are found through the
path map (:mod:`paramlab.ledger.locations`); when none is reachable, the answer says so plainly.
"""

from __future__ import annotations

import functools
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, HTTPException
from fastapi.responses import FileResponse, Response
from PIL import Image

from paramlab.ledger import Ledger, LedgerError
from paramlab.ledger.known_folders import known_folders, recorded_output_folders
from paramlab.ledger.locations import FileLocation, KnownFolders
from paramlab.ledger.reads.image_files import Kind, locate_recorded, thumbnail_in_ledger
from paramlab.ledger.thumbnails import render_thumbnail
from paramlab.web.access import AccessRule

ROUTE_PREFIX = "/paramlab/v1/images"
PREVIEW_CACHE_SIZE = 256
CACHE_CONTROL = "private, max-age=60"  # ids can be reused after a delete, so browsers keep them briefly
FILE_HEADERS = {  # on every answer of the file routes, errors included
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; img-src 'self'; sandbox",
}
RECORDED_FOLDERS_SECONDS = 30.0  # how long the runs' output folders are reused (each request would scan runs)
def sniffed_media_type(data: bytes) -> str | None:
    """JPEG, PNG or WebP, told by the first bytes; None for anything else (never served)."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def image_media_type(path: Path) -> str | None:
    """The served MIME type of a file: JPEG, PNG or WebP by its first bytes, and Pillow reads it as that
    format; None otherwise."""
    try:
        with open(path, "rb") as handle:
            media_type = sniffed_media_type(handle.read(16))
        if media_type is None:
            return None
        with Image.open(path) as image:
            return media_type if Image.MIME.get(image.format or "") == media_type else None
    except (OSError, ValueError, Image.DecompressionBombError):
        return None


class RecordedFolders:
    """The runs' output folders for the routes, read again after ``seconds`` (thread-safe)."""

    def __init__(self, seconds: float = RECORDED_FOLDERS_SECONDS):
        self.seconds = seconds
        self._read: tuple[float, str, KnownFolders] | None = None
        self._lock = threading.Lock()

    def get(self, ledger: Ledger) -> KnownFolders:
        key = str(ledger.url)
        with self._lock:
            if self._read is not None and self._read[1] == key and time.monotonic() - self._read[0] < self.seconds:
                return self._read[2]
        folders = KnownFolders.of(recorded_output_folders(ledger))
        with self._lock:
            self._read = (time.monotonic(), key, folders)
        return folders


def _with_file_headers(route: Callable[[int], Response]) -> Callable[[int], Response]:
    """The route with :data:`FILE_HEADERS` on its answer, and on its error answers too."""

    @functools.wraps(route)
    def answer(image_id: int) -> Response:
        try:
            response = route(image_id)
        except HTTPException as exc:
            exc.headers = {**(exc.headers or {}), **FILE_HEADERS}
            raise
        response.headers.update(FILE_HEADERS)
        return response

    return answer


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
    recorded_folders = RecordedFolders()

    def ledger() -> Ledger:
        try:
            return ledger_provider()
        except LedgerError as exc:
            raise HTTPException(status_code=503, detail=str(exc)) from exc

    def reading(action: Callable[[], Any]) -> Any:
        try:
            return action()
        except LedgerError as exc:  # the ledger answered with an error: unavailable, not missing
            raise HTTPException(status_code=503, detail=str(exc)) from exc

    def find(image_id: int, kind: Kind) -> FileLocation:
        def read() -> FileLocation:
            current = ledger()
            folders = known_folders(current, recorded=recorded_folders.get(current))
            return locate_recorded(current, image_id, kind, folders)

        return reading(read)

    def lookup(image_id: int, kind: Kind) -> Path | None:
        return find(image_id, kind).path

    def not_found(image_id: int, what: str) -> HTTPException:
        return HTTPException(status_code=404, detail=f"ParamLab: image {image_id} has no {what} on disk.")

    def in_ledger(image_id: int) -> tuple[bytes, str] | None:
        return reading(lambda: thumbnail_in_ledger(ledger(), image_id))

    def thumbnail(image_id: int) -> Response:
        """The thumbnail kept in the ledger, else an older thumbnail file, else a preview of the image file."""
        stored = in_ledger(image_id)
        stored_type = sniffed_media_type(stored[0]) if stored is not None else None
        if stored is not None and stored_type is not None:  # bytes of any other kind: as if none were kept
            return Response(content=stored[0], media_type=stored_type, headers={"Cache-Control": CACHE_CONTROL})
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
        found = find(image_id, "image")
        if found.path is None:
            raise HTTPException(status_code=404, detail=f"ParamLab: image {image_id}: {found.note}")
        path = found.path
        media_type = image_media_type(path)
        if media_type is None:
            raise not_found(image_id, "JPEG, PNG or WebP image file (no other kind is served)")
        return FileResponse(path, media_type=media_type, headers={"Cache-Control": CACHE_CONTROL})

    for kind, route in (("thumbnail", thumbnail), ("file", image_file)):
        app.add_api_route(f"{ROUTE_PREFIX}/{{image_id}}/{kind}", _with_file_headers(route), methods=["GET"],
                          tags=["ParamLab"], dependencies=[Depends(access.dependency(signed_kind=kind))],
                          response_class=Response)
    return previews


__all__ = ["FILE_HEADERS", "PreviewCache", "image_media_type", "register_file_routes", "render_preview",
           "sniffed_media_type"]
