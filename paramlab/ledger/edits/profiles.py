"""Writing stored profiles: every change is a new version, kept in ``profile_versions`` with who made it
(:mod:`paramlab.ledger.actor`) and when.

:func:`profile_edits` opens one transaction and hands out a :class:`ProfileEdits`; the profile store
decides what is allowed (free names, locks, starters) and raises its own errors inside (see
:mod:`.named_rows`)."""

from __future__ import annotations

import uuid
from contextlib import AbstractContextManager
from typing import Any

from paramlab.ledger import actor, schema
from paramlab.ledger.edits.named_rows import NamedRows, editing
from paramlab.ledger.records import utc_now
from paramlab.ledger.store import Ledger


class ProfileEdits(NamedRows):
    """The reads and writes of one profiles transaction, each write a new version of the profile."""

    table = schema.profiles
    name_taken = "a profile with that name already exists (names are case-insensitive)"

    def create(self, values: dict[str, Any], action: str) -> None:
        """A new profile (version 1) from ``profiles`` column values, and its first version."""
        values = dict(values, profile_uid=str(uuid.uuid4()), version=1, updated_by=actor.current().name)
        self._record_version(self.row(self.insert(values)), action)

    def change(self, existing: dict[str, Any], values: dict[str, Any], action: str) -> dict[str, Any]:
        """Apply ``values`` to ``existing`` as its next version, keep that version, and return the new row."""
        values = dict(values, version=(existing["version"] or 1) + 1, updated_by=actor.current().name,
                      updated_at=values.get("updated_at") or utc_now())
        self.update(existing["id"], values)
        changed = self.row(existing["id"])
        self._record_version(changed, action)
        return changed

    def remove(self, existing: dict[str, Any]) -> None:
        """Delete the profile; its history keeps a last "deleted" version."""
        self.change(existing, {}, "deleted")
        self.delete(existing["id"])

    def _record_version(self, row: dict[str, Any], action: str) -> None:
        self._conn.execute(schema.profile_versions.insert().values(
            profile_uid=row["profile_uid"], version=row["version"], action=action, name=row["name"],
            description=row["description"], model_scope=row["model_scope"], settings_json=row["settings_json"],
            approved=bool(row["approved"]), locked=bool(row["locked"]), changed_by=actor.current().name,
            changed_at=row["updated_at"]))


def profile_edits(ledger: Ledger, what: str, errors_as: type[Exception] | None = None
                  ) -> AbstractContextManager[ProfileEdits]:
    """One transaction ("save profile 'X'"): all its edits land, or none does."""
    return editing(ProfileEdits, ledger, what, errors_as)
