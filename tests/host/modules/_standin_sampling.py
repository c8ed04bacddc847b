"""Stand-in only: a deterministic fake sampler/VAE so the real hook sequence can run on CPU in tests.

The "image" depends only on the noise used, the prompt (and negative prompt), steps, cfg_scale,
sampler and scheduler: each step pulls the latent a little towards a per-image constant derived
from a hash of those values, and the decoder upsamples the first latent channels.
"""

from __future__ import annotations

import hashlib
from typing import Any

import torch
from modules import script_callbacks, sd_samplers, sd_samplers_common, sd_schedulers, shared


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
) -> torch.Tensor:
    """Fake denoising: one cfg callback triple per step; interrupt/skip stops early (partial result)."""
    state = shared.state
    scheduler = (p.hr_scheduler if p.is_hr_pass else p.scheduler) or "Automatic"
    note_schedule_type(p, sampler_name)
    target = torch.tensor(
        [
            _offset(pr, ng, steps_total, p.cfg_scale, sampler_name, scheduler)
            for pr, ng in zip(prompts, negative_prompts)
        ],
        dtype=x.dtype,
    ).view(-1, 1, 1, 1)
    target = target[: x.shape[0]] if target.shape[0] >= x.shape[0] else target.expand(x.shape[0], 1, 1, 1)
    state.sampling_steps = steps_run
    state.sampling_step = 0
    try:
        for i in range(steps_run):
            if state.interrupted or state.skipped:
                raise sd_samplers_common.InterruptedException
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
    return run_sampler(p, x, steps_total, t_enc + 1, prompts, negative_prompts, sampler_name, c, uc)


def decode_latent_batch(batch: torch.Tensor) -> DecodedSamples:
    """Fake VAE decode: B×4×h×w → list of 3×8h×8w tensors in -1..1."""
    rgb = batch[:, :3] + 0.1 * batch[:, 3:4]
    up = torch.nn.functional.interpolate(rgb.float(), scale_factor=8, mode="nearest")
    out = DecodedSamples()
    for i in range(up.shape[0]):
        out.append(torch.tanh(up[i]))
    return out


def encode_images(images: torch.Tensor) -> torch.Tensor:
    """Fake VAE encode: B×3×H×W in 0..1 → B×4×H/8×W/8."""
    x = torch.nn.functional.avg_pool2d(images.float() * 2 - 1, 8)
    return torch.cat([x, x.mean(dim=1, keepdim=True)], dim=1)
