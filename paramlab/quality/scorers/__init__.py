"""Optional learned quality scorers (CLIP score, LAION aesthetic) behind one ``Scorer`` interface.

Threading and download contract: ``load_scorers`` can take seconds to a minute, and with
``allow_download=True`` and no CLIP folder it fetches ``openai/clip-vit-large-patch14`` from the hub.
Callers therefore load scorers on the ledger's background writer thread, never on the generation thread,
and pass ``allow_download=True`` only when the user enabled downloads in Settings → ParamLab. A scorer
that cannot be built is reported with a plain reason ("not measured, because …"); nothing here raises
into the caller, so a generation and its ledger row are never lost to a scorer.
"""

from __future__ import annotations

import threading
from pathlib import Path

from paramlab.quality.scorers.aesthetic import AestheticScorer, load_head
from paramlab.quality.scorers.base import (
    HUB_CLIP_MODEL,
    REASON_NO_AESTHETIC_HEAD,
    REASON_NO_CLIP_FOLDER,
    REASON_NO_TORCH,
    REASON_NO_TRANSFORMERS,
    Scorer,
    ScorerConfig,
    ScoreResult,
    ScorerUnavailable,
    describe_error,
)
from paramlab.quality.scorers.clip_score import ClipBackbone, ClipScorer, clean_prompt, load_clip_backbone

__all__ = [
    "HUB_CLIP_MODEL",
    "REASON_NO_AESTHETIC_HEAD",
    "REASON_NO_CLIP_FOLDER",
    "REASON_NO_TORCH",
    "REASON_NO_TRANSFORMERS",
    "AestheticScorer",
    "ClipScorer",
    "Scorer",
    "ScorerConfig",
    "ScorerUnavailable",
    "ScoreResult",
    "clean_prompt",
    "clear_scorer_cache",
    "load_scorers",
]

SCORER_NAMES = ("clip_score", "aesthetic")

_LoadResult = tuple[list[Scorer], dict[str, str]]
_cache: dict[tuple[object, ...], _LoadResult] = {}
_cache_lock = threading.Lock()


def load_scorers(config: ScorerConfig) -> tuple[list[Scorer], dict[str, str]]:
    """The usable scorers, and for each unusable one (by name) the reason.

    Cached per config and per the files' modification times, so a fixed or replaced file is picked up
    without a restart while an unchanged config costs nothing. Only the newest entry is kept: each holds
    a CLIP model in memory.
    """
    key = _cache_key(config)
    with _cache_lock:  # held while loading, so two threads never load (or download) the same model twice
        cached = _cache.get(key)
        if cached is None:
            cached = _load(config)
            _cache.clear()
            _cache[key] = cached
    return list(cached[0]), dict(cached[1])


def clear_scorer_cache() -> None:
    """Drop loaded models (frees their memory); the next ``load_scorers`` reads the files again."""
    with _cache_lock:
        _cache.clear()


def _load(config: ScorerConfig) -> _LoadResult:
    scorers: list[Scorer] = []
    reasons: dict[str, str] = {}
    backbone: ClipBackbone | None = None
    clip_reason = ""
    try:
        backbone = load_clip_backbone(
            config.clip_model_path, device=config.device, allow_download=config.allow_download
        )
    except ScorerUnavailable as error:
        clip_reason = str(error)
    except Exception as error:  # noqa: BLE001 - safety net: this runs on the writer thread, which must survive
        clip_reason = f"cannot load CLIP: {describe_error(error)}"

    if backbone is None:
        reasons["clip_score"] = clip_reason
        reasons["aesthetic"] = _aesthetic_reason_without_clip(config, clip_reason)
        return scorers, reasons

    for name, build in (
        ("clip_score", lambda: ClipScorer(config.clip_model_path, backbone=backbone)),
        ("aesthetic", lambda: AestheticScorer(config.clip_model_path, config.aesthetic_head_path, backbone=backbone)),
    ):
        try:
            scorers.append(build())
        except ScorerUnavailable as error:
            reasons[name] = str(error)
        except Exception as error:  # noqa: BLE001 - safety net, as above
            reasons[name] = f"cannot load {name}: {describe_error(error)}"
    return scorers, reasons


def _aesthetic_reason_without_clip(config: ScorerConfig, clip_reason: str) -> str:
    """Tell the user about the head's own problem first (cheap to check), unless a dependency is missing,
    which no file setting can fix."""
    if clip_reason in (REASON_NO_TORCH, REASON_NO_TRANSFORMERS):
        return clip_reason
    try:
        load_head(config.aesthetic_head_path)
    except ScorerUnavailable as error:
        return str(error)
    except Exception as error:  # noqa: BLE001 - safety net, as above
        return f"cannot load the aesthetic head: {describe_error(error)}"
    return f"needs the CLIP model: {clip_reason}"


def _cache_key(config: ScorerConfig) -> tuple[object, ...]:
    clip = config.clip_model_path.strip()
    return (
        config,
        _stat(clip),
        _stat(str(Path(clip) / "config.json")) if clip else None,
        _stat(config.aesthetic_head_path.strip()),
    )


def _stat(path: str) -> tuple[int, int] | None:
    if not path:
        return None
    try:
        status = Path(path).expanduser().stat()
    except OSError:
        return None
    return (status.st_mtime_ns, status.st_size)
