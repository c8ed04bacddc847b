"""A profile's settings: checking them (against the running WebUI when there is one) and turning them
into what A1111 reads: ``p`` attributes, ``opts`` overrides, API fields and infotext.

Part of :mod:`paramlab.profiles.model`'s interface (re-exported there). It reads the setting table in
:mod:`paramlab.profiles.catalog`, never the model, so the model can use it without a circle.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from paramlab.infotext import SCHEDULER_ALIASES, SCHEDULER_LABELS
from paramlab.profiles.catalog import (
    HIRES_KEYS,
    NAME_VALUE_MAX,
    SETTINGS,
    SETTINGS_BY_KEY,
    HostCatalog,
    SettingSpec,
    match_name,
)
from paramlab.profiles.names import ProfileError, has_control_characters, list_names

_KEYS_BY_FOLDED = {spec.key.casefold(): spec.key for spec in SETTINGS}
# Infotext splits "WxH" values into "-1"/"-2" keys; accept those halves too.
_SPLIT_KEYS = {
    f"{spec.key}-{part}".casefold(): (spec.key, part) for spec in SETTINGS if spec.kind == "size" for part in (1, 2)
}
_SIZE_TEXT_RE = re.compile(r"^\s*(\d+)\s*[x×X]\s*(\d+)\s*$")
_KIND_WORDS = {
    "sampler": ("sampler", "samplers"), "scheduler": ("schedule type", "schedule types"),
    "upscaler": ("upscaler", "upscalers"), "checkpoint": ("checkpoint", "checkpoints"), "vae": ("VAE", "VAEs"),
}
_SCHEDULER_SPELLINGS = {label.casefold(): label for label in SCHEDULER_LABELS} | {
    alias.casefold(): label for alias, label in SCHEDULER_ALIASES.items()
}


def _split_legacy_sampler(name: str) -> tuple[str, str | None]:
    """``"DPM++ 2M Karras"`` → ``("DPM++ 2M", "Karras")``, case-insensitively, longest label first."""
    folded = name.casefold()
    for spelling in sorted(_SCHEDULER_SPELLINGS, key=len, reverse=True):
        if folded.endswith(" " + spelling) and len(folded) > len(spelling) + 1:
            return name[: -(len(spelling) + 1)].strip(), _SCHEDULER_SPELLINGS[spelling]
    return name, None


def _fmt(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


def _number(spec: SettingSpec, value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ProfileError(f"{what}: expected a number, got {value!r}.")
    try:
        number = float(value.strip()) if isinstance(value, str) else float(value)
    except ValueError:
        raise ProfileError(f"{what}: expected a number, got {value!r}.") from None
    if not math.isfinite(number):
        raise ProfileError(f"{what}: expected a finite number, got {value!r}.")
    if spec.minimum is not None and spec.maximum is not None and not spec.minimum <= number <= spec.maximum:
        raise ProfileError(
            f"{what}: {_fmt(number)} is out of range; it must be between {_fmt(spec.minimum)} and {_fmt(spec.maximum)}."
        )
    return number


def _integer(spec: SettingSpec, value: Any, what: str) -> int:
    number = _number(spec, value, what)
    if not number.is_integer():
        raise ProfileError(f"{what}: expected a whole number, got {value!r}.")
    if spec.multiple_of and int(number) % spec.multiple_of:
        raise ProfileError(f"{what}: {int(number)} is not a multiple of {spec.multiple_of}.")
    return int(number)


def _size_parts(spec: SettingSpec, value: Any) -> tuple[int, int]:
    parts: Any = None
    if isinstance(value, str):
        found = _SIZE_TEXT_RE.match(value)
        parts = found.groups() if found else None
    elif isinstance(value, (list, tuple)) and len(value) == 2:
        parts = value
    elif isinstance(value, dict) and set(value) == {"width", "height"}:
        parts = (value["width"], value["height"])
    if parts is None:
        raise ProfileError(
            f"{spec.key}: expected WIDTHxHEIGHT such as '512x768', [512, 768] or "
            f'{{"width": 512, "height": 768}}, got {value!r}.'
        )
    return _integer(spec, parts[0], f"{spec.key} width"), _integer(spec, parts[1], f"{spec.key} height")


def _name_text(spec: SettingSpec, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ProfileError(f"{spec.key}: expected a {_KIND_WORDS[spec.kind][0]} name, got {value!r}.")
    value = value.strip()
    if len(value) > NAME_VALUE_MAX or has_control_characters(value):
        raise ProfileError(f"{spec.key}: {value[:60]!r}… is not a valid {_KIND_WORDS[spec.kind][0]} name.")
    return value


def _coerce(spec: SettingSpec, value: Any) -> Any:
    """The value in its stored form (types and ranges only; no catalog)."""
    if spec.kind == "int":
        return _integer(spec, value, spec.key)
    if spec.kind == "float":
        return _number(spec, value, spec.key)
    if spec.kind == "size":
        width, height = _size_parts(spec, value)
        return f"{width}x{height}"
    text = _name_text(spec, value)
    if spec.kind == "scheduler":
        return _SCHEDULER_SPELLINGS.get(text.casefold(), text)
    return text


def _collect_keys(settings: Any) -> dict[str, Any]:
    """Map each given key to its infotext name; unknown keys are an error listing the valid ones."""
    if not isinstance(settings, dict):
        raise ProfileError(
            f'Settings must be an object of setting names to values such as {{"Steps": 20}}, '
            f"got {type(settings).__name__}."
        )
    found: dict[str, Any] = {}
    halves: dict[str, dict[int, Any]] = {}
    for key, value in settings.items():
        if value is None:  # "not set"
            continue
        folded = key.strip().casefold() if isinstance(key, str) else None
        if folded in _SPLIT_KEYS:
            canonical, part = _SPLIT_KEYS[folded]
            halves.setdefault(canonical, {})[part] = value
            continue
        canonical = _KEYS_BY_FOLDED.get(folded) if folded is not None else None
        if canonical is None:
            raise ProfileError(
                f"Unknown setting {key!r}. Valid settings: {', '.join(SETTINGS_BY_KEY)}."
            )
        if canonical in found:
            raise ProfileError(f"The setting {canonical!r} is given twice.")
        found[canonical] = value
    for canonical, parts in halves.items():
        if set(parts) != {1, 2}:
            missing = 2 if 1 in parts else 1
            raise ProfileError(f"{canonical}-{3 - missing} is given without {canonical}-{missing}.")
        if canonical in found:
            raise ProfileError(f"The setting {canonical!r} is given twice.")
        found[canonical] = [parts[1], parts[2]]
    return found


def _unknown_message(spec: SettingSpec, value: str, catalog: HostCatalog) -> tuple[str, str]:
    """(error for a rejection, reason for a profile kept but unusable here)."""
    singular, plural = _KIND_WORDS[spec.kind]
    names = catalog.names_for(spec.kind)
    error = f"{spec.key}: '{value}' is not available in this WebUI. Valid {plural}: {list_names(names)}."
    return error, f"{singular} '{value}' is not available in this WebUI"


def _normalise(settings: Any, catalog: HostCatalog | None, keep_unknown: bool) -> tuple[dict[str, Any], list[str]]:
    values = {key: _coerce(SETTINGS_BY_KEY[key], value) for key, value in _collect_keys(settings).items()}
    if "Hires upscale" in values and "Hires resize" in values:
        raise ProfileError(
            "Hires upscale and Hires resize are both set; pick one (a scale such as 1.5, or a target size)."
        )
    problems: list[str] = []

    def unavailable(spec: SettingSpec, value: str) -> None:
        error, reason = _unknown_message(spec, value, catalog)  # type: ignore[arg-type]
        if not keep_unknown:
            raise ProfileError(error)
        problems.append(reason)

    if "Sampler" in values:
        _resolve_sampler(values, catalog, unavailable)
    for spec in SETTINGS:
        if spec.key == "Sampler" or spec.key not in values:
            continue
        if spec.forge_only and catalog is not None and not catalog.forge:
            if not keep_unknown:
                raise ProfileError(f"{spec.key} is Forge-only; this WebUI is not Forge, so it cannot be set here.")
            problems.append(f"{spec.key} is Forge-only and this WebUI is not Forge")
        if spec.is_name and catalog is not None:
            matched = match_name(values[spec.key], catalog.names_for(spec.kind), spec.kind)
            if matched is None:
                unavailable(spec, values[spec.key])
            else:
                values[spec.key] = matched
    return {spec.key: values[spec.key] for spec in SETTINGS if spec.key in values}, problems


def _resolve_sampler(values: dict[str, Any], catalog: HostCatalog | None, unavailable: Any) -> None:
    """Use the catalog's spelling; read a pre-1.9 name ("DPM++ 2M Karras") as sampler + schedule type."""
    sampler = values["Sampler"]
    if catalog is not None:
        matched = match_name(sampler, catalog.samplers, "sampler")
        if matched is not None:
            values["Sampler"] = matched
            return
    base, label = _split_legacy_sampler(sampler)
    base_match = base if catalog is None else match_name(base, catalog.samplers, "sampler")
    if label is None or base_match is None:
        if catalog is not None:
            unavailable(SETTINGS_BY_KEY["Sampler"], sampler)
        return
    given = values.get("Schedule type")
    if given is not None and given.casefold() != label.casefold():
        raise ProfileError(
            f"Sampler '{sampler}' already names the schedule type {label}, but Schedule type is '{given}'; "
            f"set Sampler '{base}' and one Schedule type."
        )
    values["Sampler"], values["Schedule type"] = base_match, label


def normalise_settings(settings: dict[str, Any], catalog: HostCatalog | None) -> dict[str, Any]:
    """The settings checked and in stored form, in display order; :class:`ProfileError` on any problem."""
    return _normalise(settings, catalog, keep_unknown=False)[0]


def normalise_settings_keep_unknown(
    settings: dict[str, Any], catalog: HostCatalog | None
) -> tuple[dict[str, Any], list[str]]:
    """Like :func:`normalise_settings`, but names this WebUI lacks are kept and returned as reasons.

    Types and ranges are still enforced. Used by import with "keep unknown".
    """
    return _normalise(settings, catalog, keep_unknown=True)


def unusable_reason(settings: dict[str, Any], catalog: HostCatalog | None) -> str | None:
    """Why these settings cannot be applied in this WebUI (e.g. a missing sampler), or None."""
    if catalog is None:
        return None
    problems = normalise_settings_keep_unknown(settings, catalog)[1]
    return "; ".join(problems) or None


# -- preview ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SettingChange:
    """One row of the "what would change" preview."""

    key: str
    current: Any
    new: Any
    changes: bool


def _same(spec: SettingSpec, current: Any, new: Any) -> bool:
    if current is None:
        return False
    try:
        current = _coerce(spec, current)
    except ProfileError:
        return False
    if spec.kind == "float":
        return math.isclose(current, new, rel_tol=1e-9, abs_tol=1e-9)
    if spec.is_name:
        return str(current).casefold() == str(new).casefold()
    return current == new


def diff_settings(settings: dict[str, Any], current: dict[str, Any]) -> list[SettingChange]:
    """For each key the profile sets: the current value, the profile's value, and whether it differs.

    ``current`` is keyed by infotext names; a size may be given whole or as ``-1``/``-2`` halves.
    """
    wanted = normalise_settings(settings, None)
    changes = []
    for key, new in wanted.items():
        spec = SETTINGS_BY_KEY[key]
        now = current.get(key)
        if now is None and spec.kind == "size" and f"{key}-1" in current:
            now = [current.get(f"{key}-1"), current.get(f"{key}-2")]
        changes.append(SettingChange(key=key, current=now, new=new, changes=not _same(spec, now, new)))
    return changes


# -- applying --------------------------------------------------------------------------------------

def _by_field(settings: dict[str, Any], attribute: str) -> dict[str, Any]:
    normalised = normalise_settings(settings, None)
    values: dict[str, Any] = {}
    for key, value in normalised.items():
        spec = SETTINGS_BY_KEY[key]
        names = getattr(spec, attribute)
        if not names:
            continue
        if spec.kind == "size":
            values.update(zip(names, _size_parts(spec, value)))
        else:
            values[names[0]] = value
    if any(key in normalised for key in HIRES_KEYS):
        values["enable_hr"] = True
    if "Hires upscale" in normalised:
        # A1111 ignores the scale while a resize target is set, so a profile's scale clears it.
        values.setdefault("hr_resize_x", 0)
        values.setdefault("hr_resize_y", 0)
    return values


def to_p_values(settings: dict[str, Any]) -> dict[str, Any]:
    """``p`` attribute → value. Hires keys also set ``enable_hr``; Hires upscale sets hr_resize_x/y to 0."""
    return _by_field(settings, "p_attrs")


def to_api_values(settings: dict[str, Any]) -> dict[str, Any]:
    """API / paste field → value (Clip skip, Model and VAE go through :func:`to_override_settings`)."""
    return _by_field(settings, "api_fields")


def to_override_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """A1111 option name → value, for the settings that live in ``opts`` (Clip skip, Model, VAE)."""
    normalised = normalise_settings(settings, None)
    return {spec.option: normalised[spec.key] for spec in SETTINGS if spec.option and spec.key in normalised}


def to_infotext_params(settings: dict[str, Any]) -> dict[str, str]:
    """Infotext key → text as A1111 writes it ("Size": "512x768", "Hires resize-1": "1024" …)."""
    params: dict[str, str] = {}
    for key, value in normalise_settings(settings, None).items():
        if key == "Hires resize":
            width, height = _size_parts(SETTINGS_BY_KEY[key], value)
            params["Hires resize-1"], params["Hires resize-2"] = str(width), str(height)
        else:
            params[key] = str(value)
    return params
