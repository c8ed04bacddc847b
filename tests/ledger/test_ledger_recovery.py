"""Start-up recovery closes only runs whose process is gone, and takes only the files that are theirs."""

from __future__ import annotations

import dataclasses
import json
import os
import socket
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from modules.images import exif_with_user_comment
from PIL import Image, PngImagePlugin

from paramlab.ledger import ImageRecord, Ledger, RunRecord, schema
from paramlab.ledger.operations import AddImages, StartRun
from paramlab.ledger.owner import ProcessIdentity, is_gone, this_process
from paramlab.ledger.records import utc_now
from paramlab.ledger.recovery import recover_dead_runs

needs_boot_id = pytest.mark.skipif(not this_process().boot_id, reason="this system has no kernel boot id")


def dead_pid() -> int:
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                           check=True)
    return int(child.stdout)


def dead_owner() -> str:
    """A process of this machine that has ended, named as ParamLab named owners before boot ids."""
    return ProcessIdentity(socket.gethostname(), dead_pid(), "1").text()


def save_image(path: Path, seed: int, prompt: str = "a lighthouse") -> Path:
    """Saved as A1111 v1.10.1 saves the file's format: the infotext in a PNG text chunk, or as the
    EXIF UserComment of a JPEG, WebP or AVIF."""
    if path.suffix == ".png":
        return save_png(path, seed, prompt)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = f"{prompt}\nSteps: 4, Sampler: Euler, CFG scale: 7, Seed: {seed}, Size: 8x8"
    Image.new("RGB", (8, 8), (seed % 255, 0, 0)).save(path, quality=80, exif=exif_with_user_comment(text))
    return path


def backdate(*paths: Path) -> None:
    past = (utc_now() - timedelta(hours=1)).timestamp()
    for path in paths:
        os.utime(path, (past, past))


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


@needs_boot_id
def test_owners_are_judged_by_boot_id_pid_namespace_and_start_time_not_by_host_name() -> None:
    me = this_process()
    assert ProcessIdentity.parse(me.text()) == me and is_gone(me) is False
    assert me.text().rsplit("/", 2)[0] != me.host  # older ParamLabs read it as another machine's: left alone
    this_boot = {"boot_id": me.boot_id, "pid_namespace": me.pid_namespace, "machine": me.machine}
    other_namespace = str(int(me.pid_namespace or "0") + 1)
    # a container created again (new host name) in this pid namespace, or a renamed host: its pid decides
    assert is_gone(ProcessIdentity("old-container", dead_pid(), "1", **this_boot)) is True
    assert is_gone(ProcessIdentity("renamed-since", me.pid, me.start, **this_boot)) is False
    # this host name on another boot: rebooted since, even if the pid now runs something else
    assert is_gone(dataclasses.replace(me, boot_id=str(uuid.uuid4()))) is True
    # a container restarted under its own name gets a new pid namespace: the name says it is this one
    assert is_gone(ProcessIdentity(me.host, dead_pid(), "1", me.boot_id, other_namespace, me.machine)) is True
    # out of sight: never judged gone
    assert is_gone(ProcessIdentity("sibling-container", dead_pid(), "1", me.boot_id, other_namespace)) is None
    assert is_gone(ProcessIdentity("other-machine", dead_pid(), "1", str(uuid.uuid4()))) is None
    namesake = ProcessIdentity(me.host, dead_pid(), "1", str(uuid.uuid4()), "1", "0123456789abcdef")
    assert is_gone(namesake) is None  # another machine of the same host name


def test_owners_written_before_boot_ids_parse_and_are_judged_as_before() -> None:
    text = f"{socket.gethostname()}/{dead_pid()}/1"
    old = ProcessIdentity.parse(text)
    assert old is not None and old.boot_id == "" and old.text() == text
    assert is_gone(old) is True
    assert is_gone(ProcessIdentity.parse(f"another-machine/{os.getpid()}/1")) is None
    me = this_process()
    assert is_gone(ProcessIdentity.parse(f"{me.host}/{me.pid}/{me.start}")) is False


@needs_boot_id
def test_a_run_of_this_boot_whose_process_ended_under_another_host_name_is_interrupted(ledger: Ledger) -> None:
    me = this_process()
    renamed = f"container-before-restart@{me.boot_id}:{me.pid_namespace}:{me.machine}/{dead_pid()}/1"
    run = start(ledger, renamed, None, [])
    assert recover_dead_runs(ledger).runs == [run.run_uid]
    assert runs(ledger)[0]["status"] == "interrupted"


@needs_boot_id
def test_live_runs_of_other_machines_and_containers_are_left_running(ledger: Ledger, tmp_path: Path) -> None:
    me = this_process()
    other_namespace = str(int(me.pid_namespace or "0") + 1)
    owners = [
        ProcessIdentity(me.host, 4242, "7", str(uuid.uuid4()), "1", "0123456789abcdef"),  # a namesake machine
        ProcessIdentity("another-machine", 4242, "7", str(uuid.uuid4()), "1", "fedcba9876543210"),
        ProcessIdentity("sibling-container", dead_pid(), "1", me.boot_id, other_namespace, me.machine),
        ProcessIdentity("renamed-since", me.pid, me.start, me.boot_id, me.pid_namespace, me.machine),  # alive
    ]
    for owner in owners:
        start(ledger, owner.text(), tmp_path, [1])
    assert recover_dead_runs(ledger).runs == []
    assert [run["status"] for run in runs(ledger)] == ["running"] * len(owners)


def test_a_dead_run_finds_its_jpeg_webp_and_png_files_in_nested_folders(ledger: Ledger, tmp_path: Path) -> None:
    """A1111's directory pattern ``[date]/[model_name]``: today's folders existed before the run (an
    earlier run of the same day and model), so a new file changes only its own folder's time."""
    outputs = tmp_path / "outputs"
    model_folder = outputs / "2026-01-01" / "standin"
    earlier = save_image(model_folder / "00000-1000.jpg", 1000)  # an earlier run's file, same seed
    backdate(earlier)
    run = start(ledger, dead_owner(), outputs, [1000, 1001, 1002, 1003])
    mine = [save_image(model_folder / "00001-1000.jpg", 1000, "ein Leuchtturm, 灯台"),
            save_image(model_folder / "00002-1001.webp", 1001),
            save_image(model_folder / "00003-1002.png", 1002),
            save_image(outputs / "2026-01-01" / "other model" / "deeper" / "00000-1003.jpeg", 1003)]
    save_image(model_folder / "00004-5555.jpg", 5555)  # another process's image in the same folder
    (model_folder / "00005-1003.txt").write_text("Seed: 1003")
    backdate(model_folder.parent, outputs)  # only the folder a file lands in gets a new time
    report = recover_dead_runs(ledger)
    assert report.runs == [run.run_uid] and report.recovered_images == 4
    [closed] = runs(ledger)
    assert (closed["status"], closed["image_count"]) == ("interrupted", 4)
    rows = {row["image_path"]: row for row in ledger.recent_images()}
    assert sorted(rows) == sorted(str(path) for path in mine)
    assert [rows[str(path)]["seed"] for path in mine] == [1000, 1001, 1002, 1003]
    assert rows[str(mine[0])]["prompt"] == "ein Leuchtturm, 灯台"  # EXIF UserComment: UTF-16, as piexif writes it
    assert recover_dead_runs(ledger).runs == []


def test_a_dead_run_finds_its_avif_files(ledger: Ledger, tmp_path: Path) -> None:
    outputs = tmp_path / "outputs"
    run = start(ledger, dead_owner(), outputs, [7])
    saved = save_image(outputs / "2026-01-01" / "00000-7.avif", 7)
    report = recover_dead_runs(ledger)
    assert report.runs == [run.run_uid] and report.recovered_images == 1
    assert [row["image_path"] for row in ledger.recent_images()] == [str(saved)]


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
