"""The one interface every learned quality scorer implements, and the shared loading helpers.

Nothing here imports torch or transformers at module level: the core must import on machines without
them, and a missing dependency is reported as a reason ("not measured"), never as an ImportError.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PIL import Image

HUB_CLIP_MODEL = "openai/clip-vit-large-patch14"
"""The only hub name ParamLab ever downloads, and only when the user allowed downloads in Settings."""

REASON_NO_CLIP_FOLDER = "set the CLIP model folder in Settings → ParamLab"
REASON_NO_AESTHETIC_HEAD = "set the aesthetic head file in Settings → ParamLab"
REASON_NO_TRANSFORMERS = "transformers is not installed"
REASON_NO_TORCH = "torch is not installed"


@dataclass(frozen=True)
class ScoreResult:
    """One image's score. Exactly one of ``value`` and ``not_measured`` is set, so a row can always be
    written: a failed measurement is data ("not measured, because …"), not an exception."""

    value: float | None
    not_measured: str | None = None

    @classmethod
    def measured(cls, value: float) -> ScoreResult:
        return cls(value=float(value), not_measured=None)

    @classmethod
    def missing(cls, reason: str) -> ScoreResult:
        return cls(value=None, not_measured=reason)


class ScorerUnavailable(RuntimeError):
    """A scorer cannot be built. ``str(error)`` is a plain reason shown to the user as is."""


@dataclass(frozen=True)
class ScorerConfig:
    """What Settings → ParamLab says about the learned scorers. Frozen so it can key the load cache."""

    clip_model_path: str = ""
    aesthetic_head_path: str = ""
    allow_download: bool = False
    device: str = "auto"


class Scorer(ABC):
    """A learned quality measure.

    ``version`` identifies the algorithm *and* the weights, so scores recorded with different models
    are never compared as if they were the same measure. ``score`` never raises for a bad image or a
    failed forward pass: it returns a ``ScoreResult`` per image, in order.
    """

    name: str
    version: str
    needs_prompt: bool = False

    @abstractmethod
    def score(self, images: list[Image.Image], prompts: list[str] | None = None) -> list[ScoreResult]:
        """One result per image, in the same order."""


def import_torch() -> Any:
    """torch, or ``ScorerUnavailable`` with a plain reason."""
    try:
        import torch
    except ImportError as error:
        raise ScorerUnavailable(REASON_NO_TORCH) from error
    return torch


def import_transformers() -> Any:
    """transformers, or ``ScorerUnavailable`` with a plain reason."""
    try:
        import transformers
    except ImportError as error:
        raise ScorerUnavailable(REASON_NO_TRANSFORMERS) from error
    return transformers


def resolve_device(device: str) -> str:
    """``auto`` → ``cuda`` when available, else ``cpu``. An explicit device must exist."""
    torch = import_torch()
    wanted = (device or "auto").strip().lower()
    if wanted == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        parsed = torch.device(wanted)
    except (RuntimeError, ValueError) as error:
        raise ScorerUnavailable(f"unknown device {device!r}: {error}") from error
    if parsed.type == "cuda" and not torch.cuda.is_available():
        raise ScorerUnavailable(f"device {device!r} was chosen but CUDA is not available")
    return str(parsed)


def to_rgb(image: Image.Image) -> Image.Image:
    """CLIP's preprocessing expects three channels; RGBA/L/P outputs are common in the WebUI."""
    return image if image.mode == "RGB" else image.convert("RGB")


def fingerprint_folder(folder: Path) -> str:
    """A short identity for a model folder without hashing gigabytes: config bytes + weight file sizes."""
    digest = hashlib.sha256()
    config = folder / "config.json"
    if config.is_file():
        digest.update(config.read_bytes())
    for path in sorted(folder.iterdir()):
        if path.suffix in {".bin", ".safetensors", ".pt", ".pth", ".h5", ".msgpack"} and path.is_file():
            digest.update(f"{path.name}:{path.stat().st_size}".encode())
    return digest.hexdigest()[:12]


def fingerprint_file(path: Path) -> str:
    """Full content hash; fine for the aesthetic head (a few MB)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()[:12]


def describe_error(error: BaseException) -> str:
    """One line, so a reason fits a table cell."""
    text = str(error).strip().splitlines()
    first = text[0] if text else ""
    return f"{type(error).__name__}: {first}" if first else type(error).__name__
