"""Stand-in only: ``Processed`` and ``create_infotext`` (A1111 has them in processing.py)."""

from __future__ import annotations

import json
from typing import Any

from modules import errors, infotext_utils, sd_samplers_common
from modules.shared import opts, state


def create_infotext(
    p: Any,
    all_prompts: list,
    all_seeds: list,
    all_subseeds: list,
    comments: Any = None,
    iteration: int = 0,
    position_in_batch: int = 0,
    use_main_prompt: bool = False,
    index: int | None = None,
    all_negative_prompts: list | None = None,
) -> str:
    """Prompt, "Negative prompt:", then ``k: v`` pairs (None omitted, lists indexed, callables called)."""
    from modules.processing import program_version

    if use_main_prompt:
        index = 0
    elif index is None:
        index = position_in_batch + iteration * p.batch_size
    if all_negative_prompts is None:
        all_negative_prompts = p.all_negative_prompts
    clip_skip = getattr(p, "clip_skip", opts.CLIP_stop_at_last_layers)
    enable_hr = getattr(p, "enable_hr", False)
    token_merging_ratio = p.get_token_merging_ratio()
    token_merging_ratio_hr = p.get_token_merging_ratio(for_hr=True)
    prompt_text = p.main_prompt if use_main_prompt else all_prompts[index]
    negative_prompt = p.main_negative_prompt if use_main_prompt else all_negative_prompts[index]
    uses_ensd = opts.eta_noise_seed_delta != 0
    if uses_ensd:
        uses_ensd = sd_samplers_common.is_sampler_using_eta_noise_seed_delta(p)
    generation_params: dict[str, Any] = {
        "Steps": p.steps,
        "Sampler": p.sampler_name,
        "Schedule type": p.scheduler,
        "CFG scale": p.cfg_scale,
        "Image CFG scale": getattr(p, "image_cfg_scale", None),
        "Seed": p.all_seeds[0] if use_main_prompt else all_seeds[index],
        "Face restoration": opts.face_restoration_model if p.restore_faces else None,
        "Size": f"{p.width}x{p.height}",
        "Model hash": p.sd_model_hash if opts.add_model_hash_to_info else None,
        "Model": p.sd_model_name if opts.add_model_name_to_info else None,
        "VAE hash": p.sd_vae_hash if opts.add_vae_hash_to_info else None,
        "VAE": p.sd_vae_name if opts.add_vae_name_to_info else None,
        "Variation seed": (
            None
            if p.subseed_strength == 0
            else (p.all_subseeds[0] if use_main_prompt else all_subseeds[index])
        ),
        "Variation seed strength": (None if p.subseed_strength == 0 else p.subseed_strength),
        "Seed resize from": (
            None
            if p.seed_resize_from_w <= 0 or p.seed_resize_from_h <= 0
            else f"{p.seed_resize_from_w}x{p.seed_resize_from_h}"
        ),
        "Denoising strength": p.extra_generation_params.get("Denoising strength"),
        "Conditional mask weight": None,
        "Clip skip": None if clip_skip <= 1 else clip_skip,
        "ENSD": opts.eta_noise_seed_delta if uses_ensd else None,
        "Token merging ratio": None if token_merging_ratio == 0 else token_merging_ratio,
        "Token merging ratio hr": None
        if not enable_hr or token_merging_ratio_hr == 0
        else token_merging_ratio_hr,
        "Init image hash": getattr(p, "init_img_hash", None),
        "RNG": opts.randn_source if opts.randn_source != "GPU" else None,
        "Tiling": "True" if p.tiling else None,
        **p.extra_generation_params,
        "Version": program_version() if opts.add_version_to_infotext else None,
        "User": p.user if opts.add_user_name_to_info else None,
    }
    for key, value in generation_params.items():
        try:
            if isinstance(value, list):
                generation_params[key] = value[index]
            elif callable(value):
                generation_params[key] = value(**locals())
        except Exception:
            errors.report(f'Error creating infotext for key "{key}"', exc_info=True)
            generation_params[key] = None
    generation_params_text = ", ".join(
        [
            k if k == v else f"{k}: {infotext_utils.quote(v)}"
            for k, v in generation_params.items()
            if v is not None
        ]
    )
    negative_prompt_text = f"\nNegative prompt: {negative_prompt}" if negative_prompt else ""
    return f"{prompt_text}{negative_prompt_text}\n{generation_params_text}".strip()


class Processed:
    """Result of process_images; scalar fields are copied from p when it is built."""

    def __init__(
        self,
        p: Any,
        images_list: list,
        seed: Any = -1,
        info: str = "",
        subseed: Any = None,
        all_prompts: list | None = None,
        all_negative_prompts: list | None = None,
        all_seeds: list | None = None,
        all_subseeds: list | None = None,
        index_of_first_image: int = 0,
        infotexts: list | None = None,
        comments: str = "",
    ) -> None:
        from modules.processing import program_version

        self.images = images_list
        self.prompt = p.prompt
        self.negative_prompt = p.negative_prompt
        self.seed = seed
        self.subseed = subseed
        self.subseed_strength = p.subseed_strength
        self.info = info
        self.comments = "".join(f"{comment}\n" for comment in p.comments)
        self.width = p.width
        self.height = p.height
        self.sampler_name = p.sampler_name
        self.cfg_scale = p.cfg_scale
        self.image_cfg_scale = getattr(p, "image_cfg_scale", None)
        self.steps = p.steps
        self.batch_size = p.batch_size
        self.restore_faces = p.restore_faces
        self.face_restoration_model = opts.face_restoration_model if p.restore_faces else None
        self.sd_model_name = p.sd_model_name
        self.sd_model_hash = p.sd_model_hash
        self.sd_vae_name = p.sd_vae_name
        self.sd_vae_hash = p.sd_vae_hash
        self.seed_resize_from_w = p.seed_resize_from_w
        self.seed_resize_from_h = p.seed_resize_from_h
        self.denoising_strength = getattr(p, "denoising_strength", None)
        self.extra_generation_params = p.extra_generation_params
        self.index_of_first_image = index_of_first_image
        self.styles = p.styles
        self.job_timestamp = state.job_timestamp
        self.clip_skip = opts.CLIP_stop_at_last_layers
        self.token_merging_ratio = p.token_merging_ratio
        self.token_merging_ratio_hr = p.token_merging_ratio_hr
        self.eta = p.eta
        self.ddim_discretize = p.ddim_discretize
        self.s_churn = p.s_churn
        self.s_tmin = p.s_tmin
        self.s_tmax = p.s_tmax
        self.s_noise = p.s_noise
        self.s_min_uncond = p.s_min_uncond
        self.sampler_noise_scheduler_override = p.sampler_noise_scheduler_override
        self.prompt = self.prompt if not isinstance(self.prompt, list) else self.prompt[0]
        self.negative_prompt = (
            self.negative_prompt if not isinstance(self.negative_prompt, list) else self.negative_prompt[0]
        )
        self.seed = (
            int(self.seed if not isinstance(self.seed, list) else self.seed[0])
            if self.seed is not None
            else -1
        )
        self.subseed = (
            int(self.subseed if not isinstance(self.subseed, list) else self.subseed[0])
            if self.subseed is not None
            else -1
        )
        self.is_using_inpainting_conditioning = p.is_using_inpainting_conditioning
        self.all_prompts = all_prompts or p.all_prompts or [self.prompt]
        self.all_negative_prompts = all_negative_prompts or p.all_negative_prompts or [self.negative_prompt]
        self.all_seeds = all_seeds or p.all_seeds or [self.seed]
        self.all_subseeds = all_subseeds or p.all_subseeds or [self.subseed]
        self.infotexts = infotexts or [info] * len(images_list)
        self.version = program_version()

    def js(self) -> str:
        """JSON "generation info" (UI) / ``info`` (API); non-serialisable values become null."""
        obj = {
            "prompt": self.all_prompts[0],
            "all_prompts": self.all_prompts,
            "negative_prompt": self.all_negative_prompts[0],
            "all_negative_prompts": self.all_negative_prompts,
            "seed": self.seed,
            "all_seeds": self.all_seeds,
            "subseed": self.subseed,
            "all_subseeds": self.all_subseeds,
            "subseed_strength": self.subseed_strength,
            "width": self.width,
            "height": self.height,
            "sampler_name": self.sampler_name,
            "cfg_scale": self.cfg_scale,
            "steps": self.steps,
            "batch_size": self.batch_size,
            "restore_faces": self.restore_faces,
            "face_restoration_model": self.face_restoration_model,
            "sd_model_name": self.sd_model_name,
            "sd_model_hash": self.sd_model_hash,
            "sd_vae_name": self.sd_vae_name,
            "sd_vae_hash": self.sd_vae_hash,
            "seed_resize_from_w": self.seed_resize_from_w,
            "seed_resize_from_h": self.seed_resize_from_h,
            "denoising_strength": self.denoising_strength,
            "extra_generation_params": self.extra_generation_params,
            "index_of_first_image": self.index_of_first_image,
            "infotexts": self.infotexts,
            "styles": self.styles,
            "job_timestamp": self.job_timestamp,
            "clip_skip": self.clip_skip,
            "is_using_inpainting_conditioning": self.is_using_inpainting_conditioning,
            "version": self.version,
        }
        return json.dumps(obj, default=lambda o: None)

    def infotext(self, p: Any, index: int) -> str:
        """Rebuild the infotext of image ``index``."""
        return create_infotext(
            p,
            self.all_prompts,
            self.all_seeds,
            self.all_subseeds,
            comments=[],
            position_in_batch=index % self.batch_size,
            iteration=index // self.batch_size,
        )

    def get_token_merging_ratio(self, for_hr: bool = False) -> float:
        """Ratio used for this result."""
        return self.token_merging_ratio_hr if for_hr else self.token_merging_ratio
