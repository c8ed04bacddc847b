"""Small previews for images that were not saved to disk (the API's default)."""

from __future__ import annotations

import io
import os
from pathlib import Path

from PIL import Image

THUMBNAIL_MAX_SIDE = 256
JPEG_QUALITY = 85


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
