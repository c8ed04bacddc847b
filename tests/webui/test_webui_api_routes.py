"""/paramlab/v1/profiles over real HTTP (FastAPI + TestClient), with and without --api-auth."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from modules import script_callbacks, shared
from webui_support import LoadedExtension

BASE = "/paramlab/v1/profiles"
NO_BODY = {"X-ParamLab-Request": "1"}  # what a script sends with a request that has no JSON body


@pytest.fixture
def extension(tmp_path: Path, ledger_location: str):
    """The extension recording into a fresh ledger, on SQLite and on PostgreSQL."""
    loaded = LoadedExtension(tmp_path, ledger=ledger_location)
    yield loaded
    loaded.close()


def start_app(api_auth: str | None = None) -> TestClient:
    shared.cmd_opts.api_auth = api_auth
    app = FastAPI()
    script_callbacks.app_started_callback(None, app)
    script_callbacks.app_started_callback(None, app)  # a UI reload fires it again: no duplicate routes
    return TestClient(app)


def test_crud_and_listing_with_figures(extension: LoadedExtension) -> None:
    client = start_app()
    listed = client.get(BASE).json()
    assert {"Balanced", "Final render"} <= {entry["name"] for entry in listed}
    assert all("figures" in entry for entry in listed)

    created = client.post(BASE, json={"name": "Night city", "description": "neon", "settings": {"Steps": 28}})
    assert created.status_code == 201 and created.json()["settings"] == {"Steps": 28}
    assert client.get(f"{BASE}/night city").json()["name"] == "Night city"
    updated = client.put(f"{BASE}/Night city", json={"name": "Night city", "settings": {"Steps": 32, "CFG scale": 6}})
    assert updated.status_code == 200 and updated.json()["settings"]["Steps"] == 32
    assert client.delete(f"{BASE}/Night city", headers=NO_BODY).status_code == 204
    assert client.get(f"{BASE}/Night city").status_code == 404


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"name": "", "settings": {}}, "name"),
        ({"name": "x" * 10_000, "settings": {}}, "name"),
        ({"name": "<script>", "settings": {}}, "name"),
        ({"name": "Bad sampler", "settings": {"Sampler": "Warp drive"}}, "Euler a"),
        ({"name": "Bad steps", "settings": {"Steps": 999}}, "Steps"),
        ({"name": "Extra", "settings": {}, "colour": "red"}, "colour"),
    ],
)
def test_bad_profiles_are_refused_with_a_clear_message(extension: LoadedExtension, body: dict, fragment: str) -> None:
    client = start_app()
    before = client.get(BASE).json()
    response = client.post(BASE, json=body)
    assert response.status_code == 422 and fragment in json.dumps(response.json())
    assert client.get(BASE).json() == before


def test_starters_cannot_be_deleted_or_changed(extension: LoadedExtension) -> None:
    client = start_app()
    assert client.delete(f"{BASE}/Balanced", headers=NO_BODY).status_code == 422
    assert client.put(f"{BASE}/Balanced", json={"name": "Balanced", "settings": {}}).status_code == 422


def test_export_then_import_round_trip_and_conflicts(extension: LoadedExtension) -> None:
    client = start_app()
    client.post(BASE, json={"name": "Team look", "settings": {"Steps": 26, "CFG scale": 6.5}})
    exported = client.get(f"{BASE}/export", params={"name": "Team look"})
    assert exported.status_code == 200 and "attachment" in exported.headers["content-disposition"]
    content = exported.text

    refused = client.post(f"{BASE}/import", json={"content": content})
    assert refused.status_code == 422 and "skip" in refused.json()["summary"]
    renamed = client.post(f"{BASE}/import", json={"content": content, "on_conflict": "rename"})
    assert renamed.status_code == 200
    assert client.get(f"{BASE}/Team look (2)").json()["settings"] == {"Steps": 26, "CFG scale": 6.5}
    broken = client.post(f"{BASE}/import", json={"content": "{not json"})
    assert broken.status_code == 422


def test_api_auth_protects_every_route_like_a1111(extension: LoadedExtension) -> None:
    client = start_app("alice:s3cret,bob:hunter2")
    assert client.get(BASE).status_code == 401
    assert client.get(BASE, auth=("alice", "wrong")).status_code == 401
    assert client.post(BASE, json={"name": "x", "settings": {}}).status_code == 401
    assert client.get(BASE, auth=("bob", "hunter2")).status_code == 200


SERIES = "/paramlab/v1/series"


def test_series_routes_and_series_from_a_ledger_row(extension: LoadedExtension) -> None:
    from modules.api import api

    client = start_app()
    created = client.post(SERIES, json={"name": "Kaito", "seed": 2024, "notes": "hero"})
    assert created.status_code == 201 and created.json()["seed"] == 2024
    assert client.get(f"{SERIES}/kaito").json()["name"] == "Kaito"
    assert client.post(SERIES, json={"name": "<b>x</b>", "seed": 1}).status_code == 422
    assert client.post(SERIES, json={"name": "Too big", "seed": 2**32}).status_code == 422
    assert client.get(f"{SERIES}/Nobody").status_code == 404

    runner = extension.runner()
    api.text2imgapi(runner, {"prompt": "x", "seed": 555, "width": 64, "height": 64})
    [row] = extension.rows()
    from_row = client.post(SERIES, json={"name": "From row", "from_image": row["id"]})
    assert from_row.status_code == 201 and from_row.json()["seed"] == 555
    assert client.put(f"{SERIES}/Kaito", json={"name": "Kaito", "seed": 7}).json()["seed"] == 7
    assert client.delete(f"{SERIES}/Kaito", headers=NO_BODY).status_code == 204
    assert [entry["name"] for entry in client.get(SERIES).json()] == ["From row"]


def test_reproduce_route(extension: LoadedExtension) -> None:
    from modules.api import api

    client = start_app()
    runner = extension.runner()
    api.text2imgapi(runner, {"prompt": "x", "seed": 3, "width": 64, "height": 64, "save_images": True})
    [row] = extension.rows()
    answer = client.post(f"/paramlab/v1/images/{row['id']}/reproduce", headers=NO_BODY)
    assert answer.status_code == 200 and answer.json()["identical"] is True
    assert client.post("/paramlab/v1/images/999999/reproduce", json={}).status_code == 422


def test_style_guide_routes_are_for_listed_users_and_every_change_names_its_user(extension: LoadedExtension) -> None:
    client = start_app("alice:s3cret,lead:b0ss")
    alice, lead = ("alice", "s3cret"), ("lead", "b0ss")
    created = client.post(BASE, json={"name": "House", "settings": {"Steps": 20}}, auth=alice)
    assert created.status_code == 201, created.text
    refused = client.put(f"{BASE}/House/guide", json={"approved": True, "locked": True}, auth=lead)
    assert refused.status_code == 403 and "Users who may change locked profiles" in refused.json()["detail"]
    shared.opts.set("paramlab_locked_profile_editors", "lead")
    decided = client.put(f"{BASE}/House/guide", json={"approved": True, "locked": True}, auth=lead)
    assert decided.status_code == 200 and (decided.json()["approved"], decided.json()["locked"]) == (True, True)
    locked = client.put(f"{BASE}/House", json={"name": "House", "settings": {"Steps": 5}}, auth=alice)
    assert locked.status_code == 403 and "locked" in locked.json()["detail"]
    assert client.delete(f"{BASE}/House", auth=alice, headers=NO_BODY).status_code == 403
    assert client.put(f"{BASE}/House", json={"name": "House", "settings": {"Steps": 30}}, auth=lead).status_code == 200
    history = client.get(f"{BASE}/House/history", auth=alice).json()
    assert [(v["action"], v["changed_by"].split(" ")[0]) for v in history] == [
        ("created", "alice"), ("approved", "lead"), ("locked", "lead"), ("updated", "lead")]
    assert client.put(f"{BASE}/House/guide", json={"approved": "yes"}, auth=lead).status_code == 422
    assert client.get(BASE, auth=alice).json()[0]["name"] == "House"  # approved: listed first
