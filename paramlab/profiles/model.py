"""What a parameter profile is: its fields, the generation settings it may hold, and their rules.

Settings are keyed by A1111's infotext names ("Steps", "CFG scale", "Size" …) so a profile reads
like the parameters line under an image. Validation never imports the WebUI: the adapter passes a
:class:`HostCatalog` with the running WebUI's names; without one only types and ranges are checked.

This module is the profile interface. Its parts sit below it and never import it: the setting table
and host names in :mod:`~paramlab.profiles.catalog`, name rules and errors in
:mod:`~paramlab.profiles.names`, and checking/converting settings in :mod:`~paramlab.profiles.settings`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from paramlab.documents import name_key
from paramlab.profiles.catalog import (
    HIRES_KEYS,
    SETTINGS,
    SETTINGS_BY_KEY,
    HostCatalog,
    SettingSpec,
    match_name,
    scope_matches,
)
from paramlab.profiles.names import (
    NAME_MAX,
    ProfileError,
    ProfileNotFound,
    check_text,
    has_control_characters,
    list_names,
    validate_name,
)
from paramlab.profiles.settings import (
    SettingChange,
    diff_settings,
    normalise_settings,
    normalise_settings_keep_unknown,
    to_api_values,
    to_infotext_params,
    to_override_settings,
    to_p_values,
    unusable_reason,
)
from paramlab.strict_model import StrictModel, validator

DESCRIPTION_MAX = 2_000
MODEL_SCOPE_MAX = 300


def _validate_model_scope(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ProfileError(f"Model scope must be a checkpoint name or hash, got {type(value).__name__}.")
    value = value.strip()
    if len(value) > MODEL_SCOPE_MAX:
        raise ProfileError(f"Model scope is {len(value):,} characters long; the limit is {MODEL_SCOPE_MAX}.")
    if has_control_characters(value):
        raise ProfileError("Model scope contains a control character; use a checkpoint name or hash.")
    return value or None


class Profile(StrictModel):
    """A named, partial set of generation settings. Only the keys in ``settings`` are ever applied."""

    name: str
    description: str = ""
    model_scope: str | None = None
    settings: dict[str, Any] = {}
    starter: bool = False
    unusable_reason: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    # The style guide of a shared ledger (stored profiles only; set by the store, not by files or forms).
    version: int | None = None
    approved: bool = False
    approved_by: str | None = None
    approved_at: datetime | None = None
    locked: bool = False
    updated_by: str | None = None

    error_type: ClassVar[type[ValueError]] = ProfileError
    unknown_field_text: ClassVar[str] = "unknown profile field {field!r} (valid fields: {fields})"

    @classmethod
    def is_own_message(cls, message: str) -> bool:
        return message[:1].isupper()  # our own ProfileError text already names the field

    @validator("name", pre=True)
    def _name(cls, value: Any) -> str:  # noqa: N805 - pydantic validators are class methods
        return validate_name(value)

    @validator("description", pre=True)
    def _description(cls, value: Any) -> str:  # noqa: N805
        return check_text(value, "Profile description", DESCRIPTION_MAX, ProfileError)

    @validator("model_scope", pre=True)
    def _model_scope(cls, value: Any) -> str | None:  # noqa: N805
        return _validate_model_scope(value)

    @validator("settings", pre=True)
    def _settings(cls, value: Any) -> dict[str, Any]:  # noqa: N805
        return normalise_settings(value, None)

    @property
    def key(self) -> str:
        return name_key(self.name)

    @property
    def usable(self) -> bool:
        return self.unusable_reason is None


__all__ = [
    "DESCRIPTION_MAX", "HIRES_KEYS", "MODEL_SCOPE_MAX", "NAME_MAX", "SETTINGS", "SETTINGS_BY_KEY", "HostCatalog",
    "Profile", "ProfileError", "ProfileNotFound", "SettingChange", "SettingSpec", "diff_settings", "list_names",
    "match_name", "name_key", "normalise_settings", "normalise_settings_keep_unknown", "scope_matches",
    "to_api_values", "to_infotext_params", "to_override_settings", "to_p_values", "unusable_reason",
    "validate_name",
]
