"""The profiles file: versioned JSON to share profiles, and an all-or-nothing import.

::

    {"format": "paramlab-profiles", "version": 1, "exported_at": "2026-…",
     "profiles": [{"name": …, "description": …, "model_scope": …, "settings": {…}}]}

Import checks every entry before it writes anything; one problem anywhere means nothing is written
and the report says, entry by entry, what was wrong.
"""

from __future__ import annotations

from typing import Any

from paramlab.documents import (
    CONFLICT_CHOICES,
    DocumentFile,
    ImportEntry,
    ImportReport,
    Planned,
    entry_shape_problem,
)
from paramlab.profiles.model import (
    HostCatalog,
    Profile,
    ProfileError,
    normalise_settings,
    normalise_settings_keep_unknown,
)
from paramlab.profiles.starters import STARTERS_BY_KEY
from paramlab.profiles.store import ProfileStore

FILE_FORMAT = "paramlab-profiles"
FILE_VERSION = 1
ENTRY_FIELDS = ("name", "description", "model_scope", "settings")
PROFILES_FILE = DocumentFile(FILE_FORMAT, FILE_VERSION, "profiles", "profile", "profiles", ProfileError)

__all__ = ["CONFLICT_CHOICES", "ENTRY_FIELDS", "FILE_FORMAT", "FILE_VERSION", "PROFILES_FILE", "ImportEntry",
           "ImportReport", "export_profiles", "import_profiles"]


def _entry_json(profile: Profile) -> dict[str, Any]:
    return {
        "name": profile.name, "description": profile.description,
        "model_scope": profile.model_scope, "settings": dict(profile.settings),
    }


def export_profiles(profiles: list[Profile]) -> str:
    """The file's text (pretty JSON). Starters export as ordinary profiles."""
    return PROFILES_FILE.export([_entry_json(profile) for profile in profiles])


def _check_entry(raw: Any, catalog: HostCatalog | None, keep_unknown: bool) -> Planned:
    shown, problem = entry_shape_problem(raw, ENTRY_FIELDS)
    if problem:
        return Planned(ImportEntry(shown, "rejected", problem))
    try:
        profile = Profile(
            name=raw.get("name"), description=raw.get("description"),
            model_scope=raw.get("model_scope"), settings=raw["settings"] if raw.get("settings") is not None else {},
        )
        reason = None
        if keep_unknown:
            settings, problems = normalise_settings_keep_unknown(profile.settings, catalog)
            reason = "; ".join(problems) or None
        else:
            settings = normalise_settings(profile.settings, catalog)
    except ProfileError as exc:
        return Planned(ImportEntry(shown, "rejected", str(exc)))
    profile = profile.copy(update={"settings": settings, "unusable_reason": reason})
    detail = f"kept but unusable here: {reason}" if reason else ""
    return Planned(ImportEntry(profile.name, "created", detail), profile)


def _starter_refusal(profile: Profile) -> str | None:
    if profile.key not in STARTERS_BY_KEY:
        return None
    return f"'{profile.name}' is a starter profile and cannot be replaced; choose rename or skip"


def import_profiles(
    store: ProfileStore,
    text: str | bytes,
    *,
    on_conflict: str | None = None,
    keep_unknown: bool = False,
    catalog: HostCatalog | None = None,
) -> ImportReport:
    """Check every entry, then write them all in one transaction, or write nothing and say why.

    ``on_conflict`` decides what happens to a name that already exists: ``skip``, ``rename`` (to
    "Name (2)" …) or ``replace`` (never a starter); None rejects such entries. ``keep_unknown`` keeps
    entries naming a sampler/upscaler/model this WebUI lacks, marked unusable here.
    """
    return PROFILES_FILE.import_all(
        text, lambda raw: _check_entry(raw, catalog, keep_unknown),
        lambda: {profile.key: profile.name for profile in store.list()}, store.write_import,
        on_conflict=on_conflict, cannot_replace=_starter_refusal,
    )
