"""``python -m paramlab serve``: the standalone page is the WebUI tab's page, minus the Send-to buttons."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import gradio as gr

from paramlab.gradio_compat import event_wiring
from paramlab.ledger import Ledger
from paramlab.standalone import build_page, page_url

REPO = Path(__file__).resolve().parents[2]


def labels(demo: gr.Blocks) -> set[str]:
    return {getattr(block, "label", None) for block in demo.blocks.values()} - {None}


def test_page_has_the_four_sections_and_no_send_buttons(ledger: Ledger) -> None:
    demo = build_page(ledger)
    names = labels(demo)
    assert {"Ledger", "Cost / quality", "Profiles", "Series"} <= names
    buttons = {block.value for block in demo.blocks.values() if isinstance(block, gr.Button)}
    assert not any("Send to" in str(text) for text in buttons)
    triggers = {event.trigger for event in event_wiring(demo)}
    assert "load" in triggers and "select" in triggers


def test_page_url_brackets_ipv6() -> None:
    assert page_url("127.0.0.1", 7870) == "http://127.0.0.1:7870/"
    assert page_url("::1", 7870) == "http://[::1]:7870/"


def test_serve_on_a_busy_port_says_so(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "paramlab", "--db", str(tmp_path / "l.sqlite"), "serve", "--port", str(port)],
            cwd=REPO, capture_output=True, text=True, timeout=120, check=False,
        )
    assert result.returncode != 0 and "cannot listen" in (result.stderr + result.stdout)
