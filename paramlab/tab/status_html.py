"""The short status line ParamLab's pages show (a result, a refusal, a note), written one way.

The text is always escaped: it may quote a user's profile name, notes, a file name or an error.
The tone is a CSS class (``paramlab-<tone>``) that the page's style colours.
"""

from __future__ import annotations

import html
from typing import Literal

Tone = Literal["ok", "error", "warning", "muted", "note", "recommendation"]


def status_html(text: str, tone: Tone = "ok", *, marker: str | None = None) -> str:
    """``text`` as one paragraph of the given tone; ``marker``: one more class, for a test or a script to
    find it by."""
    classes = f"paramlab-{tone} {marker}" if marker else f"paramlab-{tone}"
    return f"<p class='{classes}'>{html.escape(text)}</p>"
