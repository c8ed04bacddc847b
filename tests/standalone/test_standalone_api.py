"""``paramlab serve`` answers the WebUI's ``/paramlab/v1`` routes (registered by the same function) behind its
login: reads for every logged-in user, writes for its editors only, nothing without a login."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from serve_support import logged_in, team_page
from test_standalone_auth import record_images

from paramlab.ledger import Ledger
from paramlab.ledger.urls import resolve_ledger_url

READ_ROUTES = ("/paramlab/v1/jobs", "/paramlab/v1/profiles", "/paramlab/v1/series", "/paramlab/v1/stats/convergence")


@pytest.fixture
def team_viewer(tmp_path: Path) -> Iterator[tuple[str, Ledger, list[int]]]:
    """The standalone page on loopback with two logins, of which only "lead" may edit."""
    ids = record_images(tmp_path / "ledger.sqlite", tmp_path)
    ledger = Ledger.open(resolve_ledger_url(tmp_path / "ledger.sqlite", tmp_path))
    try:
        with team_page(ledger) as url:
            yield url, ledger, ids
    finally:
        ledger.close()


def test_serve_answers_the_read_routes_to_a_login_only(team_viewer: tuple) -> None:
    url, _ledger, _ids = team_viewer
    with httpx.Client(base_url=url, timeout=30) as anonymous:
        for route in READ_ROUTES:
            assert anonymous.get(route).status_code == 401, route
    with logged_in(url, "guest", "pw") as guest:
        jobs = guest.get("/paramlab/v1/jobs")
        assert jobs.status_code == 200 and set(jobs.json()) == {"total", "jobs"}
        for route in READ_ROUTES[1:]:
            assert guest.get(route).status_code == 200, route
        assert {"Balanced", "Final render"} <= {entry["name"] for entry in guest.get(READ_ROUTES[1]).json()}


def test_serve_lets_only_its_editors_write_and_offers_no_reproducing(team_viewer: tuple) -> None:
    url, ledger, (first, _second) = team_viewer
    rating = f"/paramlab/v1/images/{first}/rating"
    with logged_in(url, "guest", "pw") as guest:
        refused = guest.put(rating, json={"rating": 4})
        assert refused.status_code == 403 and "--editor guest" in refused.json()["detail"]
        assert guest.post("/paramlab/v1/series", json={"name": "Kaito", "seed": 7}).status_code == 403
        assert guest.post("/paramlab/v1/profiles", json={"name": "Night", "settings": {"Steps": 9}}).status_code == 403
        assert guest.post(f"/paramlab/v1/images/{first}/reproduce", json={}).status_code in (404, 405)
    with logged_in(url, "lead", "pw2") as lead:
        assert lead.put(rating, json={"rating": 4}).json() == {"image_id": first, "rating": 4}
        assert lead.post("/paramlab/v1/series", json={"name": "Kaito", "seed": 7}).status_code == 201
        from_image = lead.post("/paramlab/v1/series", json={"name": "Mika", "from_image": first})
        assert from_image.status_code == 422 and "WebUI only" in from_image.json()["detail"]
    assert {row["id"]: row["rating"] for row in ledger.recent_images(limit=2)}[first] == 4
