"""Seed lock: which seed, variation seed and variation strength each image of a run gets.

A lock is checked completely before any sampling starts. A bad seed, an empty list or an unknown
field is refused with a message that names the field and what is allowed, so a run never goes ahead
with seeds other than the ones asked for. Nothing here imports the WebUI: the adapter turns a
:class:`SeedPlan` into ``p.seeds``, ``p.subseeds`` and ``p.subseed_strength``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

from paramlab.profiles.names import optional_name
from paramlab.strict_model import StrictModel, root_validator, validator

SEED_MAX = 4294967295  # A1111 seeds are unsigned 32-bit
SEED_MODULUS = SEED_MAX + 1
POLICIES = ("same", "increment", "stride", "list", "variation")
POLICY_MEANINGS = {
    "same": "the same seed for every image",
    "increment": "+1 per image (A1111's default)",
    "stride": "+N per image",
    "list": "an explicit list of seeds",
    "variation": "a fixed seed with variation strengths spread over the batch",
}
DEFAULT_VARIATION_STRENGTHS = (0.0, 1.0)
LIST_MAX = 10_000  # seeds in an explicit list; far above any batch A1111 allows


class SeedLockError(ValueError):
    """A seed lock cannot be used; the message names the field and what is allowed."""


def _type_name(value: Any) -> str:
    return "true/false" if isinstance(value, bool) else type(value).__name__


def check_seed(value: Any, where: str, error: type[ValueError] = SeedLockError) -> int:
    """A whole number in 0…SEED_MAX. Floats, strings and booleans are refused rather than guessed at."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise error(f"{where}: expected a whole number from 0 to {SEED_MAX}, got {value!r} ({_type_name(value)}).")
    if not 0 <= value <= SEED_MAX:
        raise error(f"{where}: {value} is outside 0…{SEED_MAX}.")
    return value


def check_strength(value: Any, where: str, error: type[ValueError] = SeedLockError) -> float:
    """A variation strength: a finite number in 0…1."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise error(f"{where}: expected a number from 0 to 1, got {value!r} ({_type_name(value)}).")
    if not math.isfinite(value) or not 0 <= value <= 1:
        raise error(f"{where}: {value} is outside 0…1.")
    return float(value)


class SeedLock(StrictModel):
    """How to seed a run: a seed (or a series that holds one) and a batch policy."""

    seed: int | None = None  # None: lock the run's own (resolved) seed
    series: str | None = None
    policy: str = "same"
    stride: int | None = None
    seeds: list[int] | None = None
    variation_seed: int | None = None
    variation_strengths: tuple[float, float] | None = None

    error_type: ClassVar[type[ValueError]] = SeedLockError
    unknown_field_text: ClassVar[str] = "seed_lock: unknown field {field!r} (valid fields: {fields})"
    own_message_prefix: ClassVar[str] = "seed_lock"
    field_prefix: ClassVar[str] = "seed_lock."

    @validator("seed", "variation_seed", pre=True)
    def _seed(cls, value: Any, field: Any) -> int | None:  # noqa: N805 - pydantic validators are class methods
        return None if value is None else check_seed(value, f"seed_lock.{field.name}")

    @validator("series", pre=True)
    def _series(cls, value: Any) -> str | None:  # noqa: N805
        return optional_name(value, "series", SeedLockError, "seed_lock.series")

    @validator("policy", pre=True)
    def _policy(cls, value: Any) -> str:  # noqa: N805
        allowed = ", ".join(POLICIES)
        if not isinstance(value, str):
            raise SeedLockError(f"seed_lock.policy: expected one of {allowed}; got {value!r}.")
        policy = value.strip().lower()
        if policy not in POLICIES:
            raise SeedLockError(f"seed_lock.policy: {value!r} is not a policy; use one of {allowed}.")
        return policy

    @validator("stride", pre=True)
    def _stride(cls, value: Any) -> int | None:  # noqa: N805
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise SeedLockError(f"seed_lock.stride: expected a whole number of at least 1, got {value!r}.")
        if not 1 <= value <= SEED_MAX:
            raise SeedLockError(f"seed_lock.stride: {value} is outside 1…{SEED_MAX}.")
        return value

    @validator("seeds", pre=True)
    def _seeds(cls, value: Any) -> list[int] | None:  # noqa: N805
        if value is None:
            return None
        if not isinstance(value, (list, tuple)):
            raise SeedLockError(f"seed_lock.seeds: expected a list of whole numbers, got {value!r}.")
        if not value:
            raise SeedLockError("seed_lock.seeds: the list is empty; give at least one seed.")
        if len(value) > LIST_MAX:
            raise SeedLockError(f"seed_lock.seeds: {len(value):,} seeds is more than the {LIST_MAX:,} allowed.")
        return [check_seed(seed, f"seed_lock.seeds[{index}]") for index, seed in enumerate(value)]

    @validator("variation_strengths", pre=True)
    def _variation_strengths(cls, value: Any) -> tuple[float, float] | None:  # noqa: N805
        if value is None:
            return None
        if not isinstance(value, (list, tuple)) or len(value) != 2:
            raise SeedLockError(
                f"seed_lock.variation_strengths: expected two numbers [from, to] in 0…1, got {value!r}."
            )
        where = "seed_lock.variation_strengths"
        return check_strength(value[0], f"{where}[0]"), check_strength(value[1], f"{where}[1]")

    @root_validator(skip_on_failure=True)
    def _fields_fit_the_policy(cls, values: dict[str, Any]) -> dict[str, Any]:  # noqa: N805
        """Every field must mean something for the chosen policy: nothing is silently ignored."""
        policy = values["policy"]
        if values.get("seed") is not None and values.get("series") is not None:
            raise SeedLockError("seed_lock: give either seed or series, not both (a series holds its own seed).")
        if policy == "stride" and values.get("stride") is None:
            raise SeedLockError("seed_lock.stride: the stride policy needs a stride of at least 1.")
        if policy != "stride" and values.get("stride") is not None:
            raise SeedLockError(f"seed_lock.stride: only used with policy 'stride', not {policy!r}.")
        if policy == "list" and values.get("seeds") is None:
            raise SeedLockError("seed_lock.seeds: the list policy needs a non-empty list of seeds.")
        if policy != "list" and values.get("seeds") is not None:
            raise SeedLockError(f"seed_lock.seeds: only used with policy 'list', not {policy!r}.")
        if policy == "list" and values.get("series") is not None:
            raise SeedLockError("seed_lock.series: the list policy takes its seeds from the list, not a series.")
        for name in ("variation_seed", "variation_strengths"):
            if policy != "variation" and values.get(name) is not None:
                raise SeedLockError(f"seed_lock.{name}: only used with policy 'variation', not {policy!r}.")
        return values


def parse_seed_lock(raw: Any) -> SeedLock | None:
    """The seed lock from API args or the UI: None or ``{}`` means no lock."""
    if raw is None or isinstance(raw, SeedLock):
        return raw
    if not isinstance(raw, dict):
        raise SeedLockError(
            f"seed_lock: expected an object such as {{\"seed\": 1234, \"policy\": \"same\"}} or "
            f"{{\"series\": \"Kaito\"}}, got {_type_name(raw)}."
        )
    if not raw:
        return None
    bad_keys = [key for key in raw if not isinstance(key, str)]
    if bad_keys:
        raise SeedLockError(f"seed_lock: field names must be text, got {bad_keys[0]!r}.")
    return SeedLock(**raw)


@dataclass(frozen=True)
class SeedPlan:
    """The seeds for every image of a run (batch count × batch size), in A1111's image order."""

    seeds: list[int]
    subseeds: list[int]
    subseed_strengths: list[float]
    description: str

    @property
    def count(self) -> int:
        return len(self.seeds)


def _images(count: int) -> str:
    return "1 image" if count == 1 else f"{count} images"


def _wrap(value: int) -> int:
    return value % SEED_MODULUS


def _sequence_text(seeds: list[int]) -> str:
    if len(seeds) <= 4:
        return ", ".join(str(seed) for seed in seeds)
    return f"{seeds[0]}, {seeds[1]}, … {seeds[-1]}"


def _strength_text(value: float) -> str:
    return f"{value:.2f}"


def plan_seeds(lock: SeedLock, base_seed: int, base_subseed: int, base_strength: float, count: int) -> SeedPlan:
    """One seed, variation seed and strength per image.

    ``base_seed``/``base_subseed``/``base_strength`` are the run's own resolved values (never -1);
    ``base_seed`` is used when the lock names no seed, the others for policies other than "variation".
    """
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise SeedLockError(f"seed_lock: a run has at least 1 image, got {count!r}.")
    seed = lock.seed if lock.seed is not None else check_seed(base_seed, "seed_lock: the run's seed")
    if lock.policy == "variation":
        return _variation_plan(lock, seed, count)
    base_subseed = check_seed(base_subseed, "seed_lock: the run's variation seed")
    base_strength = check_strength(base_strength, "seed_lock: the run's variation strength")
    strengths = [base_strength] * count
    if lock.policy == "same":
        # Identical noise needs identical variation noise too, so the variation seed does not step.
        return SeedPlan([seed] * count, [base_subseed] * count, strengths, _same_text(seed, count))
    subseeds = [_wrap(base_subseed + index) for index in range(count)]
    if lock.policy == "list":
        assert lock.seeds is not None  # the model guarantees it
        seeds = [lock.seeds[index % len(lock.seeds)] for index in range(count)]
        return SeedPlan(seeds, subseeds, strengths, _list_text(lock.seeds, seeds))
    step = 1 if lock.policy == "increment" else lock.stride
    assert step is not None  # the model guarantees it
    seeds = [_wrap(seed + index * step) for index in range(count)]
    how = "+1 per image" if step == 1 else f"+{step} per image"
    text = f"seeds {_sequence_text(seeds)} ({how}, {_images(count)})"
    if seed + (count - 1) * step > SEED_MAX:
        text += f", wrapping past {SEED_MAX} to 0"
    return SeedPlan(seeds, subseeds, strengths, text)


def _same_text(seed: int, count: int) -> str:
    return f"seed {seed} for 1 image" if count == 1 else f"same seed {seed} for all {count} images"


def _list_text(listed: list[int], seeds: list[int]) -> str:
    count, length = len(seeds), len(listed)
    if length < count:
        return (f"seeds from the list of {length} ({_sequence_text(listed)}), repeated cyclically "
                f"for {_images(count)}")
    if length > count:
        return f"the first {count} of the {length} listed seeds ({_sequence_text(seeds)}); the rest are unused"
    return f"the {length} listed seeds ({_sequence_text(seeds)})"


def _variation_plan(lock: SeedLock, seed: int, count: int) -> SeedPlan:
    variation_seed = lock.variation_seed if lock.variation_seed is not None else _wrap(seed + 1)
    start, end = lock.variation_strengths or DEFAULT_VARIATION_STRENGTHS
    if count == 1:
        strengths = [start]
    else:
        # Rounded so the infotext and ledger read 0.2, not 0.19999999999999998 (6 places is far below
        # anything that changes the noise visibly; A1111's slider steps by 0.01).
        strengths = [round(start + (end - start) * index / (count - 1), 6) for index in range(count)]
        strengths[-1] = end
    text = (f"seed {seed} with variation seed {variation_seed}, strength {_strength_text(start)}"
            + (f" → {_strength_text(end)} over {_images(count)}" if count > 1 else " for 1 image"))
    return SeedPlan([seed] * count, [variation_seed] * count, strengths, text)


__all__ = [
    "DEFAULT_VARIATION_STRENGTHS", "POLICIES", "POLICY_MEANINGS", "SEED_MAX", "SeedLock", "SeedLockError",
    "SeedPlan", "check_seed", "check_strength", "parse_seed_lock", "plan_seeds",
]
