"""Start-up recovery closes only runs whose process is gone, and takes only the files that are theirs."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from PIL import Image, PngImagePlugin

from paramlab.ledger import ImageRecord, Ledger, RunRecord, schema
from paramlab.ledger.operations import AddImages, StartRun
from paramlab.ledger.owner import ProcessIdentity, is_gone, this_process
from paramlab.ledger.records import utc_now
from paramlab.ledger.recovery import recover_dead_runs


def dead_owner() -> str:
    """A process of this machine that has ended."""
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                           check=True)
    return ProcessIdentity(socket.gethostname(), int(child.stdout), "1").text()


def save_png(path: Path, seed: int, prompt: str = "a lighthouse") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", f"{prompt}\nSteps: 4, Sampler: Euler, CFG scale: 7, Seed: {seed}, Size: 8x8")
    Image.new("RGB", (8, 8), (seed % 255, 0, 0)).save(path, pnginfo=info)
    return path


def start(ledger: Ledger, owner: str, output_dir: Path | None, seeds: list[int], **extra) -> RunRecord:
    run = RunRecord(tab="txt2img", source="api", owner=owner, output_dir=str(output_dir) if output_dir else None,
                    planned_seeds=json.dumps(seeds), **extra)
    with ledger.write() as conn:
        StartRun(run).apply(conn)
    return run


def runs(ledger: Ledger) -> list[dict]:
    with ledger.engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(schema.runs.select().order_by(schema.runs.c.id))]


def test_owner_identity_tells_live_dead_and_foreign_processes() -> None:
    me = this_process()
    assert ProcessIdentity.parse(me.text()) == me and is_gone(me) is False
    assert is_gone(ProcessIdentity.parse(dead_owner())) is True
    assert is_gone(ProcessIdentity(me.host, os.getppid(), "not-its-start-time")) is True  # a reused pid
    assert is_gone(ProcessIdentity("another-machine", 1, "")) is None
    assert ProcessIdentity.parse("garbage") is None and ProcessIdentity.parse(None) is None


def test_a_dead_run_is_closed_with_its_saved_images_and_nothing_else(ledger: Ledger, tmp_path: Path) -> None:
    outputs = tmp_path / "outputs"
    old = save_png(outputs / "2026-01-01" / "00000-1000.png", 1000)  # an earlier run's file, same seed
    past = (utc_now() - timedelta(hours=1)).timestamp()
    os.utime(old, (past, past))
    os.utime(old.parent, (past, past))
    run = start(ledger, dead_owner(), outputs, [1000, 1001, 1002, 1003])
    first_file = save_png(outputs / "today" / "00001-1000.png", 1000)
    written = ImageRecord(index_in_run=0, seed=1000, image_path=str(first_file))
    with ledger.write() as conn:
        AddImages(run.run_uid, [written]).apply(conn)
    mine = save_png(outputs / "today" / "00002-1001.png", 1001)
    save_png(outputs / "today" / "00003-5555.png", 5555)  # another process's image in the same folder
    (outputs / "today" / "notes.png").write_bytes(b"not a png")
    report = recover_dead_runs(ledger)
    assert report.runs == [run.run_uid] and report.recovered_images == 1
    [closed] = runs(ledger)
    assert (closed["status"], closed["image_count"]) == ("interrupted", 2)
    rows = ledger.recent_images()
    assert sorted(row["image_path"] for row in rows) == sorted([written.image_path, str(mine)])
    recovered = next(row for row in rows if row["image_path"] == str(mine))
    assert (recovered["seed"], recovered["prompt"], recovered["index_in_run"]) == (1001, "a lighthouse", 1)
    assert {image.image_path for image in report.images_needing_work} == {str(mine), written.image_path}
    assert recover_dead_runs(ledger).runs == []  # nothing twice


def test_runs_of_live_processes_and_other_machines_are_left_running(ledger: Ledger, tmp_path: Path) -> None:
    start(ledger, this_process().text(), tmp_path, [1])
    start(ledger, ProcessIdentity("another-machine", 4242, "7").text(), tmp_path, [2])
    assert recover_dead_runs(ledger).runs == []
    assert [run["status"] for run in runs(ledger)] == ["running", "running"]


def test_a_dead_run_that_saved_nothing_is_closed_without_a_folder_scan(ledger: Ledger) -> None:
    start(ledger, dead_owner(), None, [])
    report = recover_dead_runs(ledger)
    assert len(report.runs) == 1 and report.recovered_images == 0
    assert runs(ledger)[0]["status"] == "interrupted"
