"""A run's input images: stored once by SHA-256 (a file beside SQLite, a row in PostgreSQL), written before the
row that names them, read back verified, never read outside the ledger's inputs folder; the replay arguments
name them by content, and Settings' on/off and size cap leave a reason instead of the bytes."""

from __future__ import annotations

import hashlib
import io
import json
import os
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image

from paramlab.ledger import Ledger, RunRecord, schema
from paramlab.ledger import input_store as store_module
from paramlab.ledger.input_records import InputRecord, RecordRunInputs
from paramlab.ledger.input_store import InputStorage, MissingInput, read_blob
from paramlab.ledger.operations import StartRun, operation_from_json, operation_to_line
from paramlab.ledger.reads.inputs import (
    extension_values_of,
    input_blob,
    referenced_input_blob,
    replay_args_of,
    run_inputs_of,
)
from paramlab.ledger.writer import LedgerWriter


def picture(colour: tuple[int, int, int] = (200, 30, 30), size: tuple[int, int] = (16, 12)) -> Image.Image:
    image = Image.new("RGB", size, colour)
    image.putpixel((1, 1), (1, 2, 3))
    return image


def png_sha(image: Image.Image) -> str:
    item = InputRecord("x", "init", 0, None, image=image.copy())
    store_module.encode_input(item)
    return item.sha256


def start_run(ledger: Ledger, tab: str = "img2img") -> tuple[str, int]:
    run = RunRecord(tab=tab, source="ui")
    with ledger.write() as conn:
        StartRun(run).apply(conn)
        run_id = conn.execute(sa.select(schema.runs.c.id).where(schema.runs.c.run_uid == run.run_uid)).scalar_one()
    return run.run_uid, run_id


def pose_operation(run_uid: str, image: Image.Image, storage: InputStorage | None = None) -> RecordRunInputs:
    operation = RecordRunInputs(
        run_uid,
        [InputRecord("img2img", "init", 0, "img2img/init_images/0", image=image.copy()),
         InputRecord("ControlNet unit 0", "control", 0, "ControlNet/args/0/image", image=image.copy())],
        {"img2img": {"init_images": [{"paramlab_input": 0}], "denoising_strength": 0.5},
         "scripts": {"ControlNet": {"args": [{"enabled": True, "image": {"paramlab_input": 1}, "model": "control_x"}],
                                    "values": {"unit 0 model": "control_x [a1b2c3d4]"}}}},
        [("ControlNet", "unit 0 model", "control_x [a1b2c3d4]"), ("ControlNet", "unit 0 weight", "1.0")],
    )
    operation.prepare(storage or InputStorage())
    return operation


def apply(ledger: Ledger, operation: RecordRunInputs) -> None:
    with ledger.write() as conn:
        operation.apply(conn)


def rows(ledger: Ledger, table: sa.Table) -> list[dict]:
    with ledger.engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(table.select())]


def is_sqlite(ledger: Ledger) -> bool:
    return ledger.engine.dialect.name == "sqlite"


def test_an_input_is_stored_by_its_sha256_and_read_back_the_same(ledger: Ledger) -> None:
    image = picture()
    run_uid, run_id = start_run(ledger)
    apply(ledger, pose_operation(run_uid, image))
    sha = png_sha(image)
    [blob] = rows(ledger, schema.input_blobs)
    assert (blob["sha256"], blob["media_type"], blob["width"], blob["height"]) == (sha, "image/png", 16, 12)
    data = input_blob(ledger, sha)
    assert hashlib.sha256(data).hexdigest() == sha and blob["size_bytes"] == len(data)
    if is_sqlite(ledger):  # a file beside the ledger, named relative to its folder
        assert blob["data"] is None and blob["stored_path"] == f"inputs/{sha[:2]}/{sha}.png"
        folder = Path(ledger.engine.url.database).parent
        assert (folder / blob["stored_path"]).read_bytes() == data
    else:  # a team ledger's machines share no folder: the bytes are in the row
        assert bytes(blob["data"]) == data and blob["stored_path"] is None
    inputs = run_inputs_of(ledger, run_id)
    assert [(i.source, i.role, i.position, i.sha256, i.stored, i.size_bytes) for i in inputs] == [
        ("ControlNet unit 0", "control", 0, sha, True, len(data)), ("img2img", "init", 0, sha, True, len(data))]
    with Image.open(io.BytesIO(data)) as back:
        assert back.convert("RGB").tobytes() == image.tobytes() and not back.info.get("parameters")


def test_placeholders_become_sha256_and_the_extension_values_are_rows(ledger: Ledger) -> None:
    image = picture()
    run_uid, run_id = start_run(ledger)
    apply(ledger, pose_operation(run_uid, image))
    sha = png_sha(image)
    args = replay_args_of(ledger, run_id)
    assert args["img2img"] == {"init_images": [{"paramlab_input": sha}], "denoising_strength": 0.5}
    assert args["scripts"]["ControlNet"]["args"][0]["image"] == {"paramlab_input": sha}
    assert extension_values_of(ledger, run_id) == [("ControlNet", "unit 0 model", "control_x [a1b2c3d4]"),
                                                   ("ControlNet", "unit 0 weight", "1.0")]


def test_applying_twice_leaves_the_same_rows(ledger: Ledger) -> None:
    run_uid, _ = start_run(ledger)
    operation = pose_operation(run_uid, picture())
    apply(ledger, operation)
    before = [rows(ledger, table) for table in (schema.input_blobs, schema.run_inputs, schema.run_extension_values)]
    runs_before = [(r["replay_args"], r["replay_verdict"]) for r in rows(ledger, schema.runs)]
    apply(ledger, operation)
    after = [rows(ledger, table) for table in (schema.input_blobs, schema.run_inputs, schema.run_extension_values)]
    assert after == before
    assert [(r["replay_args"], r["replay_verdict"]) for r in rows(ledger, schema.runs)] == runs_before


def test_the_same_pose_image_for_twenty_renders_is_stored_once(ledger: Ledger) -> None:
    pose = picture((10, 200, 10), (32, 32))
    for _ in range(20):
        run_uid, _ = start_run(ledger, tab="txt2img")
        operation = RecordRunInputs(run_uid, [InputRecord("ControlNet unit 0", "control", 0, None, image=pose.copy())],
                                    {"scripts": {"ControlNet": {"args": [{"image": {"paramlab_input": 0}}]}}}, [])
        operation.prepare(InputStorage())
        apply(ledger, operation)
    assert len(rows(ledger, schema.input_blobs)) == 1
    assert len(rows(ledger, schema.run_inputs)) == 20
    if is_sqlite(ledger):
        folder = Path(ledger.engine.url.database).parent / "inputs"
        assert len([path for path in folder.rglob("*") if path.is_file()]) == 1


@pytest.mark.parametrize(("storage", "reason"), [
    (InputStorage(enabled=False), "input storage is off"),
    (InputStorage(enabled=True, max_bytes=10), "over the"),
])
def test_off_or_over_the_cap_keeps_the_row_with_the_reason_and_no_bytes(ledger: Ledger, storage: InputStorage,
                                                                          reason: str) -> None:
    run_uid, run_id = start_run(ledger)
    apply(ledger, pose_operation(run_uid, picture(), storage))
    assert rows(ledger, schema.input_blobs) == []
    inputs = run_inputs_of(ledger, run_id)
    assert len(inputs) == 2 and all(i.sha256 is None and not i.stored and reason in i.not_stored for i in inputs)
    assert all(i.width == 16 and i.height == 12 for i in inputs)
    placeholder = replay_args_of(ledger, run_id)["img2img"]["init_images"][0]
    assert placeholder["paramlab_input"] is None and reason in placeholder["not_stored"]
    [run] = rows(ledger, schema.runs)
    assert run["replay_verdict"] == "not_replayable" and reason in run["replay_reason"]
    if is_sqlite(ledger):
        assert not (Path(ledger.engine.url.database).parent / "inputs").exists()


def test_the_cap_names_the_size_and_zero_means_no_cap() -> None:
    capped = InputRecord("img2img", "init", 0, None, image=Image.effect_noise((512, 512), 64).convert("RGB"))
    store_module.prepare_input(capped, InputStorage(max_bytes=64 * 1024))
    assert capped.png is None and capped.sha256 is None
    assert capped.not_stored.endswith("MB is over the 0.0625 MB cap for input images")
    uncapped = InputRecord("img2img", "init", 0, None, image=Image.effect_noise((512, 512), 64).convert("RGB"))
    store_module.prepare_input(uncapped, InputStorage(max_bytes=0))
    assert uncapped.png is not None and uncapped.not_stored is None


def test_the_blob_file_exists_before_its_row_is_committed(sqlite_ledger: Ledger) -> None:
    """A crash between the file and the commit leaves an unnamed file (reused later), never a row without bytes."""
    image = picture()
    sha = png_sha(image)
    target = Path(sqlite_ledger.engine.url.database).parent / "inputs" / sha[:2] / f"{sha}.png"
    run_uid, _ = start_run(sqlite_ledger)
    operation = pose_operation(run_uid, image)

    class Crash(Exception):
        pass

    with pytest.raises(Crash), sqlite_ledger.write() as conn:
        operation.apply(conn)
        assert target.is_file()  # the file is complete before the transaction can commit
        raise Crash
    assert target.is_file() and rows(sqlite_ledger, schema.input_blobs) == []
    assert not [path for path in target.parent.iterdir() if path.name.endswith(".tmp")]
    apply(sqlite_ledger, operation)  # the retry names the file already there
    assert input_blob(sqlite_ledger, sha) == target.read_bytes()


def test_a_spilled_operation_round_trips_with_its_bytes(ledger: Ledger) -> None:
    """An operation spilled before the writer prepared it carries its PNG (base64) and is written at the next
    start like any other."""
    image = picture((0, 0, 255))
    run_uid, run_id = start_run(ledger)
    unprepared = RecordRunInputs(run_uid, [InputRecord("img2img", "mask", 0, "img2img/mask", image=image.copy())],
                                 {"img2img": {"mask": {"paramlab_input": 0}}}, [("ADetailer", "ad_model", "face")])
    line = operation_to_line(unprepared)
    assert isinstance(json.loads(line)["inputs"][0]["png"], str)
    back = operation_from_json(json.loads(line))
    assert isinstance(back, RecordRunInputs) and back.values == [("ADetailer", "ad_model", "face")]
    back.prepare(InputStorage())
    apply(ledger, back)
    sha = png_sha(image)
    assert input_blob(ledger, sha) and replay_args_of(ledger, run_id) == {"img2img": {"mask": {"paramlab_input": sha}}}


def test_an_unprepared_operation_is_refused_inside_the_transaction(ledger: Ledger) -> None:
    run_uid, _ = start_run(ledger)
    operation = RecordRunInputs(run_uid, [InputRecord("img2img", "init", 0, None, image=picture())], {}, [])
    with pytest.raises(ValueError, match="unprepared"), ledger.write() as conn:
        operation.apply(conn)


def test_the_writer_encodes_on_its_own_thread_and_honours_settings(ledger: Ledger, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    threads: list[str] = []
    encode = store_module.encode_input

    def watched(item: InputRecord) -> None:
        threads.append(threading.current_thread().name)
        encode(item)

    monkeypatch.setattr(store_module, "encode_input", watched)
    settings = {"storage": InputStorage()}
    writer = LedgerWriter(lambda: Ledger(ledger.engine, ledger.url), tmp_path / "side", recover_at_start=False,
                          input_storage=lambda: settings["storage"])
    try:
        kept, skipped = RunRecord(tab="img2img", source="ui"), RunRecord(tab="img2img", source="ui")
        writer.submit(StartRun(kept))
        writer.submit(RecordRunInputs(kept.run_uid, [InputRecord("img2img", "init", 0, None, image=picture())],
                                      {}, []))
        assert writer.flush(10)
        settings["storage"] = InputStorage(enabled=False)
        writer.submit(StartRun(skipped))
        writer.submit(RecordRunInputs(skipped.run_uid, [InputRecord("img2img", "init", 0, None, image=picture())],
                                      {}, []))
        assert writer.flush(10)
    finally:
        writer.close()
    assert threads == ["paramlab-ledger-writer"]
    by_run = {row["run_id"]: row for row in rows(ledger, schema.run_inputs)}
    assert sorted((row["sha256"] is not None, row["not_stored"]) for row in by_run.values()) == [
        (False, "input storage is off"), (True, None)]


# -- reading back: damaged files, hostile paths ---------------------------------------------------------


def stored_file(ledger: Ledger, sha: str) -> Path:
    return Path(ledger.engine.url.database).parent / "inputs" / sha[:2] / f"{sha}.png"


def test_a_damaged_or_missing_file_reads_as_missing_with_the_reason(sqlite_ledger: Ledger) -> None:
    image = picture()
    run_uid, _ = start_run(sqlite_ledger)
    apply(sqlite_ledger, pose_operation(run_uid, image))
    sha = png_sha(image)
    path = stored_file(sqlite_ledger, sha)
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(MissingInput, match="damaged"):
        input_blob(sqlite_ledger, sha)
    path.write_bytes(whole.replace(b"IDAT", b"IDAT", 1)[:-1] + b"\x00")
    with pytest.raises(MissingInput, match="damaged"):
        input_blob(sqlite_ledger, sha)
    path.unlink()
    with pytest.raises(MissingInput, match="is gone"):
        input_blob(sqlite_ledger, sha)
    with pytest.raises(MissingInput, match="not stored in this ledger"):
        input_blob(sqlite_ledger, "0" * 64)
    with pytest.raises(MissingInput, match="64 hex"):
        input_blob(sqlite_ledger, "../../etc/passwd")


@pytest.mark.parametrize("hostile", ["../ledger.sqlite", "/etc/passwd", "inputs/../../secret.png",
                                     "inputs/ab/../../outside.png", "inputs", "inputs/link.png"])
def test_a_hostile_stored_path_is_never_followed_out_of_the_inputs_folder(sqlite_ledger: Ledger,
                                                                           hostile: str) -> None:
    folder = Path(sqlite_ledger.engine.url.database).parent
    secret = b"not an input"
    (folder.parent / "secret.png").write_bytes(secret)
    (folder.parent / "outside.png").write_bytes(secret)
    (folder / "inputs").mkdir(exist_ok=True)
    os.symlink(folder.parent / "secret.png", folder / "inputs" / "link.png")
    sha = hashlib.sha256(secret).hexdigest()  # even with the "right" hash, an outside file is not read
    with sqlite_ledger.write() as conn:
        conn.execute(schema.input_blobs.insert().values(sha256=sha, media_type="image/png", size_bytes=len(secret),
                                                        stored_path=hostile, created_at=sa.func.now()))
    with pytest.raises(MissingInput, match="outside this ledger's inputs folder"):
        input_blob(sqlite_ledger, sha)


def test_only_blobs_a_run_names_are_served(ledger: Ledger) -> None:
    image = picture()
    run_uid, _ = start_run(ledger)
    apply(ledger, pose_operation(run_uid, image))
    sha = png_sha(image)
    assert referenced_input_blob(ledger, sha) == input_blob(ledger, sha)
    with ledger.write() as conn:
        conn.execute(schema.run_inputs.delete())
    assert referenced_input_blob(ledger, sha) is None
    assert referenced_input_blob(ledger, sha.upper()) is None and referenced_input_blob(ledger, "x") is None


def test_reading_a_blob_verifies_a_database_row_too(ledger: Ledger) -> None:
    run_uid, _ = start_run(ledger)
    apply(ledger, pose_operation(run_uid, picture()))
    sha = png_sha(picture())
    with ledger.write() as conn:
        conn.execute(schema.input_blobs.update().values(data=b"\x89PNG tampered", stored_path=None))
    with ledger.engine.connect() as conn, pytest.raises(MissingInput, match="damaged"):
        read_blob(conn, sha)
