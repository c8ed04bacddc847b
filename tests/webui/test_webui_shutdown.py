"""WebUI shutdown: Ctrl-C (A1111 exits with os._exit, skipping atexit) still flushes the ledger queue."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from modules import txt2img
from webui_support import LoadedExtension

from paramlab.webui import runtime


@pytest.fixture
def restore_signals():
    original = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    saved_flag = runtime._exit_hooks_installed
    yield
    for number, handler in original.items():
        signal.signal(number, handler)
    runtime._exit_hooks_installed = saved_flag


@pytest.mark.parametrize("number", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_ctrl_c_and_sigterm_flush_the_queue_then_run_the_webui_handler(tmp_path: Path, restore_signals,
                                                                        number: int) -> None:
    webui_handler_calls = []
    signal.signal(number, lambda signum, frame: webui_handler_calls.append(signum))  # e.g. A1111's os._exit
    runtime._exit_hooks_installed = False
    extension = LoadedExtension(tmp_path)  # loading scripts/paramlab.py installs the hook
    try:
        runner = extension.runner()
        txt2img.run_txt2img_ui(runner, {"prompt": "written before exit", "width": 64, "height": 64})
        writer = runtime.get_writer()
        signal.getsignal(number)(number, None)
        assert webui_handler_calls == [number]
        assert runtime._writer is None and writer.pending == 0
        assert [row["prompt"] for row in extension.rows()] == ["written before exit"]
    finally:
        extension.close()


def test_sigterm_with_no_handler_flushes_then_ends_the_process_as_before(tmp_path: Path) -> None:
    """``kill PID`` (what service managers and the lab's stop.sh send) on a WebUI with the default action."""
    import subprocess
    import sys

    support = Path(__file__).resolve().parents[1] / "support"
    child = subprocess.Popen(
        [sys.executable, str(support / "crash_child.py"), str(tmp_path / "webui"), str(tmp_path / "ledger.sqlite"),
         "40", "none", "0.004"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert child.stdout is not None and child.stdout.readline().strip() == "started"
    while count_rows(tmp_path / "ledger.sqlite")[1] < 6 and child.poll() is None:
        pass
    child.send_signal(signal.SIGTERM)
    _out, err = child.communicate(timeout=60)
    assert child.returncode == -signal.SIGTERM, err
    status, rows = count_rows(tmp_path / "ledger.sqlite")
    assert status == "running"  # closed as interrupted at the next start
    saved = [path for path in (tmp_path / "webui").rglob("*.png") if "grids" not in str(path)]
    assert rows >= 6 and len(saved) - rows <= 2  # at most the batch in flight (2 images) lacks rows


def count_rows(path: Path) -> tuple[str | None, int]:
    import sqlite3

    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            found = connection.execute("SELECT status, (SELECT count(*) FROM images) FROM runs").fetchone()
        finally:
            connection.close()
    except sqlite3.Error:
        return None, 0
    return (found[0], found[1]) if found else (None, 0)
