"""Normalised compute: what a generation cost independent of the GPU it ran on, counted as A1111 v1.10.1
and k-diffusion really run it.

*Model evaluations* count UNet calls (the positive and negative prompt go through in one batched call,
so CFG does not double the count), first pass plus hires pass (or each tile pass of an upscale):

- the steps a pass runs follow ``sd_samplers_common.setup_img2img_steps``: a txt2img pass runs its
  steps; an img2img pass the last ``denoising × steps`` of its schedule plus one, unless the steps are
  given explicitly (the hires pass always: ``hr_second_pass_steps or steps``) or the setting *Do exactly
  the amount of steps the slider specifies* is on; then exactly those steps;
- first-order k-diffusion samplers evaluate once per step; second-order ones (Heun, DPM2, DPM2 a,
  DPM++ 2S a, DPM++ SDE, Restart) twice, except on the last step, which goes to sigma 0 and is an
  Euler step (one evaluation): ``2 × steps − 1``;
- the timestep samplers (DDIM, DDIM CFG++, PLMS, UniPC) walk a schedule of ``range(0, 1000, 1000 //
  steps)``; DDIM evaluates once per gap of it, PLMS once more on its first step, UniPC once per entry;
- DPM adaptive picks its own steps: not countable in advance (None).

*Megapixel-steps* weight the steps each pass runs (what A1111's progress bar counts) by its pixels, so a
hires pass at 1.5× counts 2.25× per step.
"""

from __future__ import annotations

from dataclasses import dataclass

# ``options["second_order"]`` in sd_samplers_kdiffusion (v1.10.1).
SECOND_ORDER_SAMPLERS = frozenset({"DPM++ 2S a", "DPM++ SDE", "Heun", "DPM2", "DPM2 a", "Restart"})
# Forge's HeunPP2 evaluates three times per step, twice on the next-to-last and once on the last: 3 × steps − 3.
THIRD_ORDER_SAMPLERS = frozenset({"HeunPP2"})
# Adaptive step-size samplers decide their own number of evaluations: not countable in advance.
ADAPTIVE_SAMPLERS = frozenset({"DPM adaptive"})
# sd_samplers_timesteps: their schedule is a list of timesteps, not of sigmas.
TIMESTEP_SAMPLERS = frozenset({"DDIM", "DDIM CFG++", "PLMS", "UniPC"})
TRAINING_TIMESTEPS = 1000


def evaluations_per_step(sampler: str | None) -> int | None:
    """UNet evaluations of a (not the last) step, or None when the sampler decides at run time."""
    if not sampler or sampler in ADAPTIVE_SAMPLERS:
        return None
    if sampler in THIRD_ORDER_SAMPLERS:
        return 3
    return 2 if sampler in SECOND_ORDER_SAMPLERS else 1


def setup_img2img_steps(steps: int, denoising_strength: float, *, requested: int | None = None,
                        fix_steps: bool = False) -> tuple[int, int]:
    """A1111's ``setup_img2img_steps``: (the schedule's length, ``t_enc``); ``t_enc + 1`` steps run."""
    if fix_steps or requested is not None:
        requested_steps = requested or steps
        total = int(requested_steps / min(denoising_strength, 0.999)) if denoising_strength > 0 else 0
        return total, requested_steps - 1
    return steps, int(min(denoising_strength, 0.999) * steps)


def executed_denoising_steps(steps: int, denoising_strength: float, *, exact: bool = False) -> int:
    """Steps an img2img or hires pass runs (``exact``: the steps were given explicitly, or the setting
    asks for exactly them). Nothing runs at denoising 0 with explicit steps."""
    if exact and denoising_strength <= 0:
        return 0
    _total, t_enc = setup_img2img_steps(steps, denoising_strength, requested=steps if exact else None)
    return t_enc + 1


@dataclass(frozen=True)
class PassCost:
    """One sampling pass: the sampler, the steps it runs (A1111's progress), and its output size.

    ``schedule_steps`` is the length of the schedule the steps are taken from, and ``from_image`` says
    the pass starts from an image (img2img, hires) and runs only the end of that schedule; only the
    timestep samplers need them.
    """

    sampler: str | None
    steps: int
    width: int
    height: int
    schedule_steps: int | None = None
    from_image: bool = False


def txt2img_pass(sampler: str | None, steps: int, width: int, height: int) -> PassCost:
    return PassCost(sampler, max(int(steps), 0), width, height, max(int(steps), 0))


def img2img_pass(sampler: str | None, steps: int, denoising_strength: float, width: int, height: int, *,
                 requested: int | None = None, fix_steps: bool = False) -> PassCost:
    """An img2img pass (or the hires pass, which always passes its steps as ``requested``)."""
    if (requested is not None or fix_steps) and denoising_strength <= 0:
        return PassCost(sampler, 0, width, height, 0, from_image=True)
    total, t_enc = setup_img2img_steps(steps, denoising_strength, requested=requested, fix_steps=fix_steps)
    return PassCost(sampler, max(t_enc + 1, 0), width, height, total, from_image=True)


def pass_evaluations(one_pass: PassCost) -> int | None:
    """UNet evaluations of one pass, as the sampler's own loop makes them."""
    sampler, steps = one_pass.sampler, one_pass.steps
    per_step = evaluations_per_step(sampler)
    if per_step is None:
        return None
    if steps <= 0:
        return 0
    if sampler in TIMESTEP_SAMPLERS:
        return _timestep_evaluations(sampler, steps, one_pass.schedule_steps or steps, one_pass.from_image)
    if sampler in THIRD_ORDER_SAMPLERS:
        return max(3 * steps - 3, 1)
    return per_step * steps - (per_step - 1)  # second order: the last step is a single Euler evaluation


def _timestep_evaluations(sampler: str, executed: int, schedule_steps: int, from_image: bool) -> int:
    if schedule_steps <= 0:
        return 0
    timesteps = len(range(0, TRAINING_TIMESTEPS, max(TRAINING_TIMESTEPS // schedule_steps, 1)))
    if from_image:  # the schedule is cut to its first t_enc entries (t_enc = executed - 1)
        timesteps = min(executed - 1, timesteps)
    gaps = max(timesteps - 1, 0)
    if sampler == "UniPC":
        return max(timesteps, 0)
    if sampler == "PLMS":
        return gaps + (1 if gaps else 0)
    return gaps


def model_evaluations(passes: list[PassCost]) -> int | None:
    total = 0
    for one_pass in passes:
        evaluations = pass_evaluations(one_pass)
        if evaluations is None:
            return None
        total += evaluations
    return total


def megapixel_steps(passes: list[PassCost]) -> float:
    return sum(max(p.steps, 0) * p.width * p.height / 1_000_000 for p in passes)
