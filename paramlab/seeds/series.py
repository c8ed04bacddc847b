"""Character series: a named, locked seed (with an optional variation, profile and prompt fragment)
kept in the ledger's ``series`` table so a character can be generated again and again.

Every write is one transaction, so a failed write changes nothing. Names follow the profile rules:
1–100 characters, unique regardless of case, no control characters and no ``<``/``>``.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, ClassVar

from paramlab.documents import LedgerStore, name_key
from paramlab.ledger.edits.series import SeriesEdits
from paramlab.ledger.reads import series as reads
from paramlab.ledger.records import as_utc, utc_now
from paramlab.profiles.names import check_text, list_names, optional_name
from paramlab.seeds.policy import SeedLock, SeedPlan, check_seed, check_strength, plan_seeds
from paramlab.seeds.series_names import SeriesError, validate_series_name
from paramlab.strict_model import StrictModel, root_validator, validator

PROMPT_FRAGMENT_MAX = 2_000
NOTES_MAX = 10_000
log = logging.getLogger("paramlab")


class SeriesNotFound(SeriesError):
    """No series has that name."""


class SeriesStorageError(SeriesError):
    """The database refused the write (locked, read-only, gone); nothing was changed."""


def _text(value: Any, label: str, limit: int) -> str | None:
    """A series' text field, stripped; None when empty."""
    return check_text(value, f"Series {label}", limit, SeriesError) or None


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
        return optional_name(value, "profile", SeriesError, "Series profile", blank_is_none=True)

    @validator("prompt_fragment", pre=True)
    def _prompt_fragment(cls, value: Any) -> str | None:  # noqa: N805
        return _text(value, "prompt_fragment", PROMPT_FRAGMENT_MAX)

    @validator("notes", pre=True)
    def _notes(cls, value: Any) -> str:  # noqa: N805
        return _text(value, "notes", NOTES_MAX) or ""

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


class SeriesStore(LedgerStore[SeriesEdits]):
    """Create, read, update and delete series; the panel, the API and the seed lock go through here."""

    storage_error = SeriesStorageError
    edits_type = SeriesEdits

    # -- reading -----------------------------------------------------------------------------

    def list(self) -> list[Series]:
        """Every series, by name (case-insensitive order). A row edited into nonsense outside ParamLab is skipped."""
        found = []
        for row in self._read(reads.stored_series):
            try:
                found.append(self._from_row(row))
            except SeriesError as exc:
                log.warning("ParamLab: skipping stored series %r: %s", row["name"], exc)
        return found

    def names(self) -> list[str]:
        return self._read(reads.series_names)

    def get(self, name: str) -> Series:
        """The series with this name (case-insensitive); :class:`SeriesNotFound` lists the names there are."""
        key = name_key(name) if isinstance(name, str) else ""
        row = self._read(reads.stored_one_series, key)
        if row is None:
            raise self._not_found(name)
        return self._from_row(row)

    def image_counts(self) -> dict[str, int]:
        """Images tagged with each series, keyed by the lowercased name (as series names are unique)."""
        counts: dict[str, int] = {}
        for name, count in self._read(reads.images_per_series).items():
            counts[name_key(name)] = counts.get(name_key(name), 0) + count
        return counts

    # -- writing -----------------------------------------------------------------------------

    def create(self, series: Series) -> Series:
        values = self._row_values(series)
        with self._editing(f"save series '{series.name}'") as edits:
            self._ensure_free(edits, series.name)
            edits.insert(values)
        return self.get(series.name)

    def update(self, name: str, series: Series) -> Series:
        """Replace the series called ``name`` with ``series`` (which may carry a new name).

        Images already made keep the name they were tagged with."""
        values = self._row_values(series)
        values.pop("created_at")
        with self._editing(f"save series '{series.name}'") as edits:
            existing_id = self._id_of(edits, name)
            self._ensure_free(edits, series.name, except_id=existing_id)
            edits.update(existing_id, values)
        return self.get(series.name)

    def delete(self, name: str) -> None:
        with self._editing(f"delete series '{name}'") as edits:
            edits.delete(self._id_of(edits, name))

    def write_import(self, created: list[Series], replacing: list[Series]) -> None:
        """Write an import in ONE transaction: ``created`` are new names, ``replacing`` overwrite the series
        of the same name (see :mod:`paramlab.seeds.series_file`)."""
        with self._editing("import the series") as edits:
            for series in replacing:
                values = self._row_values(series)
                values.pop("created_at")
                edits.update(self._id_of(edits, series.name), values)
            for series in created:
                self._ensure_free(edits, series.name)
                edits.insert(self._row_values(series))

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

    def _id_of(self, edits: SeriesEdits, name: str) -> int:
        found = edits.find(name_key(name) if isinstance(name, str) else "")
        if found is None:
            raise self._not_found(name)
        return found["id"]

    @staticmethod
    def _ensure_free(edits: SeriesEdits, name: str, except_id: int | None = None) -> None:
        found = edits.find(name_key(name))
        if found is not None and found["id"] != except_id:
            raise SeriesError(f"A series named '{found['name']}' already exists; choose another name.")

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
    def _from_row(row: dict[str, Any]) -> Series:
        return Series(
            name=row["name"], seed=row["seed"], variation_seed=row["variation_seed"],
            variation_strength=row["variation_strength"], profile=row["profile"],
            prompt_fragment=row["prompt_fragment"], notes=row["notes"] or "",
            created_at=row["created_at"], updated_at=row["updated_at"],
        )


__all__ = [
    "NOTES_MAX", "PROMPT_FRAGMENT_MAX", "Series", "SeriesError", "SeriesNotFound", "SeriesStorageError",
    "SeriesStore", "plan_series_seeds", "validate_series_name",
]
