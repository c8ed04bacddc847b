"""Apply a profile to a run at generation time (UI and API alike) and mark its infotext.

Called from ``before_process``: after every ``setup()`` (so the builtin Sampler/Seed UI values
cannot overwrite it) and before overrides, prompts, seeds and the hires target are computed.
"""

from __future__ import annotations

import logging
from typing import Any

from paramlab.args import INFOTEXT_KEYS
from paramlab.profiles import Profile, ProfileError, normalise_settings, to_override_settings, to_p_values
from paramlab.profiles.model import SETTINGS_BY_KEY
from paramlab.webui import catalog, runtime

log = logging.getLogger("paramlab")

INFOTEXT_KEY = INFOTEXT_KEYS["profile"]


def profile_applied_by_axis(p: Any) -> bool:
    """The X/Y/Z axis already applied a profile to this cell; it wins over the panel's choice."""
    return INFOTEXT_KEY in (getattr(p, "extra_generation_params", None) or {})


def apply_profile(p: Any, profile: Profile, *, is_img2img: bool) -> list[str]:
    """Set ``p`` from the profile; returns the keys left out (hires keys in img2img)."""
    if profile.unusable_reason:
        raise ProfileError(f"ParamLab: profile {profile.name!r} cannot be used here: {profile.unusable_reason}")
    settings = dict(profile.settings)
    skipped = [key for key in settings if is_img2img and SETTINGS_BY_KEY[key].txt2img_only]
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
