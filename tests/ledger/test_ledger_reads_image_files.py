"""The ledger's reads of a recorded image's files and of what replaying it needs, on SQLite and PostgreSQL:
the path a row names, the preview kept in the ledger, the row with its run's fingerprint, and a database
failure as a LedgerError, which the file routes answer with 503 and their usual headers."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from db_faults import MISSING_TABLE, take_away
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image

from paramlab.ledger import ImageRecord, Ledger, LedgerError, RunRecord, schema
from paramlab.ledger.known_folders import recorded_output_folders
from paramlab.ledger.reads.image_files import (
    RecordedPath,
    locate_recorded,
    recorded_file,
    recorded_path,
    thumbnail_in_ledger,
)
from paramlab.ledger.reads.replay import replay_row
from paramlab.web.access import AccessRule
from paramlab.web.image_files import FILE_HEADERS, register_file_routes

FINGERPRINT = '{"torch": "2.1.2", "rng": "GPU"}'


def write(ledger: Ledger, folder: Path | None = None, host: str | None = None, **values: Any) -> int:
    run = RunRecord(tab="txt2img", source="ui", output_dir=str(folder) if folder else None, host_name=host,
                    fingerprint=FINGERPRINT, images=[ImageRecord(index_in_run=0, seed=7, steps=20, **values)])
    ledger.write_runs([run])
    return ledger.recent_images(limit=1)[0]["id"]


def keep_thumbnail(ledger: Ledger, image_id: int, data: bytes, media_type: str) -> None:
    with ledger.engine.begin() as conn:
        conn.execute(schema.image_thumbnails.insert().values(image_id=image_id, media_type=media_type, width=8,
                                                             height=8, data=data))


def test_recorded_path_is_what_the_row_names(ledger: Ledger, tmp_path: Path) -> None:
    image_id = write(ledger, tmp_path, host="gpu-2", image_path="/out/a.png", thumbnail_path="/thumbs/a.jpg")
    assert recorded_path(ledger, image_id, "image") == RecordedPath("/out/a.png", "gpu-2", str(tmp_path))
    assert recorded_path(ledger, image_id, "thumbnail") == RecordedPath("/thumbs/a.jpg", "gpu-2", str(tmp_path))
    assert recorded_path(ledger, 999_999, "image") is None


def test_a_recorded_file_is_located_inside_its_runs_folder_only(ledger: Ledger, tmp_path: Path) -> None:
    saved = tmp_path / "out" / "a.png"
    saved.parent.mkdir()
    Image.new("RGB", (8, 8)).save(saved)
    outside = tmp_path / "elsewhere.png"
    Image.new("RGB", (8, 8)).save(outside)
    here = write(ledger, saved.parent, host=socket.gethostname(), image_path=str(saved))
    stray = write(ledger, saved.parent, image_path=str(outside))
    assert recorded_file(ledger, here, "image") == saved
    assert recorded_file(ledger, stray, "image") is None and locate_recorded(ledger, stray, "image").note
    assert locate_recorded(ledger, here, "thumbnail").note == "no thumbnail file"
    assert locate_recorded(ledger, "abc", "image").note == "ParamLab: 'abc' is not an image id."  # type: ignore[arg-type]
    assert locate_recorded(ledger, 999_999, "image").note == "ParamLab: there is no image 999999 in the ledger."
    with pytest.raises(ValueError, match="kind must be"):
        locate_recorded(ledger, here, "infotext")  # type: ignore[arg-type]
    assert recorded_output_folders(ledger) == [str(saved.parent)]


def test_the_thumbnail_kept_in_the_ledger_comes_with_the_type_its_row_claims(ledger: Ledger) -> None:
    with_one, without = write(ledger), write(ledger)
    keep_thumbnail(ledger, with_one, b"\xff\xd8\xffpreview", "text/html")
    assert thumbnail_in_ledger(ledger, with_one) == (b"\xff\xd8\xffpreview", "text/html")
    assert thumbnail_in_ledger(ledger, without) is None


def test_the_replay_row_holds_the_image_its_runs_fingerprint_and_preview(ledger: Ledger) -> None:
    image_id = write(ledger, prompt="a harbour", sampler="Euler", cfg_scale=6.5)
    keep_thumbnail(ledger, image_id, b"jpeg bytes", "image/jpeg")
    row = replay_row(ledger, image_id)
    assert row is not None and row["id"] == image_id and row["prompt"] == "a harbour" and row["seed"] == 7
    assert row["tab"] == "txt2img" and row["run_uid"]  # the run's columns come along
    assert row["fingerprint"] == FINGERPRINT and row["stored_thumbnail"] == (b"jpeg bytes", "image/jpeg")
    assert replay_row(ledger, write(ledger))["stored_thumbnail"] is None
    assert replay_row(ledger, 999_999) is None


READS: dict[str, tuple[str, Callable[[Ledger, int], Any], str]] = {
    "recorded path": ("runs", lambda ledger, i: recorded_path(ledger, i, "image"), "read where image 1's image"),
    "locate": ("runs", lambda ledger, i: locate_recorded(ledger, i, "thumbnail"), "read where image 1's thumbnail"),
    "output folders": ("runs", lambda ledger, i: recorded_output_folders(ledger), "read the runs' output folders"),
    "thumbnail": ("image_thumbnails", thumbnail_in_ledger, "read image 1's thumbnail"),
    "replay": ("image_thumbnails", replay_row, "read image 1"),
}


@pytest.mark.parametrize("name", list(READS))
def test_a_database_failure_arrives_as_a_ledger_error(ledger: Ledger, name: str) -> None:
    table, read, sentence = READS[name]
    image_id = write(ledger)
    assert image_id == 1
    take_away(ledger, table)
    with pytest.raises(LedgerError, match=f"^ParamLab: could not {sentence}.*: .*({MISSING_TABLE})") as caught:
        read(ledger, image_id)
    assert isinstance(caught.value.__cause__, sa.exc.SQLAlchemyError)


@pytest.mark.parametrize("table", ["runs", "image_thumbnails"])
def test_the_file_routes_answer_503_with_their_headers_when_the_ledger_fails(ledger: Ledger, table: str) -> None:
    image_id = write(ledger)
    app = FastAPI()
    register_file_routes(app, lambda: ledger, access=AccessRule.open())
    client = TestClient(app)
    take_away(ledger, table)
    for kind in ("thumbnail", "file") if table == "runs" else ("thumbnail",):
        response = client.get(f"/paramlab/v1/images/{image_id}/{kind}")
        assert response.status_code == 503, (kind, response.text)
        assert response.json()["detail"].startswith("ParamLab: could not read")
        for header, value in FILE_HEADERS.items():
            assert response.headers[header] == value
