"""Plumbing shared by the browser tests: a ParamLab server subprocess and an offline headless Chromium.

Browser tests FAIL (not skip) when Playwright or Chromium is missing, so a green run always means the
page was really seen; ``PARAMLAB_SKIP_BROWSER=1`` is the explicit opt-out.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Coroutine, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_PATH = Path("/usr/bin/chromium")
SKIP_ENV = "PARAMLAB_SKIP_BROWSER"
SERVER_START_TIMEOUT = 60.0

# This machine has no network: without these flags Chromium keeps dialling Google services.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

INSTALL_HINT = (
    f"Install them with: {sys.executable} -m pip install playwright && "
    "apt-get update && apt-get install -y chromium  (never run `playwright install`; the test uses "
    f"{CHROMIUM_PATH}). Set {SKIP_ENV}=1 to skip browser tests deliberately."
)


def require_browser() -> None:
    """Skip only on explicit request; otherwise fail loudly when the tools are missing."""
    if os.environ.get(SKIP_ENV) == "1":
        pytest.skip(f"{SKIP_ENV}=1: browser test skipped on request")
    missing = []
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright Python package")
    if not CHROMIUM_PATH.is_file():
        missing.append(str(CHROMIUM_PATH))
    if missing:
        pytest.fail(f"Browser test needs {' and '.join(missing)}. {INSTALL_HINT}", pytrace=False)


def free_port() -> int:
    """A port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class ServerProcess:
    process: subprocess.Popen[bytes]
    url: str
    log_path: Path

    def output(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def _port_answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Ctrl-C first (the way a user stops ``serve``), then harder."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGINT if os.name == "posix" else signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@contextmanager
def paramlab_server(db_path: Path, work_dir: Path, extra_args: Sequence[str] = (),
                    cwd: Path | None = None) -> Iterator[ServerProcess]:
    """Run ``python -m paramlab --db <db_path> serve --port <free port>`` (from ``cwd``, the repository by
    default) until the block ends."""
    port = free_port()
    log_path = work_dir / "server.log"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env["PARAMLAB_HOME"] = str(work_dir / "paramlab-home")
    env["GRADIO_TEMP_DIR"] = str(work_dir / "gradio-tmp")
    env["GRADIO_ANALYTICS_ENABLED"] = "False"
    env["PYTHONUNBUFFERED"] = "1"
    command = [
        sys.executable, "-m", "paramlab", "--db", str(db_path), "serve", "--port", str(port), *extra_args
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=cwd or REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    server = ServerProcess(process, f"http://127.0.0.1:{port}/", log_path)
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        # "ParamLab: open …" is printed once the page AND ParamLab's own routes are served (they are added
        # to gradio's app after it starts listening)
        while not (_port_answers("127.0.0.1", port) and "ParamLab: open " in server.output()):
            if process.poll() is not None:
                pytest.fail(f"ParamLab server exited with code {process.returncode}:\n{server.output()}")
            if time.monotonic() > deadline:
                pytest.fail(
                    f"ParamLab server did not answer within {SERVER_START_TIMEOUT:.0f} s:\n{server.output()}"
                )
            time.sleep(0.2)
        yield server
    finally:
        _stop(process)


@contextmanager
def chromium_page(viewport: dict[str, int] | None = None) -> Iterator[Any]:
    """A fresh page in headless Debian Chromium driven by Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM_PATH), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport=viewport or {"width": 1600, "height": 1000})
            yield context.new_page()
        finally:
            browser.close()


def run_in_own_loop(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """Run ``coroutine`` to its end on a loop of its own. Not ``asyncio.run``: that leaves this thread with no
    event loop, and gradio 4 takes every later app's stop event and locks from the thread's loop
    (``utils.safe_get_stop_event``), so a page started after it answers its events with a server error."""
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coroutine)
    finally:
        loop.close()


def assert_side_by_side(page: Any) -> None:
    """The ledger's table and detail both start inside the viewport, side by side, nothing is wider than the
    window and the infotext wraps (issue 11's layout at 1400×1000)."""
    facts = page.evaluate("""() => {
        const box = (selector) => {
            const r = document.querySelector(selector).getBoundingClientRect();
            return {top: r.top, left: r.left, right: r.right, bottom: r.bottom};
        };
        const infotext = [...document.querySelectorAll('#paramlab-ledger-detail pre')].pop();
        return {table: box('#paramlab-ledger-table'), detail: box('#paramlab-ledger-detail'),
                pageWidth: document.documentElement.scrollWidth, window: window.innerWidth,
                height: window.innerHeight,
                infotextOverflow: infotext.scrollWidth - infotext.clientWidth};
    }""")
    assert facts["pageWidth"] <= facts["window"], facts
    assert facts["infotextOverflow"] <= 1, facts
    for name in ("table", "detail"):
        assert -5 <= facts[name]["top"] < facts["height"] - 200, (name, facts)
    assert facts["detail"]["left"] >= facts["table"]["right"] - 1, facts  # beside, not below


CHART_POINT_JS = """(chart) => {
    const svg = document.querySelector(`${chart} svg.marks`);
    if (!svg) return null;
    svg.scrollIntoView({block: 'center'});
    for (const point of document.querySelectorAll(`${chart} svg path[aria-roledescription='circle']`)) {
        const r = point.getBoundingClientRect();
        const x = r.left + r.width / 2, y = r.top + r.height / 2;
        if (document.elementFromPoint(x, y) === point) return {x, y, label: point.getAttribute('aria-label')};
    }
    return null;
}"""


def chart_point(page: Any, chart: str = "#paramlab-charts-scatter") -> dict[str, Any]:
    """The centre of a chart point that nothing covers (a front diamond may sit on others), in page pixels,
    with its accessible label. The point must be in view. Waits up to 15 s: a tab's late refresh may be
    redrawing the chart (no points, or points still moving in) when it is asked."""
    try:
        found = page.wait_for_function(CHART_POINT_JS, arg=chart, polling=200, timeout=15_000).json_value()
    except Exception as error:  # noqa: BLE001 - Playwright's timeout
        raise AssertionError(f"no uncovered point in {chart}") from error
    return found


LIST_REFRESH_MS = 800  # more than a dropdown's list read takes on a loaded test machine


def choose_option(page: Any, dropdown: str, option: str, attempts: int = 10) -> None:
    """Open the gradio dropdown ``dropdown`` (a CSS selector of its block) and pick ``option``.

    A list refresh the page asked for (on load, on opening a tab, on focus) may land while the list is open:
    gradio 4 then resets the typed text (so it is typed again), gradio 3 shows the new choices from the next
    opening on (so every other try closes and reopens it)."""
    box = page.locator(f"{dropdown} input").first
    item = page.locator("ul.options li", has_text=option).first
    for attempt in range(attempts):
        if not page.locator("ul.options").first.is_visible():
            box.click()  # opening it also reads the list again (its focus event)
            # let that read land first: gradio 4 draws the list anew when it does, and a click on the old
            # list is lost (the box falls back to the selection it had)
            page.wait_for_timeout(LIST_REFRESH_MS)
        # type the option: the list shows only what matches the box's text (gradio 4: the current value),
        # and typing again (instead of reopening) survives a late list refresh that reset the text
        box.fill(option)
        try:
            item.wait_for(timeout=3_000)
            item.click(timeout=3_000)  # gradio 4 redraws an open list when its choices arrive
            page.wait_for_function("([el, want]) => el.value === want", arg=[box.element_handle(), option],
                                   timeout=3_000)
            return
        except Exception:  # noqa: BLE001 - Playwright's timeout: not offered (or not taken) yet, try again
            if attempt % 2:  # gradio 3 shows choices that arrived while open from the next opening on
                box.press("Escape")
                page.locator("body").click(position={"x": 1, "y": 1})
    raise AssertionError(f"{option!r} never appeared in {dropdown}")
