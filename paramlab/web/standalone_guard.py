"""What ``python -m paramlab serve`` refuses before gradio sees a request: files it does not hand out, and
requests from other sites.

- ``/file=`` (and gradio 3's older ``/file/``) serves only the files the page itself hands out, which gradio
  keeps in its own folder (:func:`paramlab.gradio_compat.own_files_folder`). gradio 3 also serves every
  file under the folder the server was started from: a guest read ``logins.txt`` with the README's team
  command, and ``serve`` started from ``/`` served the whole disk.
- A request that changes something, and every websocket, must come from the page itself (or from no
  browser at all). gradio 3 answers any site (``Access-Control-Allow-Origin: *``) and its queue websocket
  checks no origin, so without a login any page the user visited could press this page's buttons.

It is an ASGI middleware handed to gradio when the app is made (``launch(app_kwargs=…)``), so it holds
from the first request on, on gradio 3 and 4 alike.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocketClose

from paramlab.web.cross_site import READING_METHODS, is_same_origin

FILE_ROUTES = ("/file=", "/file/")
POLICY_VIOLATION = 1008  # websocket close code: the handshake is refused with HTTP 403
FILE_REFUSAL = "ParamLab: this page hands out its own downloads only; that file is not one of them."
SITE_REFUSAL = ("ParamLab: refused a request from another site (or a page opened from a file). Open this "
                "page at its own address; behind a reverse proxy, pass the Host header through unchanged.")


def is_inside(requested: str, folder: Path) -> bool:
    """Whether ``requested`` really is a file inside ``folder`` (links followed, ``..`` resolved)."""
    try:
        real = Path(os.path.realpath(os.path.abspath(requested)))
    except (OSError, ValueError):
        return False
    return real != folder and real.is_relative_to(folder)


class StandaloneGuard:
    """The ASGI middleware; see the module's docstring."""

    def __init__(self, app: ASGIApp, files_folder: Path):
        self.app = app
        self.files_folder = files_folder

    def refusal(self, scope: Scope) -> str | None:
        changing = scope["type"] == "websocket" or scope.get("method", "GET") not in READING_METHODS
        if changing and not is_same_origin(Headers(scope=scope)):
            return SITE_REFUSAL
        path = str(scope.get("path", ""))
        for route in FILE_ROUTES:
            if path.startswith(route) and not is_inside(path[len(route):], self.files_folder):
                return FILE_REFUSAL
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        reason = self.refusal(scope)
        if reason is None:
            await self.app(scope, receive, send)
        elif scope["type"] == "websocket":
            await WebSocketClose(code=POLICY_VIOLATION, reason=reason)(scope, receive, send)
        else:
            await JSONResponse({"detail": reason}, status_code=403)(scope, receive, send)


def guard_app_kwargs(files_folder: Path) -> dict[str, Any]:
    """``launch(app_kwargs=…)`` that puts :class:`StandaloneGuard` in front of gradio's routes from the start."""
    return {"middleware": [Middleware(StandaloneGuard, files_folder=files_folder)]}


__all__ = ["StandaloneGuard", "guard_app_kwargs", "is_inside"]
