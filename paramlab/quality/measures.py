"""Built-in image quality measures that need no downloaded weights.

Every figure is computed with torch on decoded images, in float32 and in batches, on the GPU when
there is one. They are cheap proxies, not aesthetic scores: they tell a burnt, noisy or washed-out
image from a clean one, which is what the flaw diagnostics in :mod:`paramlab.quality.flaws` need.

Luma is Rec. 601 (``0.299 R + 0.587 G + 0.114 B``, the weights of Pillow's ``convert("L")``).
Sharpness, noise and colourfulness are on the 0..255 scale so their figures match the literature;
the others are shares or 0..1 levels. A measure that cannot be computed is ``None`` in
``values`` and its reason is in ``not_measured``; no exception leaves :func:`measure_images` or
:func:`measure_tensor_batch`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import torch
from PIL import Image

MEASURES_VERSION = 1

LUMA = (0.299, 0.587, 0.114)
CLIP_LOW = 0.5 / 255  # a channel at 0 after 8-bit quantisation
CLIP_HIGH = 1 - 0.5 / 255  # a channel at 255
BURN_SATURATION = 0.9  # HSV saturation (max - min) / max at or above which a pixel is "extreme"
BURN_MIN_VALUE = 0.5  # ... when it is also bright enough to read as colour (HSV value)
ALPHA_BACKGROUND = 0.5  # transparent pixels are composited over mid-grey


@dataclass(frozen=True)
class MeasureDoc:
    """What one measure is, for the UI's tooltips and the README."""

    name: str
    label: str
    formula: str
    value_range: str
    high_means: str
    low_means: str


MEASURES: dict[str, MeasureDoc] = {
    doc.name: doc
    for doc in (
        MeasureDoc(
            "sharpness", "Sharpness (Laplacian energy)",
            "variance of the 3×3 Laplacian [[0,1,0],[1,-4,1],[0,1,0]] of the 0..255 luma, over the interior pixels",
            "0 upwards; flat 0, soft or blurred images < 50, crisp detail in the hundreds to thousands",
            "crisp edges and fine detail; noise raises it too, so read it together with the noise figure",
            "soft, blurred or featureless image",
        ),
        MeasureDoc(
            "noise", "Noise level (Immerkær)",
            "σ = √(π/2) · Σ|Y ∗ N| / (6 (W−2)(H−2)), N = [[1,−2,1],[−2,4,−2],[1,−2,1]], Y the 0..255 luma",
            "0 upwards, in grey levels; clean renders about 0–4, visible grain from about 6",
            "grain or leftover diffusion noise (few steps), or very fine texture",
            "clean or smooth image",
        ),
        MeasureDoc(
            "clipping", "Clipping",
            "share of R, G, B channel values at 0 or 255 (after 8-bit rounding)",
            "0..1",
            "crushed blacks or blown highlights; CFG burn clips channels",
            "tones stay inside the range",
        ),
        MeasureDoc(
            "saturation_burn", "Saturation burn",
            f"share of pixels with HSV saturation ≥ {BURN_SATURATION} and value ≥ {BURN_MIN_VALUE}",
            "0..1",
            "neon, over-saturated colour, the usual look of too high a CFG",
            "colours stay natural (or the image is grey)",
        ),
        MeasureDoc(
            "colourfulness", "Colourfulness (Hasler–Süsstrunk)",
            "√(σ_rg² + σ_yb²) + 0.3 √(μ_rg² + μ_yb²), rg = R − G, yb = (R + G)/2 − B, on 0..255",
            "0 upwards; 0 grey, ~33 moderately, ~59 highly, > 82 extremely colourful",
            "vivid, varied colour",
            "grey-scale or muted colour",
        ),
        MeasureDoc(
            "exposure", "Exposure",
            "mean of the luma, 0..1",
            "0..1; 0.5 is mid-grey",
            "bright, possibly over-exposed",
            "dark, possibly under-exposed",
        ),
        MeasureDoc(
            "contrast", "Contrast (RMS)",
            "standard deviation of the luma, 0..1",
            "0..0.5; flat 0, typical images 0.15–0.3",
            "strong tonal separation, harsh when very high",
            "flat, washed-out or single-tone image",
        ),
    )
}
MEASURE_NAMES: tuple[str, ...] = tuple(MEASURES)
_NEED_3X3 = ("sharpness", "noise")


@dataclass
class MeasureResult:
    """One image's figures: a value per measure, or ``None`` with the reason in ``not_measured``."""

    values: dict[str, float | None] = field(default_factory=dict)
    not_measured: dict[str, str] = field(default_factory=dict)

    @classmethod
    def unmeasured(cls, reason: str) -> MeasureResult:
        return cls(dict.fromkeys(MEASURE_NAMES), dict.fromkeys(MEASURE_NAMES, reason))


# -- reading images ------------------------------------------------------------------------------


def image_to_tensor(image: Image.Image) -> torch.Tensor:
    """A PIL image as a 3×H×W float32 tensor in 0..1, whatever its mode.

    16-bit and 32-bit integer modes (``I;16``, ``I``) are divided by 65535, ``F`` is taken as 0..1;
    both are clamped. Transparency (RGBA, LA, PA, P with a transparent colour) is composited over
    mid-grey, which leaves exposure, clipping and saturation of the visible part neutral. Grey-scale
    is repeated into three channels; CMYK, YCbCr, LAB and HSV go through Pillow's RGB conversion.
    """
    mode = image.mode
    if mode == "P" and "transparency" in image.info:
        image, mode = image.convert("RGBA"), "RGBA"
    if mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = np.asarray(image.convert("RGBA"), dtype=np.float32) / 255.0
        alpha = rgba[..., 3:4]
        array = rgba[..., :3] * alpha + ALPHA_BACKGROUND * (1.0 - alpha)
    elif mode.startswith("I"):
        array = _integer_array(image) / 65535.0
    elif mode == "F":
        array = np.array(image, dtype=np.float32)  # a copy: Pillow's buffer is read-only
    elif mode == "RGB":
        return torch.from_numpy(np.asarray(image, dtype=np.uint8).copy()).permute(2, 0, 1).float().div_(255.0)
    elif mode in ("1", "L"):
        array = np.asarray(image.convert("L"), dtype=np.float32) / 255.0
    else:
        array = np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0
    tensor = torch.from_numpy(np.require(array, dtype=np.float32, requirements=["C", "W"]))
    tensor = tensor.unsqueeze(0).expand(3, -1, -1) if tensor.ndim == 2 else tensor.permute(2, 0, 1)
    # NaN stays NaN so the measures can report it; only the range is enforced here
    return tensor.clamp(0.0, 1.0).contiguous()


def _integer_array(image: Image.Image) -> np.ndarray:
    if image.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        try:
            return np.asarray(image, dtype=np.float32)
        except (TypeError, ValueError):
            pass
    return np.asarray(image.convert("I"), dtype=np.float32)


# -- the measures --------------------------------------------------------------------------------

_SQRT_HALF_PI_OVER_6 = math.sqrt(math.pi / 2) / 6.0


@torch.inference_mode()
def _measure_clean(x: torch.Tensor) -> list[dict[str, float | None]]:
    """All measures for a B×3×H×W float32 batch in 0..1 with no NaN.

    Written with slices and in-place ops rather than ``conv2d``: on a 2-core CPU a 3×3 conv over
    512² is several times slower than the five shifted adds it amounts to.
    """
    b, _, h, w = x.shape
    n = h * w
    luma = torch.tensor(LUMA, dtype=torch.float32, device=x.device)
    flat = x.reshape(b, 3, n)
    mean = flat.mean(dim=2)  # B×3
    centred = flat - mean[:, :, None]
    cov = torch.bmm(centred, centred.transpose(1, 2)) / n  # B×3×3 channel covariance
    del centred

    def var_of(a: torch.Tensor) -> torch.Tensor:
        return torch.einsum("i,bij,j->b", a, cov, a).clamp_min(0.0)

    exposure = mean @ luma
    contrast = var_of(luma).sqrt()
    a_rg = torch.tensor([1.0, -1.0, 0.0], device=x.device)
    a_yb = torch.tensor([0.5, 0.5, -1.0], device=x.device)
    sigma = (var_of(a_rg) + var_of(a_yb)).sqrt() * 255.0
    mu = ((mean @ a_rg) ** 2 + (mean @ a_yb) ** 2).sqrt() * 255.0
    colourfulness = sigma + 0.3 * mu

    clipped = ((x - 0.5).abs_() >= (0.5 - CLIP_LOW)).sum(dim=(1, 2, 3)).float() / (3 * n)
    red, green, blue = x.unbind(1)
    high = torch.maximum(torch.maximum(red, green), blue)
    low = torch.minimum(torch.minimum(red, green), blue)
    burnt = (low <= (1 - BURN_SATURATION) * high) & (high >= BURN_MIN_VALUE)
    burn = burnt.sum(dim=(1, 2)).float() / n

    columns = [exposure, contrast, colourfulness, clipped, burn]
    names = ["exposure", "contrast", "colourfulness", "clipping", "saturation_burn"]
    if h >= 3 and w >= 3:
        y = red * (LUMA[0] * 255.0)
        y.add_(green, alpha=LUMA[1] * 255.0).add_(blue, alpha=LUMA[2] * 255.0)
        inner = (h - 2) * (w - 2)
        lap = y[:, 1:-1, :-2] + y[:, 1:-1, 2:]
        lap.add_(y[:, :-2, 1:-1]).add_(y[:, 2:, 1:-1]).sub_(y[:, 1:-1, 1:-1], alpha=4.0)
        lap_mean = lap.sum(dim=(1, 2)) / inner
        sharpness = (lap.square_().sum(dim=(1, 2)) / inner - lap_mean.square()).clamp_min(0.0)
        del lap
        # Immerkær's mask is separable: second difference along rows, then along columns
        rows = y[:, :, :-2] + y[:, :, 2:]
        rows.sub_(y[:, :, 1:-1], alpha=2.0)
        both = rows[:, :-2] + rows[:, 2:]
        both.sub_(rows[:, 1:-1], alpha=2.0)
        noise = both.abs_().sum(dim=(1, 2)) * (_SQRT_HALF_PI_OVER_6 / inner)
        columns += [sharpness, noise]
        names += ["sharpness", "noise"]
    table = torch.stack(columns, dim=1).cpu().tolist()  # one device sync for the whole batch
    results = []
    for row in table:
        values: dict[str, float | None] = dict.fromkeys(MEASURE_NAMES)
        values.update({name: float(value) for name, value in zip(names, row)})
        results.append(values)
    return results


def _finish(values: dict[str, float | None], h: int, w: int) -> MeasureResult:
    result = MeasureResult(values=values)
    if h < 3 or w < 3:
        for name in _NEED_3X3:
            result.values[name] = None
            result.not_measured[name] = "image smaller than 3×3"
    for name, value in list(result.values.items()):
        if value is not None and not math.isfinite(value):
            result.values[name] = None
            result.not_measured[name] = "the figure came out non-finite"
    return result


def _prepare(batch: torch.Tensor) -> torch.Tensor:
    """Shape and dtype checks: B×C×H×W with C in 1, 3, 4 becomes float32 B×3×H×W."""
    if batch.ndim == 3:
        batch = batch.unsqueeze(0)
    if batch.ndim != 4 or batch.shape[1] not in (1, 3, 4):
        raise ValueError(f"expected a B×3×H×W tensor, got shape {tuple(batch.shape)}")
    if not batch.is_floating_point():
        scale = 65535.0 if batch.dtype in (torch.int16, torch.int32, torch.int64) else 255.0
        batch = batch.float() / scale
    elif batch.dtype != torch.float32:
        batch = batch.float()
    if batch.shape[1] == 1:
        batch = batch.expand(-1, 3, -1, -1)
    elif batch.shape[1] == 4:
        alpha = batch[:, 3:4].clamp(0.0, 1.0)
        batch = batch[:, :3] * alpha + ALPHA_BACKGROUND * (1.0 - alpha)
    return batch


def _measure_batch(batch: torch.Tensor) -> list[MeasureResult]:
    b, _, h, w = batch.shape
    if b == 0:
        return []
    if h == 0 or w == 0:
        return [MeasureResult.unmeasured("empty image (0 pixels)") for _ in range(b)]
    bad: dict[int, int] = {}
    if not bool(torch.isfinite(batch.sum()).item()):  # cheap check first; count only when something is off
        nonfinite = (~torch.isfinite(batch)).sum(dim=(1, 2, 3)).cpu().tolist()
        bad = {i: count for i, count in enumerate(nonfinite) if count}
    if bad:  # sanitise so one broken image cannot poison its batch-mates; its own figures are withheld
        batch = torch.nan_to_num(batch, nan=ALPHA_BACKGROUND, posinf=1.0, neginf=0.0)
    # On a CPU one image at a time stays in cache and is several times faster than the whole batch
    step = 1 if batch.device.type == "cpu" else b
    rows = [row for start in range(0, b, step) for row in _measure_clean(batch[start:start + step].clamp(0.0, 1.0))]
    results = [_finish(row, h, w) for row in rows]
    for i, count in bad.items():
        results[i] = MeasureResult.unmeasured(
            f"NaN in image ({count} of {3 * h * w} values NaN or infinite); sanitised, figures withheld")
    return results


def measure_tensor_batch(batch: torch.Tensor) -> list[MeasureResult]:
    """Measures for a B×3×H×W tensor in 0..1 (what A1111 hands to ``postprocess_batch``), on its device.

    B×1 and B×4 (alpha over mid-grey) are accepted too; values outside 0..1 are clamped.
    """
    try:
        prepared = _prepare(batch)
    except Exception as exc:  # noqa: BLE001 - a wrong shape or type is "not measured", not a crash
        count = batch.shape[0] if getattr(batch, "ndim", 0) == 4 else 1
        return [MeasureResult.unmeasured(f"unsupported input: {exc}") for _ in range(count)]
    try:
        return _measure_batch(prepared)
    except Exception as exc:  # noqa: BLE001 - by design: a measure must never fail a generation
        return [MeasureResult.unmeasured(f"measuring failed: {type(exc).__name__}: {exc}")
                for _ in range(prepared.shape[0])]


def default_device() -> torch.device:
    return torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu")


def measure_images(
    images: list[Image.Image], device: torch.device | None = None, batch_size: int = 4,
) -> list[MeasureResult]:
    """Measures for PIL images, in input order. Images are grouped by size and sent in batches."""
    device = device or default_device()
    batch_size = max(1, int(batch_size))
    results: list[MeasureResult | None] = [None] * len(images)
    by_size: dict[tuple[int, int], list[tuple[int, torch.Tensor]]] = defaultdict(list)
    for index, image in enumerate(images):
        try:
            tensor = image_to_tensor(image)
        except Exception as exc:  # noqa: BLE001 - a truncated or exotic file is "not measured", not a crash
            results[index] = MeasureResult.unmeasured(f"could not read image: {type(exc).__name__}: {exc}")
            continue
        by_size[(tensor.shape[1], tensor.shape[2])].append((index, tensor))
    for members in by_size.values():
        for start in range(0, len(members), batch_size):
            chunk = members[start:start + batch_size]
            try:
                stacked = torch.stack([tensor for _, tensor in chunk]).to(device, non_blocking=True)
            except Exception as exc:  # noqa: BLE001 - e.g. out of device memory
                reason = f"measuring failed: {type(exc).__name__}: {exc}"
                measured = [MeasureResult.unmeasured(reason) for _ in chunk]
            else:
                measured = measure_tensor_batch(stacked)
            for (index, _), result in zip(chunk, measured):
                results[index] = result
    return [result or MeasureResult.unmeasured("not measured") for result in results]
