"""Stand-in only: a deterministic fake sampler/VAE so the real hook sequence can run on CPU in tests.

The "image" depends only on the noise used, the prompt (and negative prompt), steps, cfg_scale,
sampler and scheduler: each step pulls the latent a little towards a per-image constant derived
from a hash of those values, and the decoder upsamples the first latent channels.
"""

from __future__ import annotations

import hashlib
from typing import Any

import torch
from modules import _standin_flavour, script_callbacks, sd_samplers, sd_samplers_common, sd_schedulers, shared


class DecodedSamples(list):
    """A list of decoded 3D tensors (-1..1); ``already_decoded`` tells process_images to skip decoding."""

    already_decoded = True


def _offset(prompt: str, negative: str, steps: int, cfg: float, sampler: str, scheduler: str) -> float:
    key = f"{prompt}\x00{negative}\x00{int(steps)}\x00{float(cfg)!r}\x00{sampler}\x00{scheduler}"
    h = hashlib.sha256(key.encode("utf8")).digest()
    return int.from_bytes(h[:4], "little") / 2**32 - 0.5


def note_schedule_type(p: Any, sampler_name: str) -> None:
    """Like KDiffusionSampler.get_sigmas: record the resolved schedule label in extra_generation_params."""
    if sampler_name not in sd_samplers.k_diffusion_sampler_names:
        return
    config = sd_samplers.find_sampler_config(sampler_name)
    scheduler_name = (p.hr_scheduler if p.is_hr_pass else p.scheduler) or "Automatic"
    if scheduler_name == "Automatic":
        scheduler_name = config.options.get("scheduler", None)
    scheduler = sd_schedulers.schedulers_map.get(scheduler_name)
    if scheduler is None or scheduler.function is None:
        return
    if scheduler.label != "Automatic" and not p.is_hr_pass:
        p.extra_generation_params["Schedule type"] = scheduler.label
    elif scheduler.label != p.extra_generation_params.get("Schedule type"):
        p.extra_generation_params["Hires schedule type"] = scheduler.label


def model_calls_per_step(sampler_name: str, steps_total: int, steps_run: int, t_enc: int | None) -> list[int]:
    """UNet calls at each step, as the real samplers' loops make them (STAND-IN: the count only).

    k-diffusion (``k_diffusion.sampling`` and ``sd_samplers_extra.restart_sampler``): one call per step;
    second-order samplers (Heun, DPM2, DPM2 a, DPM++ 2S a, DPM++ SDE, Restart) a second one, except when
    the next sigma is 0 (the last step is an Euler step). Timestep samplers (``sd_samplers_timesteps``):
    the schedule is ``range(0, 1000, 1000 // steps)`` (cut to its first ``t_enc`` entries for img2img);
    DDIM calls once per gap, PLMS once more on its first step (pseudo improved Euler), UniPC once per entry
    (one at the start, one corrector per step but the last). DPM adaptive is not simulated (one per step).
    """
    if steps_run <= 0:
        return []
    config = sd_samplers.find_sampler_config(sampler_name)
    if sampler_name in sd_samplers.timestep_sampler_names:
        timesteps = len(range(0, 1000, max(1000 // max(steps_total, 1), 1)))
        if t_enc is not None:
            timesteps = min(t_enc, timesteps)
        gaps = max(timesteps - 1, 0)
        calls = {"UniPC": timesteps, "PLMS": gaps + (1 if gaps else 0)}.get(sampler_name, gaps)
        return [1] * calls
    if sampler_name == "HeunPP2":  # Forge: three calls a step, two on the next-to-last, one on the last
        return [3 if i < steps_run - 2 else (2 if i == steps_run - 2 else 1) for i in range(steps_run)]
    second_order = bool(config is not None and config.options.get("second_order", False))
    return [2 if second_order and i < steps_run - 1 else 1 for i in range(steps_run)]


def run_sampler(
    p: Any,
    x: torch.Tensor,
    steps_total: int,
    steps_run: int,
    prompts: list[str],
    negative_prompts: list[str],
    sampler_name: str,
    c: Any,
    uc: Any,
    t_enc: int | None = None,
) -> torch.Tensor:
    """Fake denoising: one cfg callback triple per model call (see model_calls_per_step); interrupt/skip
    stops early (partial result)."""
    state = shared.state
    scheduler = (p.hr_scheduler if p.is_hr_pass else p.scheduler) or "Automatic"
    note_schedule_type(p, sampler_name)
    cfg = p.hr_cfg if _standin_flavour.FORGE and p.is_hr_pass else p.cfg_scale  # Forge: "Hires CFG Scale"
    target = torch.tensor(
        [
            _offset(pr, ng, steps_total, cfg, sampler_name, scheduler)
            for pr, ng in zip(prompts, negative_prompts)
        ],
        dtype=x.dtype,
    ).view(-1, 1, 1, 1)
    target = target[: x.shape[0]] if target.shape[0] >= x.shape[0] else target.expand(x.shape[0], 1, 1, 1)
    state.sampling_steps = steps_run
    state.sampling_step = 0
    calls = model_calls_per_step(sampler_name, steps_total, steps_run, t_enc)
    try:
        for i, per_step in enumerate(calls):
            if state.interrupted or state.skipped:
                raise sd_samplers_common.InterruptedException
            for _call in range(per_step):
                sigma = torch.full((x.shape[0],), float(steps_run - i))
                dp = script_callbacks.CFGDenoiserParams(x, None, sigma, i, steps_run, c, uc, None)
                script_callbacks.cfg_denoiser_callback(dp)
                x = dp.x
                denoised = x * 0.97 + target * 0.03
                dd = script_callbacks.CFGDenoisedParams(denoised, i, steps_run, None)
                script_callbacks.cfg_denoised_callback(dd)
                ac = script_callbacks.AfterCFGCallbackParams(dd.x, i, steps_run)
                script_callbacks.cfg_after_cfg_callback(ac)
                x = ac.x
            state.sampling_step = i + 1
            shared.total_tqdm.update()
    except sd_samplers_common.InterruptedException:
        pass
    return x


def setup_img2img_steps(p: Any, steps: int | None = None) -> tuple[int, int]:
    """Real sd_samplers_common.setup_img2img_steps: (steps, t_enc); t_enc + 1 steps are executed."""
    if shared.opts.img2img_fix_steps or steps is not None:
        requested_steps = steps or p.steps
        steps = int(requested_steps / min(p.denoising_strength, 0.999)) if p.denoising_strength > 0 else 0
        t_enc = requested_steps - 1
    else:
        steps = p.steps
        t_enc = int(min(p.denoising_strength, 0.999) * steps)
    return steps, t_enc


def sample_img2img(
    p: Any,
    init_latent: torch.Tensor,
    noise: torch.Tensor,
    c: Any,
    uc: Any,
    prompts: list[str],
    negative_prompts: list[str],
    sampler_name: str,
    steps: int | None = None,
) -> torch.Tensor:
    """img2img / hires: start from init_latent noised by denoising_strength."""
    steps_total, t_enc = setup_img2img_steps(p, steps)
    ds = min(float(p.denoising_strength or 0.0), 0.999)
    x = init_latent * (1 - ds) + noise * ds
    return run_sampler(p, x, steps_total, t_enc + 1, prompts, negative_prompts, sampler_name, c, uc, t_enc=t_enc)


def decode_latent_batch(batch: torch.Tensor) -> DecodedSamples:
    """Fake VAE decode: B×4×h×w → list of 3×8h×8w tensors in -1..1."""
    rgb = batch[:, :3] + 0.1 * batch[:, 3:4]
    up = torch.nn.functional.interpolate(rgb.float(), scale_factor=8, mode="nearest")
    out = DecodedSamples()
    for i in range(up.shape[0]):
        out.append(torch.tanh(up[i]))
    return out


def encode_images(images: torch.Tensor) -> torch.Tensor:
    """Fake VAE encode: B×3×H×W in 0..1 → B×4×H/8×W/8, sampled as A1111's is (DiagonalGaussianDistribution.sample
    draws from torch's GLOBAL generator, so the same request after other work encodes differently)."""
    x = torch.nn.functional.avg_pool2d(images.float() * 2 - 1, 8)
    mean = torch.cat([x, x.mean(dim=1, keepdim=True)], dim=1)
    return mean + 0.05 * torch.randn(mean.shape)
