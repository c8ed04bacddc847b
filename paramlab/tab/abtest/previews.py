"""The pictures of a blind A/B pair, inlined into the page as ``data:`` URLs.

The ledger's image routes name the image id (``/paramlab/v1/images/<id>/thumbnail``), and an id opens the
detail view, which names the variant: a judge could look before voting. So the judging page carries the
pixels themselves, re-encoded by Pillow as a fresh JPEG (nothing of the recorded file rides along: no
infotext, no EXIF, no media type a ledger row made up), and no id, path or link at all.
"""

from __future__ import annotations

import base64

from paramlab.ledger import Ledger
from paramlab.ledger.reads.image_files import recorded_file, thumbnail_in_ledger
from paramlab.ledger.thumbnails import THUMBNAIL_MEDIA_TYPE, thumbnail_of_encoded
from paramlab.web.image_files import render_preview


def blind_preview(ledger: Ledger, image_id: int) -> str | None:
    """A ``data:`` URL of the image's preview (the ledger's thumbnail, else a thumbnail file, else the
    image file), or None when none is reachable from here. A ledger that cannot be read raises
    :class:`~paramlab.ledger.LedgerError`, as every other read of the A/B view does."""
    stored = thumbnail_in_ledger(ledger, image_id)
    data = thumbnail_of_encoded(stored[0]) if stored is not None else None
    for kind in ("thumbnail", "image"):
        if data is not None:
            break
        path = recorded_file(ledger, image_id, kind)
        data = render_preview(path) if path is not None else None
    if data is None:
        return None
    return f"data:{THUMBNAIL_MEDIA_TYPE};base64,{base64.b64encode(data).decode('ascii')}"
