"""The ParamLab page outside the WebUI (``python -m paramlab serve``): the ledger's newest images.

The view is built by :func:`build_ledger_view` into whatever Blocks is open, so the WebUI tab embeds
the very same view; :func:`recent_rows_frame` is the table the tab reuses. Every string that came
from a user (prompts, model names, paths) is shown as text: table cells use datatype ``str`` and the
summary HTML escapes everything it did not write itself.
"""

from __future__ import annotations

import html
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd
import sqlalchemy as sa
from PIL import Image

from paramlab.ledger import Ledger
from paramlab.webui import gr_compat

RECENT_LIMIT = 100
GALLERY_LIMIT = 12
PROMPT_MAX_CHARS = 200
THUMBNAIL_SIZE = (320, 320)
MISSING = ""
NO_HIRES = "—"
EMPTY_HINT_TEXT = "No generations recorded yet — generate in the WebUI with ParamLab installed, or run"
EMPTY_HINT_COMMAND = "python -m paramlab import <outputs folder>"

# Time and numbers stay on one line; text columns wrap. The WebUI tab needs this CSS too.
VIEW_CSS = """
#paramlab-recent-table td:is(:nth-child(1), :nth-child(7), :nth-child(8), :nth-child(9), :nth-child(10),
  :nth-child(12)) span { white-space: nowrap; }
#paramlab-ledger-summary code { font-size: 0.9em; word-break: break-all; }
#paramlab-ledger-summary .paramlab-hint { margin-top: 0.5em; font-weight: 600; }
#paramlab-ledger-summary .paramlab-error { color: var(--error-text-color, #b91c1c); }
"""

Row = Mapping[str, Any]


# -- cell formatting ------------------------------------------------------------------------------


def _text(value: Any) -> str:
    return MISSING if value is None else str(value)


def _number(value: float | int | None) -> str:
    """7.0 → "7", 7.5 → "7.5": settings read as typed, not as floats."""
    return MISSING if value is None else f"{value:g}"


def format_local_time(value: datetime | None) -> str:
    """Local wall-clock time. SQLite hands back naive datetimes; the ledger writes them in UTC."""
    if value is None:
        return MISSING
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def format_size(width: int | None, height: int | None) -> str:
    if width is None or height is None:
        return MISSING
    return f"{width}×{height}"


def format_hires(row: Row) -> str:
    """E.g. "1.5× R-ESRGAN 4x+, 15 steps"; "—" when the hires pass was off."""
    if not row.get("hires_enabled"):
        return NO_HIRES
    if row.get("hires_scale"):
        target = f"{row['hires_scale']:g}×"
    elif row.get("hires_resize_x") and row.get("hires_resize_y"):
        target = f"to {row['hires_resize_x']}×{row['hires_resize_y']}"
    else:
        target = "on"
    parts = [" ".join(part for part in (target, row.get("hires_upscaler")) if part)]
    if row.get("hires_steps"):
        parts.append(f"{row['hires_steps']} steps")
    return ", ".join(parts)


def format_seconds(value: float | None) -> str:
    return MISSING if value is None else f"{value:.2f}"


def truncate_text(value: str | None, limit: int = PROMPT_MAX_CHARS) -> str:
    """One line of at most ``limit`` characters (an ellipsis marks the cut)."""
    if not value:
        return MISSING
    flat = " ".join(value.splitlines())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


COLUMNS: tuple[tuple[str, Callable[[Row], str]], ...] = (
    ("time", lambda row: format_local_time(row.get("created_at"))),
    ("tab", lambda row: _text(row.get("tab"))),
    ("source", lambda row: _text(row.get("source"))),
    ("model", lambda row: _text(row.get("model_name"))),
    ("sampler", lambda row: _text(row.get("sampler"))),
    ("schedule type", lambda row: _text(row.get("scheduler"))),
    ("steps", lambda row: _text(row.get("steps"))),
    ("CFG", lambda row: _number(row.get("cfg_scale"))),
    ("size", lambda row: format_size(row.get("width"), row.get("height"))),
    ("seed", lambda row: _text(row.get("seed"))),
    ("hires", format_hires),
    ("seconds", lambda row: format_seconds(row.get("cost_seconds"))),
    ("model evaluations", lambda row: _text(row.get("model_evaluations"))),
    ("prompt", lambda row: truncate_text(row.get("prompt"))),
)
COLUMN_HEADERS: list[str] = [header for header, _ in COLUMNS]


def rows_frame(rows: Sequence[Row]) -> pd.DataFrame:
    """Ledger rows (``Ledger.image_query`` shape) as display strings, one column per header."""
    data = [[render(row) for _, render in COLUMNS] for row in rows]
    return pd.DataFrame(data, columns=COLUMN_HEADERS, dtype=object)


def recent_rows_frame(ledger: Ledger, limit: int = RECENT_LIMIT) -> pd.DataFrame:
    """The newest ``limit`` image rows, newest first, as display strings."""
    return rows_frame(ledger.recent_images(limit=limit))


# -- gallery --------------------------------------------------------------------------------------


def load_thumbnail(path_text: str | None) -> Image.Image | None:
    """A small copy of an image file the ledger recorded; None when it is gone or unreadable."""
    if not path_text:
        return None
    path = Path(path_text)
    if not path.is_file():
        return None
    try:
        with Image.open(path) as image:
            image.thumbnail(THUMBNAIL_SIZE)
            return image.convert("RGBA" if "A" in image.getbands() else "RGB")
    except (OSError, ValueError, Image.DecompressionBombError):
        return None


def _seed_label(seed: int | None) -> str:
    return MISSING if seed is None else f"seed {seed}"


def gallery_items(rows: Sequence[Row], limit: int = GALLERY_LIMIT) -> list[tuple[Image.Image, str]]:
    """Thumbnails of the newest rows whose files still exist, captioned with model and seed."""
    items: list[tuple[Image.Image, str]] = []
    for row in rows:
        if len(items) >= limit:
            break
        image = load_thumbnail(row.get("thumbnail_path")) or load_thumbnail(row.get("image_path"))
        if image is None:
            continue
        seed = row.get("seed")
        caption = " · ".join(part for part in (_text(row.get("model_name")), _seed_label(seed)) if part)
        items.append((image, caption))
    return items


# -- summary --------------------------------------------------------------------------------------


def summary_html(
    location: str, counts: Mapping[str, int] | None, shown: int, error: str | None = None
) -> str:
    """The ledger line above the table. Only this function writes markup; every value is escaped."""
    parts = [f"<div>Ledger: <code>{html.escape(location)}</code></div>"]
    if error is not None:
        parts.append(f'<div class="paramlab-error">Cannot read the ledger: {html.escape(error)}</div>')
    elif counts is not None:
        runs, images = counts.get("runs", 0), counts.get("images", 0)
        line = f"{runs} run{'s' if runs != 1 else ''}, {images} image{'s' if images != 1 else ''}"
        if images:
            line += f" — showing the newest {shown}"
        parts.append(f"<div>{html.escape(line)}</div>")
        if not images:
            parts.append(
                f'<div class="paramlab-hint">{html.escape(EMPTY_HINT_TEXT)} '
                f"<code>{html.escape(EMPTY_HINT_COMMAND)}</code></div>"
            )
    return "\n".join(parts)


# -- the view -------------------------------------------------------------------------------------


@dataclass
class LedgerView:
    """The components of one ledger view and the function that fills them (for load/refresh events)."""

    summary: gr.HTML
    refresh_button: gr.Button
    table: gr.Dataframe
    gallery: gr.Gallery
    refresh: Callable[[], tuple[str, pd.DataFrame, Any]]

    @property
    def outputs(self) -> list[Any]:
        return [self.summary, self.table, self.gallery]


def make_refresh(ledger: Ledger, limit: int = RECENT_LIMIT) -> Callable[[], tuple[str, pd.DataFrame, Any]]:
    """The handler behind Refresh and page load: summary, table and gallery from one read."""

    def refresh() -> tuple[str, pd.DataFrame, Any]:
        location = ledger.describe()
        try:
            counts = ledger.counts()
            rows = ledger.recent_images(limit=limit)
        except sa.exc.SQLAlchemyError as exc:
            # A PostgreSQL ledger can be down; say so on the page instead of a red gradio error.
            reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
            hidden_gallery = gr_compat.update(value=[], visible=False)
            return summary_html(location, None, 0, error=reason), rows_frame([]), hidden_gallery
        items = gallery_items(rows)
        summary = summary_html(location, counts, len(rows))
        return summary, rows_frame(rows), gr_compat.update(value=items, visible=bool(items))

    return refresh


def build_ledger_view(ledger: Ledger, limit: int = RECENT_LIMIT) -> LedgerView:
    """Build the view into the open Blocks context and wire its Refresh button.

    The caller decides when else to refresh (``demo.load`` here, tab selection in the WebUI).
    """
    refresh = make_refresh(ledger, limit)
    with gr.Row():
        summary = gr.HTML(summary_html(ledger.describe(), None, 0), elem_id="paramlab-ledger-summary")
        refresh_button = gr.Button("Refresh", elem_id="paramlab-ledger-refresh", scale=0, min_width=120)
    table = gr_compat.text_table(
        COLUMN_HEADERS, label=f"Newest {limit} images", elem_id="paramlab-recent-table", height=560
    )
    gallery = gr.Gallery(
        label=f"Newest {GALLERY_LIMIT} images with files",
        columns=8,
        height=400,
        object_fit="contain",
        show_download_button=False,
        visible=False,
        elem_id="paramlab-recent-gallery",
    )
    view = LedgerView(summary, refresh_button, table, gallery, refresh)
    refresh_button.click(refresh, inputs=None, outputs=view.outputs)
    return view


def build_page(ledger: Ledger) -> gr.Blocks:
    """The standalone page: a title and the ledger view, filled on every page load."""
    with gr.Blocks(
        title="ParamLab", analytics_enabled=False, theme=gr_compat.offline_theme(), css=VIEW_CSS
    ) as demo:
        gr.Markdown("# ParamLab")
        view = build_ledger_view(ledger)
        demo.load(view.refresh, inputs=None, outputs=view.outputs)
    return demo


def page_url(host: str, port: int) -> str:
    shown_host = f"[{host}]" if ":" in host else host
    return f"http://{shown_host}:{port}/"


def serve(ledger: Ledger, host: str = "127.0.0.1", port: int = 7870) -> None:
    """Serve the page until Ctrl-C. Local only: no share link, no analytics, no outside fonts."""
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    demo = build_page(ledger)
    print(f"ParamLab: ledger {ledger.describe()}", flush=True)
    print(f"ParamLab: open {page_url(host, port)} (Ctrl-C stops the server)", flush=True)
    try:
        demo.launch(
            server_name=host, server_port=port, share=False, inbrowser=False, show_api=False, quiet=True
        )
    except OSError as exc:
        raise SystemExit(
            f"ParamLab: cannot listen on {host}:{port}. Another program may be using that port (choose "
            "another with --port), or that address does not belong to this machine (--host)."
        ) from exc
