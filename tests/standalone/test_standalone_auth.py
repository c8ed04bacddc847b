"""``python -m paramlab serve`` and logins: off loopback it refuses to start without ``--auth``; with logins
the page asks for one, and images are served to the login cookie or the tab's signed links only."""

from __future__ import annotations

import html
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from browser_support import free_port, paramlab_server, run_in_own_loop
from PIL import Image

from paramlab.cli import is_loopback_host, main
from paramlab.ledger import ImageRecord, Ledger, RunRecord
from paramlab.ledger.urls import resolve_ledger_url
from paramlab.standalone import launch_page
from paramlab.tab.ledger_view.actions import ANY, FILTER_FIELDS, LedgerActions
from paramlab.web.signed_links import PROCESS_SIGNER

REPO = Path(__file__).resolve().parents[2]
ASKS_FOR_LOGIN = re.compile(r'"auth_required":\s*true')  # gradio's page config when nobody is logged in
SIGNED_LINK = re.compile(r'(?:src|href)="(/paramlab/v1/images/\d+/(?:thumbnail|file)\?[^"]+)"')


def record_images(db: Path, folder: Path, count: int = 2) -> list[int]:
    ledger = Ledger.open(resolve_ledger_url(db, folder))
    try:
        images = []
        for index in range(count):
            path = folder / f"image-{index}.png"
            Image.new("RGB", (96, 64), (20 * index, 90, 160)).save(path)
            images.append(ImageRecord(index_in_run=index, seed=index, prompt=f"harbour {index}", image_path=str(path)))
        ledger.write_runs([RunRecord(tab="txt2img", source="ui", output_dir=str(folder), images=images)])
        return sorted(row["id"] for row in ledger.recent_images(limit=count))
    finally:
        ledger.close()


def run_serve(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "paramlab", "--db", str(tmp_path / "ledger.sqlite"), "serve", *args]
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120, check=False)


def test_serve_refuses_a_public_address_without_a_login_and_says_why(tmp_path: Path) -> None:
    result = run_serve(tmp_path, "--host", "0.0.0.0", "--port", str(free_port()))
    assert result.returncode == 2
    assert "refusing to serve on 0.0.0.0 without a login" in result.stderr
    assert "--auth user:password" in result.stderr and "--auth-file" in result.stderr
    assert not (tmp_path / "ledger.sqlite").exists()  # refused before anything was opened


@pytest.mark.parametrize("arguments", [
    ["--auth", "alice"], ["--auth", "alice:pw,hunter2"], ["--auth-file", "missing.txt"],
    ["--host", "192.168.0.10", "--auth-file", "empty.txt"],
])
def test_serve_refuses_unreadable_logins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str], arguments: list[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "empty.txt").write_text("\n\n", encoding="utf-8")
    assert main(["--db", str(tmp_path / "ledger.sqlite"), "serve", *arguments]) == 2
    error = capsys.readouterr().err
    assert error.startswith("ParamLab: ") and "hunter2" not in error
    assert not (tmp_path / "ledger.sqlite").exists()


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("127.8.9.10", True), ("::1", True), ("[::1]", True), ("localhost", True),
    ("LOCALHOST", True), ("0.0.0.0", False), ("::", False), ("192.168.1.20", False), ("example.org", False),
    ("", False),
])
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback


def test_serve_on_a_public_address_with_a_login_file_asks_for_it(tmp_path: Path) -> None:
    image_id, _ = record_images(tmp_path / "ledger.sqlite", tmp_path)
    logins = tmp_path / "logins.txt"
    logins.write_text("alice:first-pw\nbob:second-pw\n", encoding="utf-8")
    with paramlab_server(tmp_path / "ledger.sqlite", tmp_path, ["--host", "0.0.0.0", "--auth-file", str(logins)]) \
            as server, httpx.Client(base_url=server.url, timeout=30) as client:
        assert ASKS_FOR_LOGIN.search(client.get("/").text)
        assert client.get("/config").status_code == 401
        thumbnail = f"/paramlab/v1/images/{image_id}/thumbnail"
        assert client.get(thumbnail).status_code == 401
        assert client.get(thumbnail, auth=("bob", "second-pw")).status_code == 401  # no Basic outside the WebUI
        assert client.post("/login", data={"username": "bob", "password": "wrong"}).status_code == 400
        assert client.post("/login", data={"username": "bob", "password": "second-pw"}).status_code == 200
        assert not ASKS_FOR_LOGIN.search(client.get("/").text) and client.get("/config").status_code == 200
        response = client.get(thumbnail)  # the `-unsecure` login cookie, as a browser on plain http sends it
        assert response.status_code == 200 and response.headers["content-type"] == "image/jpeg"
    assert "login required (2 user(s))" in server.output()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Ledger, list[int]]]:
    """The standalone page in this process, on loopback with one login, so the test renders the tab's HTML
    with the same signer the server checks."""
    ids = record_images(tmp_path / "ledger.sqlite", tmp_path)
    ledger = Ledger.open(resolve_ledger_url(tmp_path / "ledger.sqlite", tmp_path))
    port = free_port()
    demo = launch_page(ledger, "127.0.0.1", port, logins=[("alice", "pw")])
    try:
        yield f"http://127.0.0.1:{port}", ledger, ids
    finally:
        demo.close()
        ledger.close()


def rendered_links(ledger: Ledger, image_id: int) -> list[str]:
    """The image links of the tab's table and detail view, from the handlers the tab wires."""
    actions = LedgerActions(lambda: ledger)
    filters = dict.fromkeys(FILTER_FIELDS, ANY) | {"sort": "newest first", "text": "", "date_from": "", "date_to": ""}
    filters |= dict.fromkeys(("steps_min", "steps_max", "cfg_min", "cfg_max"))
    table = actions.apply(*[filters[name] for name in FILTER_FIELDS])[0]
    detail = actions.detail(str(image_id))[0]
    return [html.unescape(link) for link in SIGNED_LINK.findall(table + detail)]


def test_the_tabs_signed_links_work_without_the_cookie_and_nothing_else_does(served: tuple) -> None:
    url, ledger, (first, second) = served
    with httpx.Client(base_url=url, timeout=30) as client:
        links = rendered_links(ledger, first)
        assert len(links) == 4  # the table's two thumbnails; the detail's thumbnail and "Open the image"
        for link in links:
            response = client.get(link)
            assert response.status_code == 200 and response.headers["content-type"].startswith("image/"), link
            assert client.get(link.split("?")[0]).status_code == 401
        swapped = f"/paramlab/v1/images/{second}/file" + PROCESS_SIGNER.sign("", "file", first)
        assert client.get(swapped).status_code == 401
        expired = PROCESS_SIGNER.sign(f"/paramlab/v1/images/{first}/file", "file", first, now=0)
        assert "expired" in client.get(expired).json()["detail"]
        client.post("/login", data={"username": "alice", "password": "pw"})
        assert client.get(f"/paramlab/v1/images/{second}/file").status_code == 200


def test_serve_on_loopback_without_a_login_stays_open(tmp_path: Path) -> None:
    image_id, _ = record_images(tmp_path / "ledger.sqlite", tmp_path)
    with paramlab_server(tmp_path / "ledger.sqlite", tmp_path) as server, \
            httpx.Client(base_url=server.url, timeout=30) as client:
        answer = client.get(f"/paramlab/v1/images/{image_id}/file")
        assert answer.status_code == 200, answer.text
        assert not ASKS_FOR_LOGIN.search(client.get("/").text)


@pytest.mark.browser
def test_after_logging_in_the_browser_shows_the_thumbnails(tmp_path: Path) -> None:
    """Chromium, logged in through gradio's own form on plain http, loads every thumbnail of the table (the
    links are signed; the signature alone is enough, the login cookie is the second way in)."""
    from browser_support import chromium_page, require_browser

    require_browser()
    record_images(tmp_path / "ledger.sqlite", tmp_path, count=3)
    with paramlab_server(tmp_path / "ledger.sqlite", tmp_path, ["--auth", "alice:pw"]) as server, \
            chromium_page() as page:
        page.goto(server.url)
        page.get_by_label("username").fill("alice")
        page.get_by_label("password").fill("pw")
        page.get_by_role("button", name="Login").click()
        thumbnails = page.locator("#paramlab-ledger-table img")
        thumbnails.first.wait_for(timeout=30_000)
        assert thumbnails.count() == 3
        page.wait_for_function(
            "() => [...document.querySelectorAll('#paramlab-ledger-table img')]"
            ".every(img => img.complete && img.naturalWidth > 0)", timeout=30_000)
        assert all("sig=" in (thumbnails.nth(n).get_attribute("src") or "") for n in range(3))


def click(demo, elem_id: str, user: str | None, *inputs):  # type: ignore[no-untyped-def]
    """Press a button of the page as gradio does for a logged-in user (through ``process_api``)."""

    from gradio.routes import Request

    from paramlab.gradio_compat import event_wiring, process_event

    [event] = [event for event in event_wiring(demo)
               if any(getattr(demo.blocks.get(target), "elem_id", None) == elem_id for target in event.targets)][:1]
    # Inputs not given keep the values the page starts with (the rating also re-reads the table page).
    values = [*inputs, *(demo.blocks[block_id].value for block_id in event.inputs[len(inputs):])]
    return run_in_own_loop(process_event(demo, event.key, values, Request(username=user)))["data"]


def test_a_team_viewer_is_read_only_except_for_its_editors(tmp_path: Path) -> None:
    [first, _second] = record_images(tmp_path / "ledger.sqlite", tmp_path)
    ledger = Ledger.open(resolve_ledger_url(tmp_path / "ledger.sqlite", tmp_path))
    demo = launch_page(ledger, "127.0.0.1", free_port(), logins=[("guest", "pw"), ("lead", "pw2")], editors=["lead"])
    try:
        refused = click(demo, "paramlab-rate-4", "guest", str(first))
        assert "guest may view this ledger but not change it" in " ".join(map(str, refused))
        assert "--editor guest" in " ".join(map(str, refused))
        assert ledger.recent_images(limit=2)[1]["rating"] is None
        click(demo, "paramlab-rate-4", "lead", str(first))
        assert {row["id"]: row["rating"] for row in ledger.recent_images(limit=2)}[first] == 4
    finally:
        demo.close()
        ledger.close()


@pytest.mark.parametrize("arguments, says", [
    (["--editor", "lead"], "--editor names a login, so it needs --auth"),
    (["--auth", "lead:pw", "--editor", "lead,boss"], "--editor boss: no such login"),
    (["--path-map", "no-equals-sign"], "must be FROM=TO"),
])
def test_serve_refuses_editors_without_logins_and_bad_path_maps(tmp_path: Path, arguments: list[str],
                                                                 says: str) -> None:
    result = run_serve(tmp_path, "--port", str(free_port()), *arguments)
    assert result.returncode == 2 and says in result.stderr
