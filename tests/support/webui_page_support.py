"""The whole WebUI stand-in page in a real Chromium, with what A1111 adds to every page: its own script.js
(the stand-in in ``tests/host/javascript``), then each extension's ``javascript/*.js`` and ``style.css``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from browser_support import chromium_page, free_port
from modules._standin_webui import StandinPage, build_webui_page

REPO = Path(__file__).resolve().parents[2]
HOST_JS = Path(__file__).resolve().parents[1] / "host" / "javascript" / "webui_script.js"


def _stylesheet_script(css: str) -> str:
    return ("document.addEventListener('DOMContentLoaded', () => { const style = document.createElement('style');"
            f" style.textContent = {json.dumps(css)}; document.head.appendChild(style); }});")


@contextmanager
def webui_page(script_classes: list[type], viewport: dict[str, int] | None = None,
               page_errors: list[str] | None = None) -> Iterator[tuple[Any, StandinPage]]:
    """(Playwright page at the WebUI's address, the built page): served on a free port until the block ends.
    ``page_errors`` collects the page's uncaught script errors from the first load on."""
    built = build_webui_page(script_classes)
    port = free_port()
    built.blocks.queue().launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        with chromium_page(viewport) as page:
            if page_errors is not None:
                page.on("pageerror", lambda error: page_errors.append(str(error)))
            page.add_init_script(path=str(HOST_JS))
            for script in sorted((REPO / "javascript").glob("*.js")):
                page.add_init_script(path=str(script))
            page.add_init_script(_stylesheet_script((REPO / "style.css").read_text(encoding="utf-8")))
            page.goto(f"http://127.0.0.1:{port}/")
            page.locator("#txt2img_prompt textarea").first.wait_for(timeout=30_000)
            yield page, built
    finally:
        close_without_waiting(built.blocks)


def close_without_waiting(blocks: Any) -> None:
    """Stop a test page's server at once: uvicorn's graceful shutdown may wait without end for a gradio
    queue websocket that the closed browser left behind, which would hang the test run."""
    server = getattr(blocks, "server", None)
    if server is not None:
        server.force_exit = True
    blocks.close()


def open_top_tab(page: Any, label: str) -> None:
    """Click one of the WebUI's top tabs (txt2img, ParamLab …), as a user does."""
    page.locator("#tabs > .tab-nav > button", has_text=label).first.click()
