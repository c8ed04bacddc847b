"""No other web site can change anything through ``/paramlab/v1`` (issue 18, item 6).

A page on any site can make the browser send a "simple" request to the WebUI: a form post
(``application/x-www-form-urlencoded``, ``multipart/form-data``, ``text/plain``) or a body-less POST, with
no CORS check first. On a WebUI without a login, ``POST /images/{id}/reproduce`` (no body) started a
generation that way. Every request that changes something must now be JSON or carry
``X-ParamLab-Request``, which a browser sends to another site only after that site's CORS approval.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from modules import script_callbacks, shared
from modules.api import api
from webui_support import LoadedExtension

CLIENT_HEADER = "X-ParamLab-Request"  # the README names it: scripts that send no JSON body add it
PREFIX = "/paramlab/v1"
SIMPLE_BODIES = {  # what a form on another site, or fetch(…, {mode: "no-cors"}), can send
    "form": {"data": {"name": "Forged", "seed": "1"}},
    "multipart": {"files": {"name": ("x.txt", b"Forged")}},
    "text/plain": {"content": b'{"name": "Forged", "settings": {}}', "headers": {"Content-Type": "text/plain"}},
    "text/plain naming json": {"content": b'{"name": "Forged", "settings": {}}',
                               "headers": {"Content-Type": "text/plain; charset=application/json"}},
    "no body": {},
}


@pytest.fixture
def webui(tmp_path: Path) -> Iterator[tuple[TestClient, int, LoadedExtension]]:
    """A WebUI with no login at all (A1111's default), one recorded image."""
    extension = LoadedExtension(tmp_path)
    shared.cmd_opts.api_auth = None
    api.text2imgapi(extension.runner(), {"prompt": "x", "seed": 3, "width": 64, "height": 64, "save_images": True})
    [row] = extension.rows()
    app = FastAPI()
    script_callbacks.app_started_callback(None, app)
    try:
        yield TestClient(app), row["id"], extension
    finally:
        extension.close()


def changing_routes(client: TestClient, image_id: int) -> list[tuple[str, str]]:
    routes = [(method, route.path) for route in client.app.routes if route.path.startswith(PREFIX)
              for method in sorted(route.methods) if method not in ("GET", "HEAD")]
    return [(method, path.replace("{image_id}", str(image_id)).replace("{name}", "Balanced"))
            for method, path in routes]


def test_a_simple_request_from_another_site_changes_nothing(webui: tuple[TestClient, int, LoadedExtension]) -> None:
    client, image_id, extension = webui
    routes = changing_routes(client, image_id)
    assert ("POST", f"{PREFIX}/images/{image_id}/reproduce") in routes and len(routes) >= 9
    runs_before = len(extension.runs())
    for method, path in routes:
        for kind, options in SIMPLE_BODIES.items():
            answer = client.request(method, path, headers={"Origin": "http://evil.example",
                                                           **options.get("headers", {})},
                                    **{key: value for key, value in options.items() if key != "headers"})
            assert answer.status_code == 415, (method, path, kind, answer.status_code)
            assert CLIENT_HEADER in answer.json()["detail"] and "application/json" in answer.json()["detail"]
    assert len(extension.runs()) == runs_before  # no generation ran
    assert "Forged" not in {entry["name"] for entry in client.get(f"{PREFIX}/profiles").json()}
    assert "Forged" not in {entry["name"] for entry in client.get(f"{PREFIX}/series").json()}


def test_json_and_the_client_header_still_work(webui: tuple[TestClient, int, LoadedExtension]) -> None:
    client, image_id, _extension = webui
    reproduce = f"{PREFIX}/images/{image_id}/reproduce"
    assert client.post(reproduce, headers={CLIENT_HEADER: "1"}).json()["identical"] is True
    assert client.post(reproduce, json={}).status_code == 200
    assert client.post(reproduce, headers={"Content-Type": "application/json"}).status_code == 200  # empty body
    created = client.post(f"{PREFIX}/profiles", json={"name": "Night", "settings": {"Steps": 20}})
    assert created.status_code == 201
    assert client.put(f"{PREFIX}/images/{image_id}/rating", json={"rating": 4}).status_code == 200
    assert client.delete(f"{PREFIX}/profiles/Night", headers={CLIENT_HEADER: "1"}).status_code == 204
    assert client.get(f"{PREFIX}/profiles").status_code == 200  # reading needs neither
