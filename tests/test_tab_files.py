"""The thumbnail and file routes: recorded paths only, right content types, 404 otherwise."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image

from paramlab.ledger import ImageRecord, Ledger, RunRecord
from paramlab.tab.access import AccessRule
from paramlab.tab.files import PreviewCache, recorded_file, register_file_routes


def write(ledger: Ledger, **values: Any) -> int:
    ledger.write_runs([RunRecord(tab="txt2img", source="ui", images=[ImageRecord(index_in_run=0, **values)])])
    return ledger.recent_images(limit=1)[0]["id"]


def png(path: Path, size: tuple[int, int] = (600, 400)) -> str:
    Image.new("RGB", size, (200, 30, 30)).save(path)
    return str(path)


@pytest.fixture
def app(ledger: Ledger) -> tuple[TestClient, PreviewCache]:
    server = FastAPI()
    cache = register_file_routes(server, lambda: ledger, access=AccessRule.open(), cache=PreviewCache(size=2))
    return TestClient(server), cache


def test_serves_the_recorded_thumbnail_and_file(ledger: Ledger, tmp_path: Path, app: Any) -> None:
    client, _ = app
    thumb = tmp_path / "thumb.jpg"
    Image.new("RGB", (64, 48), (0, 0, 255)).save(thumb, format="JPEG")
    image_id = write(ledger, image_path=png(tmp_path / "full.png"), thumbnail_path=str(thumb))

    response = client.get(f"/paramlab/v1/images/{image_id}/thumbnail")
    assert response.status_code == 200 and response.headers["content-type"] == "image/jpeg"
    assert response.content == thumb.read_bytes()

    response = client.get(f"/paramlab/v1/images/{image_id}/file")
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    assert response.content == (tmp_path / "full.png").read_bytes()


def test_thumbnail_is_rendered_from_the_image_when_none_was_recorded(ledger: Ledger, tmp_path: Path,
                                                                     app: Any) -> None:
    client, cache = app
    ids = [write(ledger, image_path=png(tmp_path / f"full{n}.png", (1200, 300))) for n in range(3)]

    response = client.get(f"/paramlab/v1/images/{ids[0]}/thumbnail")
    assert response.status_code == 200 and response.headers["content-type"] == "image/jpeg"
    with Image.open(io.BytesIO(response.content)) as preview:
        assert preview.size == (256, 64)
    for image_id in ids:
        assert client.get(f"/paramlab/v1/images/{image_id}/thumbnail").status_code == 200
    assert len(cache) == 2  # least recently used dropped


def test_404_for_unknown_ids_missing_files_and_non_images(ledger: Ledger, tmp_path: Path, app: Any) -> None:
    client, _ = app
    gone = write(ledger, image_path=str(tmp_path / "deleted.png"), thumbnail_path=str(tmp_path / "gone.jpg"))
    nothing = write(ledger)
    secret = tmp_path / "secret.txt"
    secret.write_text("password=hunter2", encoding="utf-8")
    not_image = write(ledger, image_path=str(secret), thumbnail_path=str(secret))
    folder = write(ledger, image_path=str(tmp_path))

    for image_id in (999_999, gone, nothing, not_image, folder):
        for kind in ("thumbnail", "file"):
            response = client.get(f"/paramlab/v1/images/{image_id}/{kind}")
            assert response.status_code == 404, (image_id, kind)
            assert b"hunter2" not in response.content
    assert recorded_file(ledger, folder, "image") is None
    assert recorded_file(ledger, not_image, "image") == secret  # a file, but the routes refuse non-images


@pytest.mark.parametrize("path", [
    "/paramlab/v1/images/..%2F..%2Fetc%2Fpasswd/file", "/paramlab/v1/images/%2Fetc%2Fpasswd/thumbnail",
    "/paramlab/v1/images/1/file?path=/etc/passwd", "/paramlab/v1/images/-1/file", "/paramlab/v1/images/1.5/file",
])
def test_never_serves_a_path_from_the_request(ledger: Ledger, tmp_path: Path, app: Any, path: str) -> None:
    client, _ = app
    write(ledger)  # id 1 has no file
    response = client.get(path)
    assert response.status_code in (404, 422)
    assert b"root:" not in response.content


def test_the_access_rule_guards_the_routes(ledger: Ledger, tmp_path: Path) -> None:
    server = FastAPI()
    register_file_routes(server, lambda: ledger, access=AccessRule(basic_users=(("alice", "pw"),)))
    client = TestClient(server)
    image_id = write(ledger, image_path=png(tmp_path / "full.png"))
    for kind in ("thumbnail", "file"):
        assert client.get(f"/paramlab/v1/images/{image_id}/{kind}").status_code == 401
        assert client.get(f"/paramlab/v1/images/{image_id}/{kind}", auth=("alice", "pw")).status_code == 200


def test_kind_must_be_known(ledger: Ledger) -> None:
    with pytest.raises(ValueError):
        recorded_file(ledger, 1, "infotext")  # type: ignore[arg-type]
