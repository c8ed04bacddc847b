"""Small previews for images that were not saved to disk (the API's default)."""

from __future__ import annotations

import os
from pathlib import Path

from PIL import Image

THUMBNAIL_MAX_SIDE = 256


def make_thumbnail(image: Image.Image, target: Path, max_side: int = THUMBNAIL_MAX_SIDE) -> Path:
    """Write a JPEG no larger than ``max_side`` on either side; atomic, so a crash leaves no half file."""
    preview = image.copy()
    preview.thumbnail((max_side, max_side))
    if preview.mode not in ("RGB", "L"):
        preview = preview.convert("RGB")
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(target.name + ".tmp")
    preview.save(temporary, format="JPEG", quality=85)
    os.replace(temporary, target)
    return target
