"""One login rule for every ``/paramlab/v1`` route in the WebUI: the matrix of --api-auth / --gradio-auth
against every way a request can present itself, on a real gradio 3 app with its real ``/login`` route.

A1111 protects neither extension routes nor files: before this rule, ``--api-auth`` left
``/images/{id}/file`` open to anyone who counted ids.
"""

from __future__ import annotations

import base64
import html
import re
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr
import pytest
from fastapi.testclient import TestClient
from gradio.routes import App
from modules import script_callbacks, shared
from modules.api import api
from webui_support import LoadedExtension

from paramlab.web.access import parse_credentials
from paramlab.web.signed_links import PROCESS_SIGNER, UrlSigner

API_AUTH = "alice:s3cret,bob:hunter2"
GRADIO_AUTH = "carol:page-pw"
CONFIGS = {
    "no auth": (None, None),
    "api-auth only": (API_AUTH, None),
    "gradio-auth only": (None, GRADIO_AUTH),
    "both": (API_AUTH, GRADIO_AUTH),
}
ROUTES = ("json", "thumbnail", "file")
CREDENTIALS = (
    "anonymous", "wrong password", "right Basic", "page login sent as Basic", "gradio cookie", "forged cookie",
    "signed", "expired signature", "signature for another image", "signature for the other kind",
    "signature from another secret",
)


@dataclass
class WebUI:
    app: App
    client: TestClient
    image_ids: list[int]
    cookie: str  # an issued gradio login token
    cookie_name: str = "access-token-unsecure"  # gradio 4 appends the app's cookie id

    def url(self, route: str, image_id: int | None = None) -> str:
        if route == "json":
            return "/paramlab/v1/profiles"
        return f"/paramlab/v1/images/{image_id if image_id is not None else self.image_ids[0]}/{route}"


@pytest.fixture
def extension(tmp_path: Path) -> Iterator[LoadedExtension]:
    loaded = LoadedExtension(tmp_path)
    yield loaded
    loaded.close()


def start_webui(extension: LoadedExtension, api_auth: str | None, gradio_auth: str | None) -> WebUI:
    """What A1111 does: read the command line, launch gradio (``auth=`` when --gradio-auth), fire
    ``on_app_started(demo, app)`` with gradio's app, on which A1111's own API lives too."""
    shared.cmd_opts.api_auth, shared.cmd_opts.gradio_auth = api_auth, gradio_auth
    api.text2imgapi(extension.runner(), {"prompt": "x", "width": 64, "height": 64, "batch_size": 2,
                                         "save_images": True})
    image_ids = [row["id"] for row in extension.rows()]
    with gr.Blocks() as demo:
        gr.Markdown("The WebUI's page")
    demo.auth = parse_credentials([gradio_auth]) if gradio_auth else None  # as launch(auth=...) sets it
    app = App.create_app(demo)
    script_callbacks.app_started_callback(demo, app)
    if gradio_auth:
        user, password = parse_credentials([gradio_auth])[0]
        login = TestClient(app).post("/login", data={"username": user, "password": password})
        assert login.status_code == 200 and login.json() == {"success": True}
        # the `secure` twin is not sent over plain http; gradio 4 names it access-token-unsecure-<cookie id>
        cookie_name, cookie = next((name, value) for name, value in login.cookies.items()
                                   if name.startswith("access-token-unsecure"))
        assert cookie in app.tokens
    else:
        cookie_name, cookie = "access-token-unsecure", "token-issued-while-the-page-had-no-login"
        app.tokens[cookie] = "nobody"  # a valid-looking token must still not open anything then
    return WebUI(app, TestClient(app), image_ids, cookie, cookie_name)


def request_as(webui: WebUI, credential: str, route: str) -> Any:
    """GET ``route`` presenting ``credential``; file routes get the signature, JSON routes ignore it."""
    image_id, other_id = webui.image_ids
    kind = "file" if route == "json" else route
    other_kind = "thumbnail" if kind == "file" else "file"
    url = webui.url(route)
    options: dict[str, Any] = {}
    if credential == "wrong password":
        options["auth"] = ("alice", "wrong")
    elif credential == "right Basic":
        options["auth"] = ("bob", "hunter2")
    elif credential == "page login sent as Basic":
        options["auth"] = ("carol", "page-pw")
    elif credential == "gradio cookie":
        options["headers"] = {"Cookie": f"{webui.cookie_name}={webui.cookie}"}
    elif credential == "forged cookie":
        options["headers"] = {"Cookie": "access-token=made-up; access-token-unsecure=made-up"}
    elif credential == "signed":
        url = PROCESS_SIGNER.sign(url, kind, image_id)
    elif credential == "expired signature":
        url = PROCESS_SIGNER.sign(url, kind, image_id, now=time.time() - 2 * 3600 - 1)
    elif credential == "signature for another image":
        url = url + PROCESS_SIGNER.sign("", kind, other_id)
    elif credential == "signature for the other kind":
        url = url + PROCESS_SIGNER.sign("", other_kind, image_id)  # type: ignore[arg-type]
    elif credential == "signature from another secret":
        url = UrlSigner().sign(url, kind, image_id)
    return webui.client.get(url, **options)


def expected_status(config: str, credential: str, route: str) -> int:
    api_auth, gradio_auth = CONFIGS[config]
    if not api_auth and not gradio_auth:
        return 200
    if api_auth and credential == "right Basic":
        return 200
    if gradio_auth and credential == "gradio cookie":
        return 200
    if route != "json" and credential == "signed":
        return 200
    return 401


@pytest.mark.parametrize("config", list(CONFIGS))
def test_the_login_matrix(extension: LoadedExtension, config: str) -> None:
    webui = start_webui(extension, *CONFIGS[config])
    api_auth = CONFIGS[config][0]
    answers = {(credential, route): request_as(webui, credential, route) for credential in CREDENTIALS
               for route in ROUTES}
    seen = {key: response.status_code for key, response in answers.items()}
    wanted = {(credential, route): expected_status(config, credential, route) for credential, route in answers}
    assert seen == wanted
    for (_credential, route), response in answers.items():
        if response.status_code == 200 and route != "json":
            assert response.headers["content-type"].startswith("image/")
        if response.status_code == 401:
            assert response.json()["detail"].startswith("ParamLab: ")
            assert (response.headers.get("www-authenticate") == "Basic") is bool(api_auth)
    if api_auth:
        assert "incorrect username or password" in answers[("wrong password", "json")].json()["detail"]
    if config != "no auth":
        assert "expired" in answers[("expired signature", "file")].json()["detail"]
        assert "log in first" in answers[("anonymous", "thumbnail")].json()["detail"]


def test_every_paramlab_route_is_behind_the_rule(extension: LoadedExtension) -> None:
    webui = start_webui(extension, API_AUTH, GRADIO_AUTH)
    routes = [route for route in webui.app.routes if getattr(route, "path", "").startswith("/paramlab/v1")]
    assert len(routes) >= 15
    for route in routes:
        path = route.path.replace("{image_id}", str(webui.image_ids[0])).replace("{name}", "Balanced")
        for method in route.methods:
            response = webui.client.request(method, path, json={})
            assert response.status_code == 401, (method, route.path)
            authorised = webui.client.request(method, path, json={}, auth=("alice", "s3cret"))
            assert authorised.status_code != 401, (method, route.path)
            if method not in ("GET", "HEAD"):  # and a form another site could post is refused even then
                as_form = webui.client.request(method, path, data={"name": "x"}, auth=("alice", "s3cret"))
                assert as_form.status_code == 415, (method, route.path)


def test_gradio_turning_its_login_on_closes_the_routes_too(extension: LoadedExtension) -> None:
    webui = start_webui(extension, None, None)
    assert webui.client.get(webui.url("file")).status_code == 200
    webui.app.auth, webui.app.tokens = {"dave": "pw"}, {"dave-token": "dave"}  # e.g. --gradio-auth-path only
    assert webui.client.get(webui.url("file")).status_code == 401
    assert webui.client.get(webui.url("file"), headers={"Cookie": "access-token=dave-token"}).status_code == 200


def test_gradio_auth_on_the_command_line_closes_the_routes_even_without_a_gradio_login(
        extension: LoadedExtension) -> None:
    webui = start_webui(extension, None, None)
    shared.cmd_opts.gradio_auth_path = "/nowhere/logins.txt"  # e.g. with --nowebui gradio asks for no login
    app = App.create_app(gr.Blocks())
    script_callbacks.app_started_callback(None, app)
    client = TestClient(app)
    assert client.get(webui.url("json")).status_code == 401
    assert client.get(webui.url("thumbnail")).status_code == 401
    assert client.get(PROCESS_SIGNER.sign(webui.url("thumbnail"), "thumbnail", webui.image_ids[0])).status_code == 200


def test_an_unreadable_api_auth_refuses_everyone_instead_of_opening(extension: LoadedExtension) -> None:
    webui = start_webui(extension, "alice", None)
    assert webui.client.get(webui.url("json")).status_code == 401
    assert webui.client.get(webui.url("json"), auth=("alice", "")).status_code == 401


SIGNED_LINK = re.compile(r'(?:src|href)="(/paramlab/v1/images/(\d+)/(thumbnail|file)\?[^"]+)"')


@pytest.mark.parametrize("config", list(CONFIGS))
def test_the_tabs_html_carries_links_the_routes_accept(extension: LoadedExtension, config: str) -> None:
    """What the tab shows, through the handlers it wires (no browser): every image link works as it is,
    with no credentials at all, and the same link without its signature does not (unless nothing is locked)."""
    from paramlab.tab.ledger_view.actions import ANY, FILTER_FIELDS, LedgerActions
    from paramlab.webui import runtime

    webui = start_webui(extension, *CONFIGS[config])
    actions = LedgerActions(runtime.get_ledger)
    filters = dict.fromkeys(FILTER_FIELDS, ANY) | {"sort": "newest first", "text": "", "date_from": "",
                                                       "date_to": ""}
    for name in ("steps_min", "steps_max", "cfg_min", "cfg_max"):
        filters[name] = None
    table = actions.apply(*[filters[name] for name in FILTER_FIELDS])[0]
    detail = actions.detail(str(webui.image_ids[0]))[0]
    links = SIGNED_LINK.findall(table + detail)
    assert {(int(image_id), kind) for _, image_id, kind in links} == {
        *((image_id, "thumbnail") for image_id in webui.image_ids), (webui.image_ids[0], "file")}
    for link, _, _ in links:
        url = html.unescape(link)
        response = webui.client.get(url)
        assert response.status_code == 200 and response.headers["content-type"].startswith("image/"), url
        unsigned = webui.client.get(url.split("?")[0]).status_code
        assert unsigned == (200 if config == "no auth" else 401)


def test_the_acting_user_is_the_one_whose_login_was_checked(extension: LoadedExtension) -> None:
    """bob's page cookie lets him in; a Basic header naming alice with a wrong password must not make him
    alice (who may change locked profiles): bob acts as bob, and the history never says alice for him."""
    webui = start_webui(extension, "alice:s3cret", "bob:page-pw")
    shared.opts.set("paramlab_locked_profile_editors", "alice")
    alice = ("alice", "s3cret")
    profiles = "/paramlab/v1/profiles"
    assert webui.client.post(profiles, json={"name": "House", "settings": {"Steps": 20}}, auth=alice).status_code == 201
    assert webui.client.put(f"{profiles}/House/guide", json={"locked": True}, auth=alice).status_code == 200
    bob_as_alice = {"Cookie": f"{webui.cookie_name}={webui.cookie}",
                    "Authorization": "Basic " + base64.b64encode(b"alice:wrong").decode()}
    changed = webui.client.put(f"{profiles}/House", json={"name": "House", "settings": {"Steps": 5}},
                               headers=bob_as_alice)
    assert changed.status_code == 403 and "locked" in changed.json()["detail"]
    assert webui.client.put(f"{profiles}/House/guide", json={"locked": False}, headers=bob_as_alice).status_code == 403
    assert webui.client.post(profiles, json={"name": "Bob's look", "settings": {"Steps": 9}},
                             headers=bob_as_alice).status_code == 201
    history = {name: [(version["action"], version["changed_by"].split(" ")[0]) for version in
                      webui.client.get(f"{profiles}/{name}/history", auth=alice).json()]
               for name in ("House", "Bob's look")}
    assert history == {"House": [("created", "alice"), ("locked", "alice")], "Bob's look": [("created", "bob")]}


def test_a_basic_name_on_a_server_without_logins_names_nobody(extension: LoadedExtension) -> None:
    """Without any login nothing is checked, so a claimed user name is not believed either."""
    webui = start_webui(extension, None, None)
    shared.opts.set("paramlab_locked_profile_editors", "lead")
    profiles = "/paramlab/v1/profiles"
    webui.client.post(profiles, json={"name": "House", "settings": {"Steps": 20}})
    claimed = webui.client.put(f"{profiles}/House/guide", json={"locked": True}, auth=("lead", "anything"))
    assert claimed.status_code == 403
    assert [version["changed_by"] for version in webui.client.get(f"{profiles}/House/history").json()] == [
        f"WebUI on {socket.gethostname()}"]
