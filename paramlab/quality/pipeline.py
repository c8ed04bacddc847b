"""Quality figures and flaw diagnostics for a finished run, computed on the ledger writer's thread.

The generation thread only hands the images over; this runs before the rows are written, so a
run's rows land together with their figures. Nothing here may fail a write: every problem becomes
a "not measured" reason stored beside the figure.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from paramlab.ledger.records import ImageRecord, RunRecord
from paramlab.quality.flaws import is_ancestral

log = logging.getLogger("paramlab")



@dataclass
class QualityConfig:
    """What to measure; the WebUI fills it from Settings → ParamLab."""

    builtin: bool = True
    scorers: Callable[[], tuple[list[Any], dict[str, str]]] | None = None  # lazily loaded learned scorers
    converge_steps: Callable[[str | None, str | None], int | None] = field(default=lambda sampler, scheduler: None)


def measure_run(run: RunRecord, config: QualityConfig) -> None:
    """Fill ``metrics`` and ``flaws`` of each image that still holds its pixels."""
    images = [image for image in run.images if image.pil_image is not None]
    if not images:
        return
    if config.builtin:
        _builtin(images)
    if config.scorers is not None:
        _learned(images, config)
    for image in images:
        _diagnose(image, run.tab, config)


def _builtin(images: list[ImageRecord]) -> None:
    from paramlab.quality.measures import MEASURES_VERSION, measure_images

    try:
        results = measure_images([image.pil_image for image in images])
    except Exception as exc:  # noqa: BLE001 - a measuring bug must cost the figures, never the rows
        log.error("ParamLab: quality measures failed for a run: %s", exc)
        for image in images:
            image.metrics["builtin"] = (None, f"measuring failed: {exc}")
        return
    for image, result in zip(images, results):
        image.metrics_version = str(MEASURES_VERSION)
        for name, value in result.values.items():
            image.metrics[name] = (value, result.not_measured.get(name))
        for name, reason in result.not_measured.items():
            image.metrics.setdefault(name, (None, reason))


def _learned(images: list[ImageRecord], config: QualityConfig) -> None:
    scorers, unavailable = config.scorers()
    for name, reason in unavailable.items():
        for image in images:
            image.metrics[name] = (None, reason)
    for scorer in scorers:
        prompts = [image.prompt or "" for image in images] if scorer.needs_prompt else None
        try:
            results = scorer.score([image.pil_image for image in images], prompts)
        except Exception as exc:  # noqa: BLE001 - a scorer fault only costs its figure
            results = None
            log.error("ParamLab: scorer %s failed: %s", scorer.name, exc)
        for position, image in enumerate(images):
            if results is None:
                image.metrics[scorer.name] = (None, "scorer failed; see the console")
            else:
                image.metrics[scorer.name] = (results[position].value, results[position].not_measured)


def _diagnose(image: ImageRecord, tab: str, config: QualityConfig) -> None:
    from paramlab.quality.flaws import diagnose

    values = {name: value for name, (value, _reason) in image.metrics.items()}
    refinement = tab == "img2img" or bool(image.hires_enabled)
    try:
        flaws = diagnose(values, cfg_scale=image.cfg_scale, steps=image.steps, sampler=image.sampler,
                         is_refinement=refinement and is_ancestral(image.sampler),
                         converge_steps=config.converge_steps(image.sampler, image.scheduler))
    except Exception as exc:  # noqa: BLE001 - diagnostics are advice; never lose the row for them
        log.error("ParamLab: flaw diagnostics failed: %s", exc)
        return
    image.flaws = json.dumps([{"code": flaw.code, "advice": flaw.advice} for flaw in flaws], ensure_ascii=False)
