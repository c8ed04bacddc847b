"""The ledger view's event handlers, apart from the gradio layout so tests can call them directly.

Each handler returns what its outputs show; HTML comes from :mod:`paramlab.tab.ledger_view.render`, which
escapes every value. A failing ledger (locked, PostgreSQL down) becomes a message, never a gradio error.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import gradio as gr

from paramlab import gradio_compat
from paramlab.ledger import Ledger, LedgerError
from paramlab.ledger.edits.images import delete_images, export_filtered
from paramlab.ledger.filters import FilterError, ImageFilter
from paramlab.ledger.reads.images import image_page
from paramlab.seeds.series import SeriesError, SeriesStore
from paramlab.tab.ledger_view import render
from paramlab.tab.ledger_view.query import filter_options, image_detail
from paramlab.tab.status_html import status_html

ANY = "(any)"
RATING_CHOICES: dict[str, int | None] = {
    ANY: None, "unrated": 0, "1 or more": 1, "2 or more": 2, "3 or more": 3, "4 or more": 4, "5": 5,
}
SORT_CHOICES = {"newest first": "newest", "oldest first": "oldest", "best rated": "rating",
                "most expensive": "cost", "cheapest": "cheapest"}
REPLAY_CHOICES: dict[str, str | None] = {ANY: None, "exact": "exact", "approximate": "approximate",
                                         "not replayable": "not_replayable"}
EXPORT_CHOICES = ("csv", "json")
PAGE_SIZE = 50
OPTION_KEYS = ("models", "profiles", "series", "samplers", "schedulers", "flaws")
# The filter inputs, in the order every handler receives them.
FILTER_FIELDS = ("date_from", "date_to", "model", "profile", "series", "sampler", "scheduler", "steps_min",
                 "steps_max", "cfg_min", "cfg_max", "rating", "flaw", "text", "sort", "extension", "replay")


def _choice(value: Any) -> str | None:
    return None if value in (None, "", ANY) else str(value)


def _num(value: Any, as_int: bool = False) -> float | int | None:
    """A range bound; empty or 0 means "any" (gradio 3 shows an empty number box as 0)."""
    if value is None or value == "":
        return None
    number = float(value)
    if number == 0:
        return None
    return int(round(number)) if as_int else number


def build_filter(values: Sequence[Any]) -> ImageFilter:
    """The ledger's filter from the filter inputs' values (in :data:`FILTER_FIELDS` order), read by the same
    parser as the HTTP route and the CLI (:meth:`ImageFilter.from_params`); raises :class:`FilterError`."""
    v = dict(zip(FILTER_FIELDS, values))
    params = {
        "from": v.get("date_from"), "to": v.get("date_to"),  # "to" includes that whole day
        **{name: _choice(v.get(name)) for name in ("model", "profile", "series", "sampler", "scheduler", "flaw")},
        **{name: _num(v.get(name), name.startswith("steps")) for name in ("steps_min", "steps_max", "cfg_min",
                                                                          "cfg_max")},
        "rating_min": RATING_CHOICES.get(v.get("rating") or ANY), "text": v.get("text"),
        "order": SORT_CHOICES.get(v.get("sort") or "", "newest"),
        "extension": _choice(v.get("extension")), "replay": REPLAY_CHOICES.get(v.get("replay") or ANY),
    }
    return ImageFilter.from_params({name: value for name, value in params.items() if value is not None})


def _image_id(value: Any) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def image_param(request: Any) -> str | None:
    """``image`` from the request's query string, else from its Referer (the page URL on gradio 3)."""
    params = getattr(request, "query_params", None)
    if hasattr(params, "get") and params.get("image"):
        return params.get("image")
    headers = getattr(request, "headers", None)
    if hasattr(headers, "get"):
        referer = headers.get("referer")
    elif hasattr(headers, "items"):  # gradio 3's queue hands a plain object with items()
        referer = dict(headers.items()).get("referer")
    else:
        referer = None
    if not isinstance(referer, str):
        return None
    return (parse_qs(urlparse(referer).query).get("image") or [None])[0]


def _reason(exc: BaseException) -> str:
    """The database's own words when the ledger passes them on (its error's cause), else the error's."""
    cause = exc.__cause__ if isinstance(exc, LedgerError) and exc.__cause__ is not None else exc
    return str(getattr(cause, "orig", None) or cause).splitlines()[0]


@dataclass
class LedgerActions:
    """The view's event handlers, bound to a ledger provider (the ledger may be reopened between calls)."""

    ledger_provider: Callable[[], Ledger]
    page_size: int = PAGE_SIZE

    # -- table --------------------------------------------------------------------------------

    def page(self, *values: Any) -> tuple[str, str, int, str]:
        """(table HTML, pager text, page number, message) for filter values followed by the page number."""
        *filters, page = values
        try:
            filt = replace(build_filter(filters), page=_num(page, True) or 1, page_size=self.page_size)
            result = image_page(self.ledger_provider(), filt)
        except FilterError as exc:
            return "", "", 1, status_html(str(exc), "error")
        except LedgerError as exc:
            return "", "", 1, status_html(f"Cannot read the ledger: {_reason(exc)}", "error")
        return render.table_html(result), render.pager_html(result), result.page, ""

    def apply(self, *filters: Any) -> tuple[str, str, int, str]:
        return self.page(*filters, 1)

    def previous(self, *values: Any) -> tuple[str, str, int, str]:
        *filters, page = values
        return self.page(*filters, max(1, (_num(page, True) or 1) - 1))

    def next(self, *values: Any) -> tuple[str, str, int, str]:
        *filters, page = values
        return self.page(*filters, (_num(page, True) or 1) + 1)

    def options(self, *current: Any) -> list[Any]:
        """Dropdown updates (choices from the ledger), keeping each dropdown's current value."""
        try:
            found = filter_options(self.ledger_provider())
        except LedgerError:
            found = {key: [] for key in OPTION_KEYS}
        updates = []
        for key, value in zip(OPTION_KEYS, current):
            choices = [ANY, *found.get(key, [])]
            if value and value not in choices:
                choices.append(value)
            updates.append(gradio_compat.update(choices=choices, value=value or ANY))
        return updates

    def refresh(self, *values: Any) -> list[Any]:
        """Options and the current page: what tab selection and the Refresh button run."""
        filters = list(values[: len(FILTER_FIELDS)])
        current = [filters[FILTER_FIELDS.index(name)] for name in ("model", "profile", "series", "sampler",
                                                                   "scheduler", "flaw")]
        return [*self.page(*values), *self.options(*current)]

    # -- detail -------------------------------------------------------------------------------

    def detail(self, selected: Any) -> tuple[str, str, str]:
        """(detail HTML, infotext, message) for the image id in the "Image id" box."""
        image_id = _image_id(selected)
        if image_id is None:
            return render.detail_html(None), "", ""
        try:
            detail = image_detail(self.ledger_provider(), image_id)
        except (LedgerError) as exc:
            return render.detail_html(None), "", status_html(f"Cannot read the ledger: {_reason(exc)}", "error")
        if detail is None:
            return render.detail_html(None), "", status_html(f"There is no image {image_id} in the ledger.", "error")
        return render.detail_html(detail), detail.get("infotext") or "", ""

    def open_from_page(self, page_image: Any, request: gr.Request) -> tuple[Any, str, str, str]:
        """Page load with ``?image=<id>`` (the charts link): select that image and show it.

        ``page_image`` comes from :data:`~paramlab.tab.image_links.OPEN_IMAGE_JS` (the browser's own URL):
        with gradio 3's queue the request is the websocket's and carries no page URL. The request is the
        fallback, for its query string or its Referer header."""
        image_id = _image_id(page_image) or _image_id(image_param(request))
        if image_id is None:
            return gradio_compat.update(), *self.detail(None)
        return str(image_id), *self.detail(image_id)

    # -- actions ------------------------------------------------------------------------------

    def rate(self, rating: int | None, selected: Any, *values: Any) -> list[Any]:
        """[detail HTML, message] after setting (or clearing) the rating, then the table page again
        (``values`` are the filters and the page number) so its ★ column shows the new rating at once."""
        image_id = _image_id(selected)
        unchanged = [gradio_compat.update()] * 4 if values else []
        if image_id is None:
            return [gradio_compat.update(), status_html("Select an image first.", "error"), *unchanged]
        try:
            if not self.ledger_provider().set_rating(image_id, rating):
                return [gradio_compat.update(), status_html(f"There is no image {image_id} in the ledger.", "error"),
                        *unchanged]
        except (LedgerError) as exc:
            return [gradio_compat.update(), status_html(f"The rating was not saved: {_reason(exc)}", "error"),
                    *unchanged]
        html_text, _, _ = self.detail(image_id)
        done = f"Rated image {image_id}: {rating}." if rating else f"Cleared the rating of image {image_id}."
        return [html_text, status_html(done, "note"), *(self.page(*values) if values else [])]

    def show_seed(self, selected: Any) -> tuple[str, str]:
        """(seed text, message): the seed to copy, or to make a series from (the WebUI also locks it)."""
        detail = self._row(selected)
        if isinstance(detail, str):
            return "", detail
        if detail.get("seed") is None:
            return "", status_html("This image has no recorded seed.", "error")
        seed = str(detail["seed"])
        return seed, status_html(f"Seed {seed}: copy it, or create a series from this image below.", "note")

    def create_series(self, selected: Any, name: Any) -> str:
        detail = self._row(selected)
        if isinstance(detail, str):
            return detail
        try:
            store = SeriesStore(self.ledger_provider())
            series = store.create(store.from_image_row(detail, name if isinstance(name, str) else ""))
        except SeriesError as exc:
            return status_html(str(exc), "error")
        except LedgerError as exc:
            return status_html(str(exc), "error")
        return status_html(f"Created series '{series.name}' with seed {series.seed}.", "note")

    def delete(self, selected: Any, delete_file: bool, confirm: bool, *values: Any) -> list[Any]:
        """Delete the selected row (and its files when asked); refuses without the confirm tick."""
        image_id = _image_id(selected)
        unchanged = [gradio_compat.update()] * 4
        if image_id is None:
            return [status_html("Select an image first.", "error"), False, gradio_compat.update(), *unchanged]
        if not confirm:
            return [status_html("Tick “I confirm” to delete; nothing was deleted.", "error"), False,
                    gradio_compat.update(), *unchanged]
        try:
            report = delete_images(self.ledger_provider(), [image_id], delete_files=bool(delete_file), confirm=True)
        except (LedgerError) as exc:
            return [status_html(f"Nothing was deleted: {_reason(exc)}", "error"), False,
                    gradio_compat.update(), *unchanged]
        if not report.rows_deleted:
            return [status_html(f"There is no image {image_id} in the ledger.", "error"), False, "", *unchanged]
        parts = [f"Deleted image {image_id} from the ledger"]
        if report.runs_deleted:
            parts.append("and its run, which had no other image")
        message = " ".join(parts) + "."
        if report.files_deleted:
            message += f" Deleted {len(report.files_deleted)} file(s)."
        if report.files_kept:
            message += f" Kept {len(report.files_kept)} file(s) another row still records."
        if report.files_failed:
            message += " Could not delete: " + "; ".join(f"{p} ({why})" for p, why in report.files_failed) + "."
        if not delete_file:
            message += " The image file was left on disk."
        return [status_html(message, "note"), False, "", *self.page(*values)]

    def export(self, fmt: Any, *filters: Any) -> tuple[Any, str]:
        """(file for download, message): the filtered rows as CSV or JSON."""
        fmt = fmt if fmt in EXPORT_CHOICES else "csv"
        try:
            filt = build_filter(filters)
            folder = Path(tempfile.mkdtemp(prefix="paramlab-export-"))
            path = folder / f"paramlab-ledger-{datetime.now().strftime('%Y%m%d-%H%M%S')}.{fmt}"
            with path.open("w", encoding="utf-8", newline="") as handle:
                count = export_filtered(self.ledger_provider(), filt, fmt, handle)
        except FilterError as exc:
            return None, status_html(str(exc), "error")
        except (LedgerError, OSError) as exc:
            return None, status_html(f"The export failed: {_reason(exc)}", "error")
        return str(path), status_html(f"Exported {count:,} row(s) as {fmt.upper()}.", "note")

    def _row(self, selected: Any) -> dict[str, Any] | str:
        image_id = _image_id(selected)
        if image_id is None:
            return status_html("Select an image first.", "error")
        try:
            detail = image_detail(self.ledger_provider(), image_id)
        except (LedgerError) as exc:
            return status_html(f"Cannot read the ledger: {_reason(exc)}", "error")
        return detail if detail is not None else status_html(f"There is no image {image_id} in the ledger.", "error")
