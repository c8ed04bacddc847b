"""A series' name rule and its error, on their own so the seed lock (which may name a series) and the
series store both use them without importing each other."""

from __future__ import annotations

from typing import Any

from paramlab.profiles.names import validate_name


class SeriesError(ValueError):
    """A series or one of its fields is not acceptable; the message names the field and what is allowed."""


def validate_series_name(name: Any) -> str:
    """A series name, stripped: the same rules as profile names."""
    return validate_name(name, kind="series", error_type=SeriesError)
