"""What an A/B test is: its name, 2–8 variants, the prompts and the paired seeds; one model drives the
script's UI value, its API payload and the CLI.

API callers select the script and pass ONE dict as its only arg::

    {"script_name": "ParamLab A/B test", "script_args": [{"name": "night test",
     "variants": ["Fast draft", {"name": "More steps", "settings": {"Steps": 30}}],
     "prompts": ["a lighthouse at night"], "seed_count": 20}]}

A variant is a profile (by name, or ``{"profile": …}``) or a settings dict in infotext names
(see :mod:`paramlab.profiles.model`). Every variant gets the same seeds, so each (prompt, seed) gives
one image per variant: the pairs the judges compare.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, ClassVar

from paramlab.profiles import ProfileError, normalise_settings
from paramlab.strict_model import StrictBool, StrictModel, root_validator, validator

SCRIPT_TITLE = "ParamLab A/B test"
MAX_VARIANTS = 8
DEFAULT_MAX_IMAGES = 200  # more needs ``confirm``: a typo in a seed count must not book the GPU for a day
NAME_MAX = 200


class ABTestError(ValueError):
    """The test's input cannot be run; the message says what to change."""


class Variant(StrictModel):
    """One candidate: a stored or starter profile, or settings in infotext names."""

    name: str
    profile: str | None = None
    settings: dict[str, Any] | None = None

    error_type: ClassVar[type[ValueError]] = ABTestError
    unknown_field_text: ClassVar[str] = "unknown variant key {field!r} (valid keys: {fields})"

    @classmethod
    def is_own_message(cls, message: str) -> bool:
        return message.startswith("ParamLab")

    @root_validator(pre=True)
    def _one_source(cls, values: dict[str, Any]) -> dict[str, Any]:  # noqa: N805
        if values.get("profile") is None and values.get("settings") is None:
            raise ValueError(f"ParamLab: variant {values.get('name')!r} needs a profile or a settings dict")
        if values.get("profile") is not None and values.get("settings") is not None:
            raise ValueError(f"ParamLab: variant {values.get('name')!r} has both a profile and settings; give one")
        if not values.get("name"):
            values["name"] = values.get("profile") or ""
        return values

    @validator("name")
    def _name(cls, value: str) -> str:  # noqa: N805
        value = value.strip()
        if not value or len(value) > 100:
            raise ValueError("ParamLab: a variant's name must be 1–100 characters")
        return value

    @validator("settings")
    def _settings(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:  # noqa: N805
        if value is None:
            return None
        try:
            settings = normalise_settings(value, None)
        except ProfileError as exc:
            raise ValueError(f"ParamLab: {exc}") from exc
        if not settings:
            raise ValueError("ParamLab: a variant's settings dict is empty")
        return settings


class ABTestArgs(StrictModel):
    """The whole test. Seeds: an explicit list, or ``seed_count`` seeds from ``first_seed`` on."""

    name: str
    variants: list[Variant]
    prompts: list[str]
    negative_prompt: str | None = None
    seeds: list[int] | None = None
    seed_count: int | None = None
    first_seed: int = 1
    max_images: int = DEFAULT_MAX_IMAGES
    confirm: StrictBool = False

    error_type: ClassVar[type[ValueError]] = ABTestError
    unknown_field_text: ClassVar[str] = "unknown A/B test key {field!r} (valid keys: {fields})"

    @classmethod
    def is_own_message(cls, message: str) -> bool:
        return message.startswith("ParamLab")

    @classmethod
    def explain(cls, exc: Any) -> str:
        text = super().explain(exc)
        return text if text.startswith("ParamLab") else f"ParamLab A/B test: {text}"

    @validator("name")
    def _name(cls, value: str) -> str:  # noqa: N805
        value = value.strip()
        if not value or len(value) > NAME_MAX:
            raise ValueError(f"ParamLab: the test needs a name of 1–{NAME_MAX} characters (a rerun with the "
                             f"same name resumes it)")
        return value

    @validator("variants", pre=True)
    def _variants(cls, value: Any) -> Any:  # noqa: N805
        if not isinstance(value, list):
            raise ValueError("ParamLab: variants must be a list of profile names or {name, settings} dicts")
        value = [{"name": item, "profile": item} if isinstance(item, str) else item for item in value]
        if not 2 <= len(value) <= MAX_VARIANTS:
            raise ValueError(f"ParamLab: an A/B test compares 2–{MAX_VARIANTS} variants, got {len(value)}")
        return value

    @validator("variants")
    def _distinct(cls, value: list[Variant]) -> list[Variant]:  # noqa: N805
        names = [variant.name.casefold() for variant in value]
        if len(set(names)) != len(names):
            raise ValueError("ParamLab: two variants have the same name; name each one differently")
        return value

    @validator("prompts", pre=True)
    def _prompts(cls, value: Any) -> list[str]:  # noqa: N805
        if isinstance(value, str):
            value = value.splitlines()
        prompts = [str(prompt).strip() for prompt in (value or []) if str(prompt).strip()]
        if not prompts:
            raise ValueError("ParamLab: the prompt list is empty; give at least one prompt (one per line)")
        return prompts

    @root_validator(skip_on_failure=True)
    def _seeds(cls, values: dict[str, Any]) -> dict[str, Any]:  # noqa: N805
        seeds, count = values.get("seeds"), values.get("seed_count")
        if seeds is None:
            if count is None or count < 1:
                raise ValueError("ParamLab: 0 seeds: give a seed list or a seed count of at least 1")
            seeds = [values.get("first_seed", 1) + offset for offset in range(count)]
        seeds = list(dict.fromkeys(int(seed) for seed in seeds))
        if not seeds:
            raise ValueError("ParamLab: 0 seeds: give a seed list or a seed count of at least 1")
        if any(seed < 0 or seed > 2**32 - 1 for seed in seeds):
            raise ValueError("ParamLab: seeds must be between 0 and 4294967295 (a fixed seed, never -1)")
        values["seeds"] = seeds
        values["seed_count"] = len(seeds)
        total = len(seeds) * len(values["prompts"]) * len(values["variants"])
        if total > values.get("max_images", DEFAULT_MAX_IMAGES) and not values.get("confirm"):
            raise ValueError(
                f"ParamLab: this test makes {total} images, more than the maximum of {values['max_images']} "
                f"without confirmation; tick \"Confirm\" (API: \"confirm\": true) or use fewer seeds or prompts")
        return values

    def variant_names(self) -> list[str]:
        return [variant.name for variant in self.variants]

    def cells(self) -> list[Cell]:
        """Every image of the test, pair by pair: all variants of one (prompt, seed) come together, so an
        interrupted test leaves complete pairs to judge."""
        return [Cell(prompt, seed, variant) for prompt in self.prompts for seed in self.seeds
                for variant in self.variants]

    def to_json(self) -> str:
        return json.dumps(self.dict(exclude={"seed_count", "first_seed"}), ensure_ascii=False)


@dataclass(frozen=True)
class Cell:
    prompt: str
    seed: int
    variant: Variant

    @property
    def key(self) -> tuple[str, str, int]:
        return self.variant.name, self.prompt, self.seed


def parse_abtest_args(raw: Any) -> ABTestArgs:
    """Accept what the UI, the API or the CLI passes: a dict, a JSON string, or the model."""
    if isinstance(raw, ABTestArgs):
        return raw
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError as exc:
            raise ABTestError(f"ParamLab A/B test: the script arg is not valid JSON ({exc}).") from exc
    if not isinstance(raw, dict):
        raise ABTestError("ParamLab A/B test: the script arg must be one object with name, variants, prompts "
                          f"and seeds, got {type(raw).__name__}.")
    try:
        return ABTestArgs(**raw)
    except TypeError as exc:
        raise ABTestError(f"ParamLab A/B test: invalid keys ({exc}).") from exc
