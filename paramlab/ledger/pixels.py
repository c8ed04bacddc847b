"""A hash of an image's decoded pixels: the same picture has the same hash whatever file it travelled in.

A file's SHA-256 changes when the image is re-encoded (a browser upload, the API's base64), so an
upscale's input is found again in the ledger by its pixels: RGB bytes (alpha dropped) and the size.
"""

from __future__ import annotations

import hashlib
from typing import Any


def pixel_sha256(image: Any) -> str:
    """SHA-256 of ``"<width>x<height>:"`` and the image's RGB bytes (a PIL image)."""
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    digest = hashlib.sha256(f"{rgb.width}x{rgb.height}:".encode("ascii"))
    digest.update(rgb.tobytes())
    return digest.hexdigest()
