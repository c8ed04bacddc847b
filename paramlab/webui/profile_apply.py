"""Apply a profile to a run at generation time (UI and API alike) and mark its infotext.

Called from ``before_process``: after every ``setup()`` (so the builtin Sampler/Seed UI values
cannot overwrite it) and before overrides, prompts, seeds and the hires target are computed.
Values an X/Y/Z axis set for the cell are kept: the grid runs what it is labelled with.
"""

from __future__ import annotations

import logging
from typing import Any

from paramlab.args import INFOTEXT_KEYS
from paramlab.profiles import Profile, ProfileError, normalise_settings, to_override_settings, to_p_values
from paramlab.profiles.model import SETTINGS_BY_KEY
from paramlab.webui import axis_values, catalog, runtime

log = logging.getLogger("paramlab")

INFOTEXT_KEY = INFOTEXT_KEYS["profile"]


def profile_applied_by_axis(p: Any) -> bool:
    """The X/Y/Z axis already applied a profile to this cell; it wins over the panel's choice."""
    return INFOTEXT_KEY in (getattr(p, "extra_generation_params", None) or {})


def targets(key: str) -> set[str]:
    """The ``p`` attributes and ``override:<option>`` keys a profile setting writes."""
    spec = SETTINGS_BY_KEY[key]
    found = set(spec.p_attrs)
    if spec.option:
        found.add(axis_values.override_key(spec.option))
    return found


def kept_by_axis(settings: dict[str, Any], set_by_axis: frozenset[str]) -> list[str]:
    """The profile's keys whose values an X/Y/Z axis already set for this cell."""
    return [key for key in settings if targets(key) & set_by_axis]


def apply_profile(p: Any, profile: Profile, *, is_img2img: bool, keep: frozenset[str] = frozenset()) -> list[str]:
    """Set ``p`` from the profile; returns the keys left out (hires keys in img2img, keys in ``keep``)."""
    if profile.unusable_reason:
        raise ProfileError(f"ParamLab: profile {profile.name!r} cannot be used here: {profile.unusable_reason}")
    settings = dict(profile.settings)
    skipped = [key for key in settings if is_img2img and SETTINGS_BY_KEY[key].txt2img_only]
    skipped += [key for key in kept_by_axis(settings, keep) if key not in skipped]
    for key in skipped:
        settings.pop(key)
    for attribute, value in to_p_values(settings).items():
        if is_img2img and attribute == "enable_hr":
            continue
        setattr(p, attribute, value)
    overrides = to_override_settings(settings)
    if overrides:
        p.override_settings = {**(getattr(p, "override_settings", None) or {}), **overrides}
    # A new dict: X/Y/Z cells are shallow copies of one p and would otherwise share it.
    p.extra_generation_params = {**(getattr(p, "extra_generation_params", None) or {}), INFOTEXT_KEY: profile.name}
    return skipped


def load_profile(name: str) -> Profile:
    """The named profile, checked against this WebUI's samplers, upscalers, models…"""
    profile = runtime.profile_store().get(name)
    if profile.unusable_reason:
        return profile
    return profile.copy(update={"settings": normalise_settings(profile.settings, catalog.host_catalog())})
