"""Images across machines: a WebUI records into a shared ledger, and a viewer elsewhere (another data
folder, the WebUI's files out of reach) shows every thumbnail from the ledger itself, opens full-size files
through a path map, and says plainly when a file is not reachable. On PostgreSQL (where every preview is
kept automatically) and on SQLite with the Settings entry on."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from modules import shared
from modules.api import api
from PIL import Image
from webui_support import LoadedExtension

from paramlab.ledger import Ledger, schema
from paramlab.ledger.locations import KnownFolders, PathMap, locate, use_path_map
from paramlab.ledger.urls import resolve_ledger_url
from paramlab.tab.ledger_view.query import image_detail
from paramlab.web.access import AccessRule
from paramlab.web.image_files import register_file_routes

OTHER_MACHINE = "gpu-2"


@pytest.fixture
def recorded(tmp_path: Path, ledger_location: str, backend: str):
    """Six images (four saved to disk, two API-only) recorded by a WebUI whose files then go out of reach."""
    extension = LoadedExtension(tmp_path / "webui", ledger=ledger_location)
    if backend == "sqlite":  # on PostgreSQL the ledger is shared, so this is automatic
        shared.opts.set("paramlab_thumbnails_in_ledger", True)
    try:
        runner = extension.runner()
        common = {"prompt": "a harbour", "steps": 4, "width": 96, "height": 64, "batch_size": 2}
        api.text2imgapi(runner, {**common, "seed": 1, "n_iter": 2, "save_images": True})
        api.text2imgapi(runner, {**common, "seed": 9})
        rows = extension.rows()
    finally:
        extension.close()
    saved = {Path(row["image_path"]).parent for row in rows if row["image_path"]}
    assert len(rows) == 6 and sum(1 for row in rows if row["image_path"]) == 4 and len(saved) == 1
    ledger = Ledger.open(resolve_ledger_url(ledger_location, tmp_path))
    with ledger.engine.begin() as conn:  # as if another machine had made them
        conn.execute(schema.runs.update().values(host_name=OTHER_MACHINE))
    folder = saved.pop()
    share = tmp_path / "nas" / "gpu-2-outputs"
    shutil.move(str(folder), share)  # the WebUI's folder is not reachable as recorded any more
    yield ledger, rows, folder, share
    ledger.close()
    use_path_map(PathMap)


def viewer(ledger: Ledger, tmp_path: Path) -> TestClient:
    """The viewer: its own connection to the shared ledger, and nothing of the WebUI's data folder."""
    other = Ledger.open(ledger.url)
    app = FastAPI()
    register_file_routes(app, lambda: other, access=AccessRule.open())
    return TestClient(app)


def test_the_viewer_shows_every_thumbnail_from_the_ledger(recorded, tmp_path: Path) -> None:
    ledger, rows, _folder, _share = recorded
    client = viewer(ledger, tmp_path)
    for row in rows:
        answer = client.get(f"/paramlab/v1/images/{row['id']}/thumbnail")
        assert answer.status_code == 200 and answer.headers["content-type"] == "image/jpeg", row
        with Image.open(io.BytesIO(answer.content)) as preview:
            assert preview.size == (96, 64)
    with ledger.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(schema.image_thumbnails)).scalar_one() == 6


def test_full_size_files_through_the_path_map_or_a_plain_reason(recorded, tmp_path: Path) -> None:
    ledger, rows, folder, share = recorded
    client = viewer(ledger, tmp_path)
    saved = [row for row in rows if row["image_path"]]
    missing = client.get(f"/paramlab/v1/images/{saved[0]['id']}/file")
    assert missing.status_code == 404
    assert f"saved on {OTHER_MACHINE} at {saved[0]['image_path']}" in missing.json()["detail"]
    assert "path map" in missing.json()["detail"]
    assert "not available here" in image_detail(ledger, saved[0]["id"])["file_note"]

    use_path_map(lambda: PathMap.parse(f"{OTHER_MACHINE}:{folder}={share}"))
    for row in saved:
        answer = client.get(f"/paramlab/v1/images/{row['id']}/file")
        assert answer.status_code == 200 and answer.headers["content-type"] == "image/png"
    assert image_detail(ledger, saved[0]["id"])["file_note"] == ""
    use_path_map(lambda: PathMap.parse(f"gpu-9:{folder}={share}"))  # another machine's folder: not applied
    assert client.get(f"/paramlab/v1/images/{saved[0]['id']}/file").status_code == 404


def test_path_map_entries() -> None:
    mapped = PathMap.parse("# the studio's share\ngpu-2:/home/ai/outputs=/mnt/nas/gpu-2\nD:\\sd\\out=\\\\nas\\sd\n")
    assert [(m.host, m.source, m.target) for m in mapped.mappings] == [
        ("gpu-2", "/home/ai/outputs", "/mnt/nas/gpu-2"), (None, "D:\\sd\\out", "\\\\nas\\sd")]
    assert mapped.candidates("/home/ai/outputs/2026/a.png", "GPU-2") == [Path("/mnt/nas/gpu-2/2026/a.png")]
    assert mapped.candidates("/home/ai/outputs-old/a.png", "gpu-2") == []
    assert mapped.candidates("/home/ai/outputs/a.png", "gpu-3") == []
    for bad in ("just-a-path", "gpu-2:/home=", "=/mnt"):
        with pytest.raises(ValueError, match="must be FROM=TO or HOST:FROM=TO"):
            PathMap.parse(bad)
    assert "no file was saved" in locate(None, "gpu-2", folders=KnownFolders()).note
    assert "moved or deleted" in locate("/nowhere/a.png", None, PathMap(), here="viewer", folders=KnownFolders()).note
