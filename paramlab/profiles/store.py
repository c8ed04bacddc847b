"""Profiles in the ledger database (``profiles`` table), with the starters from code in front.

Every write is one transaction, so a failed write changes nothing. Starters are never stored: they
cannot be updated, deleted or shadowed by a stored profile of the same name, only duplicated.
"""

from __future__ import annotations

import json
import logging
from contextlib import AbstractContextManager
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from paramlab.ledger import Ledger, schema
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
        """Profiles scoped to the loaded model first (by name), then the starters, then the rest by name."""
        stored = self.stored()
        scoped = [p for p in stored if scope_matches(p.model_scope, model_name, model_hash)]
        scoped_keys = {p.key for p in scoped}
        return scoped + list(STARTER_PROFILES) + [p for p in stored if p.key not in scoped_keys]

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
            conn.execute(table.insert().values(**values))
        return self.get(profile.name)

    def update(self, name: str, profile: Profile, catalog: HostCatalog | None = None) -> Profile:
        """Replace the profile called ``name`` with ``profile`` (which may carry a new name)."""
        if name_key(name) in STARTERS_BY_KEY:
            raise _starter_refusal(STARTERS_BY_KEY[name_key(name)].name)
        values = self._row_values(profile, catalog)
        values.pop("created_at")
        with self._transaction(f"save profile '{profile.name}'") as conn:
            existing_id = self._id_of(conn, name)
            self._ensure_free(conn, profile.name, except_id=existing_id)
            conn.execute(table.update().where(table.c.id == existing_id).values(**values))
        return self.get(profile.name)

    def delete(self, name: str) -> None:
        if name_key(name) in STARTERS_BY_KEY:
            raise _starter_refusal(STARTERS_BY_KEY[name_key(name)].name)
        with self._transaction(f"delete profile '{name}'") as conn:
            conn.execute(table.delete().where(table.c.id == self._id_of(conn, name)))

    def duplicate(self, name: str, new_name: str) -> Profile:
        """A stored, editable copy of any profile (starters included) under ``new_name``."""
        source = self.get(name)
        copy = Profile(
            name=new_name, description=source.description, model_scope=source.model_scope,
            settings=source.settings, unusable_reason=source.unusable_reason,
        )
        return self.create(copy)

    def write_import(self, created: list[Profile], replacing: list[Profile]) -> None:
        """Write an import in ONE transaction: ``created`` are new names, ``replacing`` overwrite stored
        profiles of the same name. Settings must already be checked (see :mod:`paramlab.profiles.fileformat`)."""
        with self._transaction("import the profiles") as conn:
            for profile in replacing:
                values = self._row_values(profile, None)
                values.pop("created_at")
                conn.execute(table.update().where(table.c.id == self._id_of(conn, profile.name)).values(**values))
            for profile in created:
                self._ensure_free(conn, profile.name)
                conn.execute(table.insert().values(**self._row_values(profile, None)))

    # -- helpers -----------------------------------------------------------------------------

    def _reading(self) -> AbstractContextManager[Connection]:
        return reading(self.ledger, ProfileStorageError, "the profiles")

    def _transaction(self, action: str) -> AbstractContextManager[Connection]:
        return transaction(self.ledger, ProfileStorageError, action, "a profile")

    def _id_of(self, conn: Connection, name: str) -> int:
        found = conn.execute(sa.select(table.c.id).where(table.c.name_key == name_key(name))).scalar_one_or_none()
        if found is None:
            raise ProfileNotFound(f"No profile named {name!r}. Available profiles: {list_names(self.names())}.")
        return found

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
        }
        try:
            return Profile(settings=json.loads(row["settings_json"]), **fields)
        except (ValueError, TypeError) as exc:
            try:
                return Profile(settings={}, **{**fields, "unusable_reason": f"its stored settings are invalid: {exc}"})
            except ProfileError:
                log.warning("ParamLab: skipping stored profile %r: %s", row["name"], exc)
                return None
