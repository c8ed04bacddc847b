"""The one arguments model behind the script's UI value, its API payload and its infotext keys.

API callers pass ONE dict as the script's only arg::

    "alwayson_scripts": {"ParamLab": {"args": [{"record": false}]}}

Later features add keys to the same model; unknown keys are rejected with the valid names, so a
typo never silently does nothing.
"""

from __future__ import annotations

import json
from typing import Any

from paramlab.seeds.policy import SeedLock

try:  # pydantic 2 (Forge) ships the v1 API under pydantic.v1; A1111 1.10 has pydantic 1.10
    from pydantic.v1 import BaseModel, Extra, StrictBool, ValidationError, constr
except ImportError:  # pragma: no cover - pydantic < 1.10.17
    from pydantic import BaseModel, Extra, StrictBool, ValidationError, constr  # type: ignore[assignment]


class ParamLabArgsError(ValueError):
    """The script args could not be understood; the message names the field and what is allowed."""


class ParamLabArgs(BaseModel):
    """Per-run options. Every field has a default, so ``{}`` (or no args at all) means "defaults"."""

    record: StrictBool = True
    # Apply this parameter profile at generation (overrides the fields for this run).
    profile: constr(strict=True, strip_whitespace=True, min_length=1, max_length=100) | None = None  # type: ignore[valid-type]
    # Lock the seed (or use a character series) and choose the batch seed policy; see paramlab.seeds.
    seed_lock: SeedLock | None = None

    class Config:
        extra = Extra.forbid
        allow_mutation = False

    def to_ui_value(self) -> dict[str, Any]:
        return self.dict(exclude_none=False)


# Infotext key for each field written into the generation parameters (none for ``record``: whether
# a run was recorded is not a generation setting). The paste fields are built from this table too.
INFOTEXT_KEYS: dict[str, str] = {"profile": "ParamLab profile", "series": "Seed series"}


def field_names() -> list[str]:
    return list(ParamLabArgs.__fields__)


def parse_script_args(raw: Any) -> ParamLabArgs:
    """Accept what the UI state, the API or a test passes: None, a dict, a JSON string, or the model."""
    if isinstance(raw, ParamLabArgs):
        return raw
    if raw is None or raw == "":
        return ParamLabArgs()
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError as exc:
            raise ParamLabArgsError(f"ParamLab: the script arg is not valid JSON ({exc}).") from exc
    if not isinstance(raw, dict):
        raise ParamLabArgsError(
            f"ParamLab: the script arg must be one object such as {{\"record\": false}}, got "
            f"{type(raw).__name__}. Valid keys: {', '.join(field_names())}."
        )
    try:
        return ParamLabArgs(**raw)
    except ValidationError as exc:
        raise ParamLabArgsError(_explain(exc)) from exc
    except TypeError as exc:  # non-string keys
        raise ParamLabArgsError(f"ParamLab: invalid script arg keys ({exc}).") from exc


def _explain(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors():
        location = ".".join(str(part) for part in error["loc"])
        if error["type"] == "value_error.extra" and len(error["loc"]) == 1:
            problems.append(f"unknown key {location!r}")
        else:
            problems.append(f"{location}: {error['msg']}")
    return (
        f"ParamLab: invalid script args: {'; '.join(problems)}. "
        f"Valid keys: {', '.join(field_names())}."
    )
