"""``GET /paramlab/v1/inputs/{sha256}``: a stored input image of a run (an img2img init image, a mask, a ControlNet
control image), or ``?thumbnail=1`` a ≤ 256 px preview of it.

Behind the same rule as the image files (a login, or a signed link from the tab). Only a SHA-256 that some run of
this ledger names is served, its bytes verified against it, and only when they are a PNG (decided from the bytes:
a row another machine wrote is not trusted to hold one), with the file routes' ``nosniff`` and
Content-Security-Policy headers.
"""

from __future__ import annotations

import io
from collections.abc import Callable

from fastapi import Depends, FastAPI, HTTPException
from fastapi.responses import Response
from PIL import Image

from paramlab.ledger import Ledger, LedgerError
from paramlab.ledger.input_store import MissingInput, is_sha256
from paramlab.ledger.reads.inputs import referenced_input_blob
from paramlab.ledger.thumbnails import render_thumbnail
from paramlab.web.access import AccessRule
from paramlab.web.image_files import CACHE_CONTROL, FILE_HEADERS, sniffed_media_type

INPUT_URL = "/paramlab/v1/inputs/{sha256}"
INPUT_CACHE_CONTROL = "private, max-age=86400"  # named by its content: the bytes behind a SHA-256 never change


def _is_png(data: bytes) -> bool:
    if sniffed_media_type(data) != "image/png":
        return False
    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.format == "PNG"
    except (OSError, ValueError, Image.DecompressionBombError):
        return False


def _preview(data: bytes) -> bytes | None:
    try:
        with Image.open(io.BytesIO(data)) as image:
            return render_thumbnail(image)
    except (OSError, ValueError, Image.DecompressionBombError):
        return None


def register_input_routes(app: FastAPI, ledger_provider: Callable[[], Ledger], *, access: AccessRule) -> None:
    """Add the input image route behind ``access`` (required: a forgotten rule must not mean open)."""

    def fail(status: int, detail: str) -> HTTPException:
        return HTTPException(status_code=status, detail=detail, headers=FILE_HEADERS)

    def input_image(sha256: str, thumbnail: bool = False) -> Response:
        """The input image with this SHA-256, if a run of this ledger used it."""
        if not is_sha256(sha256):
            raise fail(400, "ParamLab: an input image is named by its SHA-256: 64 lower-case hex digits.")
        try:
            data = referenced_input_blob(ledger_provider(), sha256)
        except MissingInput as exc:
            raise fail(404, str(exc)) from exc
        except LedgerError as exc:
            raise fail(503, str(exc)) from exc
        if data is None:
            raise fail(404, f"ParamLab: no run in this ledger used an input image {sha256[:12]}….")
        if not _is_png(data):
            raise fail(404, f"ParamLab: the input image {sha256[:12]}… is not a PNG; only PNG inputs are served.")
        if thumbnail:
            preview = _preview(data)
            if preview is None:
                raise fail(404, f"ParamLab: the input image {sha256[:12]}… cannot be previewed.")
            return Response(content=preview, media_type="image/jpeg",
                            headers={**FILE_HEADERS, "Cache-Control": CACHE_CONTROL})
        return Response(content=data, media_type="image/png",
                        headers={**FILE_HEADERS, "Cache-Control": INPUT_CACHE_CONTROL})

    app.add_api_route(INPUT_URL, input_image, methods=["GET"], tags=["ParamLab"], response_class=Response,
                      dependencies=[Depends(access.dependency(signed_kind="input"))])


__all__ = ["INPUT_URL", "register_input_routes"]
