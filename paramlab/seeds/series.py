"""Character series: a named, locked seed (with an optional variation, profile and prompt fragment)
kept in the ledger's ``series`` table so a character can be generated again and again.

Every write is one transaction, so a failed write changes nothing. Names follow the profile rules:
1–100 characters, unique regardless of case, no control characters and no ``<``/``>``.
"""

from __future__ import annotations

import logging
from contextlib import AbstractContextManager
from datetime import datetime, timezone
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from paramlab.ledger import Ledger, schema
from paramlab.ledger.guarded import reading, transaction
from paramlab.ledger.records import as_utc, utc_now
from paramlab.profiles.names import ProfileError, list_names, name_key, validate_name
from paramlab.seeds.policy import SeedLock, SeedPlan, check_seed, check_strength, plan_seeds
from paramlab.seeds.series_names import SeriesError, validate_series_name
from paramlab.strict_model import StrictModel, root_validator, validator

PROMPT_FRAGMENT_MAX = 2_000
NOTES_MAX = 10_000
log = logging.getLogger("paramlab")
table = schema.series


class SeriesNotFound(SeriesError):
    """No series has that name."""


class SeriesStorageError(SeriesError):
    """The database refused the write (locked, read-only, gone); nothing was changed."""


def _text(value: Any, label: str, limit: int, *, none_if_empty: bool) -> str | None:
    if value is None:
        return None if none_if_empty else ""
    if not isinstance(value, str):
        raise SeriesError(f"Series {label} must be text, got {type(value).__name__}.")
    value = value.strip()
    if len(value) > limit:
        raise SeriesError(f"Series {label} is {len(value):,} characters long; the limit is {limit:,}.")
    if "\x00" in value:
        raise SeriesError(f"Series {label} contains a NUL character.")
    return (value or None) if none_if_empty else value


class Series(StrictModel):
    """A named character: its seed, optional variation, optional profile and prompt fragment, and notes."""

    name: str
    seed: int
    variation_seed: int | None = None
    variation_strength: float | None = None
    profile: str | None = None
    prompt_fragment: str | None = None
    notes: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None

    error_type: ClassVar[type[ValueError]] = SeriesError
    unknown_field_text: ClassVar[str] = "unknown series field {field!r} (valid fields: {fields})"
    own_message_prefix: ClassVar[str] = "Series"
    field_prefix: ClassVar[str] = "Series "

    @validator("name", pre=True)
    def _name(cls, value: Any) -> str:  # noqa: N805 - pydantic validators are class methods
        return validate_series_name(value)

    @validator("seed", pre=True)
    def _seed(cls, value: Any) -> int:  # noqa: N805
        if value is None:
            raise SeriesError("Series seed is missing; a series needs a seed from 0 to 4294967295.")
        return check_seed(value, "Series seed", SeriesError)

    @validator("variation_seed", pre=True)
    def _variation_seed(cls, value: Any) -> int | None:  # noqa: N805
        return None if value is None else check_seed(value, "Series variation_seed", SeriesError)

    @validator("variation_strength", pre=True)
    def _variation_strength(cls, value: Any) -> float | None:  # noqa: N805
        return None if value is None else check_strength(value, "Series variation_strength", SeriesError)

    @validator("profile", pre=True)
    def _profile(cls, value: Any) -> str | None:  # noqa: N805
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        try:
            return validate_name(value)
        except ProfileError as exc:
            raise SeriesError(f"Series profile: {exc}") from None

    @validator("prompt_fragment", pre=True)
    def _prompt_fragment(cls, value: Any) -> str | None:  # noqa: N805
        return _text(value, "prompt_fragment", PROMPT_FRAGMENT_MAX, none_if_empty=True)

    @validator("notes", pre=True)
    def _notes(cls, value: Any) -> str:  # noqa: N805
        return _text(value, "notes", NOTES_MAX, none_if_empty=False) or ""

    @root_validator(skip_on_failure=True)
    def _variation_needs_its_seed(cls, values: dict[str, Any]) -> dict[str, Any]:  # noqa: N805
        if values.get("variation_strength") and values.get("variation_seed") is None:
            raise SeriesError("Series variation_strength is above 0 but no variation_seed is given; give both.")
        return values

    @property
    def key(self) -> str:
        return name_key(self.name)

    @property
    def has_variation(self) -> bool:
        return bool(self.variation_strength) and self.variation_seed is not None


def plan_series_seeds(lock: SeedLock, series: Series, base_subseed: int, base_strength: float,
                      count: int) -> SeedPlan:
    """The plan for a lock that names ``series``: its seed, and its variation unless the policy sweeps one."""
    fields = lock.dict(exclude={"series", "seed"})
    if lock.policy == "variation":
        if lock.variation_seed is None and series.variation_seed is not None:
            fields["variation_seed"] = series.variation_seed
    elif series.has_variation:
        base_subseed, base_strength = series.variation_seed, series.variation_strength  # type: ignore[assignment]
    plan = plan_seeds(SeedLock(seed=series.seed, **fields), series.seed, base_subseed, base_strength, count)
    return SeedPlan(plan.seeds, plan.subseeds, plan.subseed_strengths, f"series '{series.name}': {plan.description}")


def _aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=timezone.utc) if value is not None and value.tzinfo is None else value


class SeriesStore:
    """Create, read, update and delete series; the panel, the API and the seed lock go through here."""

    def __init__(self, ledger: Ledger):
        self.ledger = ledger

    # -- reading -----------------------------------------------------------------------------

    def list(self) -> list[Series]:
        """Every series, by name (case-insensitive order). A row edited into nonsense outside ParamLab is skipped."""
        with self._reading() as conn:
            rows = conn.execute(sa.select(table).order_by(table.c.name_key)).all()
        found = []
        for row in rows:
            try:
                found.append(self._from_row(row._mapping))
            except SeriesError as exc:
                log.warning("ParamLab: skipping stored series %r: %s", row.name, exc)
        return found

    def names(self) -> list[str]:
        with self._reading() as conn:
            return list(conn.execute(sa.select(table.c.name).order_by(table.c.name_key)).scalars())

    def get(self, name: str) -> Series:
        """The series with this name (case-insensitive); :class:`SeriesNotFound` lists the names there are."""
        key = name_key(name) if isinstance(name, str) else ""
        with self._reading() as conn:
            row = conn.execute(sa.select(table).where(table.c.name_key == key)).first()
        if row is None:
            raise self._not_found(name)
        return self._from_row(row._mapping)

    # -- writing -----------------------------------------------------------------------------

    def create(self, series: Series) -> Series:
        values = self._row_values(series)
        with self._transaction(f"save series '{series.name}'") as conn:
            self._ensure_free(conn, series.name)
            conn.execute(table.insert().values(**values))
        return self.get(series.name)

    def update(self, name: str, series: Series) -> Series:
        """Replace the series called ``name`` with ``series`` (which may carry a new name).

        Images already made keep the name they were tagged with."""
        values = self._row_values(series)
        values.pop("created_at")
        with self._transaction(f"save series '{series.name}'") as conn:
            existing_id = self._id_of(conn, name)
            self._ensure_free(conn, series.name, except_id=existing_id)
            conn.execute(table.update().where(table.c.id == existing_id).values(**values))
        return self.get(series.name)

    def delete(self, name: str) -> None:
        with self._transaction(f"delete series '{name}'") as conn:
            conn.execute(table.delete().where(table.c.id == self._id_of(conn, name)))

    def from_image_row(self, row: dict[str, Any], name: str) -> Series:
        """A new (unsaved) series holding a ledger image's seed, its variation when one was used, its profile."""
        seed = row.get("seed")
        if seed is None:
            raise SeriesError("This ledger row has no seed, so a series cannot be made from it.")
        strength = row.get("subseed_strength")
        used_variation = isinstance(strength, (int, float)) and strength > 0 and row.get("subseed") is not None
        uid = row.get("image_uid")
        return Series(
            name=name, seed=seed,
            variation_seed=row.get("subseed") if used_variation else None,
            variation_strength=strength if used_variation else None,
            profile=row.get("profile"),
            notes=f"Made from ledger image {uid}." if uid else "",
        )

    # -- helpers -----------------------------------------------------------------------------

    def _not_found(self, name: Any) -> SeriesNotFound:
        return SeriesNotFound(f"No series named {name!r}. Available series: {list_names(self.names())}.")

    def _reading(self) -> AbstractContextManager[Connection]:
        return reading(self.ledger, SeriesStorageError, "the series")

    def _transaction(self, action: str) -> AbstractContextManager[Connection]:
        return transaction(self.ledger, SeriesStorageError, action, "a series")

    def _id_of(self, conn: Connection, name: str) -> int:
        key = name_key(name) if isinstance(name, str) else ""
        found = conn.execute(sa.select(table.c.id).where(table.c.name_key == key)).scalar_one_or_none()
        if found is None:
            raise self._not_found(name)
        return found

    @staticmethod
    def _ensure_free(conn: Connection, name: str, except_id: int | None = None) -> None:
        row = conn.execute(sa.select(table.c.id, table.c.name).where(table.c.name_key == name_key(name))).first()
        if row is not None and row.id != except_id:
            raise SeriesError(f"A series named '{row.name}' already exists; choose another name.")

    @staticmethod
    def _row_values(series: Series) -> dict[str, Any]:
        now = utc_now()
        return {
            "name": series.name, "name_key": series.key, "seed": series.seed,
            "variation_seed": series.variation_seed, "variation_strength": series.variation_strength,
            "profile": series.profile, "prompt_fragment": series.prompt_fragment, "notes": series.notes,
            "created_at": as_utc(series.created_at) or now, "updated_at": now,
        }

    @staticmethod
    def _from_row(row: Any) -> Series:
        return Series(
            name=row["name"], seed=row["seed"], variation_seed=row["variation_seed"],
            variation_strength=row["variation_strength"], profile=row["profile"],
            prompt_fragment=row["prompt_fragment"], notes=row["notes"] or "",
            created_at=_aware(row["created_at"]), updated_at=_aware(row["updated_at"]),
        )


__all__ = [
    "NOTES_MAX", "PROMPT_FRAGMENT_MAX", "Series", "SeriesError", "SeriesNotFound", "SeriesStorageError",
    "SeriesStore", "plan_series_seeds", "validate_series_name",
]
