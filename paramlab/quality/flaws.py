"""Flaw diagnostics from field practice: a short code and one line of advice the user can act on.

The thresholds are heuristics, calibrated on controlled synthetic images (a smooth textured
"natural-ish" picture, the same with its chroma pushed, with Gaussian noise added, blurred); the
tests in ``tests/quality/test_quality_flaws.py`` pin them. A diagnosis needs both a symptom in the measures
and a setting that explains it, so a vivid picture at CFG 7 or a grainy one at 40 steps is not
flagged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

CONVERGENCE_SSIM = 0.95
"""SSIM to the most-steps image at which a render counts as converged: above it differences are
small detail changes a viewer has to look for; below it composition or large shapes still move."""

CFG_BURN_MIN = 11.0
"""CFG scale from which over-saturation and clipping are blamed on CFG (A1111's sweet spot is 5–10)."""

BURN_THRESHOLD = 0.15
"""``saturation_burn`` share from which an image looks burnt: on the synthetic test image a chroma
push ×3 gives 0.13 and ×4 gives 0.51, the clean image 0.0. A vivid but healthy subject (a red dress
covering a tenth of the frame) stays below it."""

CLIPPING_THRESHOLD = 0.15
"""``clipping`` share (channel values at 0 or 255) from which tones count as blown: chroma push ×4
clips 0.20 of the channels of the synthetic image, ×3 0.07, the clean image none."""

NOISE_THRESHOLD = 8.0
"""Immerkær luma noise, in grey levels, from which an image counts as noisy. Clean renders measure
about 0–4; Gaussian noise of σ = 25 per channel measures about 17 (luma noise is ≈ 0.67 σ)."""

FEW_STEPS = 15
"""At or below this many steps a noisy or still-changing image is blamed on too few steps."""

CFG_ADVICE_RANGE = "7–10"
DEFAULT_STEPS_ADVICE = "20–30"
CONVERGING_SAMPLER = "DPM++ 2M"


@dataclass(frozen=True)
class Flaw:
    """One diagnosis: ``code`` is stable (for filters and charts), ``advice`` is for people."""

    code: str
    advice: str


CFG_BURN = "cfg_burn"
UNDER_CONVERGED = "under_converged"
ANCESTRAL_REFINEMENT = "ancestral_refinement"
FLAW_CODES = (CFG_BURN, UNDER_CONVERGED, ANCESTRAL_REFINEMENT)


def is_ancestral(sampler: str | None) -> bool:
    """True for samplers that inject noise every step (``Euler a``, ``DPM++ 2S a``, ``DPM++ 2M SDE`` …)."""
    if not sampler:
        return False
    name = sampler.strip()
    return name.endswith(" a") or name.lower().endswith("_a") or "sde" in name.lower()


def _number(value: object) -> float | None:
    """A finite float, or None for a missing, NaN or non-numeric figure."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _at_least(values: dict[str, float | None], name: str, threshold: float) -> bool:
    number = _number(values.get(name))
    return number is not None and number >= threshold


def _cfg_burn(values: dict[str, float | None], cfg_scale: float | None) -> Flaw | None:
    cfg = _number(cfg_scale)
    if cfg is None or cfg < CFG_BURN_MIN:
        return None
    if not (_at_least(values, "saturation_burn", BURN_THRESHOLD) or _at_least(values, "clipping", CLIPPING_THRESHOLD)):
        return None
    return Flaw(CFG_BURN, f"Likely CFG burn at CFG {cfg:g}: lower CFG to {CFG_ADVICE_RANGE}.")


def _under_converged(
    values: dict[str, float | None], steps: int | None, sampler: str | None,
    converge_steps: int | None, ssim_to_max: float | None,
) -> Flaw | None:
    count = _number(steps)
    if count is None or count <= 0:
        return None
    count_int = int(count)
    known_number = _number(converge_steps)
    known = int(known_number) if known_number is not None and known_number > 0 else None
    too_few = count_int <= FEW_STEPS or (known is not None and count_int < known)
    if not too_few:
        return None
    similarity = _number(ssim_to_max)
    noisy = _at_least(values, "noise", NOISE_THRESHOLD)
    unsettled = similarity is not None and similarity < CONVERGENCE_SSIM
    if not (noisy or unsettled):
        return None
    if known is not None and known > count_int:
        who = sampler.strip() if sampler and sampler.strip() else "this sampler"
        hint = f"{who} converged at {known} steps in your ledger"
    else:
        hint = f"try {DEFAULT_STEPS_ADVICE}"
    return Flaw(UNDER_CONVERGED, f"Under-converged at {count_int} steps: raise steps ({hint}).")


def _ancestral_refinement(sampler: str | None, is_refinement: bool) -> Flaw | None:
    if not is_refinement or not is_ancestral(sampler):
        return None
    name = (sampler or "").strip()
    kind = "Stochastic (SDE) sampler" if "sde" in name.lower() else "Ancestral sampler"
    return Flaw(
        ANCESTRAL_REFINEMENT,
        f"{kind} {name} used for refinement: use a converging sampler such as {CONVERGING_SAMPLER}.",
    )


def diagnose(
    values: dict[str, float | None],
    *,
    cfg_scale: float | None,
    steps: int | None,
    sampler: str | None,
    is_refinement: bool = False,
    converge_steps: int | None = None,
    ssim_to_max: float | None = None,
) -> list[Flaw]:
    """The flaws one image shows, in a fixed order (cfg_burn, under_converged, ancestral_refinement).

    ``values`` are :class:`~paramlab.quality.measures.MeasureResult` values; missing or NaN figures
    simply do not count as a symptom. ``is_refinement`` is the caller's call (img2img, or the hires
    pass); ``converge_steps`` is this sampler's :func:`~paramlab.quality.convergence.steps_to_converge`
    figure when known, ``ssim_to_max`` this image's SSIM to the same seed at the most steps.
    """
    values = values or {}
    found = (
        _cfg_burn(values, cfg_scale),
        _under_converged(values, steps, sampler, converge_steps, ssim_to_max),
        _ancestral_refinement(sampler, is_refinement),
    )
    return [flaw for flaw in found if flaw is not None]
