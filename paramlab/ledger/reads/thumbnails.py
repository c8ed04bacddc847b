"""The preview the ledger keeps of an image (``image_thumbnails``), read on its own connection: for pages
and figures that need the pixels of an image whose file is not reachable from here."""

from __future__ import annotations

from paramlab.ledger.store import Ledger
from paramlab.ledger.thumbnails import stored_thumbnail


def stored_preview(ledger: Ledger, image_id: int) -> tuple[bytes, str] | None:
    """The preview's encoded bytes and media type; None when the ledger keeps none for this image."""
    with ledger.read("read the image's preview") as conn:
        return stored_thumbnail(conn, image_id)
