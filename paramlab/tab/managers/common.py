"""The pieces of the tab's managers: their handle for the lead, escaped messages, downloads, and the guard
that turns every failure into a message instead of a red gradio error.

Used by the one named-document manager (:mod:`paramlab.tab.managers.documents`) and by the tab's other
pages that offer a download; re-exported by :mod:`paramlab.tab.managers.sections`.
"""

from __future__ import annotations

import functools
import html
import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

from paramlab.gradio_compat import update
from paramlab.ledger import LedgerError
from paramlab.tab.status_html import status_html

log = logging.getLogger("paramlab")

# The same wording as the profile panel's sharing box, so both places read alike.
ASK_CHOICE = "ask (refuse on a name conflict)"
CONFLICT_CHOICES = [ASK_CHOICE, "skip", "rename", "replace"]
TRUNCATE_AT = 60
# Problems a user can cause or fix (bad input, a locked ledger); anything else is a bug, logged with its trace.
# ProfileError and SeriesError are ValueErrors; the stores' database failures arrive as them or as LedgerError.
EXPECTED_ERRORS: tuple[type[BaseException], ...] = (LedgerError, OSError, ValueError, TypeError)


@dataclass
class ManagerComponents:
    """One manager's components and its refresh, so the lead can refresh it when the tab is selected.

    ``refresh()`` returns ``[table value, selector update]`` for :attr:`outputs`.
    """

    table: Any
    selector: Any
    status: Any
    refresh: Callable[[], list[Any]]
    components: dict[str, Any] = field(default_factory=dict)

    @property
    def outputs(self) -> list[Any]:
        return [self.table, self.selector]


def report_html(text: str, *, error: bool = False) -> str:
    """A multi-line import report, escaped, keeping its line breaks."""
    css = "paramlab-error" if error else "paramlab-ok"
    return f"<pre class='{css}'>{html.escape(text)}</pre>"


def conflict_choice(label: str | None) -> str | None:
    """The radio's label as the store's ``on_conflict`` (None = refuse on a conflict)."""
    return label if label in CONFLICT_CHOICES[1:] else None


def truncate(value: str | None, limit: int = TRUNCATE_AT) -> str:
    """One line of at most ``limit`` characters, so a long note does not blow up the table."""
    if not value:
        return ""
    flat = " ".join(value.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def name_of_clicked_row(table: Any, event: gr.SelectData) -> Any:
    """Clicking any cell of a manager's table selects that row's name (its first column) in the selector."""
    index = event.index
    row = index[0] if isinstance(index, (list, tuple)) else index
    try:
        name = table.iloc[int(row), 0] if isinstance(table, pd.DataFrame) else table[int(row)][0]
    except (IndexError, KeyError, TypeError, ValueError):
        return update()
    return update(value=str(name)) if name else update()


def write_download(content: str, file_name: str, newline: str | None = None) -> str:
    """Write an export to a fresh temporary folder and return its path for a ``gr.File`` download
    (``newline=""``: line ends as they are, e.g. a CSV's CRLF)."""
    folder = Path(tempfile.mkdtemp(prefix="paramlab-export-"))
    target = folder / file_name
    target.write_text(content, encoding="utf-8", newline=newline)
    return str(target)


def safe_file_part(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name)[:60] or "export"


def failure_as_status(count: int, status_at: int | None = 0) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Make a handler never raise: a failure becomes an escaped error message at ``status_at`` and
    no-op updates for its other ``count - 1`` outputs, so the page keeps what the user typed.

    With ``status_at=None`` (a handler with no message output, such as a table refresh) the failure
    is logged and every output is left as it is."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        def failure(text: str) -> Any:
            results: list[Any] = [update() for _ in range(count)]
            if status_at is None:
                log.warning("ParamLab: %s: %s", func.__name__, text)
            else:
                results[status_at] = status_html(text, "error")
            return results if count > 1 else results[0]

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return func(*args, **kwargs)
            except EXPECTED_ERRORS as exc:
                return failure(str(exc))
            except Exception as exc:  # noqa: BLE001 - a handler must answer with a message, never a red error
                log.exception("ParamLab: %s failed", func.__name__)
                return failure(f"Unexpected error ({type(exc).__name__}): {exc}. The console has the details.")

        wrapper.failure = failure  # type: ignore[attr-defined]
        return wrapper

    return decorate


def bind(handler: Callable[..., Any], *providers: Callable[[], Any]) -> Callable[..., Any]:
    """The event function: the providers' values (ledger, catalog) first, then the event's inputs.

    Providers are called per event (the ledger may be reopened), and a provider failure is a message too.
    """

    def run(*args: Any) -> Any:
        try:
            resolved = [provider() for provider in providers]
        except Exception as exc:  # noqa: BLE001 - e.g. the WebUI's ledger could not be opened
            log.warning("ParamLab: the ledger is not available: %s", exc)
            return handler.failure(f"The ledger is not available: {exc}")  # type: ignore[attr-defined]
        return handler(*resolved, *args)

    return run
