"""What the profile panel's buttons compute, as plain functions of the current field values.

Fields are identified by A1111's paste-field API names (``sampler_name``, ``cfg_scale``, …), taken
from the tab's infotext paste registry rather than from element ids, so a renamed element or
another extension's layout change does not break Apply.
"""

from __future__ import annotations

import html
from typing import Any

from paramlab.profiles import Profile, diff_settings, to_api_values
from paramlab.profiles.guide import badge
from paramlab.profiles.model import SETTINGS
from paramlab.profiles.stats import ProfileFigures

# Settings that A1111 pastes through its "Override settings" field, with the infotext key it uses.
OVERRIDE_INFOTEXT_KEYS = {"Clip skip": "Clip skip", "Model": "Model hash", "VAE": "VAE"}
HIRES_API_FIELDS = ("hr_scale", "hr_resize_x", "hr_resize_y", "hr_upscaler", "hr_second_pass_steps")


def settings_from_fields(values: dict[str, Any], *, is_img2img: bool) -> dict[str, Any]:
    """The current UI values as profile settings (only fields this tab has)."""
    hires_on = bool(values.get("enable_hr")) and not is_img2img
    settings: dict[str, Any] = {}
    for spec in SETTINGS:
        if not spec.api_fields or any(name not in values for name in spec.api_fields):
            continue
        if spec.txt2img_only and not hires_on:
            continue
        if spec.key == "Denoising strength" and not (is_img2img or hires_on):
            continue
        parts = [values[name] for name in spec.api_fields]
        if spec.kind == "size":
            width, height = (int(float(part)) for part in parts)
            if spec.key == "Hires resize" and not (width or height):
                continue
            settings[spec.key] = f"{width}x{height}"
        else:
            settings[spec.key] = parts[0]
    if "Hires resize" in settings:
        settings.pop("Hires upscale", None)
    return settings


def field_updates(profile: Profile, present: list[str], *, is_img2img: bool) -> tuple[dict[str, Any], list[str]]:
    """(api field → new value) for the fields this tab has, and the profile keys that cannot be set here."""
    wanted = to_api_values(profile.settings)
    if is_img2img:
        wanted = {name: value for name, value in wanted.items() if name not in (*HIRES_API_FIELDS, "enable_hr")}
    updates = {name: value for name, value in wanted.items() if name in present}
    missing = []
    for spec in SETTINGS:
        if spec.key not in profile.settings or spec.key in OVERRIDE_INFOTEXT_KEYS:
            continue
        if is_img2img and spec.txt2img_only:
            missing.append(f"{spec.key} (txt2img only)")
        elif spec.api_fields and not all(name in present for name in spec.api_fields):
            missing.append(spec.key)
    return updates, missing


def override_entries(profile: Profile) -> list[str]:
    """Entries for A1111's "Override settings" field ("Clip skip: 2"), for settings that live in Settings."""
    return [
        f"{infotext_key}: {profile.settings[key]}"
        for key, infotext_key in OVERRIDE_INFOTEXT_KEYS.items()
        if key in profile.settings
    ]


def preview_html(profile: Profile | None, current: dict[str, Any], figures: ProfileFigures | None,
                 missing: list[str]) -> str:
    """What Apply would change, why to use the profile, and what it measured on this machine."""
    if profile is None:
        return "<p class='paramlab-muted'>Pick a profile to see what it would change.</p>"
    parts = [f"<p class='paramlab-description'>{html.escape(profile.description or '')}</p>"]
    if badge(profile):  # the studio's style guide
        parts.insert(0, f"<p class='paramlab-guide'>{html.escape(badge(profile))}</p>")
    if profile.unusable_reason:
        parts.append(f"<p class='paramlab-warning'>Not usable here: {html.escape(profile.unusable_reason)}</p>")
    rows = []
    for change in diff_settings(profile.settings, current):
        marker = "paramlab-changes" if change.changes else "paramlab-same"
        shown_current = "—" if change.current is None else change.current
        rows.append(
            f"<tr class='{marker}'><td>{html.escape(change.key)}</td><td>{html.escape(str(shown_current))}</td>"
            f"<td>{html.escape(str(change.new))}</td></tr>"
        )
    parts.append(
        "<table class='paramlab-diff'><thead><tr><th>setting</th><th>now</th><th>profile</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )
    if missing:
        parts.append(f"<p class='paramlab-muted'>Not set by Apply in this tab: {html.escape(', '.join(missing))}"
                     " (Apply at generation still uses them where they apply).</p>")
    parts.append(f"<p class='paramlab-figures'>{html.escape(figures_text(figures))}</p>")
    return "".join(parts)


def figures_text(figures: ProfileFigures | None) -> str:
    failed = figures.failures_text() if figures is not None else None
    if figures is None or not figures.generations:
        text = "Measured here: no images made with this profile applied at generation yet"
        return f"{text}; {failed}." if failed else f"{text}."
    text = f"Measured here: {figures.generations} image(s) made with it applied at generation"
    if figures.median_seconds_per_image is not None:
        text += f", median {figures.median_seconds_per_image:.2f} s/image"
    if figures.peak_vram_bytes:
        text += f", peak VRAM {figures.peak_vram_bytes / 2**30:.1f} GiB"
    if figures.mean_quality is not None:
        text += f", mean quality {figures.mean_quality:.2f}"
    if failed:
        text += f"; {failed}"
    return text + "."
