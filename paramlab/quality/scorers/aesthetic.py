"""LAION aesthetic predictor: a small MLP on CLIP ViT-L/14's L2-normalised image embedding (1–10 scale).

Reads the "improved-aesthetic-predictor" layout (``sac+logos+ava1-l14-linearMSE.pth``): a Sequential of
Linear(768,1024), Dropout, Linear(1024,128), Dropout, Linear(128,64), Dropout, Linear(64,16), Linear(16,1)
saved as ``layers.{0,2,4,6,7}.{weight,bias}``. The sizes are taken from the file rather than hard-coded,
so a head for another CLIP width loads too, as long as it matches the CLIP model it is paired with.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from paramlab.quality.scorers.base import (
    REASON_NO_AESTHETIC_HEAD,
    Scorer,
    ScoreResult,
    ScorerUnavailable,
    describe_error,
    fingerprint_file,
    import_torch,
)
from paramlab.quality.scorers.clip_score import DEFAULT_BATCH_SIZE, ClipBackbone, load_clip_backbone

if TYPE_CHECKING:
    from PIL import Image

AESTHETIC_VERSION = "1"

LINEAR_LAYERS = (0, 2, 4, 6, 7)
"""Indices of the Linear layers inside ``layers``; the gaps are Dropouts (no weights)."""
DROPOUTS = {1: 0.2, 3: 0.2, 5: 0.1}


def read_head_state(path: Path) -> dict[str, Any]:
    """The head's tensors keyed ``layers.N.weight``/``bias``, from ``.pth`` (weights only, never arbitrary
    pickled code) or ``.safetensors``."""
    torch = import_torch()
    try:
        if path.suffix.lower() == ".safetensors":
            from safetensors.torch import load_file

            state: Any = load_file(str(path), device="cpu")
        else:
            state = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as error:  # noqa: BLE001 - torch.load/safetensors raise pickle, EOF, zip, runtime and
        # value errors for a damaged file; all mean "cannot read" to the user.
        raise ScorerUnavailable(f"cannot read {path}: {describe_error(error)}") from error
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]
    if not isinstance(state, dict):
        raise ScorerUnavailable(f"cannot read {path}: expected a state dict, found {type(state).__name__}")
    cleaned: dict[str, Any] = {}
    for key, value in state.items():
        name = str(key).removeprefix("module.")
        if name[:1].isdigit():  # saved from the bare Sequential
            name = f"layers.{name}"
        cleaned[name] = value
    return cleaned


def build_head(state: dict[str, Any], path: Path) -> Any:
    """The head as an eval-mode Sequential (the file's ``layers``), validated layer by layer."""
    torch = import_torch()
    expected = [f"layers.{index}.{part}" for index in LINEAR_LAYERS for part in ("weight", "bias")]
    missing = [key for key in expected if key not in state]
    if missing:
        raise ScorerUnavailable(f"cannot read {path}: not an aesthetic head (missing {', '.join(missing)})")
    tensors = {}
    for key in expected:
        value = state[key]
        if not isinstance(value, torch.Tensor):
            raise ScorerUnavailable(f"cannot read {path}: {key} is not a tensor")
        tensors[key] = value.detach().to(dtype=torch.float32, device="cpu")
    modules: list[Any] = []
    previous_out: int | None = None
    for index in range(LINEAR_LAYERS[-1] + 1):
        if index in DROPOUTS:
            modules.append(torch.nn.Dropout(DROPOUTS[index]))
            continue
        weight, bias = tensors[f"layers.{index}.weight"], tensors[f"layers.{index}.bias"]
        if weight.dim() != 2 or bias.shape != (weight.shape[0],):
            raise ScorerUnavailable(
                f"cannot read {path}: layers.{index} has weight {tuple(weight.shape)} and bias {tuple(bias.shape)}"
            )
        out_features, in_features = int(weight.shape[0]), int(weight.shape[1])
        if previous_out is not None and in_features != previous_out:
            raise ScorerUnavailable(
                f"cannot read {path}: layers.{index} takes {in_features} inputs "
                f"but the layer before gives {previous_out}"
            )
        modules.append(torch.nn.Linear(in_features, out_features))
        previous_out = out_features
    if previous_out != 1:
        raise ScorerUnavailable(f"cannot read {path}: the head ends in {previous_out} outputs, expected 1")
    head = torch.nn.Sequential(*modules)
    head.load_state_dict({key.removeprefix("layers."): value for key, value in tensors.items()}, strict=True)
    return head.eval()


def load_head(head_path: str) -> tuple[Any, Path]:
    """The validated head and its resolved path, or ``ScorerUnavailable`` with the reason."""
    text = (head_path or "").strip()
    if not text:
        raise ScorerUnavailable(REASON_NO_AESTHETIC_HEAD)
    path = Path(text).expanduser()
    if not path.is_file():
        raise ScorerUnavailable(f"aesthetic head file not found: {path}")
    return build_head(read_head_state(path), path), path


def head_input_size(head: Any) -> int:
    return int(head[0].in_features)


class AestheticScorer(Scorer):
    """How pleasing an image looks to the LAION predictor. Ignores the prompt."""

    name = "aesthetic"
    needs_prompt = False

    def __init__(
        self,
        clip_model_dir: str,
        head_path: str,
        *,
        device: str = "auto",
        allow_download: bool = False,
        backbone: ClipBackbone | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> None:
        # The head is small and checked first, so a bad head file never costs a CLIP load.
        self.head, path = load_head(head_path)
        self.backbone = backbone or load_clip_backbone(clip_model_dir, device=device, allow_download=allow_download)
        expected, actual = head_input_size(self.head), self.backbone.embed_dim
        if expected != actual:
            raise ScorerUnavailable(
                f"the aesthetic head {path.name} expects {expected}-d CLIP image embeddings but the CLIP model "
                f"at {self.backbone.source} gives {actual}-d; pair the head with the CLIP model it was trained on"
            )
        self.batch_size = max(1, int(batch_size))
        self.version = f"{AESTHETIC_VERSION}+{fingerprint_file(path)}+{self.backbone.fingerprint}"

    def score(self, images: list[Image.Image], prompts: list[str] | None = None) -> list[ScoreResult]:
        torch = import_torch()
        results: list[ScoreResult] = []
        for start in range(0, len(images), self.batch_size):
            batch = images[start : start + self.batch_size]
            try:
                embeddings = self.backbone.image_embeddings(batch)
                with torch.no_grad():
                    values = self.head(embeddings).reshape(-1).tolist()
            except Exception as error:  # noqa: BLE001 - OOM or a broken image must cost this batch its scores,
                # never the generation or its ledger row.
                results.extend([ScoreResult.missing(f"scoring failed: {describe_error(error)}")] * len(batch))
                continue
            for value in values:
                if math.isfinite(value):
                    results.append(ScoreResult.measured(value))
                else:
                    results.append(ScoreResult.missing("the model returned a non-finite score"))
        return results
