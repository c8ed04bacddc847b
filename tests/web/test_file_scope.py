"""A row does not choose which file ParamLab serves or deletes: another machine's row is reached only
through the path map, no path climbs with ``..`` (recorded or mapped), symlinks are resolved, and only
files inside the output folders the ledger knows (or the path map's targets) are served or deleted;
delete removes the file the routes would serve, never the raw recorded path of another machine."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image, PngImagePlugin

from paramlab.ledger import ImageRecord, Ledger, RunRecord
from paramlab.ledger.edits.images import delete_images
from paramlab.ledger.locations import PathMap, use_path_map
from paramlab.web.access import AccessRule
from paramlab.web.image_files import register_file_routes

OTHER = "gpu-2"


def png(path: Path, colour: tuple[int, int, int]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (8, 8), colour).save(path)
    return path


def write(ledger: Ledger, image_path: Path | str, host: str | None = None, folder: Path | None = None) -> int:
    run = RunRecord(tab="txt2img", source="ui", host_name=host, output_dir=str(folder) if folder else None,
                    images=[ImageRecord(index_in_run=0, image_path=str(image_path))])
    ledger.write_runs([run])
    return ledger.recent_images(limit=1)[0]["id"]


@pytest.fixture
def places(ledger: Ledger, tmp_path: Path) -> Iterator[dict[str, Path]]:
    """``out``: this machine's output folder (a run recorded it); ``share``: another machine's folder as
    mapped here; ``private``: a folder no run and no mapping names."""
    found = {name: tmp_path / name for name in ("out", "share", "private")}
    write(ledger, png(found["out"] / "mine.png", (0, 0, 0)), folder=found["out"])
    yield found
    use_path_map(PathMap)


@pytest.fixture
def client(ledger: Ledger) -> TestClient:
    app = FastAPI()
    register_file_routes(app, lambda: ledger, access=AccessRule.open())
    return TestClient(app)


def get_file(client: TestClient, image_id: int):
    return client.get(f"/paramlab/v1/images/{image_id}/file")


def test_another_machines_row_is_served_only_through_the_path_map(ledger: Ledger, places: dict[str, Path],
                                                                  client: TestClient) -> None:
    local = png(places["out"] / "a.png", (255, 0, 0))  # this machine's file at the other machine's path
    image_id = write(ledger, local, host=OTHER)
    refused = get_file(client, image_id)
    assert refused.status_code == 404 and f"saved on {OTHER}" in refused.json()["detail"]

    mapped = png(places["share"] / "a.png", (0, 0, 255))
    use_path_map(lambda: PathMap.parse(f"{OTHER}:{places['out']}={places['share']}"))
    served = get_file(client, image_id)
    assert served.status_code == 200 and served.content == mapped.read_bytes()


def test_no_path_climbs_with_dotdot(ledger: Ledger, places: dict[str, Path], client: TestClient,
                                    tmp_path: Path) -> None:
    secret = png(tmp_path / "x" / "secret.png", (9, 9, 9))
    mapping = PathMap.parse(f"{OTHER}:/home/ai/outputs={places['share']}")
    assert mapping.candidates("/home/ai/outputs/../x/secret.png", OTHER) == []
    use_path_map(lambda: mapping)
    through_the_map = write(ledger, "/home/ai/outputs/../x/secret.png", host=OTHER)
    recorded = write(ledger, f"{places['out']}/../x/secret.png")
    for image_id in (through_the_map, recorded):
        response = get_file(client, image_id)
        assert response.status_code == 404 and response.content != secret.read_bytes()
    assert "'..'" in get_file(client, recorded).json()["detail"]


def test_files_outside_the_known_folders_are_neither_served_nor_deleted(
        ledger: Ledger, places: dict[str, Path], client: TestClient) -> None:
    secret = png(places["private"] / "secret.png", (1, 2, 3))
    named = write(ledger, secret)  # a row of this machine, its run with no output folder
    linked = places["out"] / "link.png"
    linked.symlink_to(secret)  # inside the output folder, but leading out of it
    through_link = write(ledger, linked, folder=places["out"])
    widened = write(ledger, secret, folder=Path("/"))  # a run claiming the whole disk as its folder

    for image_id in (named, through_link, widened):
        response = get_file(client, image_id)
        assert response.status_code == 404 and "outside the folders" in response.json()["detail"]
        assert client.get(f"/paramlab/v1/images/{image_id}/thumbnail").status_code == 404
    report = delete_images(ledger, [named, through_link, widened], delete_files=True, confirm=True)
    assert report.rows_deleted == 3 and report.files_deleted == []
    assert secret.exists() and linked.is_symlink()
    assert all("outside the folders" in why for _path, why in report.files_failed)


def test_delete_removes_the_mapped_file_not_the_raw_recorded_path(ledger: Ledger, places: dict[str, Path]) -> None:
    local = png(places["out"] / "b.png", (255, 0, 0))  # a file of this machine at the recorded path
    mapped = png(places["share"] / "b.png", (0, 0, 255))  # the other machine's file, as mapped here
    image_id = write(ledger, local, host=OTHER)
    use_path_map(lambda: PathMap.parse(f"{OTHER}:{places['out']}={places['share']}"))

    report = delete_images(ledger, [image_id], delete_files=True, confirm=True)

    assert report.files_deleted == [str(mapped.resolve())]
    assert not mapped.exists() and local.exists()


def test_delete_of_another_machines_row_without_a_mapping_removes_nothing(ledger: Ledger,
                                                                         places: dict[str, Path]) -> None:
    local = png(places["out"] / "c.png", (255, 0, 0))
    image_id = write(ledger, local, host=OTHER)
    report = delete_images(ledger, [image_id], delete_files=True, confirm=True)
    assert report.files_deleted == [] and local.exists()


def test_a_row_naming_a_file_that_is_no_picture_never_gets_it_deleted(ledger: Ledger, tmp_path: Path) -> None:
    """A hostile shared row claims a private folder as its run's output folder and a key file as its
    image: delete-with-files leaves the file alone (only pictures A1111 saves are ever removed)."""
    keys = tmp_path / "dot-ssh"
    keys.mkdir()
    key = keys / "id_ed25519"
    key.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\n")
    picture = png(keys / "real.png", (4, 5, 6))
    hostile, real = write(ledger, key, folder=keys), write(ledger, picture, folder=keys)

    report = delete_images(ledger, [hostile, real], delete_files=True, confirm=True)

    assert key.exists() and not picture.exists()
    assert report.files_deleted == [str(picture.resolve())]
    assert [why for path, why in report.files_failed if path == str(key.resolve())] == [
        "not an image file ParamLab would record; left in place"]


def test_a_recorded_folder_that_holds_the_disk_or_home_never_counts() -> None:
    from paramlab.ledger.locations import KnownFolders

    home = Path.home()
    assert KnownFolders.of(["/", str(home), str(home.parent), "relative/outputs", None, ""]).roots == ()
    inside = KnownFolders.of([home / "outputs-paramlab-test"])
    assert inside.contains(home / "outputs-paramlab-test" / "a.png") and not inside.contains(home / "a.png")


def test_imported_files_are_served_from_the_imported_folder(ledger: Ledger, tmp_path: Path,
                                                            client: TestClient) -> None:
    from paramlab.ledger.importer import import_folder

    saved = tmp_path / "old-outputs" / "2024-01-02" / "00001.png"
    saved.parent.mkdir(parents=True)
    image = Image.new("RGB", (8, 8), (5, 6, 7))

    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", "a fox\nSteps: 4, Sampler: Euler, Seed: 7, Size: 8x8")
    image.save(saved, pnginfo=info)
    assert import_folder(ledger, tmp_path / "old-outputs", progress=False).imported == 1
    response = get_file(client, ledger.recent_images(limit=1)[0]["id"])
    assert response.status_code == 200 and response.content == saved.read_bytes()
