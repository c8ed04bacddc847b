"""Build one part of ParamLab's UI so that its failure never takes the host's page down.

A WebUI builds every extension's UI into one page: an exception while ParamLab builds its tab, a
section of it or its accordion would, at best, leave half-wired components and a long traceback, and
at worst stop the page. Each part is therefore built through :func:`build_part`: when it raises, what
it had created is hidden, a short note takes its place, and the console gets ONE line saying which
part is missing and why (the traceback only at DEBUG level). The rest of ParamLab and of the WebUI
goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

import gradio as gr

from paramlab.tab.status_html import status_html

log = logging.getLogger("paramlab")
T = TypeVar("T")


def failure_line(part: str, exc: BaseException) -> str:
    """The one console line for a part that could not be built."""
    return (f"ParamLab: {part} is not shown: {type(exc).__name__}: {exc}. "
            "The rest of the WebUI is not affected.")


def report_failure(part: str, exc: BaseException) -> str:
    """Log the one line (the traceback at DEBUG level) and return it for the page."""
    line = failure_line(part, exc)
    log.error(line)
    log.debug("ParamLab: traceback for %s", part, exc_info=exc)
    return line


def build_part(part: str, build: Callable[[], T], *, elem_id: str | None = None) -> T | None:
    """``build()`` inside its own column; on an exception the column is hidden and a note replaces it.

    Returns what ``build`` returned, or None when it failed (callers then leave that part unwired).
    """
    with gr.Column(elem_id=elem_id) as box:
        try:
            return build()
        except Exception as exc:  # noqa: BLE001 - by design: any failure of our UI must stay ours
            line = report_failure(part, exc)
    box.visible = False  # read when the page's config is made, so half-built components stay hidden
    note = status_html(line, "error", marker="paramlab-part-failed")
    gr.HTML(note, elem_id=f"{elem_id}-failed" if elem_id else None)
    return None


def part_callback(part: str, callback: Callable[..., T]) -> Callable[..., T | None]:
    """A WebUI callback that sets up one part of ParamLab: its first failure is one line (that part
    is missing), it stays quiet after it, and the host never sees the exception.

    Callbacks such as ``on_after_component`` run for every component of the page: an exception there
    would print one traceback per component.
    """
    failed: list[str] = []

    def run(*args: object, **kwargs: object) -> T | None:
        try:
            return callback(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - the host must never see our exception
            if not failed:
                failed.append(part)
                report_failure(part, exc)
            return None

    run.__name__ = getattr(callback, "__name__", "paramlab_callback")
    return run
