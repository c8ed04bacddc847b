"""The background process: idle priority, one thread, no torch; restarts; a memory cap; a fallback."""

from __future__ import annotations

import io
import json
import logging
import os
import signal
import sys
import threading
from pathlib import Path

import pytest
from PIL import Image

from paramlab.aftercare import runner
from paramlab.aftercare.runner import Aftercare
from paramlab.aftercare.tasks import ImageTask, Pixels, WorkSettings, task_for_image
from paramlab.aftercare.work import sha256_of_file
from paramlab.ledger import ImageRecord
from paramlab.ledger.operations import Findings

LINUX = sys.platform.startswith("linux")


class Collected:
    """Findings as the writer would receive them."""

    def __init__(self) -> None:
        self.items: dict[str, Findings] = {}
        self.lock = threading.Lock()

    def __call__(self, findings: Findings) -> None:
        with self.lock:
            self.items[findings.image_uid] = findings


def noisy(size: int = 96) -> Image.Image:
    return Image.effect_noise((size, size), 60).convert("RGB")


def test_unsaved_and_saved_images_get_thumbnail_hash_figures_and_flaws(tmp_path: Path) -> None:
    saved = tmp_path / "saved.png"
    noisy().save(saved)
    collected = Collected()
    aftercare = Aftercare(collected)
    settings = WorkSettings()
    unsaved = ImageRecord(index_in_run=0, pil_image=noisy(300), cfg_scale=7, steps=6, sampler="Euler")
    on_disk = ImageRecord(index_in_run=1, image_path=str(saved), cfg_scale=7, steps=30, sampler="Euler")
    for image in (unsaved, on_disk):
        aftercare.submit(task_for_image(image, settings))
    assert aftercare.flush(60)
    aftercare.close()
    first, second = collected.items[unsaved.image_uid], collected.items[on_disk.image_uid]
    with Image.open(io.BytesIO(first.thumbnail)) as thumbnail:
        assert max(thumbnail.size) == 256
    assert first.image_sha256 is None and second.thumbnail is None
    assert second.image_sha256 == sha256_of_file(saved)
    for found in (first, second):
        assert found.metrics["noise"][0] > 8 and found.metrics_version == "1"
    assert [flaw["code"] for flaw in json.loads(first.flaws)] == ["under_converged"]  # noisy at 6 steps
    assert json.loads(second.flaws) == []  # as noisy, but at 30 steps the steps are not to blame


def test_nothing_to_do_makes_no_task(tmp_path: Path) -> None:
    quiet = WorkSettings(thumbnails=False, measure=False)
    assert task_for_image(ImageRecord(index_in_run=0, pil_image=noisy()), quiet) is None
    assert task_for_image(ImageRecord(index_in_run=0), WorkSettings()) is None
    task = task_for_image(ImageRecord(index_in_run=0, pil_image=noisy(), image_path="/a.png"), WorkSettings())
    assert task is not None and task.pixels is None  # a saved image is read back from its file
    assert not task.thumbnail  # its file is the preview, unless the ledger is shared with other machines
    shared = WorkSettings(thumbnails_of_saved=True)
    assert task_for_image(ImageRecord(index_in_run=0, image_path="/a.png"), shared).thumbnail


@pytest.mark.skipif(not LINUX, reason="reads the child's scheduling policy and threads from /proc")
def test_the_child_runs_at_idle_priority_on_one_thread_without_torch(tmp_path: Path) -> None:
    collected = Collected()
    aftercare = Aftercare(collected)
    image = ImageRecord(index_in_run=0, pil_image=noisy())
    aftercare.submit(task_for_image(image, WorkSettings()))
    assert aftercare.flush(60)
    pid = aftercare.child_pid
    assert pid is not None and pid != os.getpid()
    try:
        assert os.sched_getscheduler(pid) == os.SCHED_IDLE
        status = Path(f"/proc/{pid}/status").read_text()
        assert "Threads:\t1\n" in status
        assert "libtorch" not in Path(f"/proc/{pid}/maps").read_text()
    finally:
        aftercare.close()
    assert aftercare.child_pid is None


def test_a_killed_child_is_restarted_and_the_work_goes_on(tmp_path: Path) -> None:
    collected = Collected()
    aftercare = Aftercare(collected)
    first = ImageRecord(index_in_run=0, pil_image=noisy())
    aftercare.submit(task_for_image(first, WorkSettings()))
    assert aftercare.flush(60)
    os.kill(aftercare.child_pid, 9)
    second = ImageRecord(index_in_run=1, pil_image=noisy())
    aftercare.submit(task_for_image(second, WorkSettings()))
    assert aftercare.flush(60)
    aftercare.close()
    assert collected.items[second.image_uid].metrics["noise"][0] > 8


@pytest.mark.parametrize("stop_signal", ["SIGINT", "SIGTERM"])
def test_the_child_outlives_ctrl_c_and_a_stop_of_the_whole_group(tmp_path: Path, stop_signal: str,
                                                                  caplog) -> None:
    """Ctrl-C in the WebUI's terminal (SIGTERM from a service manager) reaches the whole process group; the
    WebUI's shutdown then hands over its queued images, so the child must still be there to take them."""
    if stop_signal == "SIGTERM" and not sys.platform.startswith("linux"):
        pytest.skip("SIGTERM is ignored only where the kernel ends the child with the WebUI (Linux)")
    collected = Collected()
    aftercare = Aftercare(collected)
    first = ImageRecord(index_in_run=0, pil_image=noisy())
    aftercare.submit(task_for_image(first, WorkSettings()))
    assert aftercare.flush(60)
    pid = aftercare.child_pid
    os.kill(pid, getattr(signal, stop_signal))
    second = ImageRecord(index_in_run=1, pil_image=noisy())
    with caplog.at_level(logging.WARNING, logger="paramlab"):
        aftercare.submit(task_for_image(second, WorkSettings()))
        assert aftercare.flush(60)
    assert aftercare.child_pid == pid and "stopped" not in caplog.text
    aftercare.close()
    assert collected.items[second.image_uid].metrics["noise"][0] > 8


def test_a_task_that_ends_the_child_twice_is_skipped_with_a_reason(tmp_path: Path, monkeypatch, caplog) -> None:
    monkeypatch.setattr(runner, "child_command", lambda: [sys.executable, "-c", "import sys; sys.stdin.buffer.read(1)"])
    caplog.set_level(logging.WARNING, logger="paramlab")
    collected = Collected()
    aftercare = Aftercare(collected)
    aftercare.submit(ImageTask("poison", pixels=Pixels.of(noisy()), measure=True))
    assert aftercare.flush(60)
    aftercare.close()
    assert "stopped twice" in collected.items["poison"].problems[0]
    assert len([r for r in caplog.records if "restarting it" in r.getMessage()]) == 1


def test_without_a_usable_child_the_work_runs_here_and_the_console_says_so(tmp_path: Path, monkeypatch,
                                                                           caplog) -> None:
    monkeypatch.setattr(runner, "child_command", lambda: [str(tmp_path / "no-such-python")])
    caplog.set_level(logging.ERROR, logger="paramlab")
    collected = Collected()
    aftercare = Aftercare(collected)
    images = [ImageRecord(index_in_run=i, pil_image=noisy()) for i in range(4)]
    for image in images:
        aftercare.submit(task_for_image(image, WorkSettings()))
    assert aftercare.flush(60)
    aftercare.close()
    assert all(collected.items[image.image_uid].metrics["noise"][0] > 8 for image in images)
    errors = [r.getMessage() for r in caplog.records if "cannot start the background process" in r.getMessage()]
    assert len(errors) == 1 and "may slow generation" in errors[0]


def test_work_waits_while_the_host_generates_and_starts_after_a_quiet_spell(tmp_path: Path) -> None:
    busy = threading.Event()
    busy.set()
    collected = Collected()
    aftercare = Aftercare(collected, may_run=lambda: not busy.is_set(), quiet_seconds=0.2)
    image = ImageRecord(index_in_run=0, pil_image=noisy())
    task = task_for_image(image, WorkSettings())
    aftercare.submit(task)
    assert not aftercare.flush(0.5)  # the host is generating: nothing runs, nothing is copied
    assert aftercare.child_pid is None and task.pixels is None and task.image is image.pil_image
    busy.clear()
    assert aftercare.flush(30)
    aftercare.close()
    assert collected.items[image.image_uid].metrics["noise"][0] > 8


def test_shutdown_does_the_waiting_work_even_while_the_host_is_busy(tmp_path: Path) -> None:
    collected = Collected()
    aftercare = Aftercare(collected, may_run=lambda: False)
    image = ImageRecord(index_in_run=0, pil_image=noisy())
    aftercare.submit(task_for_image(image, WorkSettings()))
    assert aftercare.close(timeout=30) == 0
    assert image.image_uid in collected.items


def test_waiting_pixels_are_capped_thumbnails_kept_figures_skipped_with_the_reason(tmp_path: Path) -> None:
    """A host that generates non-stop on the CPU: the queue must not grow the WebUI's memory."""
    collected = Collected()
    one_image = 512 * 512 * 3
    aftercare = Aftercare(collected, max_waiting_pixel_bytes=3 * one_image, may_run=lambda: False)
    tasks = [task_for_image(ImageRecord(index_in_run=i, pil_image=noisy(512)), WorkSettings())
            for i in range(8)]
    for task in tasks:
        aftercare.submit(task)
    shrunk = [task for task in tasks if task.skipped_reason]
    assert aftercare.skipped_for_backlog == len(shrunk) == 5
    assert all(task.image is not None and max(task.image.size) <= 256 for task in shrunk)
    assert "behind" in shrunk[0].skipped_reason
    assert aftercare.close(timeout=60) == 0  # shutdown still finishes them
    assert all(collected.items[task.image_uid].thumbnail for task in tasks)
    assert collected.items[shrunk[0].image_uid].metrics["noise"] == (None, shrunk[0].skipped_reason)


def test_a_skipped_task_still_gets_its_thumbnail_and_says_why_it_has_no_figures(tmp_path: Path) -> None:
    task = task_for_image(ImageRecord(index_in_run=0, pil_image=noisy()), WorkSettings())
    task.skipped_reason = "skipped: behind"
    from paramlab.aftercare.work import run_task

    found = run_task(task)
    assert found.thumbnail
    assert found.metrics["noise"] == (None, "skipped: behind") and found.flaws is None


# A stand-in for the background process (started as the real one starts) that works until the test lets
# it go on, one gate at a time.
GATED_CHILD = """
import os, sys, time
from pathlib import Path
from paramlab.aftercare.child import end_with_parent, lower_own_priority
from paramlab.aftercare.tasks import read_frame, write_frame
lower_own_priority()
end_with_parent()
folder = Path(sys.argv[1])
answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
def wait_for(gate):
    while not (folder / gate).exists():
        time.sleep(0.005)
wait_for("may-read")
while (frame := read_frame(sys.stdin.buffer)) is not None:
    (folder / "working").touch()
    wait_for("may-answer")
    write_frame(answers, {"image_uid": frame[0]["image_uid"]})
"""


def process_state(pid: int) -> str:
    """R, S, T (stopped), Z…: the third field of /proc/PID/stat."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]


def wait_until(condition, what: str, seconds: float = 60.0) -> None:
    import time

    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.01)


@pytest.mark.skipif(not LINUX, reason="reads the child's state from /proc")
@pytest.mark.parametrize("caught", ["reading the task", "working on it"])
def test_a_busy_child_is_frozen_while_a_generation_runs_and_goes_on_after_a_quiet_spell(
        tmp_path: Path, monkeypatch, caught: str) -> None:
    """Someone presses Generate again while the background process is busy: it must stop at once, not
    compete with the generation at idle priority (it would still take cache and idle cores)."""
    monkeypatch.setattr(runner, "child_command", lambda: [sys.executable, "-c", GATED_CHILD, str(tmp_path)])
    generating = threading.Event()
    collected = Collected()
    aftercare = Aftercare(collected, may_run=lambda: not generating.is_set(), quiet_seconds=0.2)
    if caught == "working on it":
        (tmp_path / "may-read").touch()
    aftercare.submit(ImageTask("late", pixels=Pixels.of(noisy(512)), measure=True))  # more than a pipe holds
    wait_until(lambda: aftercare.child_pid is not None, "the background process started")
    if caught == "working on it":
        wait_until(lambda: (tmp_path / "working").exists(), "the task reached the background process")
    pid = aftercare.child_pid
    try:
        generating.set()
        wait_until(lambda: process_state(pid) == "T", "the background process was frozen")
        (tmp_path / "may-read").touch()
        (tmp_path / "may-answer").touch()
        assert not aftercare.flush(1.0) and not collected.items  # frozen: it cannot go on while the host is busy
        generating.clear()
        assert aftercare.flush(60)
        assert "late" in collected.items and aftercare.freezes >= 1
        assert process_state(pid) != "T"
    finally:
        generating.clear()
        aftercare.close()
    assert aftercare.child_pid is None


@pytest.mark.parametrize("before", ["nothing (the first generation)", "work done in the last pause"])
def test_images_handed_over_just_after_a_generation_ended_wait_a_quiet_spell_from_its_end(before: str) -> None:
    """Paced use: nothing waits, and the next one-batch generation hands its images over only after it
    ended (the writer's thread comes late). They must not start at once, beside the rest of the request
    (its images being encoded, the answer sent)."""
    import time

    generating, seen_generating = threading.Event(), threading.Event()

    def may_run() -> bool:
        if generating.is_set():
            seen_generating.set()
            return False
        return True

    collected = Collected()
    aftercare = Aftercare(collected, use_child=False, may_run=may_run, quiet_seconds=2.0)
    if before == "work done in the last pause":
        aftercare.submit(ImageTask("earlier", measure=True))
        assert aftercare.flush(60)
    else:
        time.sleep(2.2)  # the WebUI has been up longer than a quiet spell
    generating.set()  # the next generation, with nothing queued meanwhile
    if before == "work done in the last pause":  # the idle thread looks at the host (none runs before the first image)
        wait_until(seen_generating.is_set, "the idle background thread looked at the host during the generation")
    generating.clear()
    aftercare.submit(ImageTask("fresh", measure=True))
    try:
        assert not aftercare.flush(0.5) and "fresh" not in collected.items
        assert aftercare.flush(60) and "fresh" in collected.items
    finally:
        aftercare.close()


def test_findings_that_come_back_as_a_generation_starts_reach_the_writer_after_it(monkeypatch) -> None:
    """Their database write must not run beside the generation either."""
    generating = threading.Event()
    collected = Collected()
    aftercare = Aftercare(collected, use_child=False, may_run=lambda: not generating.is_set(), quiet_seconds=0.2)

    def finished_as_generate_is_pressed(task: ImageTask) -> Findings:
        generating.set()
        return Findings(task.image_uid)

    monkeypatch.setattr(aftercare, "_process", finished_as_generate_is_pressed)
    aftercare.submit(ImageTask("done", measure=True))
    try:
        assert not aftercare.flush(1.0) and not collected.items  # held while the host is busy
        generating.clear()
        assert aftercare.flush(60) and "done" in collected.items
    finally:
        generating.clear()
        aftercare.close()


FROZEN_PARENT = """
import sys, time
from pathlib import Path
from PIL import Image
from paramlab.aftercare import runner
from paramlab.aftercare.tasks import ImageTask, Pixels
from paramlab.aftercare.runner import Aftercare
folder = Path(sys.argv[1])
runner.child_command = lambda: [sys.executable, "-c", sys.argv[2], str(folder)]
aftercare = Aftercare(lambda found: None, may_run=lambda: not (folder / "generating").exists())
aftercare.submit(ImageTask("x", pixels=Pixels.of(Image.new("RGB", (8, 8))), measure=True))
while aftercare.child_pid is None:
    time.sleep(0.01)
print(aftercare.child_pid, flush=True)
time.sleep(600)
"""


@pytest.mark.skipif(not LINUX, reason="PR_SET_PDEATHSIG and /proc are Linux's")
def test_a_frozen_child_does_not_outlive_a_killed_webui(tmp_path: Path) -> None:
    """A frozen process never sees its input close: killing the WebUI must still end it."""
    import subprocess

    (tmp_path / "may-read").touch()
    parent = subprocess.Popen([sys.executable, "-c", FROZEN_PARENT, str(tmp_path), GATED_CHILD], text=True,
                              stdout=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(runner.EXTENSION_ROOT)})
    try:
        pid = int(parent.stdout.readline())
        wait_until(lambda: (tmp_path / "working").exists(), "the task reached the background process")
        (tmp_path / "generating").touch()
        wait_until(lambda: process_state(pid) == "T", "the background process was frozen")
    finally:
        parent.kill()
        parent.wait()

    def ended() -> bool:
        try:
            return process_state(pid) in ("Z", "X")  # a zombie where no init reaps it
        except OSError:
            return True

    wait_until(ended, "the frozen background process ended with the WebUI")
