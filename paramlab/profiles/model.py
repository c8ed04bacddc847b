"""What a parameter profile is: its fields, the generation settings it may hold, and their rules.

Settings are keyed by A1111's infotext names ("Steps", "CFG scale", "Size" …) so a profile reads
like the parameters line under an image. Validation never imports the WebUI: the adapter passes a
:class:`HostCatalog` with the running WebUI's names; without one only types and ranges are checked.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from paramlab.strict_model import StrictModel, validator

NAME_MAX = 100
DESCRIPTION_MAX = 2_000
MODEL_SCOPE_MAX = 300
NAME_VALUE_MAX = 400  # a sampler, upscaler, checkpoint or VAE name (checkpoint titles run long)
LIST_CAP = 30  # valid names shown in one error message

NAME_KINDS = ("sampler", "scheduler", "upscaler", "checkpoint", "vae")
KINDS = (*NAME_KINDS, "int", "float", "size")


@dataclass(frozen=True)
class SettingSpec:
    """One setting a profile may hold, and where A1111 keeps it."""

    key: str  # infotext name
    kind: str
    minimum: float | None = None
    maximum: float | None = None
    p_attrs: tuple[str, ...] = ()  # attributes of the processing object ``p``
    api_fields: tuple[str, ...] = ()  # paste-field / API payload names
    option: str | None = None  # the A1111 setting (``opts``) it lives in, when not on ``p``
    txt2img_only: bool = False
    forge_only: bool = False
    multiple_of: int | None = None

    @property
    def is_name(self) -> bool:
        return self.kind in NAME_KINDS


# Ranges are those of A1111 v1.10.1's sliders.
SETTINGS: tuple[SettingSpec, ...] = (
    SettingSpec("Sampler", "sampler", p_attrs=("sampler_name",), api_fields=("sampler_name",)),
    SettingSpec("Schedule type", "scheduler", p_attrs=("scheduler",), api_fields=("scheduler",)),
    SettingSpec("Steps", "int", 1, 150, ("steps",), ("steps",)),
    SettingSpec("CFG scale", "float", 1, 30, ("cfg_scale",), ("cfg_scale",)),
    SettingSpec("Distilled CFG Scale", "float", 0, 30, ("distilled_cfg_scale",), ("distilled_cfg_scale",),
                forge_only=True),
    SettingSpec("Size", "size", 64, 2048, ("width", "height"), ("width", "height"), multiple_of=8),
    SettingSpec("Batch size", "int", 1, 8, ("batch_size",), ("batch_size",)),
    SettingSpec("Batch count", "int", 1, 100, ("n_iter",), ("n_iter",)),
    SettingSpec("Hires upscale", "float", 1, 4, ("hr_scale",), ("hr_scale",), txt2img_only=True),
    SettingSpec("Hires resize", "size", 0, 2048, ("hr_resize_x", "hr_resize_y"), ("hr_resize_x", "hr_resize_y"),
                txt2img_only=True, multiple_of=8),
    SettingSpec("Hires upscaler", "upscaler", p_attrs=("hr_upscaler",), api_fields=("hr_upscaler",),
                txt2img_only=True),
    SettingSpec("Hires steps", "int", 0, 150, ("hr_second_pass_steps",), ("hr_second_pass_steps",),
                txt2img_only=True),
    SettingSpec("Denoising strength", "float", 0, 1, ("denoising_strength",), ("denoising_strength",)),
    SettingSpec("Clip skip", "int", 1, 12, option="CLIP_stop_at_last_layers"),
    SettingSpec("Model", "checkpoint", option="sd_model_checkpoint"),
    SettingSpec("VAE", "vae", option="sd_vae"),
)
SETTINGS_BY_KEY: dict[str, SettingSpec] = {spec.key: spec for spec in SETTINGS}
# Any of these turns the hires fix on when applied.
HIRES_KEYS = ("Hires upscale", "Hires resize", "Hires upscaler", "Hires steps")


@dataclass
class HostCatalog:
    """The running WebUI's names (from its registries); the adapter builds it, the core only reads it."""

    samplers: list[str] = field(default_factory=list)
    schedulers: list[str] = field(default_factory=list)
    upscalers: list[str] = field(default_factory=list)
    checkpoints: list[str] = field(default_factory=list)
    vaes: list[str] = field(default_factory=list)
    forge: bool = False

    def names_for(self, kind: str) -> list[str]:
        return {
            "sampler": self.samplers, "scheduler": self.schedulers, "upscaler": self.upscalers,
            "checkpoint": self.checkpoints, "vae": self.vaes,
        }[kind]


class ProfileError(ValueError):
    """A profile or one of its settings is not acceptable; the message names the field and what is allowed."""


class ProfileNotFound(ProfileError):
    """No profile has that name."""


def list_names(names: list[str] | tuple[str, ...], cap: int = LIST_CAP) -> str:
    """``a, b, c`` for an error message, cut after ``cap`` names so a message stays readable."""
    if not names:
        return "(none)"
    shown = ", ".join(names[:cap])
    return shown + (f", … ({len(names) - cap} more)" if len(names) > cap else "")


# -- names and text fields ----------------------------------------------------------------------

_BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _has_control(text: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Zl", "Zp") or ch in _BIDI_CONTROLS for ch in text)


def name_key(name: str) -> str:
    """The case-insensitive identity of a profile name (stored as ``profiles.name_key``)."""
    return name.strip().lower()


def validate_name(name: Any, kind: str = "profile", error_type: type[ValueError] = ProfileError) -> str:
    """A name (of a profile, or a series with ``kind="series"``), stripped: 1–100 characters, no control
    characters, no HTML brackets."""
    label = kind.capitalize()
    if name is None:
        raise error_type(f"{label} name is missing; give the {kind} a name of 1–{NAME_MAX} characters.")
    if not isinstance(name, str):
        raise error_type(f"{label} name must be text, got {type(name).__name__}.")
    name = name.strip()
    if not name:
        raise error_type(f"{label} name is empty; give the {kind} a name of 1–{NAME_MAX} characters.")
    if len(name) > NAME_MAX:
        raise error_type(f"{label} name is {len(name):,} characters long; the limit is {NAME_MAX}.")
    if _has_control(name):
        raise error_type(f"{label} name contains a control character (such as a line break); use plain text.")
    if "<" in name or ">" in name:
        raise error_type(f"{label} name {name!r} contains '<' or '>'; HTML is not allowed in names.")
    return name


def _validate_description(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ProfileError(f"Profile description must be text, got {type(value).__name__}.")
    value = value.strip()
    if len(value) > DESCRIPTION_MAX:
        raise ProfileError(f"Profile description is {len(value):,} characters long; the limit is {DESCRIPTION_MAX:,}.")
    if "\x00" in value:
        raise ProfileError("Profile description contains a NUL character.")
    return value


def _validate_model_scope(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ProfileError(f"Model scope must be a checkpoint name or hash, got {type(value).__name__}.")
    value = value.strip()
    if len(value) > MODEL_SCOPE_MAX:
        raise ProfileError(f"Model scope is {len(value):,} characters long; the limit is {MODEL_SCOPE_MAX}.")
    if _has_control(value):
        raise ProfileError("Model scope contains a control character; use a checkpoint name or hash.")
    return value or None


# -- model names: checkpoints and VAEs are matched the lenient way A1111 matches them ----------

_TITLE_HASH_RE = re.compile(r"\s*\[([0-9a-fA-F]{6,64})\]\s*$")
_MODEL_EXTENSIONS = (".safetensors", ".ckpt", ".pt", ".pth", ".bin", ".gguf", ".sft")
_HEX_RE = re.compile(r"^[0-9a-f]{8,64}$")


def _model_stem(name: str) -> str:
    """``"sub/v1-5.safetensors [6ce0161689]"`` → ``"v1-5"`` (case-folded)."""
    stem = _TITLE_HASH_RE.sub("", name).replace("\\", "/").rsplit("/", 1)[-1].casefold()
    for extension in _MODEL_EXTENSIONS:
        if stem.endswith(extension):
            return stem[: -len(extension)]
    return stem


def _title_hash(name: str) -> str | None:
    found = _TITLE_HASH_RE.search(name)
    return found.group(1).casefold() if found else None


def _hashes_match(a: str, b: str) -> bool:
    return len(a) >= 8 and len(b) >= 8 and (a.startswith(b) or b.startswith(a))


def scope_matches(scope: str | None, model_name: str | None, model_hash: str | None) -> bool:
    """Whether a profile's model scope names the loaded model (by name, title, or a hash prefix)."""
    if not scope:
        return False
    wanted = scope.strip().casefold()
    if model_name:
        name = model_name.strip().casefold()
        if wanted == name or _model_stem(wanted) == _model_stem(name):
            return True
        title_hash = _title_hash(name)
        if title_hash and _HEX_RE.match(wanted) and _hashes_match(wanted, title_hash):
            return True
    if model_hash and _HEX_RE.match(wanted):
        return _hashes_match(wanted, model_hash.strip().casefold())
    return False


def match_name(value: str, choices: list[str], kind: str) -> str | None:
    """The catalog's spelling of ``value`` (case-insensitive), or None when the host lacks it."""
    folded = value.casefold()
    for choice in choices:
        if choice.casefold() == folded:
            return choice
    if kind in ("checkpoint", "vae"):
        stem = _model_stem(value)
        for choice in choices:
            if _model_stem(choice) == stem:
                return choice
        if _HEX_RE.match(folded):
            for choice in choices:
                title_hash = _title_hash(choice)
                if title_hash and _hashes_match(folded, title_hash):
                    return choice
    return None


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
        return _validate_description(value)

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



# The settings rules live in their own module to keep files short; they are part of this interface.
from paramlab.profiles.settings import (  # noqa: E402 - settings.py needs the definitions above
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

__all__ = [
    "DESCRIPTION_MAX", "HIRES_KEYS", "MODEL_SCOPE_MAX", "NAME_MAX", "SETTINGS", "SETTINGS_BY_KEY", "HostCatalog",
    "Profile", "ProfileError", "ProfileNotFound", "SettingChange", "SettingSpec", "diff_settings", "list_names",
    "match_name", "name_key", "normalise_settings", "normalise_settings_keep_unknown", "scope_matches",
    "to_api_values", "to_infotext_params", "to_override_settings", "to_p_values", "unusable_reason",
    "validate_name",
]
