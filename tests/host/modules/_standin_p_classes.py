"""Stand-in only: the txt2img/img2img processing classes (split from processing.py to keep files short)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from modules import _standin_flavour, devices, extra_networks, images, rng, sd_samplers, shared
from modules import _standin_sampling as fake
from modules._standin_p_base import StableDiffusionProcessing
from modules.shared import opts, state

opt_f = 8
FORGE = _standin_flavour.FORGE


def _forge_sampling_noise(p: Any, noise: torch.Tensor, **hook_kwargs: Any) -> torch.Tensor:
    """Forge, right before a sampler runs: reset the model objects, call ``process_before_every_sampling``
    and take ``p.modified_noise`` if a script set it."""
    p.sd_model.forge_objects = p.sd_model.forge_objects_after_applying_lora.shallow_copy()
    if p.scripts is not None:
        p.scripts.process_before_every_sampling(p, noise=noise, **hook_kwargs)
    if p.modified_noise is not None:
        noise, p.modified_noise = p.modified_noise, None
    return noise


def old_hires_fix_first_pass_dimensions(width: int, height: int) -> tuple[int, int]:
    """Old algorithm for auto-calculating first pass size."""
    desired_pixel_count = 512 * 512
    actual_pixel_count = width * height
    scale = math.sqrt(desired_pixel_count / actual_pixel_count)
    return math.ceil(scale * width / 64) * 64, math.ceil(scale * height / 64) * 64


@dataclass(repr=False)
class _Txt2Img(StableDiffusionProcessing):
    """txt2img with optional hires fix."""

    enable_hr: bool = False
    denoising_strength: float = 0.75
    firstphase_width: int = 0
    firstphase_height: int = 0
    hr_scale: float = 2.0
    hr_upscaler: str = None
    hr_second_pass_steps: int = 0
    hr_resize_x: int = 0
    hr_resize_y: int = 0
    hr_checkpoint_name: str = None
    hr_sampler_name: str = None
    hr_scheduler: str = None
    hr_prompt: str = ""
    hr_negative_prompt: str = ""
    force_task_id: str = None

    cached_hr_uc = [None, None]
    cached_hr_c = [None, None]
    hr_checkpoint_info: dict = field(default=None, init=False)
    hr_upscale_to_x: int = field(default=0, init=False)
    hr_upscale_to_y: int = field(default=0, init=False)
    truncate_x: int = field(default=0, init=False)
    truncate_y: int = field(default=0, init=False)
    applied_old_hires_behavior_to: tuple = field(default=None, init=False)
    latent_scale_mode: dict = field(default=None, init=False)
    hr_c: Any = field(default=None, init=False)
    hr_uc: Any = field(default=None, init=False)
    all_hr_prompts: list = field(default=None, init=False)
    all_hr_negative_prompts: list = field(default=None, init=False)
    hr_prompts: list = field(default=None, init=False)
    hr_negative_prompts: list = field(default=None, init=False)
    hr_extra_network_data: list = field(default=None, init=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.firstphase_width != 0 or self.firstphase_height != 0:
            self.hr_upscale_to_x = self.width
            self.hr_upscale_to_y = self.height
            self.width = self.firstphase_width
            self.height = self.firstphase_height
        self.cached_hr_uc = _Txt2Img.cached_hr_uc
        self.cached_hr_c = _Txt2Img.cached_hr_c

    def calculate_target_resolution(self) -> None:
        """hr_upscale_to_x/y from hr_scale or hr_resize_x/y; writes "Hires upscale"/"Hires resize"."""
        if self.hr_resize_x == 0 and self.hr_resize_y == 0:
            self.extra_generation_params["Hires upscale"] = self.hr_scale
            self.hr_upscale_to_x = int(self.width * self.hr_scale)
            self.hr_upscale_to_y = int(self.height * self.hr_scale)
            return
        self.extra_generation_params["Hires resize"] = f"{self.hr_resize_x}x{self.hr_resize_y}"
        if self.hr_resize_y == 0:
            self.hr_upscale_to_x = self.hr_resize_x
            self.hr_upscale_to_y = self.hr_resize_x * self.height // self.width
        elif self.hr_resize_x == 0:
            self.hr_upscale_to_x = self.hr_resize_y * self.width // self.height
            self.hr_upscale_to_y = self.hr_resize_y
        else:
            target_w, target_h = self.hr_resize_x, self.hr_resize_y
            if self.width / self.height < self.hr_resize_x / self.hr_resize_y:
                self.hr_upscale_to_x = self.hr_resize_x
                self.hr_upscale_to_y = self.hr_resize_x * self.height // self.width
            else:
                self.hr_upscale_to_x = self.hr_resize_y * self.width // self.height
                self.hr_upscale_to_y = self.hr_resize_y
            self.truncate_x = (self.hr_upscale_to_x - target_w) // opt_f
            self.truncate_y = (self.hr_upscale_to_y - target_h) // opt_f

    def init(self, all_prompts: list, all_seeds: list, all_subseeds: list) -> None:
        """Hires bookkeeping as real: extra params, hr_scheduler default, target size, job count."""
        if self.firstpass_image is not None:
            self.enable_hr = True
        if not self.enable_hr:
            return
        self.extra_generation_params["Denoising strength"] = self.denoising_strength
        if self.hr_sampler_name is not None and self.hr_sampler_name != self.sampler_name:
            self.extra_generation_params["Hires sampler"] = self.hr_sampler_name

        def get_hr_prompt(p: Any, index: int, prompt_text: str, **kwargs: Any) -> str | None:
            hr_prompt = p.all_hr_prompts[index]
            return hr_prompt if hr_prompt != prompt_text else None

        def get_hr_negative_prompt(p: Any, index: int, negative_prompt: str, **kwargs: Any) -> str | None:
            hr_negative_prompt = p.all_hr_negative_prompts[index]
            return hr_negative_prompt if hr_negative_prompt != negative_prompt else None

        self.extra_generation_params["Hires prompt"] = get_hr_prompt
        self.extra_generation_params["Hires negative prompt"] = get_hr_negative_prompt
        if FORGE:
            self.extra_generation_params["Hires CFG Scale"] = self.hr_cfg
        self.extra_generation_params["Hires schedule type"] = None
        if self.hr_scheduler is None:
            self.hr_scheduler = self.scheduler
        if self.hr_upscaler is not None:
            self.latent_scale_mode = shared.latent_upscale_modes.get(self.hr_upscaler, None)
        else:
            self.latent_scale_mode = shared.latent_upscale_modes.get(
                shared.latent_upscale_default_mode, "nearest"
            )
        if self.latent_scale_mode is None and not any(
            x.name == self.hr_upscaler for x in shared.sd_upscalers
        ):
            raise Exception(f"could not find upscaler named {self.hr_upscaler}")
        self.calculate_target_resolution()
        if not state.processing_has_refined_job_count:
            if state.job_count == -1:
                state.job_count = self.n_iter
            shared.total_tqdm.updateTotal(
                (self.steps + (self.hr_second_pass_steps or self.steps)) * state.job_count
            )
            state.job_count = state.job_count * 2
            state.processing_has_refined_job_count = True
        if self.hr_second_pass_steps:
            self.extra_generation_params["Hires steps"] = self.hr_second_pass_steps
        if self.hr_upscaler is not None:
            self.extra_generation_params["Hires upscaler"] = self.hr_upscaler

    def setup_prompts(self) -> None:
        """Also builds all_hr_prompts/all_hr_negative_prompts when enable_hr."""
        super().setup_prompts()
        if not self.enable_hr:
            return
        if self.hr_prompt == "":
            self.hr_prompt = self.prompt
        if self.hr_negative_prompt == "":
            self.hr_negative_prompt = self.negative_prompt
        n = self.batch_size * self.n_iter
        self.all_hr_prompts = self.hr_prompt if isinstance(self.hr_prompt, list) else n * [self.hr_prompt]
        neg = self.hr_negative_prompt
        self.all_hr_negative_prompts = neg if isinstance(neg, list) else n * [neg]

    def parse_extra_network_prompts(self) -> None:
        """Also slices and parses this batch's hr prompts."""
        super().parse_extra_network_prompts()
        if self.enable_hr:
            n, bs = self.iteration, self.batch_size
            self.hr_prompts = self.all_hr_prompts[n * bs : (n + 1) * bs]
            self.hr_negative_prompts = self.all_hr_negative_prompts[n * bs : (n + 1) * bs]
            self.hr_prompts, self.hr_extra_network_data = extra_networks.parse_prompts(self.hr_prompts)

    def sample(
        self,
        conditioning: Any,
        unconditional_conditioning: Any,
        seeds: list,
        subseeds: list,
        subseed_strength: float,
        prompts: list,
    ) -> Any:
        """First pass (process_before_every_sampling, fake sampling), then the hires pass if enabled."""
        self.sampler = sd_samplers.create_sampler(self.sampler_name, self.sd_model)
        x = self.rng.next()
        if FORGE:
            x = _forge_sampling_noise(self, x, x=x, c=conditioning, uc=unconditional_conditioning)
        elif self.scripts is not None:
            self.scripts.process_before_every_sampling(
                p=self, x=x, noise=x, c=conditioning, uc=unconditional_conditioning
            )
        self._sampled(x)
        samples = fake.run_sampler(
            self,
            x,
            self.steps,
            self.steps,
            self.prompts,
            self.negative_prompts,
            self.sampler_name,
            conditioning,
            unconditional_conditioning,
        )
        del x
        if not self.enable_hr:
            return samples
        devices.torch_gc()
        return self.sample_hr_pass(samples, None, seeds, subseeds, subseed_strength, prompts)

    def sample_hr_pass(
        self,
        samples: torch.Tensor,
        decoded_samples: Any,
        seeds: list,
        subseeds: list,
        subseed_strength: float,
        prompts: list,
    ) -> Any:
        """Upscale latents, new rng from p.seeds, activate hr networks, before_hr, sample, decode."""
        if state.interrupted:
            return samples
        self.is_hr_pass = True
        img2img_sampler_name = self.hr_sampler_name or self.sampler_name
        self.sampler = sd_samplers.create_sampler(img2img_sampler_name, self.sd_model)
        mode = self.latent_scale_mode or {"mode": "bilinear", "antialias": False}
        samples = torch.nn.functional.interpolate(
            samples,
            size=(self.hr_upscale_to_y // opt_f, self.hr_upscale_to_x // opt_f),
            mode=mode["mode"],
            antialias=mode["antialias"],
        )
        state.nextjob()
        samples = samples[
            :,
            :,
            self.truncate_y // 2 : samples.shape[2] - (self.truncate_y + 1) // 2,
            self.truncate_x // 2 : samples.shape[3] - (self.truncate_x + 1) // 2,
        ]
        self.rng = rng.ImageRNG(
            samples.shape[1:],
            self.seeds,
            subseeds=self.subseeds,
            subseed_strength=self.subseed_strength,
            seed_resize_from_h=self.seed_resize_from_h,
            seed_resize_from_w=self.seed_resize_from_w,
        )
        noise = self.rng.next()
        devices.torch_gc()
        if not self.disable_extra_networks:
            extra_networks.activate(self, self.hr_extra_network_data)
        self.hr_c, self.hr_uc = list(self.hr_prompts), list(self.hr_negative_prompts)
        if self.scripts is not None:
            self.scripts.before_hr(self)
            self.scripts.process_before_every_sampling(
                p=self, x=samples, noise=noise, c=self.hr_c, uc=self.hr_uc
            )
        if FORGE:  # at dfdcbab6 Forge calls the hook a second time, after resetting the model objects
            noise = _forge_sampling_noise(self, noise, x=samples, c=self.hr_c, uc=self.hr_uc)
        self._sampled(noise)
        samples = fake.sample_img2img(
            self,
            samples,
            noise,
            self.hr_c,
            self.hr_uc,
            self.hr_prompts,
            self.hr_negative_prompts,
            img2img_sampler_name,
            steps=self.hr_second_pass_steps or self.steps,
        )
        self.sampler = None
        devices.torch_gc()
        decoded_samples = fake.decode_latent_batch(samples)
        self.is_hr_pass = False
        return decoded_samples


if FORGE:

    @dataclass(repr=False)
    class StableDiffusionProcessingTxt2Img(_Txt2Img):
        """Forge's hires pass has its own CFG (and distilled CFG) and extra modules."""

        hr_additional_modules: list = None
        hr_cfg: float = 1.0
        hr_distilled_cfg: float = 3.5

else:
    StableDiffusionProcessingTxt2Img = _Txt2Img


@dataclass(repr=False)
class StableDiffusionProcessingImg2Img(StableDiffusionProcessing):
    """img2img (masks/inpainting are accepted but not simulated)."""

    init_images: list = None
    resize_mode: int = 0
    denoising_strength: float = 0.75
    image_cfg_scale: float = None
    mask: Any = None
    mask_blur_x: int = 4
    mask_blur_y: int = 4
    mask_blur: int = None
    mask_round: bool = True
    inpainting_fill: int = 0
    inpaint_full_res: bool = True
    inpaint_full_res_padding: int = 0
    inpainting_mask_invert: int = 0
    initial_noise_multiplier: float = None
    latent_mask: Any = None
    force_task_id: str = None

    image_mask: Any = field(default=None, init=False)
    nmask: torch.Tensor = field(default=None, init=False)
    image_conditioning: torch.Tensor = field(default=None, init=False)
    init_img_hash: str = field(default=None, init=False)
    mask_for_overlay: Any = field(default=None, init=False)
    init_latent: torch.Tensor = field(default=None, init=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        self.image_mask = self.mask
        self.mask = None
        if self.initial_noise_multiplier is None:
            self.initial_noise_multiplier = opts.initial_noise_multiplier

    def init(self, all_prompts: list, all_seeds: list, all_subseeds: list) -> None:
        """Denoising strength to infotext, sampler created here (not per batch), init images encoded."""
        self.extra_generation_params["Denoising strength"] = self.denoising_strength
        self.image_cfg_scale = None
        self.sampler = sd_samplers.create_sampler(self.sampler_name, self.sd_model)
        imgs = []
        for img in self.init_images:
            image = images.resize_image(self.resize_mode, img.convert("RGB"), self.width, self.height)
            imgs.append(np.moveaxis(np.array(image).astype(np.float32) / 255.0, 2, 0))
        if len(imgs) == 1:
            batch_images = np.expand_dims(imgs[0], axis=0).repeat(self.batch_size, axis=0)
            if self.overlay_images is not None:
                self.overlay_images = self.overlay_images * self.batch_size
        elif len(imgs) <= self.batch_size:
            self.batch_size = len(imgs)
            batch_images = np.array(imgs)
        else:
            raise RuntimeError(
                f"bad number of images passed: {len(imgs)}; expecting {self.batch_size} or less"
            )
        self.init_latent = fake.encode_images(torch.from_numpy(batch_images))

    def sample(
        self,
        conditioning: Any,
        unconditional_conditioning: Any,
        seeds: list,
        subseeds: list,
        subseed_strength: float,
        prompts: list,
    ) -> Any:
        """process_before_every_sampling with x=init_latent, then fake img2img sampling."""
        x = self.rng.next()
        if self.initial_noise_multiplier != 1.0:
            self.extra_generation_params["Noise multiplier"] = self.initial_noise_multiplier
            x *= self.initial_noise_multiplier
        if FORGE:
            x = _forge_sampling_noise(self, x, x=self.init_latent, c=conditioning, uc=unconditional_conditioning)
        elif self.scripts is not None:
            self.scripts.process_before_every_sampling(
                p=self, x=self.init_latent, noise=x, c=conditioning, uc=unconditional_conditioning
            )
        self._sampled(x)
        samples = fake.sample_img2img(
            self,
            self.init_latent,
            x,
            conditioning,
            unconditional_conditioning,
            self.prompts,
            self.negative_prompts,
            self.sampler_name,
        )
        del x
        devices.torch_gc()
        return samples
