"""Requests another web site can make a browser send, and ParamLab's refusal of them.

A page on any site can make the visitor's browser send a "simple" request to the WebUI: a form post
(``application/x-www-form-urlencoded``, ``multipart/form-data``, ``text/plain``) or a POST without a body,
with no CORS check before it. Anything else (a JSON body, a header of our own) the browser sends to another
site only after asking that site (a CORS preflight), which the WebUI refuses unless its admin allowed the
asking site (``--cors-allow-origins``). So every ParamLab request that changes something must be JSON or
carry :data:`CLIENT_HEADER`; the login rule (:class:`paramlab.web.access.AccessRule`) applies this to every
route it guards, so no route can forget it.

This module imports neither the WebUI's ``modules`` nor gradio.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from fastapi import HTTPException, Request

CLIENT_HEADER = "X-ParamLab-Request"  # any value; for scripts whose request has no JSON body
READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
REFUSAL = (
    "ParamLab: a request that changes something must send a JSON body (Content-Type: application/json) "
    f"or the header {CLIENT_HEADER}: 1. Web forms and other sites' pages can send neither, so this refuses "
    "requests another site could make your browser send."
)


def is_json(content_type: str | None) -> bool:
    """``application/json`` or ``application/…+json``, judged by the type before any parameter, as browsers
    judge it (``text/plain; x=application/json`` is plain text, which any site may send)."""
    essence = (content_type or "").split(";", 1)[0].strip().lower()
    return essence == "application/json" or (essence.startswith("application/") and essence.endswith("+json"))


def could_come_from_another_site(method: str, headers: Mapping[str, str]) -> bool:
    """True for a request that changes something and that a page on another site could have sent."""
    if method.upper() in READING_METHODS:
        return False
    return not (is_json(headers.get("content-type")) or headers.get(CLIENT_HEADER.lower()))


def refuse_simple_writes(request: Request) -> None:
    """Raise 415 for a changing request that is neither JSON nor carries :data:`CLIENT_HEADER`."""
    if could_come_from_another_site(request.method, request.headers):
        raise HTTPException(status_code=415, detail=REFUSAL)


def _origin_of(url: str) -> tuple[str, str] | None:
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    return parts.scheme.lower(), parts.netloc.lower()


def is_same_origin(headers: Mapping[str, str]) -> bool:
    """Whether a browser sent this request from a page of this very server.

    The browser's own ``Sec-Fetch-Site`` decides when it is there (no script can set it, and a proxy that
    rewrites ``Host`` does not change it); otherwise ``Origin`` must name the ``Host`` asked. A request
    with neither (a script, curl) is no browser's, so no other site's."""
    fetch_site = headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site.lower() in ("same-origin", "none")
    origin = headers.get("origin")
    if origin is None:
        return True
    parsed = _origin_of(origin)  # "null" (a sandboxed frame, a local file) is nobody's origin
    return parsed is not None and parsed[1] == headers.get("host", "").lower()


__all__ = ["CLIENT_HEADER", "could_come_from_another_site", "is_json", "is_same_origin", "refuse_simple_writes"]
