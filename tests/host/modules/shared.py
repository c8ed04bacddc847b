"""Stand-in for ``modules/shared.py``: global opts, state, cmd_opts, model and upscaler lists."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from modules import _standin_flavour, devices, options, paths_internal, shared_cmd_options, shared_options, shared_state
from modules.options import OptionHTML, OptionInfo, options_section  # noqa: F401  (re-exported like real)

cmd_opts = shared_cmd_options.cmd_opts
parser = shared_cmd_options.parser
data_path: str = paths_internal.data_path
models_path: str = paths_internal.models_path
config_filename: str = os.path.join(data_path, "config.json")
styles_filename: list[str] = [os.path.join(data_path, "styles.csv")]
hide_dirs: dict[str, Any] = {"visible": not cmd_opts.hide_ui_dir_config}

options_templates = shared_options.options_templates
opts = options.Options(shared_options.build_templates(data_path), shared_options.restricted_opts)
state = shared_state.State()
device = devices.device
demo: Any = None
batch_cond_uncond = True
parallel_processing_allowed = True
xformers_available = False
hypernetworks: dict[str, str] = {}
loaded_hypernetworks: list = []
face_restorers: list = []
gradio_theme: Any = None
settings_components: dict[str, Any] = {}
tab_names: list[str] = []
latent_upscale_default_mode = "Latent"
latent_upscale_modes: dict[str, dict[str, Any]] = {
    "Latent": {"mode": "bilinear", "antialias": False},
    "Latent (antialiased)": {"mode": "bilinear", "antialias": True},
    "Latent (bicubic)": {"mode": "bicubic", "antialias": False},
    "Latent (bicubic antialiased)": {"mode": "bicubic", "antialias": True},
    "Latent (nearest)": {"mode": "nearest", "antialias": False},
    "Latent (nearest-exact)": {"mode": "nearest-exact", "antialias": False},
}


class PilScaler:
    """Stand-in for ``modules.upscaler.Upscaler``: ``upscale(img, scale, path)`` resizes with PIL (Lanczos,
    or Nearest for the "Nearest" upscaler), like A1111's own Lanczos/Nearest upscalers."""

    def __init__(self, name: str) -> None:
        self.name = name

    def upscale(self, img: Any, scale: float, selected_model: str | None = None) -> Any:
        from PIL import Image

        resample = Image.Resampling.NEAREST if self.name == "Nearest" else Image.Resampling.LANCZOS
        width, height = int(img.width * scale), int(img.height * scale)
        return img.resize((width, height), resample=resample)


@dataclass
class UpscalerData:
    """Minimal ``modules.upscaler.UpscalerData``: ``.name``, ``.data_path`` and ``.scaler.upscale``."""

    name: str
    path: str | None = None
    scale: int = 4
    model_path: str | None = None

    @property
    def data_path(self) -> str | None:
        return self.path

    @property
    def scaler(self) -> PilScaler:
        return PilScaler(self.name)


sd_upscalers: list[UpscalerData] = [
    UpscalerData("None", scale=1),
    UpscalerData("Lanczos"),
    UpscalerData("Nearest"),
    UpscalerData("ESRGAN_4x"),
    UpscalerData("R-ESRGAN 4x+"),
]


@dataclass
class CheckpointInfo:
    """Minimal ``sd_models.CheckpointInfo``."""

    filename: str = "standin.safetensors"
    name: str = "standin.safetensors"
    name_for_extra: str = "standin"
    model_name: str = "standin"
    hash: str = "01234567"
    sha256: str = "0123456789abcdef" * 4
    shorthash: str = "0123456789"
    title: str = "standin.safetensors [0123456789]"
    short_title: str = "standin [0123456789]"
    ids: list[str] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)


class StandInModel:
    """A tiny object in place of the loaded SD model (no weights)."""

    is_sdxl = False
    is_sd1 = True
    is_sd2 = False
    is_sd3 = False
    cond_stage_key = "txt"
    latent_channels = 4

    def __init__(self) -> None:
        self.sd_checkpoint_info = CheckpointInfo()
        self.sd_model_hash = self.sd_checkpoint_info.shorthash
        self.sd_model_checkpoint = self.sd_checkpoint_info.filename
        if _standin_flavour.FORGE:
            from modules import _standin_forge

            _standin_forge.attach(self)

    def ema_scope(self) -> Any:
        """Real models have an EMA context; here it does nothing."""
        return devices.autocast()


sd_model: Any = StandInModel()


class PromptStyles:
    """No styles are defined in the stand-in; apply/extract are identity."""

    styles: dict[str, Any] = {}

    def apply_styles_to_prompt(self, prompt: str, styles: list[str]) -> str:
        """Identity."""
        return prompt

    def apply_negative_styles_to_prompt(self, prompt: str, styles: list[str]) -> str:
        """Identity."""
        return prompt

    def extract_styles_from_prompt(self, prompt: str, negative_prompt: str) -> tuple[list[str], str, str]:
        """No styles found."""
        return [], prompt, negative_prompt


prompt_styles = PromptStyles()


class TotalTQDM:
    """Console total progress bar; counts only."""

    def __init__(self) -> None:
        self.total = 0
        self.n = 0

    def reset(self) -> None:
        """Reset the counter."""
        self.n = 0

    def update(self) -> None:
        """One step done."""
        self.n += 1

    def updateTotal(self, new_total: int) -> None:  # noqa: N802  (real name)
        """Set the total step count."""
        self.total = new_total

    def clear(self) -> None:
        """Close the bar."""
        self.n = 0


total_tqdm = TotalTQDM()


class MemUsageMonitor:
    """memmon is disabled on CPU, as in the real host."""

    disabled = True

    def monitor(self) -> None:
        """Nothing to monitor on CPU."""

    def read(self) -> dict[str, int]:
        """Empty stats."""
        return {}

    def stop(self) -> dict[str, int]:
        """Empty stats."""
        return {}


mem_mon = MemUsageMonitor()


def reload_gradio_theme(theme_name: str | None = None) -> None:
    """No-op in the stand-in."""


def listfiles(dirname: str) -> list[str]:
    """Sorted file paths in ``dirname`` (real helper)."""
    if not os.path.isdir(dirname):
        return []
    return [os.path.join(dirname, x) for x in sorted(os.listdir(dirname)) if not x.startswith(".")]
