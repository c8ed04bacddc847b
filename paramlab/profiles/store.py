"""Profiles in the ledger database (``profiles`` table), with the starters from code in front.

Every write is one transaction, so a failed write changes nothing. Starters are never stored: they
cannot be updated, deleted or shadowed by a stored profile of the same name, only duplicated.

In a shared ledger the stored profiles are the studio's style guide: every change is kept in
``profile_versions`` with who made it (:mod:`paramlab.ledger.actor`) and when; approved profiles are
listed first; a locked profile is changed (or approved, unlocked, deleted) only by someone allowed to
(the command line, or a WebUI user listed in Settings → ParamLab).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from paramlab.documents import LedgerStore
from paramlab.ledger import actor
from paramlab.ledger.edits.profiles import ProfileEdits
from paramlab.ledger.reads import profiles as reads
from paramlab.ledger.records import as_utc, utc_now
from paramlab.profiles.model import (
    HostCatalog,
    Profile,
    ProfileError,
    ProfileNotFound,
    list_names,
    name_key,
    normalise_settings,
    scope_matches,
)
from paramlab.profiles.starters import STARTER_PROFILES, STARTERS_BY_KEY

log = logging.getLogger("paramlab")


class ProfileStorageError(ProfileError):
    """The database refused the write (locked, read-only, gone); nothing was changed."""


class ProfileLocked(ProfileError):
    """The profile is locked by the style guide and the person acting may not change it."""


def _locked_refusal(name: str, what: str) -> ProfileLocked:
    return ProfileLocked(
        f"'{name}' is locked in the studio's style guide, so you cannot {what} it here. Use "
        f"`python -m paramlab profiles unlock \"{name}\"` (or edit it from the command line), or ask for your "
        "login to be listed in Settings → ParamLab → \"Users who may change locked profiles\"."
    )


def _starter_refusal(name: str) -> ProfileError:
    return ProfileError(f"'{name}' is a starter profile; duplicate it to change it.")


class ProfileStore(LedgerStore[ProfileEdits]):
    """Create, read, update and delete profiles; the panel and the import go through here."""

    storage_error = ProfileStorageError
    edits_type = ProfileEdits

    # -- reading -----------------------------------------------------------------------------

    def stored(self) -> list[Profile]:
        """The user's own profiles (no starters), by name."""
        profiles = [self._from_row(row) for row in self._read(reads.stored_profiles)]
        return [profile for profile in profiles if profile is not None]

    def list(self, model_name: str | None = None, model_hash: str | None = None) -> list[Profile]:
        """Approved profiles first (the style guide), then those scoped to the loaded model, then the
        starters, then the rest; by name within each group."""
        stored = self.stored()
        scoped = {p.key for p in stored if scope_matches(p.model_scope, model_name, model_hash)}
        first = sorted(stored, key=lambda p: (not p.approved, p.key not in scoped, p.key))
        leading = [p for p in first if p.approved or p.key in scoped]
        return leading + list(STARTER_PROFILES) + [p for p in first if not (p.approved or p.key in scoped)]

    def names(self) -> list[str]:
        return [profile.name for profile in self.list()]

    def get(self, name: str) -> Profile:
        """The profile with this name (case-insensitive); :class:`ProfileNotFound` lists the names there are."""
        key = name_key(name) if isinstance(name, str) else ""
        if key in STARTERS_BY_KEY:
            return STARTERS_BY_KEY[key]
        row = self._read(reads.stored_profile, key)
        profile = self._from_row(row) if row is not None else None
        if profile is None:
            raise self._not_found(name)
        return profile

    def history(self, name: str) -> list[dict[str, Any]]:
        """Every version of the profile called ``name`` (also of its earlier names), oldest first."""
        versions = self._read(reads.profile_history, name_key(name))
        if versions is None:
            raise ProfileNotFound(f"No profile named {name!r} and no history under that name.")
        return versions

    # -- writing -----------------------------------------------------------------------------

    def create(self, profile: Profile, catalog: HostCatalog | None = None) -> Profile:
        """Store a new profile; with a catalog its names must exist in this WebUI."""
        values = self._row_values(profile, catalog)
        with self._editing(f"save profile '{profile.name}'") as edits:
            self._ensure_free(edits, profile.name)
            edits.create(values, "created")
        return self.get(profile.name)

    def update(self, name: str, profile: Profile, catalog: HostCatalog | None = None) -> Profile:
        """Replace the profile called ``name`` with ``profile`` (which may carry a new name)."""
        if name_key(name) in STARTERS_BY_KEY:
            raise _starter_refusal(STARTERS_BY_KEY[name_key(name)].name)
        values = self._row_values(profile, catalog)
        values.pop("created_at")
        with self._editing(f"save profile '{profile.name}'") as edits:
            existing = self._row_of(edits, name, "change")
            self._ensure_free(edits, profile.name, except_id=existing["id"])
            edits.change(existing, values, "updated")
        return self.get(profile.name)

    def delete(self, name: str) -> None:
        if name_key(name) in STARTERS_BY_KEY:
            raise _starter_refusal(STARTERS_BY_KEY[name_key(name)].name)
        with self._editing(f"delete profile '{name}'") as edits:
            edits.remove(self._row_of(edits, name, "delete"))

    def duplicate(self, name: str, new_name: str) -> Profile:
        """A stored, editable copy of any profile (starters included) under ``new_name``; never approved
        or locked, whatever the original was."""
        source = self.get(name)
        copy = Profile(
            name=new_name, description=source.description, model_scope=source.model_scope,
            settings=source.settings, unusable_reason=source.unusable_reason,
        )
        return self.create(copy)

    def set_guide(self, name: str, *, approved: bool | None = None, locked: bool | None = None) -> Profile:
        """Approve or withdraw approval, lock or unlock: a style-guide decision, so only someone allowed to
        change locked profiles may make it. Each change is a new version."""
        if name_key(name) in STARTERS_BY_KEY:
            raise ProfileError(f"'{STARTERS_BY_KEY[name_key(name)].name}' is a starter profile; duplicate it to "
                               "put it in the style guide.")
        acting = actor.current()
        if not acting.may_edit_locked:
            raise ProfileLocked(
                "Only the command line (`python -m paramlab profiles approve|lock …`) or a user listed in Settings → "
                "ParamLab → \"Users who may change locked profiles\" may approve or lock profiles."
            )
        with self._editing(f"change profile '{name}' in the style guide") as edits:
            existing = self._row_of(edits, name, "change")
            values: dict[str, Any] = {}
            actions = []
            if approved is not None and bool(approved) != bool(existing["approved"]):
                values.update(approved=bool(approved), approved_by=acting.name if approved else None,
                              approved_at=utc_now() if approved else None)
                actions.append("approved" if approved else "unapproved")
            if locked is not None and bool(locked) != bool(existing["locked"]):
                values["locked"] = bool(locked)
                actions.append("locked" if locked else "unlocked")
            for number, action in enumerate(actions):
                existing = edits.change(existing, values if number == 0 else {}, action)
        return self.get(name)

    def write_import(self, created: list[Profile], replacing: list[Profile]) -> None:
        """Write an import in ONE transaction: ``created`` are new names, ``replacing`` overwrite stored
        profiles of the same name. Settings must already be checked (see :mod:`paramlab.profiles.fileformat`)."""
        with self._editing("import the profiles") as edits:
            for profile in replacing:
                values = self._row_values(profile, None)
                values.pop("created_at")
                edits.change(self._row_of(edits, profile.name, "replace"), values, "imported")
            for profile in created:
                self._ensure_free(edits, profile.name)
                edits.create(self._row_values(profile, None), "imported")

    # -- helpers -----------------------------------------------------------------------------

    def _not_found(self, name: Any) -> ProfileNotFound:
        return ProfileNotFound(f"No profile named {name!r}. Available profiles: {list_names(self.names())}.")

    def _row_of(self, edits: ProfileEdits, name: str, what: str) -> dict[str, Any]:
        """The stored row called ``name``, refused when it is locked and the person acting may not ``what`` it."""
        row = edits.find(name_key(name))
        if row is None:
            raise self._not_found(name)
        if row["locked"] and not actor.current().may_edit_locked:
            raise _locked_refusal(row["name"], what)
        return row

    @staticmethod
    def _ensure_free(edits: ProfileEdits, name: str, except_id: int | None = None) -> None:
        key = name_key(name)
        if key in STARTERS_BY_KEY:
            raise ProfileError(f"'{STARTERS_BY_KEY[key].name}' is the name of a starter profile; choose another name.")
        row = edits.find(key)
        if row is not None and row["id"] != except_id:
            raise ProfileError(f"A profile named '{row['name']}' already exists; choose another name.")

    @staticmethod
    def _row_values(profile: Profile, catalog: HostCatalog | None) -> dict[str, Any]:
        settings, reason = profile.settings, profile.unusable_reason
        if catalog is not None:  # checked against this WebUI: usable here
            settings, reason = normalise_settings(profile.settings, catalog), None
        now = utc_now()
        return {
            "name": profile.name, "name_key": profile.key, "description": profile.description,
            "model_scope": profile.model_scope, "settings_json": json.dumps(settings, ensure_ascii=False),
            "unusable_reason": reason, "created_at": as_utc(profile.created_at) or now, "updated_at": now,
        }

    @staticmethod
    def _from_row(row: dict[str, Any]) -> Profile | None:
        """A stored row as a profile; a row edited into nonsense outside ParamLab is shown as unusable."""
        fields = {
            "name": row["name"], "description": row["description"], "model_scope": row["model_scope"],
            "unusable_reason": row["unusable_reason"], "created_at": row["created_at"],
            "updated_at": row["updated_at"], "version": row["version"], "approved": bool(row["approved"]),
            "approved_by": row["approved_by"], "approved_at": row["approved_at"], "locked": bool(row["locked"]),
            "updated_by": row["updated_by"],
        }
        try:
            return Profile(settings=json.loads(row["settings_json"]), **fields)
        except (ValueError, TypeError) as exc:
            try:
                return Profile(settings={}, **{**fields, "unusable_reason": f"its stored settings are invalid: {exc}"})
            except ProfileError:
                log.warning("ParamLab: skipping stored profile %r: %s", row["name"], exc)
                return None
