"""Which settings a profile may hold and where A1111 keeps them, and the running WebUI's names
(samplers, checkpoints …) they are checked against. Checkpoints and VAEs match the lenient way A1111
matches them: by name, by file stem, or by a hash prefix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

NAME_VALUE_MAX = 400  # a sampler, upscaler, checkpoint or VAE name (checkpoint titles run long)

NAME_KINDS = ("sampler", "scheduler", "upscaler", "checkpoint", "vae")
KINDS = (*NAME_KINDS, "int", "float", "size")


@dataclass(frozen=True)
class SettingSpec:
    """One setting a profile may hold, and where A1111 keeps it."""

    key: str  # infotext name
    kind: str
    minimum: float | None = None
    maximum: float | None = None
    p_attrs: tuple[str, ...] = ()  # attributes of the processing object ``p``
    api_fields: tuple[str, ...] = ()  # paste-field / API payload names
    option: str | None = None  # the A1111 setting (``opts``) it lives in, when not on ``p``
    txt2img_only: bool = False
    forge_only: bool = False
    multiple_of: int | None = None

    @property
    def is_name(self) -> bool:
        return self.kind in NAME_KINDS


# Ranges are those of A1111 v1.10.1's sliders (Forge's for its own keys: Forge runs its hires pass at
# "Hires CFG Scale", not at "CFG scale").
SETTINGS: tuple[SettingSpec, ...] = (
    SettingSpec("Sampler", "sampler", p_attrs=("sampler_name",), api_fields=("sampler_name",)),
    SettingSpec("Schedule type", "scheduler", p_attrs=("scheduler",), api_fields=("scheduler",)),
    SettingSpec("Steps", "int", 1, 150, ("steps",), ("steps",)),
    SettingSpec("CFG scale", "float", 1, 30, ("cfg_scale",), ("cfg_scale",)),
    SettingSpec("Distilled CFG Scale", "float", 0, 30, ("distilled_cfg_scale",), ("distilled_cfg_scale",),
                forge_only=True),
    SettingSpec("Size", "size", 64, 2048, ("width", "height"), ("width", "height"), multiple_of=8),
    SettingSpec("Batch size", "int", 1, 8, ("batch_size",), ("batch_size",)),
    SettingSpec("Batch count", "int", 1, 100, ("n_iter",), ("n_iter",)),
    SettingSpec("Hires upscale", "float", 1, 4, ("hr_scale",), ("hr_scale",), txt2img_only=True),
    SettingSpec("Hires resize", "size", 0, 2048, ("hr_resize_x", "hr_resize_y"), ("hr_resize_x", "hr_resize_y"),
                txt2img_only=True, multiple_of=8),
    SettingSpec("Hires upscaler", "upscaler", p_attrs=("hr_upscaler",), api_fields=("hr_upscaler",),
                txt2img_only=True),
    SettingSpec("Hires steps", "int", 0, 150, ("hr_second_pass_steps",), ("hr_second_pass_steps",),
                txt2img_only=True),
    SettingSpec("Hires CFG Scale", "float", 1, 30, ("hr_cfg",), ("hr_cfg",), txt2img_only=True, forge_only=True),
    SettingSpec("Hires Distilled CFG Scale", "float", 0, 30, ("hr_distilled_cfg",), ("hr_distilled_cfg",),
                txt2img_only=True, forge_only=True),
    SettingSpec("Denoising strength", "float", 0, 1, ("denoising_strength",), ("denoising_strength",)),
    SettingSpec("Clip skip", "int", 1, 12, option="CLIP_stop_at_last_layers"),
    SettingSpec("Model", "checkpoint", option="sd_model_checkpoint"),
    SettingSpec("VAE", "vae", option="sd_vae"),
)
SETTINGS_BY_KEY: dict[str, SettingSpec] = {spec.key: spec for spec in SETTINGS}
# Any of these turns the hires fix on when applied.
HIRES_KEYS = ("Hires upscale", "Hires resize", "Hires upscaler", "Hires steps")


@dataclass
class HostCatalog:
    """The running WebUI's names (from its registries); the adapter builds it, the core only reads it."""

    samplers: list[str] = field(default_factory=list)
    schedulers: list[str] = field(default_factory=list)
    upscalers: list[str] = field(default_factory=list)
    checkpoints: list[str] = field(default_factory=list)
    vaes: list[str] = field(default_factory=list)
    forge: bool = False

    def names_for(self, kind: str) -> list[str]:
        return {
            "sampler": self.samplers, "scheduler": self.schedulers, "upscaler": self.upscalers,
            "checkpoint": self.checkpoints, "vae": self.vaes,
        }[kind]


_TITLE_HASH_RE = re.compile(r"\s*\[([0-9a-fA-F]{6,64})\]\s*$")
_MODEL_EXTENSIONS = (".safetensors", ".ckpt", ".pt", ".pth", ".bin", ".gguf", ".sft")
_HEX_RE = re.compile(r"^[0-9a-f]{8,64}$")


def _model_stem(name: str) -> str:
    """``"sub/v1-5.safetensors [6ce0161689]"`` → ``"v1-5"`` (case-folded)."""
    stem = _TITLE_HASH_RE.sub("", name).replace("\\", "/").rsplit("/", 1)[-1].casefold()
    for extension in _MODEL_EXTENSIONS:
        if stem.endswith(extension):
            return stem[: -len(extension)]
    return stem


def _title_hash(name: str) -> str | None:
    found = _TITLE_HASH_RE.search(name)
    return found.group(1).casefold() if found else None


def _hashes_match(a: str, b: str) -> bool:
    return len(a) >= 8 and len(b) >= 8 and (a.startswith(b) or b.startswith(a))


def scope_matches(scope: str | None, model_name: str | None, model_hash: str | None) -> bool:
    """Whether a profile's model scope names the loaded model (by name, title, or a hash prefix)."""
    if not scope:
        return False
    wanted = scope.strip().casefold()
    if model_name:
        name = model_name.strip().casefold()
        if wanted == name or _model_stem(wanted) == _model_stem(name):
            return True
        title_hash = _title_hash(name)
        if title_hash and _HEX_RE.match(wanted) and _hashes_match(wanted, title_hash):
            return True
    if model_hash and _HEX_RE.match(wanted):
        return _hashes_match(wanted, model_hash.strip().casefold())
    return False


def match_name(value: str, choices: list[str], kind: str) -> str | None:
    """The catalog's spelling of ``value`` (case-insensitive), or None when the host lacks it."""
    folded = value.casefold()
    for choice in choices:
        if choice.casefold() == folded:
            return choice
    if kind in ("checkpoint", "vae"):
        stem = _model_stem(value)
        for choice in choices:
            if _model_stem(choice) == stem:
                return choice
        if _HEX_RE.match(folded):
            for choice in choices:
                title_hash = _title_hash(choice)
                if title_hash and _hashes_match(folded, title_hash):
                    return choice
    return None
