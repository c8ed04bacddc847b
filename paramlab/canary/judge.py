"""How the canary judges one re-rendered image: its pixels against the recorded file (identical, within the
stated SSIM tolerance, or different with the figures), its speed against the recorded per-image time (only on
the same device), and which fingerprint fields changed since it was recorded."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PIL import Image

from paramlab.quality.ssim import ssim_images
from paramlab.seeds.compare import compare_images
from paramlab.seeds.fingerprint import diff_fingerprints

DEFAULT_SSIM_TOLERANCE = 0.995  # SSIM at or above this is "within tolerance": no visible change
DEFAULT_SLOWDOWN_FACTOR = 1.25  # a render this many times the recorded time is flagged "slower"
# Fields the replay request itself sets (not the host): they always match what the run recorded.
REPLAYED_FIELDS = ("sampler", "scheduler")


@dataclass
class PixelVerdict:
    outcome: str  # identical, within_tolerance, different
    ssim: float | None = None
    mean_abs_diff: float | None = None
    max_abs_diff: float | None = None
    changed_pixel_share: float | None = None
    message: str | None = None


def judge_pixels(recorded: Image.Image, rendered: Image.Image, tolerance: float) -> PixelVerdict:
    """Identical pixels; else SSIM (luma) against ``tolerance``, with the pixel differences either way."""
    if recorded.size != rendered.size:
        return PixelVerdict("different", message=f"the render is {rendered.size[0]}×{rendered.size[1]}, the "
                            f"recorded file {recorded.size[0]}×{recorded.size[1]}")
    comparison = compare_images(recorded, rendered)
    if comparison.identical:
        return PixelVerdict("identical", 1.0, 0.0, 0.0, 0.0)
    similarity = ssim_images(recorded.convert("RGB"), rendered.convert("RGB"))
    return PixelVerdict("within_tolerance" if similarity >= tolerance else "different", similarity,
                        comparison.mean_abs_diff, float(comparison.max_abs_diff), comparison.changed_pixel_share)


@dataclass(frozen=True)
class SpeedVerdict:
    note: str | None  # a sentence for the report, or None when there is nothing to say
    slower: bool = False


def judge_speed(seconds: float, recorded_seconds: float | None, recorded_device: str | None,
                device_now: str | None, factor: float) -> SpeedVerdict:
    """Compared only when both devices are known and equal: another GPU says nothing about an update."""
    if not recorded_seconds or recorded_seconds <= 0:
        return SpeedVerdict("no recorded time, speed not compared")
    if not recorded_device or not device_now:
        return SpeedVerdict("device not known, speed not compared")
    if recorded_device.strip() != device_now.strip():
        return SpeedVerdict("other device, speed not compared")
    ratio = seconds / recorded_seconds
    if ratio > factor:
        return SpeedVerdict(f"{ratio:.2f}× slower ({seconds:.1f} s vs {recorded_seconds:.1f} s recorded)", True)
    return SpeedVerdict(None)


def fingerprint_changes(recorded: dict[str, Any], now: dict[str, Any]) -> list[dict[str, Any]]:
    """Every field that differs; ``cause`` only when recorded on both sides (a field the old run did not
    record is "newly recorded", never blamed). Fields the request replays itself are left out."""
    changes = []
    for change in diff_fingerprints(recorded, now):
        if change.field in REPLAYED_FIELDS:
            continue
        both = change.recorded not in (None, "", {}, []) and change.now not in (None, "", {}, [])
        changes.append({"field": change.field, "label": change.label, "recorded": change.recorded,
                        "now": change.now, "cause": both, "text": change.text})
    return changes


def fingerprint_after_render(host: dict[str, Any], info: dict[str, Any]) -> dict[str, Any]:
    """The WebUI's fingerprint as it was for this render: the model and VAE the answer's info names (the
    request may have switched the model for the render and back after it)."""
    rendered = {"model_hash": info.get("sd_model_hash"), "vae_hash": info.get("sd_vae_hash")}
    return {**host, **{key: value for key, value in rendered.items() if value}}


__all__ = ["DEFAULT_SLOWDOWN_FACTOR", "DEFAULT_SSIM_TOLERANCE", "PixelVerdict", "SpeedVerdict",
           "fingerprint_after_render", "fingerprint_changes", "judge_pixels", "judge_speed"]
