"""kill -9 at any moment of a run: what was generated is in the ledger after the next start.

A real child process runs the real script on the stand-in loop against a real SQLite file and
SIGKILLs itself at a chosen point (``tests/support/crash_child.py``); then the extension starts again on the
same ledger and its start-up recovery runs. The ledger must then hold exactly one row per image
file on disk, the run must be ``interrupted``, nothing may be duplicated (also after a second start),
and ``PRAGMA integrity_check`` must say ``ok``.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from modules.images import exif_with_user_comment
from PIL import Image, PngImagePlugin
from webui_support import LoadedExtension

from paramlab.aftercare.work import sha256_of_file

SUPPORT = Path(__file__).resolve().parents[1] / "support"
BATCH_SIZE = 2


def run_child(tmp_path: Path, n_iter: int, kill_at: str, step_delay: float = 0.0,
              settings: tuple[str, ...] = ()) -> subprocess.Popen[str]:
    """``settings``: A1111 settings for the child, as ``NAME=VALUE``."""
    return subprocess.Popen(
        [sys.executable, str(SUPPORT / "crash_child.py"), str(tmp_path / "webui"), str(tmp_path / "ledger.sqlite"),
         str(n_iter), kill_at, str(step_delay), *(f"--{setting}" for setting in settings)],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def saved_files(tmp_path: Path, suffix: str = ".png") -> list[Path]:
    return sorted(path for path in (tmp_path / "webui").rglob(f"*{suffix}") if "grids" not in str(path))


def restart(tmp_path: Path):  # -> (runs, images)
    """The WebUI starting again on the same ledger: loading the extension, then the app starting
    (no generation: recovery must not wait for one)."""
    extension = LoadedExtension(tmp_path / "webui-restarted")
    from fastapi import FastAPI
    from modules import script_callbacks, shared

    shared.cmd_opts.paramlab_db = str(tmp_path / "ledger.sqlite")
    try:
        from paramlab.webui import runtime

        assert runtime._writer is None
        script_callbacks.app_started_callback(None, FastAPI())
        writer = runtime._writer
        assert writer is not None and writer.flush(30)
        return extension.runs(), extension.rows(), writer.recovery_report
    finally:
        extension.close()


def check_ledger(path: Path) -> None:
    connection = sqlite3.connect(path)
    try:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        duplicates = connection.execute(
            "SELECT count(*) FROM (SELECT image_sha256 FROM images WHERE image_sha256 IS NOT NULL "
            "GROUP BY image_sha256 HAVING count(*) > 1)").fetchone()[0]
        assert duplicates == 0
    finally:
        connection.close()


def assert_every_file_has_one_row(tmp_path: Path, images: list[dict], suffix: str = ".png") -> None:
    files = saved_files(tmp_path, suffix)
    by_path = {row["image_path"]: row for row in images}
    assert sorted(by_path) == sorted(str(path) for path in files)
    for path in files:
        assert by_path[str(path)]["image_sha256"] == sha256_of_file(path)


@pytest.mark.parametrize(("kill_at", "files_expected", "rows_before_restart"), [
    ("step:0:1", 0, 0),  # during the first batch: the run exists, nothing else
    ("step:2:1", 4, 4),  # mid-batch 3: batches 1 and 2 are written
    ("saved:5", 5, 4),  # the first image of batch 3 is on disk, its batch not yet written
    ("saved:6", 6, 4),  # the whole of batch 3 on disk, still unwritten
    ("saved:5!", 5, None),  # no waiting for the writer: the kill may land in the middle of a write
])
def test_kill_minus_9_mid_run_loses_no_image_that_exists(tmp_path: Path, kill_at: str, files_expected: int,
                                                         rows_before_restart: int | None) -> None:
    child = run_child(tmp_path, n_iter=4, kill_at=kill_at)
    out, err = child.communicate(timeout=180)
    assert child.returncode == -signal.SIGKILL, err
    assert "finished" not in out
    files = saved_files(tmp_path)
    assert len(files) == files_expected
    check_ledger(tmp_path / "ledger.sqlite")
    connection = sqlite3.connect(tmp_path / "ledger.sqlite")
    try:
        status, rows = connection.execute("SELECT status, (SELECT count(*) FROM images) FROM runs").fetchone()
    finally:
        connection.close()
    assert status == "running"
    if rows_before_restart is not None:
        assert rows == rows_before_restart  # every finished batch was already in the ledger
    runs, images, report = restart(tmp_path)
    assert [(run["status"], run["image_count"]) for run in runs] == [("interrupted", files_expected)]
    assert "stopped during this run" in runs[0]["error"]
    assert report is not None and report.recovered_images == files_expected - rows
    assert_every_file_has_one_row(tmp_path, images)
    assert sorted(row["seed"] for row in images) == list(range(1000, 1000 + files_expected))
    check_ledger(tmp_path / "ledger.sqlite")

    [job] = jobs_in(tmp_path / "ledger.sqlite")  # the request's job closes with its run
    assert (job["status"], job["run_count"], job["image_count"]) == ("interrupted", 1, files_expected)

    runs_again, images_again, report_again = restart(tmp_path)  # a second start changes nothing
    assert report_again is not None and report_again.runs == [] and report_again.jobs == []
    assert len(images_again) == len(images) and runs_again[0]["image_count"] == files_expected


@pytest.mark.parametrize("samples_format", ["jpg", "webp", "png"])
def test_kill_minus_9_recovers_every_file_saved_under_date_and_model_folders(tmp_path: Path,
                                                                             samples_format: str) -> None:
    """A1111's *Directory name pattern* ``[date]/[model_name]``, with today's folders made by an earlier run
    of the same model: the run's new files change only the model folder's time, not the date folder's."""
    model_folder = tmp_path / "webui" / "outputs" / "txt2img-images" / datetime.now().strftime("%Y-%m-%d") / "standin"
    model_folder.mkdir(parents=True)
    earlier = model_folder / f"00000-1000.{samples_format}"  # the earlier run's image, of the same seed
    infotext = "a lighthouse\nSteps: 4, Sampler: Euler, CFG scale: 7, Seed: 1000, Size: 64x64"
    if samples_format == "png":
        chunks = PngImagePlugin.PngInfo()
        chunks.add_text("parameters", infotext)
        Image.new("RGB", (64, 64)).save(earlier, pnginfo=chunks)
    else:
        Image.new("RGB", (64, 64)).save(earlier, exif=exif_with_user_comment(infotext))
    past = (datetime.now() - timedelta(hours=1)).timestamp()
    for path in (earlier, model_folder, model_folder.parent):
        os.utime(path, (past, past))
    child = run_child(tmp_path, n_iter=4, kill_at="saved:6", settings=(
        f"samples_format={samples_format}", "directories_filename_pattern=[date]/[model_name]"))
    out, err = child.communicate(timeout=180)
    assert child.returncode == -signal.SIGKILL, err
    files = [path for path in saved_files(tmp_path, f".{samples_format}") if path != earlier]
    assert len(files) == 6 and {path.parent for path in files} == {model_folder}
    runs, images, report = restart(tmp_path)
    assert [(run["status"], run["image_count"]) for run in runs] == [("interrupted", 6)]
    assert report is not None and report.recovered_images == 2  # batch 3, saved but never written
    by_path = {row["image_path"]: row for row in images}
    assert sorted(by_path) == sorted(str(path) for path in files)  # one row each; the earlier file is not taken
    for path in files:
        assert by_path[str(path)]["image_sha256"] == sha256_of_file(path)
    assert sorted(row["seed"] for row in images) == list(range(1000, 1006))
    check_ledger(tmp_path / "ledger.sqlite")


def jobs_in(path: Path) -> list[dict]:
    connection = sqlite3.connect(path)
    connection.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in connection.execute("SELECT * FROM jobs ORDER BY id")]
    finally:
        connection.close()


def test_kill_minus_9_mid_tile_upscale_leaves_a_consistent_job(tmp_path: Path) -> None:
    """Killed in the third tile pass: the job and its runs are closed at the next start; the two finished
    passes stay parts (no image rows: a tile is no image), and nothing is half-written."""
    child = run_child(tmp_path, n_iter=1, kill_at="tile:3")
    out, err = child.communicate(timeout=180)
    assert child.returncode == -signal.SIGKILL, err
    assert "finished" not in out
    check_ledger(tmp_path / "ledger.sqlite")
    [job] = jobs_in(tmp_path / "ledger.sqlite")
    assert (job["status"], job["kind"], job["script_name"]) == ("running", "script", "Ultimate SD upscale")
    runs, images, report = restart(tmp_path)
    assert report is not None and len(report.jobs) == 1
    assert [(run["role"], run["status"]) for run in runs] == [("tile", "ok"), ("tile", "ok"), ("tile", "interrupted")]
    assert images == [] and all(run["settings"] for run in runs[:2])
    [job] = jobs_in(tmp_path / "ledger.sqlite")
    assert (job["status"], job["run_count"], job["image_count"]) == ("interrupted", 3, 0)
    check_ledger(tmp_path / "ledger.sqlite")


def test_kill_minus_9_at_random_moments_of_a_long_run(tmp_path: Path) -> None:
    """The parent kills when it sees rows arriving: any moment, including in the middle of a write."""
    ledger = tmp_path / "ledger.sqlite"
    child = run_child(tmp_path, n_iter=40, kill_at="none", step_delay=0.004)
    assert child.stdout is not None and child.stdout.readline().strip() == "started"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            connection = sqlite3.connect(f"file:{ledger}?mode=ro", uri=True)
            try:
                count = connection.execute("SELECT count(*) FROM images").fetchone()[0]
            finally:
                connection.close()
        except sqlite3.Error:
            count = 0
        if count >= 10:
            break
    os.kill(child.pid, signal.SIGKILL)
    child.wait(30)
    assert 10 <= len(saved_files(tmp_path)) < 80
    _runs, images, _report = restart(tmp_path)
    assert_every_file_has_one_row(tmp_path, images)
    check_ledger(ledger)
