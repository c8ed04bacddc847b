"""Stand-in for ``modules/shared_options.py``: the built-in settings extensions and the host read."""

from __future__ import annotations

import os

from modules import _standin_flavour
from modules.options import OptionInfo, options_section

options_templates: dict[str, OptionInfo] = {}
restricted_opts: set[str] = {
    "samples_filename_pattern",
    "directories_filename_pattern",
    "outdir_samples",
    "outdir_txt2img_samples",
    "outdir_img2img_samples",
    "outdir_extras_samples",
    "outdir_grids",
    "outdir_txt2img_grids",
    "outdir_save",
    "outdir_init_images",
}


def build_templates(data_path: str) -> dict[str, OptionInfo]:
    """Fresh OptionInfo objects (outputs under ``data_path``), so tests never share mutated defaults."""
    out = os.path.join(data_path, "outputs")
    t: dict[str, OptionInfo] = {}
    t.update(
        options_section(
            ("saving-images", "Saving images/grids", "saving"),
            {
                "samples_save": OptionInfo(True, "Always save all generated images"),
                "samples_format": OptionInfo("png", "File format for images"),
                "samples_filename_pattern": OptionInfo("", "Images filename pattern"),
                "save_images_add_number": OptionInfo(True, "Add number to filename when saving"),
                "save_images_replace_action": OptionInfo("Replace", "Saving the image to an existing file"),
                "grid_save": OptionInfo(True, "Always save all generated image grids"),
                "grid_format": OptionInfo("png", "File format for grids"),
                "grid_extended_filename": OptionInfo(
                    False, "Add extended info (seed, prompt) to filename when saving grid"
                ),
                "grid_only_if_multiple": OptionInfo(True, "Do not save grids consisting of one picture"),
                "grid_prevent_empty_spots": OptionInfo(False, "Prevent empty spots in grid"),
                "grid_background_color": OptionInfo("#ffffff", "Background color for image grids"),
                "n_rows": OptionInfo(
                    -1, "Grid row count; use -1 for autodetect and 0 for it to be same as batch size"
                ),
                "enable_pnginfo": OptionInfo(
                    True, "Save text information about generation parameters as chunks to png files"
                ),
                "save_txt": OptionInfo(False, "Create a text file with infotext next to every image"),
                "save_images_before_face_restoration": OptionInfo(
                    False, "Save a copy of image before doing face restoration."
                ),
                "save_images_before_highres_fix": OptionInfo(
                    False, "Save a copy of image before applying highres fix."
                ),
                "save_incomplete_images": OptionInfo(False, "Save incomplete images"),
                "jpeg_quality": OptionInfo(80, "Quality for saved jpeg and avif images"),
                "webp_lossless": OptionInfo(False, "Use lossless compression for webp images"),
                "save_mask": OptionInfo(False, "For inpainting, save a copy of the greyscale mask"),
                "save_mask_composite": OptionInfo(False, "For inpainting, save a masked composite"),
                "return_mask": OptionInfo(
                    False, "For inpainting, include the greyscale mask in results for web"
                ),
                "return_mask_composite": OptionInfo(
                    False, "For inpainting, include masked composite in results for web"
                ),
            },
        )
    )
    t.update(
        options_section(
            ("saving-paths", "Paths for saving", "saving"),
            {
                "outdir_samples": OptionInfo(
                    "", "Output directory for images; if empty, defaults to three directories below"
                ),
                "outdir_txt2img_samples": OptionInfo(
                    os.path.join(out, "txt2img-images"), "Output directory for txt2img"
                ),
                "outdir_img2img_samples": OptionInfo(
                    os.path.join(out, "img2img-images"), "Output directory for img2img"
                ),
                "outdir_extras_samples": OptionInfo(
                    os.path.join(out, "extras-images"), "Output directory for extras"
                ),
                "outdir_grids": OptionInfo(
                    "", "Output directory for grids; if empty, defaults to two directories below"
                ),
                "outdir_txt2img_grids": OptionInfo(
                    os.path.join(out, "txt2img-grids"), "Output directory for txt2img grids"
                ),
                "outdir_img2img_grids": OptionInfo(
                    os.path.join(out, "img2img-grids"), "Output directory for img2img grids"
                ),
                "outdir_save": OptionInfo(
                    os.path.join(data_path, "log", "images"),
                    "Directory for saving images using the Save button",
                ),
            },
        )
    )
    t.update(
        options_section(
            ("saving-to-dirs", "Saving to a directory", "saving"),
            {
                "save_to_dirs": OptionInfo(True, "Save images to a subdirectory"),
                "grid_save_to_dirs": OptionInfo(True, "Save grids to a subdirectory"),
                "use_save_to_dirs_for_ui": OptionInfo(
                    False, 'When using "Save" button, save images to a subdirectory'
                ),
                "directories_filename_pattern": OptionInfo("[date]", "Directory name pattern"),
                "directories_max_prompt_words": OptionInfo(8, "Max prompt words for [prompt_words] pattern"),
            },
        )
    )
    t.update(
        options_section(
            ("sd", "Stable Diffusion", "sd"),
            {
                "sd_model_checkpoint": OptionInfo(
                    "standin.safetensors [0123456789]", "Stable Diffusion checkpoint"
                ),
                "sd_checkpoints_limit": OptionInfo(
                    1, "Maximum number of checkpoints loaded at the same time"
                ),
                "sd_vae": OptionInfo("Automatic", "SD VAE", infotext="VAE"),
                "sd_vae_decode_method": OptionInfo("Full", "VAE type for decode", infotext="VAE Decoder"),
                "sd_vae_encode_method": OptionInfo("Full", "VAE type for encode", infotext="VAE Encoder"),
                "CLIP_stop_at_last_layers": OptionInfo(1, "Clip skip", infotext="Clip skip"),
                "enable_emphasis": OptionInfo(True, "Enable emphasis"),
                "img2img_background_color": OptionInfo("#ffffff", "With img2img, fill transparent parts with"),
                "use_original_name_batch": OptionInfo(True, "Use original name for output filename during batch"),
                "img2img_fix_steps": OptionInfo(
                    False, "With img2img, do exactly the amount of steps the slider specifies."
                ),
                "initial_noise_multiplier": OptionInfo(
                    1.0, "Noise multiplier for img2img", infotext="Noise multiplier"
                ),
                "img2img_extra_noise": OptionInfo(0.0, "Extra noise multiplier for img2img and hires fix"),
                "cross_attention_optimization": OptionInfo("Automatic", "Cross attention optimization"),
                "upcast_attn": OptionInfo(False, "Upcast cross attention layer to float32"),
                "token_merging_ratio": OptionInfo(0.0, "Token merging ratio", infotext="Token merging ratio"),
                "token_merging_ratio_hr": OptionInfo(0.0, "Token merging ratio for high-res pass"),
                "randn_source": OptionInfo("GPU", "Random number generator source.", infotext="RNG"),
                "eta_noise_seed_delta": OptionInfo(0, "Eta noise seed delta", infotext="ENSD"),
                "face_restoration": OptionInfo(False, "Restore faces", infotext="Face restoration"),
                "face_restoration_model": OptionInfo("CodeFormer", "Face restoration model"),
                "tiling": OptionInfo(False, "Tiling", infotext="Tiling"),
                "keep_incomplete": OptionInfo(True, "Keep incomplete images"),
                "overlay_inpaint": OptionInfo(True, "Overlay original for inpaint"),
            },
        )
    )
    compatibility = {  # real modules/shared_options.py, section "compatibility" (Forge adds forge_try_reproduce)
        "auto_backcompat": OptionInfo(True, "Automatic backward compatibility"),
        "use_old_emphasis_implementation": OptionInfo(
            False, "Use old emphasis implementation. Can be useful to reproduce old seeds."),
        "use_old_karras_scheduler_sigmas": OptionInfo(False, "Use old karras scheduler sigmas (0.1 to 10)."),
        "no_dpmpp_sde_batch_determinism": OptionInfo(
            False, "Do not make DPM++ SDE deterministic across different batch sizes."),
        "use_old_hires_fix_width_height": OptionInfo(
            False, "For hires fix, use width/height sliders to set final resolution rather than first pass"),
        "hires_fix_use_firstpass_conds": OptionInfo(
            False, "For hires fix, calculate conds of second pass using extra networks of first pass."),
        "use_old_scheduling": OptionInfo(
            False, "Use old prompt editing timelines.", infotext="Old prompt editing timelines"),
        "use_downcasted_alpha_bar": OptionInfo(
            False, "Downcast model alphas_cumprod to fp16 before sampling. For reproducing old seeds.",
            infotext="Downcast alphas_cumprod"),
        "refiner_switch_by_sample_steps": OptionInfo(
            False, "Switch to refiner by sampling steps instead of model timesteps. Old behavior for refiner.",
            infotext="Refiner switch by sampling steps"),
    }
    t.update(options_section(("compatibility", "Compatibility", "sd"), compatibility))
    t.update(
        options_section(
            ("sampler-params", "Sampler parameters", "sd"),
            {
                "hide_samplers": OptionInfo([], "Hide samplers in user interface"),
                "eta_ddim": OptionInfo(0.0, "Eta for DDIM", infotext="Eta DDIM"),
                "eta_ancestral": OptionInfo(1.0, "Eta for k-diffusion samplers", infotext="Eta"),
                "always_discard_next_to_last_sigma": OptionInfo(False, "Always discard next-to-last sigma"),
                "s_min_uncond": OptionInfo(0.0, "Negative Guidance minimum sigma", infotext="NGMS"),
                "s_churn": OptionInfo(0.0, "sigma churn", infotext="Sigma churn"),
                "s_tmin": OptionInfo(0.0, "sigma tmin", infotext="Sigma tmin"),
                "s_tmax": OptionInfo(0.0, "sigma tmax", infotext="Sigma tmax"),
                "s_noise": OptionInfo(1.0, "sigma noise", infotext="Sigma noise"),
            },
        )
    )
    t.update(
        options_section(
            ("ui", "User interface", "ui"),
            {
                "samplers_in_dropdown": OptionInfo(
                    True, "Use dropdown for sampler selection instead of radio group"
                ),
                "return_grid": OptionInfo(True, "Show grid in gallery"),
                "send_seed": OptionInfo(True, "Send seed when sending prompt or image to other interface"),
                "send_size": OptionInfo(True, "Send size when sending prompt or image to another interface"),
                "ui_reorder_list": OptionInfo([], "UI item order for txt2img/img2img tabs"),
                "hidden_tabs": OptionInfo([], "Hidden UI tabs"),
                "live_previews_enable": OptionInfo(True, "Show live previews of the created image"),
                "show_progress_every_n_steps": OptionInfo(10, "Live preview display period"),
                "enable_console_prompts": OptionInfo(False, "Print prompts to console"),
            },
        )
    )
    t.update(
        options_section(
            ("infotext", "Infotext", "ui"),
            {
                "add_model_hash_to_info": OptionInfo(True, "Add model hash to infotext"),
                "add_model_name_to_info": OptionInfo(True, "Add model name to infotext"),
                "add_user_name_to_info": OptionInfo(False, "Add user name to infotext when authenticated"),
                "add_version_to_infotext": OptionInfo(True, "Add program version to infotext"),
                "add_vae_name_to_info": OptionInfo(True, "Add VAE name to infotext"),
                "add_vae_hash_to_info": OptionInfo(True, "Add VAE hash to infotext"),
                "disable_weights_auto_swap": OptionInfo(
                    True, "Disregard checkpoint information from pasted infotext"
                ),
                "infotext_skip_pasting": OptionInfo([], "Disregard fields from pasted infotext"),
                "infotext_styles": OptionInfo("Apply if any", "Infer styles from prompts of pasted infotext"),
            },
        )
    )
    t.update(
        options_section(
            ("system", "System", "system"),
            {
                "memmon_poll_rate": OptionInfo(8, "VRAM usage polls per second during generation."),
                "multiple_tqdm": OptionInfo(
                    True, "Add a second progress bar to the console that shows progress for an entire job."
                ),
                "print_hypernet_extra": OptionInfo(False, "Print extra hypernetwork information to console."),
                "profiling_enable": OptionInfo(False, "Enable profiling"),
            },
        )
    )
    t.update(
        options_section(
            ("upscaling", "Upscaling", "postprocessing"),
            {
                "upscaler_for_img2img": OptionInfo(None, "Upscaler for img2img"),
                "upscaling_max_images_in_cache": OptionInfo(5, "Maximum number of images in upscaling cache"),
            },
        )
    )
    t.update(
        options_section(
            ("postprocessing", "Postprocessing", "postprocessing"),
            {
                "postprocessing_enable_in_main_ui": OptionInfo([], "Enable postprocessing operations in txt2img"),
                "postprocessing_disable_in_extras": OptionInfo([], "Disable postprocessing operations in extras tab"),
                "postprocessing_operation_order": OptionInfo([], "Postprocessing operation order"),
                "postprocessing_existing_caption_action": OptionInfo("Ignore", "Action for existing captions"),
            },
        )
    )
    if _standin_flavour.FORGE:
        t.update(options_section((None, "Forge Hidden options"), {
            "forge_unet_storage_dtype": OptionInfo("Automatic"),
            "forge_inference_memory": OptionInfo(1024),
            "forge_async_loading": OptionInfo("Queue"),
            "forge_pin_shared_memory": OptionInfo("CPU"),
            "forge_preset": OptionInfo("sd"),
        }))
        t["forge_try_reproduce"] = OptionInfo("None", "Try to reproduce the results from external software")
    return t
