"""TEST HELPER: the stand-in WebUI's API behind a real local HTTP server, answering as A1111 v1.10.1 does:
``/sdapi/v1/txt2img|img2img`` (the stand-in's real request flow), ``/sdapi/v1/sd-models``, ``/sdapi/v1/scripts``
(script names, lower-cased titles), ControlNet's ``/controlnet/model_list`` when the stand-in ControlNet is loaded,
ParamLab's ``/paramlab/v1/fingerprint`` and ``/inventory``, HTTP Basic ``--api-auth`` (401 ``Incorrect username or
password``) and A1111's error answers (HTTPException → its status and ``detail``; anything else → 500 with ``errors``).
It counts renders, so a test can prove an image was not rendered twice."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from typing import Any

from modules import scripts, sd_models
from modules.api import api


def current_fingerprint() -> dict[str, Any]:
    """What the WebUI's ``GET /paramlab/v1/fingerprint`` answers: the fingerprint without a ``p``."""
    from paramlab.webui.fingerprint import current_fingerprint as fingerprint_of

    return fingerprint_of(SimpleNamespace())


def current_inventory() -> dict[str, Any]:
    """What the WebUI's ``GET /paramlab/v1/inventory`` answers (read in process, as its reproduce reads it)."""
    from paramlab.webui.http_api import inventory_now

    return inventory_now()


class StandinWebui:
    """Start with :meth:`start`; ``renders`` lists (endpoint, payload) of every image request answered."""

    def __init__(self, txt2img: scripts.ScriptRunner, img2img: scripts.ScriptRunner, auth: str | None = None,
                 fingerprint: Callable[[], dict] | None = current_fingerprint, controlnet: Any = None,
                 inventory: Callable[[], dict] | None = current_inventory):
        """``fingerprint`` None: an older ParamLab without the route (404); ``controlnet``: the stand-in
        ControlNet's module when it is loaded (:func:`host_fixture.register_controlnet`), for its routes."""
        self.runners = {"txt2img": txt2img, "img2img": img2img}
        self.auth, self.fingerprint, self.controlnet, self.inventory = auth, fingerprint, controlnet, inventory
        self.renders: list[tuple[str, dict[str, Any]]] = []
        self.server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def _get(self, path: str) -> tuple[int, Any]:
        if path == "/sdapi/v1/sd-models":
            return 200, [{"title": info.title, "model_name": info.model_name, "hash": info.shorthash,
                          "sha256": info.sha256, "filename": info.filename, "config": None}
                         for info in sd_models.checkpoints_list.values()]
        if path == "/sdapi/v1/scripts":
            return 200, {tab: [script.title().lower() for script in runner.scripts]
                         for tab, runner in self.runners.items()}
        if path == "/controlnet/model_list" and self.controlnet is not None:
            return 200, self.controlnet.model_list()
        if path == "/paramlab/v1/fingerprint" and self.fingerprint is not None:
            return 200, self.fingerprint()
        if path == "/paramlab/v1/inventory" and self.inventory is not None:
            return 200, self.inventory()
        return 404, {"detail": "Not Found"}

    def _post(self, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        endpoint = path.removeprefix("/sdapi/v1/")
        if endpoint not in self.runners:
            return 404, {"detail": "Not Found"}
        self.renders.append((endpoint, body))
        flow = api.text2imgapi if endpoint == "txt2img" else api.img2imgapi
        try:
            return 200, flow(self.runners[endpoint], body)
        except api.HTTPException as exc:
            return exc.status_code, {"detail": exc.detail}
        except Exception as exc:  # noqa: BLE001 - A1111's api_middleware answers every other error with a 500
            return 500, {"error": type(exc).__name__, "detail": "", "body": "", "errors": str(exc)}

    def start(self) -> StandinWebui:
        webui = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, status: int, data: Any) -> None:
                raw = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def _allowed(self) -> bool:
                if webui.auth is None:
                    return True
                expected = "Basic " + base64.b64encode(webui.auth.encode()).decode()
                if self.headers.get("Authorization") == expected:
                    return True
                self._answer(401, {"detail": "Incorrect username or password"})
                return False

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                if self._allowed():
                    self._answer(*webui._get(self.path))

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if self._allowed():
                    self._answer(*webui._post(self.path, body))

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
