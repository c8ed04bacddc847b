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
import uuid
from contextlib import AbstractContextManager
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from paramlab.ledger import Ledger, actor, schema
from paramlab.ledger.guarded import reading, transaction
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
table = schema.profiles


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


def _aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=timezone.utc) if value is not None and value.tzinfo is None else value


class ProfileStore:
    """Create, read, update and delete profiles; the panel and the import go through here."""

    def __init__(self, ledger: Ledger):
        self.ledger = ledger

    # -- reading -----------------------------------------------------------------------------

    def stored(self) -> list[Profile]:
        """The user's own profiles (no starters), by name."""
        with self._reading() as conn:
            rows = conn.execute(sa.select(table).order_by(table.c.name_key)).all()
        profiles = [self._from_row(row._mapping) for row in rows]
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
        with self._reading() as conn:
            row = conn.execute(sa.select(table).where(table.c.name_key == key)).first()
        profile = self._from_row(row._mapping) if row is not None else None
        if profile is None:
            raise ProfileNotFound(f"No profile named {name!r}. Available profiles: {list_names(self.names())}.")
        return profile

    # -- writing -----------------------------------------------------------------------------

    def create(self, profile: Profile, catalog: HostCatalog | None = None) -> Profile:
        """Store a new profile; with a catalog its names must exist in this WebUI."""
        values = self._row_values(profile, catalog)
        with self._transaction(f"save profile '{profile.name}'") as conn:
            self._ensure_free(conn, profile.name)
            self._insert(conn, values, "created")
        return self.get(profile.name)

    def update(self, name: str, profile: Profile, catalog: HostCatalog | None = None) -> Profile:
        """Replace the profile called ``name`` with ``profile`` (which may carry a new name)."""
        if name_key(name) in STARTERS_BY_KEY:
            raise _starter_refusal(STARTERS_BY_KEY[name_key(name)].name)
        values = self._row_values(profile, catalog)
        values.pop("created_at")
        with self._transaction(f"save profile '{profile.name}'") as conn:
            existing = self._row_of(conn, name, "change")
            self._ensure_free(conn, profile.name, except_id=existing.id)
            self._change(conn, existing, values, "updated")
        return self.get(profile.name)

    def delete(self, name: str) -> None:
        if name_key(name) in STARTERS_BY_KEY:
            raise _starter_refusal(STARTERS_BY_KEY[name_key(name)].name)
        with self._transaction(f"delete profile '{name}'") as conn:
            existing = self._row_of(conn, name, "delete")
            self._change(conn, existing, {}, "deleted")
            conn.execute(table.delete().where(table.c.id == existing.id))

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
        with self._transaction(f"change profile '{name}' in the style guide") as conn:
            existing = self._row_of(conn, name, "change")
            values: dict[str, Any] = {}
            actions = []
            if approved is not None and bool(approved) != bool(existing.approved):
                values.update(approved=bool(approved), approved_by=acting.name if approved else None,
                              approved_at=utc_now() if approved else None)
                actions.append("approved" if approved else "unapproved")
            if locked is not None and bool(locked) != bool(existing.locked):
                values["locked"] = bool(locked)
                actions.append("locked" if locked else "unlocked")
            for number, action in enumerate(actions):
                self._change(conn, existing, values if number == 0 else {}, action)
                existing = conn.execute(sa.select(table).where(table.c.id == existing.id)).one()
        return self.get(name)

    def history(self, name: str) -> list[dict[str, Any]]:
        """Every version of the profile called ``name`` (also of its earlier names), oldest first."""
        versions = schema.profile_versions
        with self._reading() as conn:
            uid = conn.execute(sa.select(table.c.profile_uid).where(table.c.name_key == name_key(name))).scalar()
            if uid is None:  # a deleted profile: its last name
                uid = conn.execute(sa.select(versions.c.profile_uid).where(sa.func.lower(versions.c.name) == name_key(
                    name)).order_by(versions.c.changed_at.desc()).limit(1)).scalar()
            if uid is None:
                raise ProfileNotFound(f"No profile named {name!r} and no history under that name.")
            rows = conn.execute(sa.select(versions).where(versions.c.profile_uid == uid).order_by(versions.c.version))
            # plain ``str`` keys: SQLAlchemy's column names are a str subclass that orjson (gradio's JSON) refuses
            return [{str(key): value for key, value in row._mapping.items()} | {"changed_at": _aware(row.changed_at)}
                    for row in rows]

    def write_import(self, created: list[Profile], replacing: list[Profile]) -> None:
        """Write an import in ONE transaction: ``created`` are new names, ``replacing`` overwrite stored
        profiles of the same name. Settings must already be checked (see :mod:`paramlab.profiles.fileformat`)."""
        with self._transaction("import the profiles") as conn:
            for profile in replacing:
                values = self._row_values(profile, None)
                values.pop("created_at")
                self._change(conn, self._row_of(conn, profile.name, "replace"), values, "imported")
            for profile in created:
                self._ensure_free(conn, profile.name)
                self._insert(conn, self._row_values(profile, None), "imported")

    # -- helpers -----------------------------------------------------------------------------

    def _reading(self) -> AbstractContextManager[Connection]:
        return reading(self.ledger, ProfileStorageError, "the profiles")

    def _transaction(self, action: str) -> AbstractContextManager[Connection]:
        return transaction(self.ledger, ProfileStorageError, action, "a profile")

    def _row_of(self, conn: Connection, name: str, what: str) -> Any:
        """The stored row called ``name``, refused when it is locked and the person acting may not ``what`` it."""
        row = conn.execute(sa.select(table).where(table.c.name_key == name_key(name))).first()
        if row is None:
            raise ProfileNotFound(f"No profile named {name!r}. Available profiles: {list_names(self.names())}.")
        if row.locked and not actor.current().may_edit_locked:
            raise _locked_refusal(row.name, what)
        return row

    def _insert(self, conn: Connection, values: dict[str, Any], action: str) -> None:
        values = dict(values, profile_uid=str(uuid.uuid4()), version=1, updated_by=actor.current().name)
        row_id = conn.execute(table.insert().values(**values)).inserted_primary_key[0]
        self._record_version(conn, conn.execute(sa.select(table).where(table.c.id == row_id)).one(), action)

    def _change(self, conn: Connection, existing: Any, values: dict[str, Any], action: str) -> None:
        """Apply ``values`` as the next version of ``existing`` and keep that version."""
        values = dict(values, version=(existing.version or 1) + 1, updated_by=actor.current().name,
                      updated_at=values.get("updated_at") or utc_now())
        conn.execute(table.update().where(table.c.id == existing.id).values(**values))
        self._record_version(conn, conn.execute(sa.select(table).where(table.c.id == existing.id)).one(), action)

    @staticmethod
    def _record_version(conn: Connection, row: Any, action: str) -> None:
        conn.execute(schema.profile_versions.insert().values(
            profile_uid=row.profile_uid, version=row.version, action=action, name=row.name,
            description=row.description, model_scope=row.model_scope, settings_json=row.settings_json,
            approved=bool(row.approved), locked=bool(row.locked), changed_by=actor.current().name,
            changed_at=row.updated_at))

    def _ensure_free(self, conn: Connection, name: str, except_id: int | None = None) -> None:
        key = name_key(name)
        if key in STARTERS_BY_KEY:
            raise ProfileError(f"'{STARTERS_BY_KEY[key].name}' is the name of a starter profile; choose another name.")
        row = conn.execute(sa.select(table.c.id, table.c.name).where(table.c.name_key == key)).first()
        if row is not None and row.id != except_id:
            raise ProfileError(f"A profile named '{row.name}' already exists; choose another name.")

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
    def _from_row(row: Any) -> Profile | None:
        """A stored row as a profile; a row edited into nonsense outside ParamLab is shown as unusable."""
        fields = {
            "name": row["name"], "description": row["description"], "model_scope": row["model_scope"],
            "unusable_reason": row["unusable_reason"],
            "created_at": _aware(row["created_at"]), "updated_at": _aware(row["updated_at"]),
            "version": row["version"], "approved": bool(row["approved"]), "approved_by": row["approved_by"],
            "approved_at": _aware(row["approved_at"]), "locked": bool(row["locked"]), "updated_by": row["updated_by"],
        }
        try:
            return Profile(settings=json.loads(row["settings_json"]), **fields)
        except (ValueError, TypeError) as exc:
            try:
                return Profile(settings={}, **{**fields, "unusable_reason": f"its stored settings are invalid: {exc}"})
            except ProfileError:
                log.warning("ParamLab: skipping stored profile %r: %s", row["name"], exc)
                return None
