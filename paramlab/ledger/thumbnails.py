"""Small previews of recorded images, kept in the ledger itself (``image_thumbnails``): of images that were
not saved to disk (the API's default), and, for a ledger shared between machines, of saved ones too, whose
files are on the machine that made them. Ledgers before version 8 kept them as files (``thumbnail_path``)."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from PIL import Image

THUMBNAIL_MAX_SIDE = 256
JPEG_QUALITY = 85
THUMBNAIL_MEDIA_TYPE = "image/jpeg"


def render_thumbnail(image: Image.Image, max_side: int = THUMBNAIL_MAX_SIDE) -> bytes:
    """JPEG bytes no larger than ``max_side`` on either side. Deterministic, so a reproduced image's
    thumbnail matches the recorded one byte for byte when the pixels are the same."""
    preview = image.copy()
    preview.thumbnail((max_side, max_side))
    if preview.mode not in ("RGB", "L"):
        preview = preview.convert("RGB")
    buffer = io.BytesIO()
    preview.save(buffer, format="JPEG", quality=JPEG_QUALITY)
    return buffer.getvalue()


def thumbnail_of_encoded(data: bytes) -> bytes | None:
    """A fresh thumbnail (JPEG) of an encoded picture, or None when Pillow cannot read it as an image."""
    try:
        with Image.open(io.BytesIO(data)) as picture:
            return render_thumbnail(picture)
    except (OSError, ValueError, Image.DecompressionBombError):
        return None


def thumbnail_as_recorded(image: Image.Image) -> Image.Image:
    """What the ledger's thumbnail of this image looks like once decoded (for comparisons)."""
    with Image.open(io.BytesIO(render_thumbnail(image))) as decoded:
        return decoded.convert("RGB")


def make_thumbnail(image: Image.Image, target: Path, max_side: int = THUMBNAIL_MAX_SIDE) -> Path:
    """Write the thumbnail atomically, so a crash leaves no half file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(target.name + ".tmp")
    temporary.write_bytes(render_thumbnail(image, max_side))
    os.replace(temporary, target)
    return target


def thumbnail_size(data: bytes) -> tuple[int | None, int | None]:
    """Width and height of an encoded preview (None, None when it cannot be read)."""
    try:
        with Image.open(io.BytesIO(data)) as preview:
            return preview.size
    except (OSError, ValueError):
        return None, None


def stored_thumbnail(conn: Any, image_id: int) -> tuple[bytes, str] | None:
    """The preview kept in the ledger for this image, with its media type."""
    from paramlab.ledger import schema

    table = schema.image_thumbnails
    row = conn.execute(sa.select(table.c.data, table.c.media_type).where(table.c.image_id == image_id)).first()
    return (bytes(row.data), row.media_type) if row is not None else None


def ids_with_thumbnails(conn: Any, image_ids: list[int]) -> set[int]:
    """Which of these images have a preview in the ledger (one query for a table page)."""
    from paramlab.ledger import schema

    if not image_ids:
        return set()
    table = schema.image_thumbnails
    return set(conn.execute(sa.select(table.c.image_id).where(table.c.image_id.in_(image_ids))).scalars())
