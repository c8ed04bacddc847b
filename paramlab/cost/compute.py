"""Normalised compute: what a generation cost independent of the GPU it ran on.

*Model evaluations* count UNet calls: executed steps × evaluations per step for the sampler
(second-order samplers evaluate twice per step), first pass plus hires pass. The positive and
negative prompt are evaluated in one batched call in A1111, so CFG does not double the count.
*Megapixel-steps* weight each pass's executed steps by its pixel count, so a hires pass at 1.5×
counts 2.25× per step.
"""

from __future__ import annotations

from dataclasses import dataclass

# Second-order samplers in A1111 v1.10.1 (``options["second_order"]`` in sd_samplers_kdiffusion).
SECOND_ORDER_SAMPLERS = frozenset({"DPM++ 2S a", "DPM++ SDE", "Heun", "DPM2", "DPM2 a", "Restart"})
# Adaptive step-size samplers decide their own number of evaluations: not countable in advance.
ADAPTIVE_SAMPLERS = frozenset({"DPM adaptive"})


def evaluations_per_step(sampler: str | None) -> int | None:
    """UNet evaluations per sampling step, or None when the sampler decides at run time."""
    if not sampler or sampler in ADAPTIVE_SAMPLERS:
        return None
    return 2 if sampler in SECOND_ORDER_SAMPLERS else 1


def executed_denoising_steps(steps: int, denoising_strength: float, *, exact: bool = False) -> int:
    """Steps A1111 actually runs for img2img and the hires pass (``setup_img2img_steps``).

    With ``exact`` (an explicit "Hires steps" value, or the setting "Do exactly the amount of
    steps the slider specifies") the requested count runs; otherwise only the last
    ``denoising × steps`` steps of the schedule, plus one.
    """
    if exact:
        return steps if denoising_strength > 0 else 0
    return int(min(denoising_strength, 0.999) * steps) + 1


@dataclass(frozen=True)
class PassCost:
    """One sampling pass: sampler, executed steps and output size in pixels."""

    sampler: str | None
    steps: int
    width: int
    height: int


def model_evaluations(passes: list[PassCost]) -> int | None:
    total = 0
    for one_pass in passes:
        per_step = evaluations_per_step(one_pass.sampler)
        if per_step is None:
            return None
        total += per_step * max(one_pass.steps, 0)
    return total


def megapixel_steps(passes: list[PassCost]) -> float:
    return sum(max(p.steps, 0) * p.width * p.height / 1_000_000 for p in passes)
