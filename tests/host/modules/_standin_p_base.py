"""Stand-in only: the ``StableDiffusionProcessing`` base dataclass (re-exported by processing.py)."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

import torch
from modules import _standin_flavour, extra_networks, shared
from modules.shared import opts, state

sampled_noise_log: list[tuple[int, bool, list[int], torch.Tensor]] = []
"""STAND-IN ONLY: (p.iteration, p.is_hr_pass, seeds, clone of the noise) for every sampler call."""


@dataclass(repr=False)
class _A1111Processing:
    """Generation parameters shared by txt2img and img2img (real field names/defaults)."""

    sd_model: object = None
    outpath_samples: str = None
    outpath_grids: str = None
    prompt: str = ""
    prompt_for_display: str = None
    negative_prompt: str = ""
    styles: list = None
    seed: int = -1
    subseed: int = -1
    subseed_strength: float = 0
    seed_resize_from_h: int = -1
    seed_resize_from_w: int = -1
    seed_enable_extras: bool = True
    sampler_name: str = None
    scheduler: str = None
    batch_size: int = 1
    n_iter: int = 1
    steps: int = 50
    cfg_scale: float = 7.0
    width: int = 512
    height: int = 512
    restore_faces: bool = None
    tiling: bool = None
    do_not_save_samples: bool = False
    do_not_save_grid: bool = False
    extra_generation_params: dict = None
    overlay_images: list = None
    eta: float = None
    do_not_reload_embeddings: bool = False
    denoising_strength: float = None
    ddim_discretize: str = None
    s_min_uncond: float = None
    s_churn: float = None
    s_tmax: float = None
    s_tmin: float = None
    s_noise: float = None
    override_settings: dict = None
    override_settings_restore_afterwards: bool = True
    sampler_index: int = None
    refiner_checkpoint: str = None
    refiner_switch_at: float = None
    token_merging_ratio = 0
    token_merging_ratio_hr = 0
    disable_extra_networks: bool = False
    firstpass_image: Any = None

    scripts_value: Any = field(default=None, init=False)
    script_args_value: Any = field(default=None, init=False)
    scripts_setup_complete: bool = field(default=False, init=False)
    cached_uc = [None, None]
    cached_c = [None, None]
    comments: dict = None
    sampler: Any = field(default=None, init=False)
    is_using_inpainting_conditioning: bool = field(default=False, init=False)
    paste_to: tuple = field(default=None, init=False)
    is_hr_pass: bool = field(default=False, init=False)
    c: Any = field(default=None, init=False)
    uc: Any = field(default=None, init=False)
    rng: Any = field(default=None, init=False)
    step_multiplier: int = field(default=1, init=False)
    color_corrections: list = field(default=None, init=False)
    all_prompts: list = field(default=None, init=False)
    all_negative_prompts: list = field(default=None, init=False)
    all_seeds: list = field(default=None, init=False)
    all_subseeds: list = field(default=None, init=False)
    iteration: int = field(default=0, init=False)
    main_prompt: str = field(default=None, init=False)
    main_negative_prompt: str = field(default=None, init=False)
    prompts: list = field(default=None, init=False)
    negative_prompts: list = field(default=None, init=False)
    seeds: list = field(default=None, init=False)
    subseeds: list = field(default=None, init=False)
    extra_network_data: dict = field(default=None, init=False)
    user: str = field(default=None, init=False)
    sd_model_name: str = field(default=None, init=False)
    sd_model_hash: str = field(default=None, init=False)
    sd_vae_name: str = field(default=None, init=False)
    sd_vae_hash: str = field(default=None, init=False)
    is_api: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        if self.sampler_index is not None:
            print(
                "sampler_index argument for StableDiffusionProcessing does not do anything; use sampler_name",
                file=sys.stderr,
            )
        self.comments = {}
        if self.styles is None:
            self.styles = []
        self.sampler_noise_scheduler_override = None
        self.extra_generation_params = self.extra_generation_params or {}
        self.override_settings = self.override_settings or {}
        self.script_args = self.script_args or {}
        self.refiner_checkpoint_info = None
        if not self.seed_enable_extras:
            self.subseed = -1
            self.subseed_strength = 0
            self.seed_resize_from_h = 0
            self.seed_resize_from_w = 0
        self.cached_uc = _A1111Processing.cached_uc
        self.cached_c = _A1111Processing.cached_c

    @property
    def sd_model(self) -> Any:  # noqa: F811  (replaces the dataclass field, exactly like real A1111)
        """Always the global model."""
        return shared.sd_model

    @sd_model.setter
    def sd_model(self, value: Any) -> None:
        pass

    @property
    def scripts(self) -> Any:
        """The ScriptRunner."""
        return self.scripts_value

    @scripts.setter
    def scripts(self, value: Any) -> None:
        self.scripts_value = value
        if self.scripts_value and self.script_args_value and not self.scripts_setup_complete:
            self.setup_scripts()

    @property
    def script_args(self) -> Any:
        """Flat script args; assigning them (with scripts set) runs setup() once."""
        return self.script_args_value

    @script_args.setter
    def script_args(self, value: Any) -> None:
        self.script_args_value = value
        if self.scripts_value and self.script_args_value and not self.scripts_setup_complete:
            self.setup_scripts()

    def setup_scripts(self) -> None:
        """Run every always-on script's setup(); builtin UI-only ones are skipped for the API."""
        self.scripts_setup_complete = True
        self.scripts.setup_scrips(self, is_ui=not self.is_api)

    def comment(self, text: str) -> None:
        """Add a comment shown under the image."""
        self.comments[text] = 1

    def get_token_merging_ratio(self, for_hr: bool = False) -> float:
        """Effective ToMe ratio."""
        if for_hr:
            return (
                self.token_merging_ratio_hr
                or opts.token_merging_ratio_hr
                or self.token_merging_ratio
                or opts.token_merging_ratio
            )
        return self.token_merging_ratio or opts.token_merging_ratio

    def setup_prompts(self) -> None:
        """Build all_prompts/all_negative_prompts (n_iter×batch_size) and main_prompt."""
        if isinstance(self.prompt, list):
            self.all_prompts = self.prompt
        elif isinstance(self.negative_prompt, list):
            self.all_prompts = [self.prompt] * len(self.negative_prompt)
        else:
            self.all_prompts = self.batch_size * self.n_iter * [self.prompt]
        if isinstance(self.negative_prompt, list):
            self.all_negative_prompts = self.negative_prompt
        else:
            self.all_negative_prompts = [self.negative_prompt] * len(self.all_prompts)
        if len(self.all_prompts) != len(self.all_negative_prompts):
            raise RuntimeError(
                f"Received a different number of prompts ({len(self.all_prompts)}) and negative "
                f"prompts ({len(self.all_negative_prompts)})"
            )
        self.all_prompts = [
            shared.prompt_styles.apply_styles_to_prompt(x, self.styles) for x in self.all_prompts
        ]
        self.all_negative_prompts = [
            shared.prompt_styles.apply_negative_styles_to_prompt(x, self.styles)
            for x in self.all_negative_prompts
        ]
        self.main_prompt = self.all_prompts[0]
        self.main_negative_prompt = self.all_negative_prompts[0]

    def parse_extra_network_prompts(self) -> None:
        """Strip ``<lora:...>`` tags from this batch's prompts."""
        self.prompts, self.extra_network_data = extra_networks.parse_prompts(self.prompts)

    def setup_conds(self) -> None:
        """Stand-in conds: the prompt lists themselves."""
        self.uc = list(self.negative_prompts)
        self.c = list(self.prompts)

    def save_samples(self) -> bool:
        """Whether generated images are written to disk."""
        return (
            opts.samples_save
            and not self.do_not_save_samples
            and (opts.save_incomplete_images or not state.interrupted and not state.skipped)
        )

    def init(self, all_prompts: list, all_seeds: list, all_subseeds: list) -> None:
        """Subclasses prepare sampling here."""

    def sample(
        self,
        conditioning: Any,
        unconditional_conditioning: Any,
        seeds: list,
        subseeds: list,
        subseed_strength: float,
        prompts: list,
    ) -> Any:
        """Subclasses sample here."""
        raise NotImplementedError()

    def close(self) -> None:
        """Free references, as real."""
        self.sampler = None
        self.c = None
        self.uc = None

    def _sampled(self, noise: torch.Tensor) -> None:
        sampled_noise_log.append((self.iteration, self.is_hr_pass, list(self.seeds), noise.detach().clone()))


if _standin_flavour.FORGE:

    @dataclass(repr=False)
    class StableDiffusionProcessing(_A1111Processing):
        """Forge's extra fields: the distilled CFG (Flux) and ``modified_noise``, which replaces the noise
        after ``process_before_every_sampling``."""

        distilled_cfg_scale: float = 3.5
        modified_noise: Any = field(default=None, init=False)

else:
    StableDiffusionProcessing = _A1111Processing
