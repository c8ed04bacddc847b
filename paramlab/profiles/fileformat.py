"""The profiles file: versioned JSON to share profiles, and an all-or-nothing import.

::

    {"format": "paramlab-profiles", "version": 1, "exported_at": "2026-…",
     "profiles": [{"name": …, "description": …, "model_scope": …, "settings": {…}}]}

Import checks every entry before it writes anything; one problem anywhere means nothing is written
and the report says, entry by entry, what was wrong.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, ClassVar

from paramlab.documents import MAX_FILE_BYTES, read_document
from paramlab.ledger.records import utc_now
from paramlab.profiles.model import (
    HostCatalog,
    Profile,
    ProfileError,
    name_key,
    normalise_settings,
    normalise_settings_keep_unknown,
)
from paramlab.profiles.starters import STARTERS_BY_KEY
from paramlab.profiles.store import ProfileStore

FILE_FORMAT = "paramlab-profiles"
FILE_VERSION = 1

ENTRY_FIELDS = ("name", "description", "model_scope", "settings")
CONFLICT_CHOICES = ("skip", "rename", "replace")
ACTIONS = ("created", "replaced", "renamed", "skipped", "rejected")


@dataclass
class ImportEntry:
    """What happened (or would have happened) to one profile in the file."""

    name: str
    action: str
    detail: str = ""


@dataclass
class ImportReport:
    """``ok`` is True only when the whole file was written. ``error`` is a problem with the file as a whole."""

    ok: bool
    entries: list[ImportEntry] = field(default_factory=list)
    error: str | None = None
    nouns: ClassVar[tuple[str, str]] = ("profile", "profiles")  # what the file holds: one, many

    def summary(self) -> str:
        lines = []
        if self.ok:
            lines.append(imported_line(self.entries, *self.nouns))
        else:
            lines.append(f"Nothing was imported: {self.error or 'some entries have problems'}")
        lines += [f"- {e.name or '(no name)'}: {e.action}{' (' + e.detail + ')' if e.detail else ''}"
                  for e in self.entries]
        return "\n".join(lines)


def imported_line(entries: list[ImportEntry], one: str, many: str) -> str:
    """The report's first line: what was written, and apart from it what was skipped (never "imported").

    ``one``/``many`` name the things, e.g. "profile"/"profiles" or "series"/"series"."""
    written = [entry for entry in entries if entry.action != "skipped"]
    counts = {action: sum(entry.action == action for entry in written) for action in ACTIONS}
    done = ", ".join(f"{count} {action}" for action, count in counts.items() if count)
    line = f"Imported {len(written)} {one if len(written) == 1 else many}" + (f" ({done})" if done else "")
    skipped = len(entries) - len(written)
    if skipped:
        line += f"; skipped {skipped}: a {one} with {'that name' if skipped == 1 else 'those names'} already exists"
    return line + "."


def _entry_json(profile: Profile) -> dict[str, Any]:
    return {
        "name": profile.name, "description": profile.description,
        "model_scope": profile.model_scope, "settings": dict(profile.settings),
    }


def export_profiles(profiles: list[Profile]) -> str:
    """The file's text (pretty JSON). Starters export as ordinary profiles."""
    document = {
        "format": FILE_FORMAT, "version": FILE_VERSION, "exported_at": utc_now().isoformat(timespec="seconds"),
        "profiles": [_entry_json(profile) for profile in profiles],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def _failed(error: str) -> ImportReport:
    return ImportReport(ok=False, error=error)


def _read_document(text: str | bytes) -> tuple[list[Any] | None, str | None]:
    """(the profile entries, None) or (None, what is wrong with the file)."""
    return read_document(text, file_format=FILE_FORMAT, version=FILE_VERSION, list_key="profiles", what="profiles",
                         max_bytes=MAX_FILE_BYTES)


@dataclass
class _Planned:
    """One entry after checking: the profile to write and what will happen to it."""

    entry: ImportEntry
    profile: Profile | None = None


def _check_entry(raw: Any, catalog: HostCatalog | None, keep_unknown: bool) -> _Planned:
    shown = raw.get("name") if isinstance(raw, dict) and isinstance(raw.get("name"), str) else ""
    shown = shown.strip()[:100]

    def rejected(reason: str) -> _Planned:
        return _Planned(ImportEntry(shown, "rejected", reason))

    if not isinstance(raw, dict):
        return rejected(f"an entry must be an object with {', '.join(ENTRY_FIELDS)}")
    extra = sorted(str(key) for key in raw if key not in ENTRY_FIELDS)
    if extra:
        return rejected(f"unknown field(s) {', '.join(extra)}; valid fields: {', '.join(ENTRY_FIELDS)}")
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
        return rejected(str(exc))
    profile = profile.copy(update={"settings": settings, "unusable_reason": reason})
    detail = f"kept but unusable here: {reason}" if reason else ""
    return _Planned(ImportEntry(profile.name, "created", detail), profile)


def _free_name(name: str, taken: set[str]) -> str:
    """``Name (2)``, ``Name (3)`` … — the first not taken, cut to fit the 100-character limit."""
    number = 2
    while True:
        suffix = f" ({number})"
        candidate = name[: 100 - len(suffix)].rstrip() + suffix
        if name_key(candidate) not in taken:
            return candidate
        number += 1


def _resolve_conflicts(planned: list[_Planned], store: ProfileStore, on_conflict: str | None) -> None:
    """Decide create / replace / rename / skip for names that already exist (or reject them)."""
    existing = {profile.key for profile in store.list()}
    taken = existing | {p.profile.key for p in planned if p.profile is not None}
    for item in planned:
        if item.profile is None or item.profile.key not in existing:
            continue
        name = item.profile.name
        if on_conflict is None:
            item.entry.action = "rejected"
            item.entry.detail = f"a profile named '{name}' already exists; choose skip, rename or replace"
        elif on_conflict == "skip":
            item.entry.action, item.entry.detail = "skipped", "a profile with this name already exists"
        elif on_conflict == "replace" and item.profile.key in STARTERS_BY_KEY:
            item.entry.action = "rejected"
            item.entry.detail = f"'{name}' is a starter profile and cannot be replaced; choose rename or skip"
        elif on_conflict == "replace":
            item.entry.action = "replaced"
        else:
            new_name = _free_name(name, taken)
            taken.add(name_key(new_name))
            item.profile = item.profile.copy(update={"name": new_name})
            item.entry.action = "renamed"
            item.entry.detail = "; ".join(filter(None, [f"imported as '{new_name}'", item.entry.detail]))


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
    if on_conflict not in (None, *CONFLICT_CHOICES):
        raise ProfileError(f"on_conflict must be one of {', '.join(CONFLICT_CHOICES)} (or None), got {on_conflict!r}.")
    entries, problem = _read_document(text)
    if entries is None:
        return _failed(problem or "the file cannot be read.")
    if not entries:
        return _failed("the file holds no profiles.")

    planned = [_check_entry(raw, catalog, keep_unknown) for raw in entries]
    seen: dict[str, _Planned] = {}
    for item in planned:
        if item.profile is None:
            continue
        first = seen.setdefault(item.profile.key, item)
        if first is not item:
            for duplicate in (first, item):
                duplicate.entry.action = "rejected"
                duplicate.entry.detail = f"the name '{item.profile.name}' appears more than once in this file"
    _resolve_conflicts([p for p in planned if p.entry.action != "rejected"], store, on_conflict)

    report = ImportReport(ok=True, entries=[item.entry for item in planned])
    if any(entry.action == "rejected" for entry in report.entries):
        report.ok = False
        report.error = "some entries have problems (see below); fix them or choose how to resolve name conflicts."
        return report
    created = [p.profile for p in planned if p.entry.action in ("created", "renamed") and p.profile is not None]
    replacing = [p.profile for p in planned if p.entry.action == "replaced" and p.profile is not None]
    try:
        store.write_import(created, replacing)
    except ProfileError as exc:
        report.ok, report.error = False, str(exc)
        for entry in report.entries:
            if entry.action != "skipped":
                entry.action, entry.detail = "rejected", "not written: the import failed as a whole"
    return report
