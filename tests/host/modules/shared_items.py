"""Stand-in for ``modules/shared_items.py`` (only what extensions commonly touch)."""

from __future__ import annotations

from collections.abc import Iterator

ui_reorder_categories_builtin_items: list[str] = [
    "prompt",
    "image",
    "inpaint",
    "sampler",
    "accordions",
    "checkboxes",
    "dimensions",
    "cfg",
    "denoising",
    "seed",
    "batch",
    "override_settings",
]


def ui_reorder_categories() -> Iterator[str]:
    """UI section order used by the stand-in's build_runner to lay out script inputs."""
    from modules import scripts

    yield from ui_reorder_categories_builtin_items
    sections: dict[str, int] = {}
    for runner in (scripts.scripts_txt2img, scripts.scripts_img2img):
        for script in runner.scripts if runner else []:
            if isinstance(script.section, str) and script.section not in ui_reorder_categories_builtin_items:
                sections[script.section] = 1
    yield from sections
    yield "scripts"


def sd_vae_items() -> list[str]:
    """VAE choices shown in settings."""
    return ["Automatic", "None"]


def list_samplers() -> list:
    """All sampler configs, as the settings page lists them."""
    from modules import sd_samplers

    return sd_samplers.all_samplers


def list_checkpoint_tiles(use_short: bool = False) -> list[str]:
    """Checkpoint titles for dropdowns."""
    from modules import sd_models

    return [x.short_title if use_short else x.title for x in sd_models.checkpoints_list.values()]
