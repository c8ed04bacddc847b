"""Stand-in for ``modules/paths.py`` (re-exports paths_internal lazily so reset_host changes are seen)."""

from __future__ import annotations

from modules import paths_internal

script_path = paths_internal.script_path


def __getattr__(name: str) -> str:
    """Forward data_path/models_path/... to paths_internal, which reset_host() updates."""
    return getattr(paths_internal, name)
