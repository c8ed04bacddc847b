"""WebUI shutdown: Ctrl-C (A1111 exits with os._exit, skipping atexit) still flushes the ledger queue."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from modules import txt2img
from webui_support import LoadedExtension

from paramlab.webui import runtime


@pytest.fixture
def restore_sigint():
    original = signal.getsignal(signal.SIGINT)
    saved_flag = runtime._exit_hooks_installed
    yield
    signal.signal(signal.SIGINT, original)
    runtime._exit_hooks_installed = saved_flag


def test_ctrl_c_flushes_the_queue_then_runs_the_webui_handler(tmp_path: Path, restore_sigint) -> None:
    webui_handler_calls = []
    signal.signal(signal.SIGINT, lambda signum, frame: webui_handler_calls.append(signum))  # A1111's os._exit
    runtime._exit_hooks_installed = False
    extension = LoadedExtension(tmp_path)  # loading scripts/paramlab.py installs the hook
    try:
        runner = extension.runner()
        txt2img.run_txt2img_ui(runner, {"prompt": "written before exit", "width": 64, "height": 64})
        writer = runtime.get_writer()
        signal.getsignal(signal.SIGINT)(signal.SIGINT, None)
        assert webui_handler_calls == [signal.SIGINT]
        assert runtime._writer is None and writer.pending == 0
        assert [row["prompt"] for row in extension.rows()] == ["written before exit"]
    finally:
        extension.close()
