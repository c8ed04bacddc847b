"""``paramlab migrate`` carries input images with their rows: a file beside an SQLite ledger becomes ``data`` in
PostgreSQL and a file again beside another SQLite ledger, byte for byte; an input whose bytes the source lost is
left out with the reason, and a hostile path in the source is not followed."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import sqlalchemy as sa
from PIL import Image

from paramlab.ledger import ImageRecord, Ledger, RunRecord, schema, transfer
from paramlab.ledger.input_records import InputRecord, RecordRunInputs
from paramlab.ledger.input_store import InputStorage
from paramlab.ledger.reads.inputs import input_blob, replay_args_of, run_inputs_of
from paramlab.ledger.urls import resolve_ledger_url


def png_of(colour: str) -> Image.Image:
    return Image.new("RGB", (24, 16), colour)


def source_with_inputs(folder: Path) -> tuple[Path, dict[str, bytes]]:
    """An SQLite ledger with two img2img runs sharing an init image, one with its own mask."""
    path = folder / "machine" / "ledger.sqlite"
    ledger = Ledger.open(resolve_ledger_url(path, folder))
    stored: dict[str, bytes] = {}
    try:
        for number, extra in enumerate((None, "navy")):
            run = RunRecord(tab="img2img", source="ui", images=[ImageRecord(index_in_run=0, seed=number, steps=20)])
            ledger.write_runs([run])
            inputs = [InputRecord("img2img", "init", 0, "img2img/init_images/0", image=png_of("teal"))]
            if extra:
                inputs.append(InputRecord("img2img", "mask", 0, "img2img/mask", image=png_of(extra)))
            operation = RecordRunInputs(run.run_uid, inputs, {"img2img": {"init_images": [{"paramlab_input": 0}]}}, [])
            operation.prepare(InputStorage())
            for item in operation.inputs:
                stored[item.sha256] = item.png
            with ledger.write() as conn:
                operation.apply(conn)
    finally:
        ledger.close()
    return path, stored


def blobs(ledger: Ledger) -> dict[str, dict]:
    with ledger.engine.connect() as conn:
        return {row.sha256: dict(row._mapping) for row in conn.execute(schema.input_blobs.select())}


def test_inputs_travel_sqlite_to_postgresql_to_sqlite_byte_for_byte(tmp_path: Path, postgres_server) -> None:
    source, stored = source_with_inputs(tmp_path)
    assert len(stored) == 2  # the shared init image once, the mask once
    team_url = postgres_server.create_database()
    try:
        team = Ledger.open(resolve_ledger_url(team_url, tmp_path))
        try:
            report = transfer.transfer(resolve_ledger_url(source, tmp_path), team.url, progress=False)
            assert report.ok and report.tables["input_blobs"].copied == 2, report.summary()
            assert report.tables["run_inputs"].copied == 3
            in_team = blobs(team)
            assert {sha: bytes(row["data"]) for sha, row in in_team.items()} == stored
            assert all(row["stored_path"] is None for row in in_team.values())
            assert all(input_blob(team, sha) == data for sha, data in stored.items())
            assert not report.inputs_left_out
        finally:
            team.close()
        back_path = tmp_path / "elsewhere" / "ledger.sqlite"
        report = transfer.transfer(resolve_ledger_url(team_url, tmp_path), resolve_ledger_url(back_path, tmp_path),
                                   progress=False)
        assert report.ok, report.summary()
    finally:
        postgres_server.drop_database(team_url)
    back = Ledger.open(resolve_ledger_url(back_path, tmp_path))
    try:
        for sha, row in blobs(back).items():
            assert row["data"] is None and row["stored_path"] == f"inputs/{sha[:2]}/{sha}.png"
            assert (back_path.parent / row["stored_path"]).read_bytes() == stored[sha]
            assert input_blob(back, sha) == stored[sha]
        with back.engine.connect() as conn:
            run_id = conn.execute(sa.select(schema.run_inputs.c.run_id).limit(1)).scalar_one()
        assert all(item.stored for item in run_inputs_of(back, run_id))
        init_sha = replay_args_of(back, run_id)["img2img"]["init_images"][0]["paramlab_input"]
        with Image.open(io.BytesIO(input_blob(back, init_sha))) as image:
            assert image.convert("RGB").getpixel((0, 0)) == (0, 128, 128)
    finally:
        back.close()


def test_an_input_the_source_lost_is_left_out_with_the_reason(tmp_path: Path) -> None:
    source, stored = source_with_inputs(tmp_path)
    lost = next(sha for sha, data in stored.items() if Image.open(io.BytesIO(data)).getpixel((0, 0)) == (0, 0, 128))
    (source.parent / "inputs" / lost[:2] / f"{lost}.png").unlink()
    ledger = Ledger.open(resolve_ledger_url(source, tmp_path))
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"private")
    with ledger.write() as conn:  # a hostile row: the "right" hash of a file outside the inputs folder
        conn.execute(schema.input_blobs.insert().values(
            sha256=hashlib.sha256(b"private").hexdigest(), media_type="image/png", size_bytes=7,
            stored_path="../../secret.png", created_at=sa.func.now()))
    ledger.close()
    target_path = tmp_path / "target" / "ledger.sqlite"
    report = transfer.transfer(resolve_ledger_url(source, tmp_path), resolve_ledger_url(target_path, tmp_path),
                               progress=False)
    assert report.ok and report.tables["input_blobs"].copied == 1 and report.tables["input_blobs"].dangling == 2
    assert len(report.inputs_left_out) == 2 and "Left out: ParamLab: the input image" in report.summary()
    assert any("is gone" in reason for reason in report.inputs_left_out)
    assert any("outside this ledger's inputs folder" in reason for reason in report.inputs_left_out)
    copied = list((target_path.parent / "inputs").rglob("*.png"))
    assert [path.read_bytes() for path in copied] == [data for sha, data in stored.items() if sha != lost]
