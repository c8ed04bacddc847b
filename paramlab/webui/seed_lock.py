"""Seed lock, batch seed policies and character series, applied in the processing hooks.

Where each piece happens (A1111 v1.10.1 order):
- ``before_process``: resolve the lock (series → seed, variation, profile, prompt fragment) and set
  ``p.seed``/``p.subseed``/``p.subseed_strength`` — after every ``setup()``, so the Seed UI's -1
  cannot undo it.
- ``process``: replace ``p.all_seeds``/``p.all_subseeds`` with the policy's plan, before A1111
  slices them per batch and builds ``p.rng`` from them (so the noise really follows the plan).
- ``before_process_batch`` / ``before_hr`` / hires ``process_before_every_sampling``: for a
  variation sweep, each image needs its own strength, so ``p.rng`` is rebuilt per image and the
  hires noise already drawn is refilled in place, once per pass: Forge calls the hook twice before
  its hires pass, and a second refill would draw the generators' next noise instead.
- ``postprocess_image``: the image's own strength goes into ``p.subseed_strength`` just before
  A1111 writes that image's infotext.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import torch
from modules import rng

from paramlab.seeds import SeedLock, SeedLockError, SeedPlan, Series, plan_seeds
from paramlab.webui import runtime

log = logging.getLogger("paramlab")

SERIES_INFOTEXT_KEY = "Seed series"
POLICY_INFOTEXT_KEY = "Seed policy"


@dataclass
class ActiveLock:
    lock: SeedLock
    series: Series | None
    plan: SeedPlan | None = None
    hires_noise_refilled: bool = False  # this hires pass's noise already holds the per-image strengths

    @property
    def per_image_strengths(self) -> bool:
        return self.plan is not None and len(set(self.plan.subseed_strengths)) > 1


def resolve_lock(p: Any, lock: SeedLock, keep: frozenset[str] = frozenset()) -> ActiveLock:
    """``before_process``: fix the run's seed from the lock or its series. Raises SeedLockError.

    A series sets the seed (and its variation) and adds its prompt fragment; its profile is not applied
    here. ``keep`` names what an X/Y/Z axis set for this cell (see :mod:`axis_values`): a seed or
    variation the axis set stays, and the batch policy then starts from it."""
    series = None
    axis_seed = "seed" in keep
    axis_variation = bool({"subseed", "subseed_strength"} & keep)
    if axis_seed and lock.seed is not None:
        lock = lock.copy(update={"seed": None})
    if lock.series:
        from paramlab.seeds import SeriesError

        try:
            series = runtime.series_store().get(lock.series)
        except SeriesError as exc:
            raise SeedLockError(str(exc)) from exc
        if not axis_seed:
            p.seed = series.seed
        if series.variation_seed is not None and series.variation_strength and not axis_variation:
            p.subseed, p.subseed_strength = series.variation_seed, series.variation_strength
        if series.prompt_fragment and series.prompt_fragment not in (p.prompt or ""):
            p.prompt = f"{p.prompt}, {series.prompt_fragment}" if p.prompt else series.prompt_fragment
    elif lock.seed is not None:
        p.seed = lock.seed
    if lock.policy == "variation":
        if lock.variation_seed is not None:
            p.subseed = lock.variation_seed
        elif series is not None and series.variation_seed is not None:
            p.subseed = series.variation_seed
        else:
            p.subseed = int(p.seed) + 1
        p.subseed_strength = lock.variation_strengths[0] if lock.variation_strengths else 0.0
    params = dict(getattr(p, "extra_generation_params", None) or {})
    if series is not None:
        params[SERIES_INFOTEXT_KEY] = series.name
    if lock.policy != "increment":
        params[POLICY_INFOTEXT_KEY] = lock.policy
    p.extra_generation_params = params
    return ActiveLock(lock, series)


def apply_plan(p: Any, active: ActiveLock) -> None:
    """``process``: the seeds every image will really use."""
    count = len(p.all_seeds)
    active.plan = plan_seeds(active.lock, int(p.all_seeds[0]), int(p.all_subseeds[0]),
                             float(p.subseed_strength or 0.0), count)
    if active.lock.policy == "list" and len(active.lock.seeds or []) < count:
        log.warning("ParamLab: %s (the seed list is shorter than the batch).", active.plan.description)
    p.all_seeds = list(active.plan.seeds)
    p.all_subseeds = list(active.plan.subseeds)
    if active.per_image_strengths:
        p.subseed_strength = max(active.plan.subseed_strengths)  # non-zero, so A1111 keeps variation on
    elif active.lock.policy == "variation":
        p.subseed_strength = active.plan.subseed_strengths[0]


class PerImageRNG:
    """``p.rng`` for a variation sweep: one generator per image, each with its own strength."""

    def __init__(self, shape: tuple, seeds: list[int], subseeds: list[int], strengths: list[float], p: Any):
        self.shape = shape
        self.seeds, self.subseeds, self.subseed_strength = seeds, subseeds, strengths
        self.parts = [
            rng.ImageRNG(shape, [seed], subseeds=[subseed], subseed_strength=strength,
                         seed_resize_from_h=p.seed_resize_from_h, seed_resize_from_w=p.seed_resize_from_w)
            for seed, subseed, strength in zip(seeds, subseeds, strengths)
        ]
        self.is_first = True

    def next(self) -> torch.Tensor:
        self.is_first = False
        return torch.cat([part.next() for part in self.parts])


def _batch_strengths(p: Any, active: ActiveLock) -> list[float]:
    start = int(p.iteration) * int(p.batch_size)
    return active.plan.subseed_strengths[start: start + len(p.seeds)]


def rebuild_rng(p: Any, active: ActiveLock) -> None:
    """``before_process_batch`` and ``before_hr``: per-image strengths for a variation sweep."""
    active.hires_noise_refilled = False
    if active.per_image_strengths and getattr(p, "rng", None) is not None:
        p.rng = PerImageRNG(tuple(p.rng.shape), list(p.seeds), list(p.subseeds), _batch_strengths(p, active), p)


def refill_hires_noise(p: Any, active: ActiveLock, noise: Any) -> None:
    """Hires ``process_before_every_sampling``: the WebUI drew the hires noise before ``before_hr``.

    Forge samples under ``torch.inference_mode()``, so its noise may be an inference tensor, which can
    only be written in place inside that mode."""
    if (not active.per_image_strengths or active.hires_noise_refilled or not getattr(p, "is_hr_pass", False)
            or not isinstance(noise, torch.Tensor)):
        return
    with torch.inference_mode(noise.is_inference()):
        noise.copy_(p.rng.next().to(noise.device, noise.dtype))
    active.hires_noise_refilled = True


def image_strength(p: Any, active: ActiveLock) -> None:
    """``postprocess_image``: the infotext of this image states its own variation strength."""
    if active.per_image_strengths:
        index = int(p.iteration) * int(p.batch_size) + int(p.batch_index)
        p.subseed_strength = active.plan.subseed_strengths[index]
