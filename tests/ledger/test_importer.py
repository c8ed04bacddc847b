"""Importing real PNG files (written with Pillow the way A1111 writes them) into a real SQLite ledger."""

from __future__ import annotations

import io
import json
import os
from datetime import datetime, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from db_faults import allow, refuse
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from paramlab import __version__
from paramlab.ledger import schema
from paramlab.ledger.importer import ImportReport, import_folder

MTIME = datetime(2024, 5, 1, 12, 30, 0, tzinfo=timezone.utc)


def infotext(seed: int, prompt: str = "a red fox in the snow, detailed") -> str:
    return (
        f"{prompt}\nNegative prompt: blurry, lowres\n"
        f"Steps: 20, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 7, Seed: {seed}, Size: 64x64, "
        "Model hash: 6ce0161689, Model: v1-5-pruned-emaonly, Lora hashes: \"fox: 0123abcd\", Version: v1.10.1"
    )


def write_png(path: Path, text: str | None, *, zip_text: bool = False, color: int = 0,
              mtime: datetime = MTIME, key: str = "parameters") -> Path:
    """A small PNG with ``text`` in its ``parameters`` chunk, as A1111's ``save_image_with_geninfo``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    info = PngInfo()
    if text is not None:
        info.add_text(key, text, zip=zip_text)
    Image.new("RGB", (16, 16), (color % 256, 40, 90)).save(path, pnginfo=info)
    os.utime(path, (mtime.timestamp(), mtime.timestamp()))
    return path


def image_rows(ledger) -> list[dict]:
    return sorted(ledger.recent_images(limit=10_000), key=lambda row: row["image_path"])


def run_rows(ledger) -> list[dict]:
    with ledger.engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(sa.select(schema.runs).order_by(schema.runs.c.id))]


def test_import_and_reimport_is_idempotent(ledger, tmp_path: Path) -> None:
    folder = tmp_path / "outputs" / "txt2img-images" / "2024-05-01"
    paths = [write_png(folder / f"{i:05d}-{i}.png", infotext(i), color=i) for i in range(5)]

    report = import_folder(ledger, tmp_path / "outputs", progress=False)
    assert (report.imported, report.duplicates, report.skipped, report.errors) == (5, 0, [], [])
    assert report.ok
    assert report.summary() == "Imported 5 image(s); 0 already in the ledger; 0 skipped."

    rows = image_rows(ledger)
    assert [row["image_path"] for row in rows] == [str(p.resolve()) for p in paths]
    first = rows[0]
    assert first["seed"] == 0 and first["steps"] == 20 and first["sampler"] == "DPM++ 2M"
    assert first["scheduler"] == "Karras" and first["width"] == 64 and first["model_hash"] == "6ce0161689"
    assert first["infotext"] == infotext(0)
    assert json.loads(first["extra_params"]) == {"Lora hashes": "fox: 0123abcd", "Version": "v1.10.1"}
    assert first["tab"] == "txt2img" and first["source"] == "import" and first["run_status"] == "ok"
    assert first["cost_seconds"] is None and first["wall_seconds"] is None
    assert first["created_at"].replace(tzinfo=timezone.utc) == MTIME
    assert len(first["image_sha256"]) == 64
    assert sorted(row["index_in_run"] for row in rows) == [0, 1, 2, 3, 4]

    (run,) = run_rows(ledger)
    assert run["image_count"] == 5 and run["paramlab_version"] == __version__
    assert run["model_name"] == "v1-5-pruned-emaonly" and run["webui_version"] == "v1.10.1"

    again = import_folder(ledger, tmp_path / "outputs", progress=False)
    assert (again.imported, again.duplicates, again.skipped) == (0, 5, [])
    assert ledger.counts() == {"runs": 1, "images": 5}


def test_same_bytes_twice_in_one_folder_is_one_row(ledger, tmp_path: Path) -> None:
    original = write_png(tmp_path / "a.png", infotext(1))
    (tmp_path / "copy.PNG").write_bytes(original.read_bytes())
    report = import_folder(ledger, tmp_path, progress=False)
    assert (report.imported, report.duplicates) == (1, 1)


def test_bad_files_are_skipped_with_reasons(ledger, tmp_path: Path) -> None:
    write_png(tmp_path / "good.png", infotext(7))
    write_png(tmp_path / "no-infotext.png", None)
    write_png(tmp_path / "other-key.png", "Steps: 20, Sampler: Euler, CFG scale: 7", key="comment")
    write_png(tmp_path / "malformed.png", "just some words, no parameters")
    whole_path = write_png(tmp_path / "whole.png", infotext(8))
    whole = whole_path.read_bytes()
    whole_path.unlink()
    (tmp_path / "truncated.png").write_bytes(whole[: len(whole) - 30])
    flipped = bytearray(whole)
    flipped[-20] ^= 0xFF  # inside the IDAT data: CRC mismatch
    (tmp_path / "bad-crc.png").write_bytes(bytes(flipped))
    (tmp_path / "notes.png").write_text("this is not an image")
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, format="JPEG")
    (tmp_path / "photo.png").write_bytes(buffer.getvalue())
    (tmp_path / "ignored.jpg").write_bytes(buffer.getvalue())
    write_png(tmp_path / "outputs" / "txt2img-grids" / "2024-05-01" / "grid-0001.png", infotext(9))
    write_png(tmp_path / "img2img-grids" / "grid-0002.png", infotext(10))
    (tmp_path / "empty.png").write_bytes(b"")

    report = import_folder(ledger, tmp_path, progress=False)
    reasons = {path.name: reason for path, reason in report.skipped}
    assert report.imported == 1 and report.ok
    assert reasons["no-infotext.png"].startswith("no infotext")
    assert reasons["other-key.png"].startswith("no infotext")
    assert reasons["malformed.png"].startswith("malformed infotext: no parameters line")
    assert reasons["truncated.png"].startswith("corrupt PNG")
    assert reasons["bad-crc.png"].startswith("corrupt PNG")
    assert reasons["notes.png"] == "not an image file"
    assert reasons["empty.png"] == "not an image file"
    assert reasons["photo.png"] == "not a PNG file (JPEG data)"
    assert reasons["grid-0001.png"] == reasons["grid-0002.png"] == "grid image"
    assert "ignored.jpg" not in reasons
    assert len(report.skipped) == 10
    summary = report.summary()
    assert summary.startswith("Imported 1 image(s); 0 already in the ledger; 10 skipped:\n  ")
    assert f"{tmp_path.resolve() / 'photo.png'}: not a PNG file (JPEG data)" in summary


def test_summary_caps_the_listed_reasons() -> None:
    report = ImportReport(imported=3, skipped=[(Path(f"f{i}.png"), "grid image") for i in range(25)])
    lines = report.summary().splitlines()
    assert lines[0] == "Imported 3 image(s); 0 already in the ledger; 25 skipped:"
    assert len(lines) == 1 + 20 + 1 and lines[-1] == "  … and 5 more"


def test_img2img_folder_sets_the_tab_and_batches_split_runs(ledger, tmp_path: Path) -> None:
    tmp_path = tmp_path / "outputs"  # the test's own folder name contains "img2img"
    for i in range(3):
        write_png(tmp_path / "txt2img-images" / f"{i}.png", infotext(i), color=i)
    img2img_text = infotext(50).replace("Model hash", "Denoising strength: 0.55, Model hash")
    for i in range(2):
        write_png(tmp_path / "img2img-images" / f"{i}.png", img2img_text + f", ENSD: {i}", color=10 + i)

    report = import_folder(ledger, tmp_path, progress=False, batch_size=4)
    assert report.imported == 5
    runs = run_rows(ledger)
    # batch 1: 2 img2img + 2 txt2img (sorted paths), batch 2: 1 txt2img
    expected = [("img2img", 2), ("txt2img", 2), ("txt2img", 1)]
    assert [(run["tab"], run["image_count"]) for run in runs] == expected
    assert all(run["source"] == "import" and run["wall_seconds"] is None for run in runs)
    img2img_rows = [row for row in image_rows(ledger) if row["tab"] == "img2img"]
    assert [row["denoising_strength"] for row in img2img_rows] == [0.55, 0.55]
    assert not any(row["hires_enabled"] for row in img2img_rows)


def test_run_times_are_the_file_mtimes(ledger, tmp_path: Path) -> None:
    early, late = datetime(2023, 1, 1, tzinfo=timezone.utc), datetime(2023, 1, 2, 6, tzinfo=timezone.utc)
    write_png(tmp_path / "a.png", infotext(1), mtime=late)
    write_png(tmp_path / "b.png", infotext(2), mtime=early, color=3)
    import_folder(ledger, tmp_path, progress=False)
    (run,) = run_rows(ledger)
    assert run["started_at"].replace(tzinfo=timezone.utc) == early
    assert run["finished_at"].replace(tzinfo=timezone.utc) == late


@pytest.mark.parametrize("zip_text", [False, True])
def test_huge_unicode_prompt_with_nul_bytes_round_trips(ledger, tmp_path: Path, zip_text: bool) -> None:
    unit = "猫🐈 café \x00 «ß» ∑ 𝄞 ,:\"quote\" "
    prompt = (unit * (100_000 // len(unit) + 1))[:100_000]
    assert len(prompt) == 100_000
    text = infotext(123, prompt=prompt)
    path = write_png(tmp_path / "huge.png", text, zip_text=zip_text)
    with Image.open(path) as image:  # non-Latin-1 text must have gone to an iTXt chunk
        assert image.info["parameters"] == text

    report = import_folder(ledger, tmp_path, progress=False)
    assert report.imported == 1, report.summary()
    (row,) = image_rows(ledger)
    assert row["infotext"] == text
    assert row["prompt"] == prompt.strip()
    assert row["seed"] == 123


def test_latin1_prompt_with_nul_bytes_in_a_text_chunk(ledger, tmp_path: Path) -> None:
    prompt = "caf\u00e9 \x00 na\u00efve " * 5000
    text = infotext(5, prompt=prompt)
    path = write_png(tmp_path / "latin.png", text)
    assert b"tEXtparameters" in path.read_bytes()  # plain tEXt, not iTXt
    assert import_folder(ledger, tmp_path, progress=False).imported == 1
    (row,) = image_rows(ledger)
    assert row["infotext"] == text


def test_a_failing_batch_leaves_no_partial_rows(ledger, tmp_path: Path) -> None:
    for i in range(5):
        prompt = "poison" if i == 3 else f"prompt {i}"
        write_png(tmp_path / f"{i}.png", infotext(i, prompt=prompt), color=i)
    # A real mid-transaction failure: the run row and image 2 of the batch are inserted, then image 3 fails.
    refuse(ledger, "fail_on_poison", "images", "INSERT", "simulated disk failure", when="NEW.prompt = 'poison'")

    report = import_folder(ledger, tmp_path, progress=False, batch_size=2)
    assert not report.ok
    assert report.imported == 2
    assert "simulated disk failure" in report.errors[0] and "stopped" in report.errors[0]
    assert "Error: writing 2 image(s)" in report.summary()
    assert ledger.counts() == {"runs": 1, "images": 2}
    assert [row["prompt"] for row in image_rows(ledger)] == ["prompt 0", "prompt 1"]

    allow(ledger, "fail_on_poison", "images")
    retry = import_folder(ledger, tmp_path, progress=False, batch_size=2)
    assert (retry.imported, retry.duplicates, retry.ok) == (3, 2, True)
    assert ledger.counts()["images"] == 5


def test_missing_folder_is_an_error(ledger, tmp_path: Path) -> None:
    report = import_folder(ledger, tmp_path / "nope", progress=False)
    assert not report.ok and "is not a folder" in report.errors[0]


def test_progress_bar_goes_to_stderr(ledger, tmp_path: Path, capsys) -> None:
    write_png(tmp_path / "a.png", infotext(1))
    import_folder(ledger, tmp_path, progress=True)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "ParamLab import" in captured.err
