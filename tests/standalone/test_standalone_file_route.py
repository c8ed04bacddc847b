"""``python -m paramlab serve`` hands out no file but the page's own downloads, and no other site can drive it.

gradio 3's ``/file=`` serves every file under the folder the server was started from: with the README's
team command, a logged-in guest read ``logins.txt`` (the editor's password). And gradio 3 answers any
site's requests (``Access-Control-Allow-Origin: *``, a queue websocket that checks no origin), so on a
loopback ``serve`` without a login any web page the user visited could press the page's buttons.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from browser_support import free_port, paramlab_server, run_in_own_loop
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect
from test_standalone_auth import record_images

from paramlab.gradio_compat import IS_GRADIO_4, event_wiring, process_event
from paramlab.ledger import Ledger
from paramlab.ledger.urls import resolve_ledger_url
from paramlab.standalone import launch_page

PASSWORDS = ("boss-pw", "guest-pw")
EVIL = "http://evil.example"


def refused(response: httpx.Response) -> bool:
    return response.status_code in (403, 404) and not any(password in response.text for password in PASSWORDS)


def test_a_guest_cannot_read_the_login_file_or_any_other_file_through_file_urls(tmp_path: Path) -> None:
    team = tmp_path / "team"  # the folder `serve` starts from, holding the login file, as in the README
    team.mkdir()
    logins = team / "logins.txt"
    logins.write_text(f"lead:{PASSWORDS[0]}\nguest:{PASSWORDS[1]}\n", encoding="utf-8")
    (team / "notes").write_text("private notes", encoding="utf-8")
    [image_id, _] = record_images(team / "ledger.sqlite", team)
    asked = ["logins.txt", str(logins), "./logins.txt", "notes", str(team / "image-0.png"), "ledger.sqlite",
             "server.log", "../team/logins.txt", "/etc/passwd", str(Path.home() / "x")]
    with paramlab_server(team / "ledger.sqlite", tmp_path, ["--auth-file", "logins.txt", "--editor", "lead"],
                         cwd=team) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        assert client.post("/login", data={"username": "guest", "password": PASSWORDS[1]}).status_code == 200
        for path in asked:
            for route in ("/file=", "/file/"):  # gradio 3 keeps /file/ as an older spelling of the same route
                response = client.get(route + path)
                assert refused(response), (route + path, response.status_code, response.text[:200])
            assert refused(client.head("/file=" + path)), path
        assert client.get("/").status_code == 200 and client.get("/config").status_code == 200  # the page works
        thumbnail = client.get(f"/paramlab/v1/images/{image_id}/thumbnail")
        assert thumbnail.status_code == 200 and thumbnail.headers["content-type"] == "image/jpeg"


@pytest.fixture
def page_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Path]]:
    """The page in this process, started from a folder holding a secret, with no login (loopback)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "secret.txt").write_text("boss-pw", encoding="utf-8")
    record_images(tmp_path / "ledger.sqlite", tmp_path)
    ledger = Ledger.open(resolve_ledger_url(tmp_path / "ledger.sqlite", tmp_path))
    demo = launch_page(ledger, "127.0.0.1", free_port())
    try:
        yield demo, tmp_path
    finally:
        demo.close()
        ledger.close()


def export_download(demo: Any) -> str:
    """Press "Export filtered" as gradio does and return the path of the download it offers."""
    [event] = [event for event in event_wiring(demo)
               if any(getattr(demo.blocks.get(target), "elem_id", None) == "paramlab-ledger-export"
                      for target in event.targets)]
    values = [demo.blocks[block_id].value for block_id in event.inputs]
    [download, _status] = run_in_own_loop(process_event(demo, event.key, values, None))["data"]
    return str(download.get("path") or download.get("name"))


def test_the_pages_own_downloads_are_still_served_and_nothing_beside_them(page_in: tuple[Any, Path]) -> None:
    demo, folder = page_in
    client = TestClient(demo.server_app)
    download = export_download(demo)
    answer = client.get("/file=" + download)
    assert answer.status_code == 200 and "harbour" in answer.text
    for path in ("secret.txt", str(folder / "secret.txt"), str(Path(download).parent.parent / "secret.txt")):
        assert refused(client.get("/file=" + path)), path


def test_other_sites_cannot_drive_the_page(page_in: tuple[Any, Path]) -> None:
    demo, _folder = page_in
    client = TestClient(demo.server_app, base_url="http://127.0.0.1:7870")
    here = {"Origin": "http://127.0.0.1:7870"}
    body = {"session_hash": "s", "fn_index": 0, "event_id": "e", "data": [], "event_data": None}  # both gradios
    for origin in (EVIL, "null", "http://127.0.0.1:9999"):
        answer = client.post("/reset", json=body, headers={"Origin": origin})
        assert answer.status_code == 403 and "another site" in answer.json()["detail"], origin
        assert client.post("/reset", json=body, headers={"Origin": "http://127.0.0.1:7870",
                                                         "Sec-Fetch-Site": "cross-site"}).status_code == 403
        login = client.post("/login", data={"username": "x", "password": "y"}, headers={"Origin": origin})
        assert login.status_code == 403
    assert client.post("/reset", json=body, headers=here).status_code == 200  # the page itself
    assert client.post("/reset", json=body, headers=here | {"Sec-Fetch-Site": "same-origin"}).status_code == 200
    assert client.post("/reset", json=body).status_code == 200  # a script, no browser: no Origin
    if IS_GRADIO_4:
        assert client.post("/queue/join", json=body, headers={"Origin": EVIL}).status_code == 403
    else:  # gradio 3 runs the page's events through a websocket, which no CORS rule covers
        socket_url = "ws://127.0.0.1:7870/queue/join"
        with pytest.raises(WebSocketDisconnect) as closed, \
                client.websocket_connect(socket_url, headers={"Origin": EVIL}) as socket:
            socket.receive_json()
        assert closed.value.code == 1008
        greeting = None
        # gradio's handler then waits for the session, and TestClient re-raises its disconnect on leaving
        with contextlib.suppress(WebSocketDisconnect), client.websocket_connect(socket_url, headers=here) as socket:
            greeting = socket.receive_json()
        assert greeting == {"msg": "send_hash"}  # the page itself is let in
