"""Reading the versioned JSON files ParamLab shares (profiles, series): one set of checks and messages."""

from __future__ import annotations

import json
from typing import Any

MAX_FILE_BYTES = 5 * 1024 * 1024


def read_document(text: str | bytes, *, file_format: str, version: int, list_key: str, what: str,
                  max_bytes: int = MAX_FILE_BYTES) -> tuple[list[Any] | None, str | None]:
    """(the entries under ``list_key``, None) or (None, what is wrong with the file as a whole).

    ``what`` names the kind of file in messages, e.g. "profiles" → "this is not a ParamLab profiles file".
    """
    size = len(text) if isinstance(text, bytes) else len(text.encode("utf-8", errors="replace"))
    if size > max_bytes:
        return None, f"the file is {size / 1024 / 1024:.1f} MB; the limit is {max_bytes // 1024 // 1024} MB."
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            return None, f"the file is not UTF-8 text ({exc.reason} at byte {exc.start})."
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, f"the file is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})."
    except RecursionError:
        return None, "the file is not valid JSON (nested too deeply)."
    if not isinstance(document, dict) or document.get("format") != file_format:
        return None, f"this is not a ParamLab {what} file (expected \"format\": \"{file_format}\")."
    found = document.get("version")
    if found != version or isinstance(found, bool):
        return None, f"the file has format version {found!r}; this ParamLab reads version {version}."
    entries = document.get(list_key)
    if not isinstance(entries, list):
        return None, f"the file has no \"{list_key}\" list."
    return entries, None
