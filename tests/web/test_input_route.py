"""``GET /paramlab/v1/inputs/{sha256}`` (a run's stored input image) and ``GET /paramlab/v1/images/{id}`` (one image
with its verdict, inputs and other extensions' settings): the same login rule as the image files, a signed link
for exactly one input, only SHA-256s a run names, only PNG bytes, the file routes' headers on every answer."""

from __future__ import annotations

import base64
import hashlib
import io
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from input_ledger import record_run_with_inputs
from PIL import Image

from paramlab.ledger import Ledger, schema
from paramlab.ledger.input_records import InputRecord
from paramlab.ledger.input_store import InputStorage
from paramlab.web.access import AccessRule
from paramlab.web.images import register_image_routes
from paramlab.web.input_files import INPUT_URL, register_input_routes
from paramlab.web.route_services import RouteServices
from paramlab.web.signed_links import PROCESS_SIGNER

LOGIN = AccessRule(basic_users=(("alice", "pw"),), basic_auth=True)


def client_for(ledger: Ledger, access: AccessRule) -> TestClient:
    app = FastAPI()
    app.state.paramlab_services = RouteServices(lambda: ledger)
    register_input_routes(app, lambda: ledger, access=access)
    register_image_routes(app, "/paramlab/v1", [])
    return TestClient(app)


def assert_file_headers(response: Any) -> None:
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'none'" in response.headers["content-security-policy"]


def test_a_stored_input_is_served_as_png_or_as_a_preview(ledger: Ledger) -> None:
    _, _, operation = record_run_with_inputs(ledger)
    sha = operation.inputs[0].sha256
    client = client_for(ledger, AccessRule.open())
    response = client.get(INPUT_URL.format(sha256=sha))
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    assert hashlib.sha256(response.content).hexdigest() == sha
    assert_file_headers(response)
    preview = client.get(INPUT_URL.format(sha256=sha), params={"thumbnail": "1"})
    assert preview.status_code == 200 and preview.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(preview.content)).size == (40, 30)


@pytest.mark.parametrize(("name", "status"), [("0" * 64, 404), ("abc", 400), ("A" * 64, 400), ("g" * 64, 400),
                                               ("ledger.sqlite", 400)])
def test_unknown_or_malformed_names_are_refused(ledger: Ledger, name: str, status: int) -> None:
    record_run_with_inputs(ledger)
    response = client_for(ledger, AccessRule.open()).get(f"/paramlab/v1/inputs/{name}")
    assert response.status_code == status and response.json()["detail"].startswith("ParamLab: ")
    assert_file_headers(response)
    assert client_for(ledger, AccessRule.open()).get("/paramlab/v1/inputs/%2e%2e%2fledger.sqlite").status_code == 404


def test_only_blobs_a_run_names_and_only_png_bytes_are_served(ledger: Ledger) -> None:
    page = b"<!doctype html><script>document.title='owned'</script>"
    sha = hashlib.sha256(page).hexdigest()
    with ledger.write() as conn:  # a hostile row: its hash matches its bytes, but they are a page
        conn.execute(schema.input_blobs.insert().values(sha256=sha, media_type="image/png", size_bytes=len(page),
                                                        data=page, created_at=sa.func.now()))
    client = client_for(ledger, AccessRule.open())
    assert client.get(INPUT_URL.format(sha256=sha)).status_code == 404  # no run names it
    record_run_with_inputs(ledger)
    with ledger.write() as conn:
        conn.execute(schema.run_inputs.update().values(sha256=sha))
    refused = client.get(INPUT_URL.format(sha256=sha))
    assert refused.status_code == 404 and "not a PNG" in refused.json()["detail"] and b"script" not in refused.content


def test_a_damaged_input_is_missing_with_the_reason(ledger: Ledger) -> None:
    _, _, operation = record_run_with_inputs(ledger)
    sha = operation.inputs[0].sha256
    with ledger.write() as conn:
        conn.execute(schema.input_blobs.update().values(data=b"\x89PNG\r\n\x1a\ncut", stored_path=None))
    response = client_for(ledger, AccessRule.open()).get(INPUT_URL.format(sha256=sha))
    assert response.status_code == 404 and "damaged" in response.json()["detail"]


def test_the_route_needs_a_login_or_a_signed_link_for_exactly_that_input(ledger: Ledger) -> None:
    _, _, first = record_run_with_inputs(ledger)
    _, _, second = record_run_with_inputs(ledger, [InputRecord("img2img", "init", 0, None,
                                                               image=Image.new("RGB", (8, 8), "navy"))])
    sha, other = first.inputs[0].sha256, second.inputs[0].sha256
    client = client_for(ledger, LOGIN)
    path = INPUT_URL.format(sha256=sha)
    refused = client.get(path)
    assert refused.status_code == 401 and "log in first" in refused.json()["detail"]
    assert client.get("/paramlab/v1/inputs/" + "0" * 64).status_code == 401  # no hint whether it exists
    basic = "Basic " + base64.b64encode(b"alice:pw").decode()
    assert client.get(path, headers={"Authorization": basic}).status_code == 200
    assert client.get(PROCESS_SIGNER.sign(path, "input", sha)).status_code == 200
    borrowed = PROCESS_SIGNER.sign(INPUT_URL.format(sha256=other), "input", other).split("?", 1)[1]
    assert client.get(f"{path}?{borrowed}").status_code == 401  # another input's link
    image_link = PROCESS_SIGNER.sign("/x", "thumbnail", 1).split("?", 1)[1]
    assert client.get(f"{path}?{image_link}").status_code == 401  # an image's link is not an input's


def test_the_image_route_shows_the_verdict_inputs_and_extension_settings(ledger: Ledger) -> None:
    _, image_id, operation = record_run_with_inputs(ledger, prompt="a knight")
    _, kept_out, _ = record_run_with_inputs(ledger, storage=InputStorage(enabled=False))
    client = client_for(ledger, AccessRule.open())
    body = client.get(f"/paramlab/v1/images/{image_id}").json()
    assert body["id"] == image_id and body["prompt"] == "a knight" and body["tab"] == "txt2img"
    sha = operation.inputs[0].sha256
    assert body["inputs"] == [{"source": "ControlNet unit 0", "role": "control", "position": 0,
                               "arg_path": "ControlNet/args/0/image", "sha256": sha, "width": 40, "height": 30,
                               "size_bytes": len(operation.inputs[0].png), "not_stored": None, "stored": True,
                               "url": INPUT_URL.format(sha256=sha)}]
    assert body["extension_values"] == [
        {"script": "ControlNet", "name": "unit 0 model", "value": "control_v11p_sd15_openpose [cab727d4]"},
        {"script": "ControlNet", "name": "unit 0 weight", "value": "1.0"}]
    assert body["replay_verdict"] in ("exact", "approximate")
    missing = client.get(f"/paramlab/v1/images/{kept_out}").json()
    assert missing["inputs"][0]["url"] is None and missing["inputs"][0]["not_stored"] == "input storage is off"
    assert missing["replay_verdict"] == "not_replayable" and "input storage is off" in missing["replay_reason"]
    assert client.get("/paramlab/v1/images/999999").status_code == 404


def test_an_input_link_names_a_sha256_and_nothing_else() -> None:
    with pytest.raises(ValueError):
        PROCESS_SIGNER.sign("/x", "input", "../ledger.sqlite")
    with pytest.raises(ValueError):
        PROCESS_SIGNER.sign("/x", "input", 7)
    expires, signature = PROCESS_SIGNER.sign("/x", "input", "a" * 64).split("?", 1)[1].replace("exp=", "").split(
        "&sig=")
    assert PROCESS_SIGNER.verify("input", "a" * 64, expires, signature)
    assert not PROCESS_SIGNER.verify("input", "A" * 64, expires, signature)
    assert not PROCESS_SIGNER.verify("file", "a" * 64, expires, signature)
