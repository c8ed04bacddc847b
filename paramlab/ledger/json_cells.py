"""Reading the JSON the ledger keeps in text columns (``runs.settings``, ``jobs.script_args``,
``images.flaws``, …): a cell written by an older version or another WebUI may be empty or not JSON at all,
and a view must then show what it can rather than fail."""

from __future__ import annotations

import json
from typing import Any


def json_cell(text: Any, otherwise: Any = None) -> Any:
    """The value a JSON text cell holds; ``otherwise`` when the cell is empty, not text, or not JSON."""
    if not isinstance(text, str) or not text:
        return otherwise
    try:
        return json.loads(text)
    except ValueError:
        return otherwise


def json_object_cell(text: Any) -> dict[str, Any]:
    """A JSON object cell (or an already-read dict) as a dict; ``{}`` for anything else."""
    value = text if isinstance(text, dict) else json_cell(text)
    return value if isinstance(value, dict) else {}


__all__ = ["json_cell", "json_object_cell"]
