"""The thumbnail and file routes: recorded paths only, JPEG/PNG/WebP only (told from the bytes), with
nosniff and a Content-Security-Policy on every answer, 404 otherwise."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image

from paramlab.ledger import ImageRecord, Ledger, RunRecord, schema
from paramlab.ledger.reads.image_files import recorded_file
from paramlab.web.access import AccessRule
from paramlab.web.image_files import PreviewCache, register_file_routes

HTML = b"<!doctype html><html><body><script>document.title='owned'</script></body></html>"


def write(ledger: Ledger, folder: Path | None = None, **values: Any) -> int:
    """One image row; its run saved into ``folder`` (the output folder the ledger then knows)."""
    run = RunRecord(tab="txt2img", source="ui", output_dir=str(folder) if folder else None,
                    images=[ImageRecord(index_in_run=0, **values)])
    ledger.write_runs([run])
    return ledger.recent_images(limit=1)[0]["id"]


def assert_file_headers(response: Any) -> None:
    assert response.headers["x-content-type-options"] == "nosniff"
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "sandbox" in policy


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
    image_id = write(ledger, tmp_path, image_path=png(tmp_path / "full.png"), thumbnail_path=str(thumb))

    response = client.get(f"/paramlab/v1/images/{image_id}/thumbnail")
    assert response.status_code == 200 and response.headers["content-type"] == "image/jpeg"
    assert response.content == thumb.read_bytes()

    response = client.get(f"/paramlab/v1/images/{image_id}/file")
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    assert response.content == (tmp_path / "full.png").read_bytes()


def test_thumbnail_is_rendered_from_the_image_when_none_was_recorded(ledger: Ledger, tmp_path: Path,
                                                                     app: Any) -> None:
    client, cache = app
    ids = [write(ledger, tmp_path, image_path=png(tmp_path / f"full{n}.png", (1200, 300))) for n in range(3)]

    response = client.get(f"/paramlab/v1/images/{ids[0]}/thumbnail")
    assert response.status_code == 200 and response.headers["content-type"] == "image/jpeg"
    with Image.open(io.BytesIO(response.content)) as preview:
        assert preview.size == (256, 64)
    for image_id in ids:
        assert client.get(f"/paramlab/v1/images/{image_id}/thumbnail").status_code == 200
    assert len(cache) == 2  # least recently used dropped


def test_404_for_unknown_ids_missing_files_and_non_images(ledger: Ledger, tmp_path: Path, app: Any) -> None:
    client, _ = app
    gone = write(ledger, tmp_path, image_path=str(tmp_path / "deleted.png"), thumbnail_path=str(tmp_path / "gone.jpg"))
    nothing = write(ledger)
    secret = tmp_path / "secret.txt"
    secret.write_text("password=hunter2", encoding="utf-8")
    not_image = write(ledger, tmp_path, image_path=str(secret), thumbnail_path=str(secret))
    folder = write(ledger, tmp_path, image_path=str(tmp_path))

    for image_id in (999_999, gone, nothing, not_image, folder):
        for kind in ("thumbnail", "file"):
            response = client.get(f"/paramlab/v1/images/{image_id}/{kind}")
            assert response.status_code == 404, (image_id, kind)
            assert b"hunter2" not in response.content
            assert_file_headers(response)
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
    image_id = write(ledger, tmp_path, image_path=png(tmp_path / "full.png"))
    for kind in ("thumbnail", "file"):
        assert client.get(f"/paramlab/v1/images/{image_id}/{kind}").status_code == 401
        assert client.get(f"/paramlab/v1/images/{image_id}/{kind}", auth=("alice", "pw")).status_code == 200


def test_a_stored_thumbnail_holding_html_is_not_served_as_html(ledger: Ledger, tmp_path: Path, app: Any) -> None:
    """A row written by any WebUI sharing the ledger (or a migrated one) chooses its thumbnail's bytes and
    media type: only JPEG, PNG or WebP bytes are served, with the type read from the bytes."""
    client, _ = app
    with_image = write(ledger, tmp_path, image_path=png(tmp_path / "full.png", (64, 32)))
    without = write(ledger)
    jpeg = io.BytesIO()
    Image.new("RGB", (8, 8)).save(jpeg, format="JPEG")
    mislabelled = write(ledger)
    with ledger.engine.begin() as conn:
        for image_id, data, media_type in ((with_image, HTML, "text/html"), (without, HTML, "text/html"),
                                           (mislabelled, jpeg.getvalue(), "text/html; charset=utf-8")):
            conn.execute(schema.image_thumbnails.insert().values(image_id=image_id, media_type=media_type,
                                                                 width=8, height=8, data=data))

    fallback = client.get(f"/paramlab/v1/images/{with_image}/thumbnail")  # a preview of the file instead
    assert fallback.status_code == 200 and fallback.headers["content-type"] == "image/jpeg"
    assert fallback.content != HTML
    refused = client.get(f"/paramlab/v1/images/{without}/thumbnail")
    assert refused.status_code == 404 and b"<script>" not in refused.content
    relabelled = client.get(f"/paramlab/v1/images/{mislabelled}/thumbnail")
    assert relabelled.status_code == 200 and relabelled.headers["content-type"] == "image/jpeg"
    for response in (fallback, refused, relabelled):
        assert "html" not in response.headers["content-type"]
        assert_file_headers(response)


@pytest.mark.parametrize("name, content", [
    ("page.png", HTML),  # HTML named like an image
    ("page.jpg", b"\xff\xd8\xff\xe0" + HTML),  # a JPEG's first bytes, then a page: Pillow cannot read it
    ("anim.gif", None),  # an image, but not of a served kind
    ("page.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
])
def test_only_jpeg_png_and_webp_files_are_served(ledger: Ledger, tmp_path: Path, app: Any, name: str,
                                                 content: bytes | None) -> None:
    client, _ = app
    path = tmp_path / name
    if content is None:
        Image.new("RGB", (8, 8)).save(path, format="GIF")
    else:
        path.write_bytes(content)
    image_id = write(ledger, tmp_path, image_path=str(path), thumbnail_path=str(path))
    response = client.get(f"/paramlab/v1/images/{image_id}/file")
    assert response.status_code == 404 and b"<script>" not in response.content
    assert_file_headers(response)
    thumbnail = client.get(f"/paramlab/v1/images/{image_id}/thumbnail")  # a GIF: a JPEG preview of it
    assert thumbnail.status_code == (200 if content is None else 404)
    assert "html" not in thumbnail.headers["content-type"] and "svg" not in thumbnail.headers["content-type"]
    assert_file_headers(thumbnail)


def test_webp_and_jpeg_files_are_served_with_their_type_and_the_headers(ledger: Ledger, tmp_path: Path,
                                                                         app: Any) -> None:
    client, _ = app
    for fmt, media_type in (("WEBP", "image/webp"), ("JPEG", "image/jpeg"), ("PNG", "image/png")):
        path = tmp_path / f"saved.{fmt.lower()}"
        Image.new("RGB", (16, 16), (1, 2, 3)).save(path, format=fmt)
        image_id = write(ledger, tmp_path, image_path=str(path))
        response = client.get(f"/paramlab/v1/images/{image_id}/file")
        assert response.status_code == 200 and response.headers["content-type"] == media_type
        assert_file_headers(response)
        assert_file_headers(client.get(f"/paramlab/v1/images/{image_id}/thumbnail"))


def test_kind_must_be_known(ledger: Ledger) -> None:
    with pytest.raises(ValueError):
        recorded_file(ledger, 1, "infotext")  # type: ignore[arg-type]
