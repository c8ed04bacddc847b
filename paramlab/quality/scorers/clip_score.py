"""CLIP score (Hessel et al., 2021): how well an image matches its prompt, 100 × max(cos(image, text), 0).

The CLIP model is loaded through transformers' own classes (no torchvision, which the WebUI does not
ship) from a local folder. The hub is only used when the user allowed downloads and left the folder empty;
see ``load_clip_backbone``. The same loaded backbone is shared with the aesthetic scorer.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from paramlab.quality.scorers.base import (
    HUB_CLIP_MODEL,
    REASON_NO_CLIP_FOLDER,
    Scorer,
    ScoreResult,
    ScorerUnavailable,
    describe_error,
    fingerprint_folder,
    import_torch,
    import_transformers,
    resolve_device,
    to_rgb,
)

if TYPE_CHECKING:
    from PIL import Image

CLIP_SCORE_VERSION = "1"
"""Bump when the formula or the prompt cleaning changes, so old and new scores are not mixed."""

DEFAULT_BATCH_SIZE = 8

_EXTRA_NETWORK = re.compile(r"<[^<>]*>")  # <lora:name:0.8>, <hypernet:…>: not words CLIP should read
_WEIGHT = re.compile(r":\s*-?\d+(?:\.\d+)?\s*(?=[)\]])")  # (word:1.2) → (word)
_BRACKET = re.compile(r"(?<!\\)[()\[\]]")
_ESCAPED_BRACKET = re.compile(r"\\([()\[\]])")
_SPACES = re.compile(r"\s+")
_COMMAS = re.compile(r"\s*,[\s,]*")  # "a , , b" left behind by removed tags → "a, b"


def clean_prompt(prompt: str) -> str:
    """The words of an A1111 prompt without its syntax (weights, brackets, extra networks, BREAK), which
    CLIP never saw in training and would otherwise count as text."""
    text = _EXTRA_NETWORK.sub(" ", prompt or "")
    text = re.sub(r"\bBREAK\b", " ", text)
    text = _WEIGHT.sub("", text)
    text = _BRACKET.sub(" ", text)
    text = _ESCAPED_BRACKET.sub(r"\1", text)
    text = _COMMAS.sub(", ", _SPACES.sub(" ", text))
    return text.strip(" ,")


@dataclass
class ClipBackbone:
    """A loaded CLIP model and its preprocessing, on one device. Shared by the scorers that need it."""

    model: Any
    tokenizer: Any
    image_processor: Any
    device: str
    source: str
    fingerprint: str
    max_text_length: int
    embed_dim: int

    def image_embeddings(self, images: list[Image.Image]) -> Any:
        """L2-normalised float32 image embeddings on the CPU, shape (n, embed_dim)."""
        torch = import_torch()
        pixels = self.image_processor(images=[to_rgb(image) for image in images], return_tensors="pt")
        with torch.no_grad():
            features = self.model.get_image_features(pixel_values=pixels["pixel_values"].to(self.device))
        return torch.nn.functional.normalize(features.float(), dim=-1).cpu()

    def text_embeddings(self, prompts: list[str]) -> Any:
        """L2-normalised float32 text embeddings on the CPU; prompts longer than CLIP's context are cut."""
        torch = import_torch()
        tokens = self.tokenizer(
            prompts, padding=True, truncation=True, max_length=self.max_text_length, return_tensors="pt"
        )
        with torch.no_grad():
            features = self.model.get_text_features(
                input_ids=tokens["input_ids"].to(self.device),
                attention_mask=tokens["attention_mask"].to(self.device),
            )
        return torch.nn.functional.normalize(features.float(), dim=-1).cpu()


def load_clip_backbone(model_dir: str, *, device: str = "auto", allow_download: bool = False) -> ClipBackbone:
    """Load CLIP from a local folder (``local_files_only``), or from the hub only when ``allow_download``
    and no folder is set.

    Slow (seconds to a minute) and possibly a download: callers load on the background writer thread,
    never on the generation thread, and only after the user enabled downloads in Settings.
    """
    import_torch()
    transformers = import_transformers()
    folder = (model_dir or "").strip()
    if folder:
        path = Path(folder).expanduser()
        if not path.is_dir():
            raise ScorerUnavailable(f"CLIP model folder not found: {path}")
        if not (path / "config.json").is_file():
            raise ScorerUnavailable(f"cannot read {path}: no config.json (expected a folder saved by save_pretrained)")
        source, local_only, verb = str(path), True, "read"
    elif allow_download:
        source, local_only, verb = HUB_CLIP_MODEL, False, "download"
    else:
        raise ScorerUnavailable(REASON_NO_CLIP_FOLDER)
    resolved = resolve_device(device)
    try:
        model = transformers.CLIPModel.from_pretrained(source, local_files_only=local_only)
        processor = transformers.CLIPProcessor.from_pretrained(source, local_files_only=local_only)
    except Exception as error:  # noqa: BLE001 - from_pretrained raises OSError, ValueError, JSON, pickle and
        # safetensors errors for a damaged folder; each must become a reason, not a crash.
        raise ScorerUnavailable(f"cannot {verb} {source}: {describe_error(error)}") from error
    model.eval()
    try:
        model.to(resolved)
    except (RuntimeError, AssertionError) as error:  # torch raises AssertionError for a CPU-only build
        raise ScorerUnavailable(f"cannot move CLIP to {resolved}: {describe_error(error)}") from error
    tokenizer = processor.tokenizer
    positions = int(model.config.text_config.max_position_embeddings)
    limit = getattr(tokenizer, "model_max_length", positions) or positions
    return ClipBackbone(
        model=model,
        tokenizer=tokenizer,
        image_processor=processor.image_processor,
        device=resolved,
        source=source,
        fingerprint=fingerprint_folder(Path(source)) if local_only else source,
        max_text_length=min(int(limit), positions),
        embed_dim=int(model.config.projection_dim),
    )


class ClipScorer(Scorer):
    """Prompt adherence. Needs the prompt; an image without one is "not measured", not scored 0."""

    name = "clip_score"
    needs_prompt = True

    def __init__(
        self,
        model_dir: str,
        *,
        device: str = "auto",
        allow_download: bool = False,
        backbone: ClipBackbone | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> None:
        self.backbone = backbone or load_clip_backbone(model_dir, device=device, allow_download=allow_download)
        self.batch_size = max(1, int(batch_size))
        self.version = f"{CLIP_SCORE_VERSION}+{self.backbone.fingerprint}"

    def score(self, images: list[Image.Image], prompts: list[str] | None = None) -> list[ScoreResult]:
        count = len(images)
        if not prompts:
            return [ScoreResult.missing("no prompt given; CLIP score compares the image with its prompt")] * count
        if len(prompts) != count:
            return [ScoreResult.missing(f"got {len(prompts)} prompts for {count} images")] * count
        cleaned = [clean_prompt(prompt) for prompt in prompts]
        results: list[ScoreResult] = [ScoreResult.missing("empty prompt")] * count
        todo = [index for index in range(count) if cleaned[index]]
        for start in range(0, len(todo), self.batch_size):
            batch = todo[start : start + self.batch_size]
            try:
                image_embeds = self.backbone.image_embeddings([images[index] for index in batch])
                text_embeds = self.backbone.text_embeddings([cleaned[index] for index in batch])
                cosines = (image_embeds * text_embeds).sum(dim=-1).tolist()
            except Exception as error:  # noqa: BLE001 - OOM, a broken image or a tokenizer error must cost this
                # batch its scores, never the generation or its ledger row.
                for index in batch:
                    results[index] = ScoreResult.missing(f"scoring failed: {describe_error(error)}")
                continue
            for index, cosine in zip(batch, cosines):
                if math.isfinite(cosine):
                    results[index] = ScoreResult.measured(100.0 * max(cosine, 0.0))
                else:
                    results[index] = ScoreResult.missing("the model returned a non-finite similarity")
        return results
