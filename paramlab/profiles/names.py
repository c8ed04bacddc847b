"""What a name may be (of a profile, or of a series), what a free-text field may hold, and the errors a
profile raises.

Its own module because profiles, their settings, character series and the seed lock all check names and
text the same way, and none of them should need the others to do it.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from paramlab.documents import NAME_MAX

LIST_CAP = 30  # valid names shown in one error message


class ProfileError(ValueError):
    """A profile or one of its settings is not acceptable; the message names the field and what is allowed."""


class ProfileNotFound(ProfileError):
    """No profile has that name."""


def list_names(names: list[str] | tuple[str, ...], cap: int = LIST_CAP) -> str:
    """``a, b, c`` for an error message, cut after ``cap`` names so a message stays readable."""
    if not names:
        return "(none)"
    shown = ", ".join(names[:cap])
    return shown + (f", … ({len(names) - cap} more)" if len(names) > cap else "")


_BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def has_control_characters(text: str) -> bool:
    """Whether ``text`` holds a line break, another control character or a bidi override."""
    return any(unicodedata.category(ch) in ("Cc", "Zl", "Zp") or ch in _BIDI_CONTROLS for ch in text)


def validate_name(name: Any, kind: str = "profile", error_type: type[ValueError] = ProfileError) -> str:
    """A name (of a profile, or a series with ``kind="series"``), stripped: 1–100 characters, no control
    characters, no HTML brackets."""
    label = kind.capitalize()
    if name is None:
        raise error_type(f"{label} name is missing; give the {kind} a name of 1–{NAME_MAX} characters.")
    if not isinstance(name, str):
        raise error_type(f"{label} name must be text, got {type(name).__name__}.")
    name = name.strip()
    if not name:
        raise error_type(f"{label} name is empty; give the {kind} a name of 1–{NAME_MAX} characters.")
    if len(name) > NAME_MAX:
        raise error_type(f"{label} name is {len(name):,} characters long; the limit is {NAME_MAX}.")
    if has_control_characters(name):
        raise error_type(f"{label} name contains a control character (such as a line break); use plain text.")
    if "<" in name or ">" in name:
        raise error_type(f"{label} name {name!r} contains '<' or '>'; HTML is not allowed in names.")
    return name


def optional_name(value: Any, kind: str, error_type: type[ValueError], field: str, *,
                  blank_is_none: bool = False) -> str | None:
    """A record's reference to a profile or series by name (a series' profile, a seed lock's series): None
    (or, with ``blank_is_none``, empty text) means none; a bad name is ``error_type("<field>: <why>")``."""
    if value is None or (blank_is_none and isinstance(value, str) and not value.strip()):
        return None
    try:
        return validate_name(value, kind=kind)
    except ProfileError as exc:
        raise error_type(f"{field}: {exc}") from None


def check_text(value: Any, field: str, limit: int, error_type: type[ValueError]) -> str:
    """A free-text field (a description, notes), stripped; None is empty. ``field`` starts the messages
    ("Profile description", "Series notes")."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise error_type(f"{field} must be text, got {type(value).__name__}.")
    value = value.strip()
    if len(value) > limit:
        raise error_type(f"{field} is {len(value):,} characters long; the limit is {limit:,}.")
    if "\x00" in value:
        raise error_type(f"{field} contains a NUL character.")
    return value
