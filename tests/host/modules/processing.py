"""Stand-in for ``modules/processing.py`` (v1.10.1): p classes, process_images, Processed, create_infotext."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import torch
from modules import (
    _standin_flavour,
    devices,
    extra_networks,
    images,
    rng,
    scripts,
    sd_models,
    sd_samplers,
    sd_vae,
    shared,
)
from modules import _standin_sampling as fake
from modules._standin_p_base import StableDiffusionProcessing, sampled_noise_log
from modules._standin_p_classes import (
    StableDiffusionProcessingImg2Img,
    StableDiffusionProcessingTxt2Img,
    old_hires_fix_first_pass_dimensions,
)
from modules._standin_processed import Processed, create_infotext
from modules.shared import opts, state
from PIL import Image

opt_C = 4
opt_f = 8
DecodedSamples = fake.DecodedSamples


def program_version() -> str:
    """Version string written to infotext."""
    return "v1.10.1"


def get_fixed_seed(seed: Any) -> int:
    """-1/''/None/unparsable → random int, else the seed."""
    if seed == "" or seed is None:
        seed = -1
    elif isinstance(seed, str):
        try:
            seed = int(seed)
        except Exception:
            seed = -1
    if seed == -1:
        return int(random.randrange(4294967294))
    return seed


def fix_seed(p: Any) -> None:
    """Resolve -1 seeds on p itself."""
    p.seed = get_fixed_seed(p.seed)
    p.subseed = get_fixed_seed(p.subseed)


__all__ = [
    "StableDiffusionProcessing",
    "sampled_noise_log",
    "StableDiffusionProcessingTxt2Img",
    "StableDiffusionProcessingImg2Img",
    "Processed",
    "create_infotext",
    "old_hires_fix_first_pass_dimensions",
    "process_images",
    "process_images_inner",
]


def process_images(p: StableDiffusionProcessing) -> Processed:
    """before_process, apply override_settings, normalise sampler, run, restore settings."""
    if p.scripts is not None:
        p.scripts.before_process(p)
    stored_opts = {k: opts.data[k] if k in opts.data else opts.get_default(k) for k in p.override_settings}
    try:
        if sd_models.checkpoint_aliases.get(p.override_settings.get("sd_model_checkpoint")) is None:
            p.override_settings.pop("sd_model_checkpoint", None)
        for k, v in p.override_settings.items():
            opts.set(k, v, is_api=True, run_callbacks=False)
        sd_samplers.fix_p_invalid_sampler_and_scheduler(p)
        res = process_images_inner(p)
    finally:
        if p.override_settings_restore_afterwards:
            for k, v in stored_opts.items():
                setattr(opts, k, v)
    return res


def process_images_inner(p: StableDiffusionProcessing) -> Processed:
    """The main loop shared by txt2img and img2img, with hooks in the real order."""
    if isinstance(p.prompt, list):
        assert len(p.prompt) > 0
    else:
        assert p.prompt is not None
    devices.torch_gc()
    seed = get_fixed_seed(p.seed)
    subseed = get_fixed_seed(p.subseed)
    if p.restore_faces is None:
        p.restore_faces = opts.face_restoration
    if p.tiling is None:
        p.tiling = opts.tiling
    p.sd_model_name = shared.sd_model.sd_checkpoint_info.name_for_extra
    p.sd_model_hash = shared.sd_model.sd_model_hash
    p.sd_vae_name = sd_vae.get_loaded_vae_name()
    p.sd_vae_hash = sd_vae.get_loaded_vae_hash()
    p.setup_prompts()
    if isinstance(seed, list):
        p.all_seeds = seed
    else:
        p.all_seeds = [int(seed) + (x if p.subseed_strength == 0 else 0) for x in range(len(p.all_prompts))]
    if isinstance(subseed, list):
        p.all_subseeds = subseed
    else:
        p.all_subseeds = [int(subseed) + x for x in range(len(p.all_prompts))]
    if p.scripts is not None:
        p.scripts.process(p)
    infotexts: list[str] = []
    output_images: list[Image.Image] = []

    def infotext(index: int = 0, use_main_prompt: bool = False) -> str:
        return create_infotext(
            p,
            p.prompts,
            p.seeds,
            p.subseeds,
            use_main_prompt=use_main_prompt,
            index=index,
            all_negative_prompts=p.negative_prompts,
        )

    with torch.inference_mode() if _standin_flavour.FORGE else torch.no_grad():
        p.init(p.all_prompts, p.all_seeds, p.all_subseeds)
        if state.job_count == -1:
            state.job_count = p.n_iter
        for n in range(p.n_iter):
            p.iteration = n
            if state.skipped:
                state.skipped = False
            if state.interrupted or state.stopping_generation:
                break
            if _standin_flavour.FORGE:
                p.sd_model.forge_objects = p.sd_model.forge_objects_original.shallow_copy()
            p.prompts = p.all_prompts[n * p.batch_size : (n + 1) * p.batch_size]
            p.negative_prompts = p.all_negative_prompts[n * p.batch_size : (n + 1) * p.batch_size]
            p.seeds = p.all_seeds[n * p.batch_size : (n + 1) * p.batch_size]
            p.subseeds = p.all_subseeds[n * p.batch_size : (n + 1) * p.batch_size]
            p.rng = rng.ImageRNG(
                (opt_C, p.height // opt_f, p.width // opt_f),
                p.seeds,
                subseeds=p.subseeds,
                subseed_strength=p.subseed_strength,
                seed_resize_from_h=p.seed_resize_from_h,
                seed_resize_from_w=p.seed_resize_from_w,
            )
            if p.scripts is not None:
                p.scripts.before_process_batch(
                    p, batch_number=n, prompts=p.prompts, seeds=p.seeds, subseeds=p.subseeds
                )
            if len(p.prompts) == 0:
                break
            p.parse_extra_network_prompts()
            if not p.disable_extra_networks:
                extra_networks.activate(p, p.extra_network_data)
            if _standin_flavour.FORGE:
                p.sd_model.forge_objects = p.sd_model.forge_objects_after_applying_lora.shallow_copy()
            if p.scripts is not None:
                p.scripts.process_batch(
                    p, batch_number=n, prompts=p.prompts, seeds=p.seeds, subseeds=p.subseeds
                )
            p.setup_conds()
            if p.n_iter > 1:
                state.job = f"Batch {n + 1} out of {p.n_iter}"
            samples_ddim = p.sample(
                conditioning=p.c,
                unconditional_conditioning=p.uc,
                seeds=p.seeds,
                subseeds=p.subseeds,
                subseed_strength=p.subseed_strength,
                prompts=p.prompts,
            )
            if p.scripts is not None:
                ps = scripts.PostSampleArgs(samples_ddim)
                p.scripts.post_sample(p, ps)
                samples_ddim = ps.samples
            if getattr(samples_ddim, "already_decoded", False):
                x_samples_ddim = samples_ddim
            else:
                devices.test_for_nans(samples_ddim, "unet")  # NansException from here, as in the real loop
                x_samples_ddim = decode_latent_batch(shared.sd_model, samples_ddim, target_device=devices.cpu,
                                                     check_for_nans=True)
            x_samples_ddim = torch.stack(list(x_samples_ddim)).float()
            x_samples_ddim = torch.clamp((x_samples_ddim + 1.0) / 2.0, min=0.0, max=1.0)
            del samples_ddim
            devices.torch_gc()
            state.nextjob()
            if p.scripts is not None:
                p.scripts.postprocess_batch(p, x_samples_ddim, batch_number=n)
                p.prompts = p.all_prompts[n * p.batch_size : (n + 1) * p.batch_size]
                p.negative_prompts = p.all_negative_prompts[n * p.batch_size : (n + 1) * p.batch_size]
                batch_params = scripts.PostprocessBatchListArgs(list(x_samples_ddim))
                p.scripts.postprocess_batch_list(p, batch_params, batch_number=n)
                x_samples_ddim = batch_params.images
            save_samples = p.save_samples()
            for i, x_sample in enumerate(x_samples_ddim):
                p.batch_index = i
                arr = (255.0 * np.moveaxis(x_sample.cpu().numpy(), 0, 2)).astype(np.uint8)
                image = Image.fromarray(arr)
                if p.scripts is not None:
                    pp = scripts.PostprocessImageArgs(image, i if _standin_flavour.FORGE else None)
                    p.scripts.postprocess_image(p, pp)
                    image = pp.image
                mask_for_overlay = getattr(p, "mask_for_overlay", None)
                overlay_image = None
                if opts.overlay_inpaint and p.overlay_images is not None and i < len(p.overlay_images):
                    overlay_image = p.overlay_images[i]
                if p.scripts is not None:
                    ppmo = scripts.PostprocessMaskOverlayArgs(i, mask_for_overlay, overlay_image)
                    p.scripts.postprocess_maskoverlay(p, ppmo)
                    pp = scripts.PostprocessImageArgs(image)
                    p.scripts.postprocess_image_after_composite(p, pp)
                    image = pp.image
                if save_samples:
                    images.save_image(
                        image,
                        p.outpath_samples,
                        "",
                        p.seeds[i],
                        p.prompts[i],
                        opts.samples_format,
                        info=infotext(i),
                        p=p,
                    )
                text = infotext(i)
                infotexts.append(text)
                if opts.enable_pnginfo:
                    image.info["parameters"] = text
                output_images.append(image)
            del x_samples_ddim
            devices.torch_gc()
        if not infotexts:
            infotexts.append(Processed(p, []).infotext(p, 0))
        p.color_corrections = None
        index_of_first_image = 0
        unwanted_grid_because_of_img_count = len(output_images) < 2 and opts.grid_only_if_multiple
        if (
            (opts.return_grid or opts.grid_save)
            and not p.do_not_save_grid
            and not unwanted_grid_because_of_img_count
        ):
            grid = images.image_grid(output_images, p.batch_size)
            if opts.return_grid:
                text = infotext(use_main_prompt=True)
                infotexts.insert(0, text)
                if opts.enable_pnginfo:
                    grid.info["parameters"] = text
                output_images.insert(0, grid)
                index_of_first_image = 1
            if opts.grid_save:
                images.save_image(
                    grid,
                    p.outpath_grids,
                    "grid",
                    p.all_seeds[0],
                    p.all_prompts[0],
                    opts.grid_format,
                    info=infotext(use_main_prompt=True),
                    short_filename=not opts.grid_extended_filename,
                    p=p,
                    grid=True,
                )
    if not p.disable_extra_networks and p.extra_network_data:
        extra_networks.deactivate(p, p.extra_network_data)
    devices.torch_gc()
    res = Processed(
        p,
        images_list=output_images,
        seed=p.all_seeds[0],
        info=infotexts[0],
        subseed=p.all_subseeds[0],
        index_of_first_image=index_of_first_image,
        infotexts=infotexts,
    )
    if p.scripts is not None:
        p.scripts.postprocess(p, res)
    return res


def create_random_tensors(
    shape: tuple,
    seeds: list[int],
    subseeds: list[int] | None = None,
    subseed_strength: float = 0.0,
    seed_resize_from_h: int = 0,
    seed_resize_from_w: int = 0,
    p: Any = None,
) -> torch.Tensor:
    """Old API kept by real webui: first noise of an ImageRNG."""
    g = rng.ImageRNG(
        shape,
        seeds,
        subseeds=subseeds,
        subseed_strength=subseed_strength,
        seed_resize_from_h=seed_resize_from_h,
        seed_resize_from_w=seed_resize_from_w,
    )
    return g.next()


def decode_latent_batch(
    model: Any, batch: torch.Tensor, target_device: Any = None, check_for_nans: bool = False
) -> DecodedSamples:
    """Fake VAE decode (see _standin_sampling) with the real NaN checks: the latents ("unet"), then each
    decoded image ("vae"). The stand-in's VAE is float32 already, so a NaN there is raised, as the real
    function does when its automatic precision fallback has nothing left to try."""
    if check_for_nans:
        devices.test_for_nans(batch, "unet")
    samples = fake.decode_latent_batch(batch)
    if check_for_nans:
        for sample in samples:
            devices.test_for_nans(sample, "vae")
    return samples
