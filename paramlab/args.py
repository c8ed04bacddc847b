"""The one arguments model behind the script's UI value, its API payload and its infotext keys.

API callers pass ONE dict as the script's only arg::

    "alwayson_scripts": {"ParamLab": {"args": [{"record": false}]}}

Later features add keys to the same model; unknown keys are rejected with the valid names, so a
typo never silently does nothing.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from paramlab.seeds.policy import SeedLock
from paramlab.strict_model import StrictBool, StrictModel, ValidationError, constr


class ParamLabArgsError(ValueError):
    """The script args could not be understood; the message names the field and what is allowed."""


class ParamLabArgs(StrictModel):
    """Per-run options. Every field has a default, so ``{}`` (or no args at all) means "defaults"."""

    record: StrictBool = True
    # Apply this parameter profile at generation (overrides the fields for this run).
    profile: constr(strict=True, strip_whitespace=True, min_length=1, max_length=100) | None = None  # type: ignore[valid-type]
    # Lock the seed (or use a character series) and choose the batch seed policy; see paramlab.seeds.
    seed_lock: SeedLock | None = None
    # A replay's: torch's global random state the recorded run started from ({"cpu": base64, "cuda": base64}),
    # restored before img2img encodes (see paramlab.webui.rng_state). Set by the replay request, not by users.
    torch_rng_state: dict[str, constr(strict=True, max_length=65536)] | None = None  # type: ignore[valid-type]

    error_type: ClassVar[type[ValueError]] = ParamLabArgsError
    unknown_field_text: ClassVar[str] = "unknown key {field!r}"
    own_message_prefix: ClassVar[str] = "seed_lock"  # SeedLock's own sentences already name the field

    @classmethod
    def explain(cls, exc: ValidationError) -> str:
        return f"ParamLab: invalid script args: {super().explain(exc)} Valid keys: {', '.join(field_names())}."

    def to_ui_value(self) -> dict[str, Any]:
        return self.dict(exclude_none=False, exclude={"torch_rng_state"})  # a replay's, never the panel's


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
    except TypeError as exc:  # non-string keys
        raise ParamLabArgsError(f"ParamLab: invalid script arg keys ({exc}).") from exc

