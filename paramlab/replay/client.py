"""A running WebUI over its HTTP API: what it has (models, always-on scripts, ControlNet models), rendering a
replay request, and its current fingerprint. Used by the canary and ``python -m paramlab abtest``.

Plain ``urllib``: nothing to install beside the WebUI. ``auth`` is the WebUI's ``--api-auth`` login
(``user:password``, sent as HTTP Basic). Every failure is a :class:`WebuiError` whose message says what to do.
"""

from __future__ import annotations

import base64
import io
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from paramlab.replay.request import HostInventory, ReplayRequest

CONTROLNET_TITLE = "ControlNet"


class WebuiError(RuntimeError):
    """The WebUI could not be reached, refused the login, or failed the request; the message says which."""


class WebuiUnreachable(WebuiError):
    """Nothing more can be asked of it: no answer at that address, or the login refused."""


class WebuiNotFound(WebuiError):
    """The WebUI answered 404: the route is not there (an extension missing, or an older version of it)."""


@dataclass
class RenderedImage:
    image: Image.Image
    seconds: float  # wall time of the request, as the canary's speed check compares it
    info: dict[str, Any] = field(default_factory=dict)  # the WebUI's answer "info" (seed, model hash …)


def _error_text(body: bytes) -> str:
    """A1111's error answer as a sentence: its JSON ``detail``/``error``+``errors``, else the text."""
    text = body.decode("utf-8", "replace").strip()
    try:
        data = json.loads(text)
    except ValueError:
        return text[:500]
    if isinstance(data, dict):
        parts = [str(data[key]) for key in ("detail", "error", "errors") if data.get(key)]
        if parts:
            return ": ".join(dict.fromkeys(parts))[:500]
    return text[:500]


class WebuiClient:
    def __init__(self, url: str, auth: str | None = None, timeout: float | None = None):
        self.url = url.rstrip("/")
        self.auth = auth
        self.timeout = timeout  # None: a render may take as long as it takes

    def call(self, method: str, path: str, body: Any = None) -> Any:
        """One JSON request; the answer's JSON. Raises :class:`WebuiError` (:class:`WebuiNotFound` for 404)."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"} if data else {})
        if self.auth:
            request.add_header("Authorization", "Basic " + base64.b64encode(self.auth.encode()).decode())
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - the user's URL
                return json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            raise self._http_error(exc, path) from exc
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise WebuiUnreachable(f"ParamLab: could not reach the WebUI at {self.url}: {reason}. Is it running, "
                             "started with --api, and is the address right?") from exc
        except ValueError as exc:
            raise WebuiError(f"ParamLab: the WebUI at {self.url} answered {path} with something that is not "
                             f"JSON ({exc}).") from exc

    def _http_error(self, exc: urllib.error.HTTPError, path: str) -> WebuiError:
        text = _error_text(exc.read())
        if exc.code == 401:
            given = "the login given with --auth was refused" if self.auth else "it asks for a login: add --auth"
            return WebuiUnreachable(f"ParamLab: the WebUI at {self.url} answered 401 Unauthorized: {given} "
                              "(the user:password of its --api-auth).")
        if exc.code == 404:
            return WebuiNotFound(f"ParamLab: the WebUI at {self.url} has no {path} (404): {text}")
        return WebuiError(f"ParamLab: the WebUI answered {exc.code} to {path}: {text}")

    def inventory(self) -> HostInventory:
        """Its checkpoints (titles and hashes), always-on scripts and extension models: as ParamLab there reads
        them (``/paramlab/v1/inventory``, which rescans Forge's ControlNet list), else from the WebUI's own routes
        (an older ParamLab)."""
        try:
            mine = self.call("GET", "/paramlab/v1/inventory")
        except WebuiNotFound:
            return self._inventory_from_webui_routes()
        return HostInventory(checkpoints=list(mine.get("checkpoints") or []),
                             extensions=list(mine.get("extensions") or []),
                             extension_models=dict(mine.get("extension_models") or {}))

    def _inventory_from_webui_routes(self) -> HostInventory:
        models = self.call("GET", "/sdapi/v1/sd-models")
        checkpoints: list[str] = []
        for model in models:
            checkpoints += [str(model[key]) for key in ("title", "model_name", "hash", "sha256") if model.get(key)]
        scripts = self.call("GET", "/sdapi/v1/scripts")
        alwayson = sorted({*scripts.get("txt2img", []), *scripts.get("img2img", [])}, key=str.lower)
        extension_models: dict[str, list[str]] = {}
        if any(title.lower() == CONTROLNET_TITLE.lower() for title in alwayson):
            extension_models[CONTROLNET_TITLE] = list(self.call("GET", "/controlnet/model_list").get("model_list", []))
        return HostInventory(checkpoints=list(dict.fromkeys(checkpoints)), extensions=alwayson,
                             extension_models=extension_models)

    def render(self, request: ReplayRequest) -> RenderedImage:
        """POST the request to ``/sdapi/v1/<endpoint>``; the first image of the answer, timed."""
        started = time.perf_counter()
        answer = self.call("POST", f"/sdapi/v1/{request.endpoint}", request.payload)
        seconds = time.perf_counter() - started
        images = answer.get("images") or []
        if not images:
            raise WebuiError(f"ParamLab: the WebUI answered image {request.image_id}'s replay without an image "
                             "(interrupted there?).")
        encoded = images[0].split(",", 1)[1] if images[0].startswith("data:") else images[0]
        with Image.open(io.BytesIO(base64.b64decode(encoded))) as image:
            image.load()
            rendered = image.copy()
        try:
            info = json.loads(answer.get("info") or "{}")
        except (TypeError, ValueError):
            info = {}
        return RenderedImage(rendered, seconds, info if isinstance(info, dict) else {})

    def fingerprint(self) -> dict[str, Any]:
        """The WebUI's current reproducibility fingerprint (``GET /paramlab/v1/fingerprint``)."""
        try:
            return self.call("GET", "/paramlab/v1/fingerprint")
        except WebuiNotFound as exc:
            raise WebuiNotFound(f"ParamLab: the WebUI at {self.url} has no /paramlab/v1/fingerprint: its ParamLab "
                                "is older than this one (or not installed); update it there to learn what "
                                "changed.") from exc


__all__ = ["RenderedImage", "WebuiClient", "WebuiError", "WebuiNotFound", "WebuiUnreachable"]
