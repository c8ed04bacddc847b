"""CSV cells a spreadsheet opens as text, never as a formula (every CSV ParamLab writes uses these).

A prompt (typed, imported from a PNG, or written by any WebUI sharing the ledger) that starts with
``=``, ``+``, ``-`` or ``@`` becomes a live formula when the export is opened in Excel, LibreOffice or
Google Sheets (``=HYPERLINK(…)`` sends data away). OWASP's rule for CSV injection: a text cell that
begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading single quote, which the
spreadsheet shows as text. Numbers are left alone: an int or float cell, and a text cell that is a plain
negative decimal number such as ``-1.5`` (a spreadsheet reads it as that number and computes nothing).

A NUL character is replaced by U+FFFD: Python 3.10's ``csv`` module (A1111's Python) cannot write it
without an escape character, and spreadsheets cut the cell there anyway.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NEGATIVE_NUMBER = re.compile(r"-(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")


def safe_cell(value: Any) -> Any:
    """``value`` as a CSV cell that cannot run as a formula; non-text values are returned unchanged."""
    if not isinstance(value, str):
        return value
    text = value.replace("\x00", "\ufffd")
    if text.startswith(FORMULA_STARTS) and not _PLAIN_NEGATIVE_NUMBER.fullmatch(text):
        return "'" + text
    return text


def safe_row(values: Iterable[Any]) -> list[Any]:
    """A row for ``csv.writer.writerow`` with every cell made safe (see :func:`safe_cell`)."""
    return [safe_cell(value) for value in values]


__all__ = ["FORMULA_STARTS", "safe_cell", "safe_row"]
