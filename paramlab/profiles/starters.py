"""The starter profiles: read-only, defined in code (never stored), each with a "when to use" line
from field practice. Duplicate one to change it.
"""

from __future__ import annotations

from paramlab.profiles.model import Profile


def _starter(name: str, description: str, settings: dict) -> Profile:
    return Profile(name=name, description=description, settings=settings, starter=True)


STARTER_PROFILES: tuple[Profile, ...] = (
    _starter(
        "Creative",
        "Loose prompt following for exploring ideas: CFG 2–6 lets the model improvise. "
        "Use it when the prompt is a starting point, not a specification.",
        {"CFG scale": 5},
    ),
    _starter(
        "Balanced",
        "The everyday default: CFG 7–10 follows the prompt without burning colours. "
        "Start here, and change one variable at a time.",
        {"CFG scale": 7},
    ),
    _starter(
        "Strict adherence",
        "When the prompt must be followed closely: CFG 11–15. Towards the top of that range colours "
        "oversaturate and 'burn'; back off if they do.",
        {"CFG scale": 12},
    ),
    _starter(
        "Euler a · 20 steps",
        "Fast, varied results: Euler a usually needs about 20 steps. It is ancestral and never converges, "
        "so more steps change the image rather than refine it.",
        {"Sampler": "Euler a", "Steps": 20},
    ),
    _starter(
        "DPM++ 2M Karras · 30 steps",
        "Clean, converging detail: DPM++ 2M with the Karras schedule settles at about 30 steps, and more "
        "steps refine the same image. Too few steps leave noise.",
        {"Sampler": "DPM++ 2M", "Schedule type": "Karras", "Steps": 30},
    ),
    _starter(
        "Composition draft",
        "Quick drafts at low steps to find a composition, meant for a locked seed. When one works, keep "
        "its seed and refine it with Final render.",
        {"Steps": 20},
    ),
    _starter(
        "Final render",
        "Refine a draft you like: keep its seed; 40 steps and hires fix at 1.5× with denoising 0.35 add "
        "detail without changing the composition. Your current upscaler is kept.",
        {"Steps": 40, "Hires upscale": 1.5, "Denoising strength": 0.35},
    ),
    _starter(
        "Production batch 512²",
        "Many images at a known, low cost once the settings are chosen: DPM++ 2M, 25 steps, CFG 7 at "
        "512×512 keeps images cheap and comparable.",
        {"Sampler": "DPM++ 2M", "Steps": 25, "CFG scale": 7, "Size": "512x512"},
    ),
)
STARTERS_BY_KEY: dict[str, Profile] = {profile.key: profile for profile in STARTER_PROFILES}
