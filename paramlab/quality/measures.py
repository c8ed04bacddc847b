"""Built-in image quality measures that need no downloaded weights.

Every figure is computed with numpy on decoded images, in float32, one image at a time. They run in
ParamLab's low-priority background process (:mod:`paramlab.aftercare`), never beside the sampler:
torch would share its intra-op thread pool with the generation, which measured 2× slower on a
2-core CPU, while this needs no torch at all. They are cheap proxies, not aesthetic scores: they
tell a burnt, noisy or washed-out image from a clean one, which is what the flaw diagnostics in
:mod:`paramlab.quality.flaws` need.

Luma is Rec. 601 (``0.299 R + 0.587 G + 0.114 B``, the weights of Pillow's ``convert("L")``).
Sharpness, noise and colourfulness are on the 0..255 scale so their figures match the literature;
the others are shares or 0..1 levels. A measure that cannot be computed is ``None`` in
``values`` and its reason is in ``not_measured``; no exception leaves :func:`measure_images` or
:func:`measure_pixel_batch`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
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


def image_to_array(image: Image.Image) -> np.ndarray:
    """A PIL image as a 3×H×W float32 array in 0..1, whatever its mode.

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
        return np.ascontiguousarray(np.asarray(image, dtype=np.uint8).transpose(2, 0, 1), dtype=np.float32) / 255.0
    elif mode in ("1", "L"):
        array = np.asarray(image.convert("L"), dtype=np.float32) / 255.0
    else:
        array = np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0
    array = np.asarray(array, dtype=np.float32)
    planes = np.broadcast_to(array, (3, *array.shape)) if array.ndim == 2 else array.transpose(2, 0, 1)
    # NaN stays NaN so the measures can report it; only the range is enforced here
    return np.clip(planes, 0.0, 1.0).astype(np.float32, copy=True)


def _integer_array(image: Image.Image) -> np.ndarray:
    if image.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        try:
            return np.asarray(image, dtype=np.float32)
        except (TypeError, ValueError):
            pass
    return np.asarray(image.convert("I"), dtype=np.float32)


# -- the measures --------------------------------------------------------------------------------

_SQRT_HALF_PI_OVER_6 = math.sqrt(math.pi / 2) / 6.0
_A_RG = np.array([1.0, -1.0, 0.0])
_A_YB = np.array([0.5, 0.5, -1.0])


def _measure_clean(x: np.ndarray) -> dict[str, float | None]:
    """All measures for one 3×H×W float32 image in 0..1 with no NaN.

    Written with slices rather than a convolution: the 3×3 stencils are five shifted adds.
    Sums and the channel covariance are taken in float64 so large images keep their precision.
    """
    _, h, w = x.shape
    n = h * w
    luma = np.array(LUMA)
    flat = x.reshape(3, n)
    mean = flat.mean(axis=1, dtype=np.float64)
    cov = np.cov(flat, bias=True) if n > 1 else np.zeros((3, 3))

    def var_of(a: np.ndarray) -> float:
        return max(float(a @ cov @ a), 0.0)

    values: dict[str, float | None] = dict.fromkeys(MEASURE_NAMES)
    values["exposure"] = float(np.float32(mean @ luma))  # float32, like the pixels: pure white is exactly 1
    values["contrast"] = math.sqrt(var_of(luma))
    sigma = math.sqrt(var_of(_A_RG) + var_of(_A_YB)) * 255.0
    mu = math.sqrt(float(mean @ _A_RG) ** 2 + float(mean @ _A_YB) ** 2) * 255.0
    values["colourfulness"] = sigma + 0.3 * mu
    values["clipping"] = float(np.count_nonzero(np.abs(x - 0.5) >= (0.5 - CLIP_LOW))) / (3 * n)
    red, green, blue = x
    high = np.maximum(np.maximum(red, green), blue)
    low = np.minimum(np.minimum(red, green), blue)
    burnt = (low <= (1 - BURN_SATURATION) * high) & (high >= BURN_MIN_VALUE)
    values["saturation_burn"] = float(np.count_nonzero(burnt)) / n
    if h >= 3 and w >= 3:
        y = red * np.float32(LUMA[0] * 255.0) + green * np.float32(LUMA[1] * 255.0) + blue * np.float32(LUMA[2] * 255.0)
        inner = (h - 2) * (w - 2)
        lap = y[1:-1, :-2] + y[1:-1, 2:] + y[:-2, 1:-1] + y[2:, 1:-1] - 4.0 * y[1:-1, 1:-1]
        values["sharpness"] = max(float(lap.var(dtype=np.float64)), 0.0)
        # Immerkær's mask is separable: second difference along rows, then along columns
        rows = y[:, :-2] + y[:, 2:] - 2.0 * y[:, 1:-1]
        both = rows[:-2] + rows[2:] - 2.0 * rows[1:-1]
        values["noise"] = float(np.abs(both).sum(dtype=np.float64)) * (_SQRT_HALF_PI_OVER_6 / inner)
    return values


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


def _prepare(batch: Any) -> np.ndarray:
    """Shape and dtype checks: B×C×H×W with C in 1, 3, 4 becomes float32 B×3×H×W."""
    batch = np.asarray(batch)
    if batch.ndim == 3:
        batch = batch[None]
    if batch.ndim != 4 or batch.shape[1] not in (1, 3, 4):
        raise ValueError(f"expected a B×3×H×W array, got shape {tuple(batch.shape)}")
    if not np.issubdtype(batch.dtype, np.floating):
        scale = 65535.0 if batch.dtype in (np.int16, np.int32, np.int64, np.uint16) else 255.0
        batch = batch.astype(np.float32) / scale
    else:
        batch = batch.astype(np.float32, copy=False)
    if batch.shape[1] == 1:
        batch = np.repeat(batch, 3, axis=1)
    elif batch.shape[1] == 4:
        alpha = np.clip(batch[:, 3:4], 0.0, 1.0)
        batch = batch[:, :3] * alpha + ALPHA_BACKGROUND * (1.0 - alpha)
    return batch


def _measure_one(image: np.ndarray) -> MeasureResult:
    _, h, w = image.shape
    if h == 0 or w == 0:
        return MeasureResult.unmeasured("empty image (0 pixels)")
    nonfinite = int(np.count_nonzero(~np.isfinite(image)))
    if nonfinite:  # its own figures are withheld
        return MeasureResult.unmeasured(
            f"NaN in image ({nonfinite} of {3 * h * w} values NaN or infinite); sanitised, figures withheld")
    return _finish(_measure_clean(np.clip(image, 0.0, 1.0)), h, w)


def measure_pixel_batch(batch: Any) -> list[MeasureResult]:
    """Measures for a B×3×H×W array in 0..1 (a CPU torch tensor works too), image by image.

    B×1 and B×4 (alpha over mid-grey) are accepted too; values outside 0..1 are clamped.
    """
    try:
        prepared = _prepare(batch)
    except Exception as exc:  # noqa: BLE001 - a wrong shape or type is "not measured", not a crash
        count = batch.shape[0] if getattr(batch, "ndim", 0) == 4 else 1
        return [MeasureResult.unmeasured(f"unsupported input: {exc}") for _ in range(count)]
    results = []
    for image in prepared:
        try:
            results.append(_measure_one(image))
        except Exception as exc:  # noqa: BLE001 - by design: a measure must never fail a generation
            results.append(MeasureResult.unmeasured(f"measuring failed: {type(exc).__name__}: {exc}"))
    return results


def measure_images(images: list[Image.Image]) -> list[MeasureResult]:
    """Measures for PIL images, in input order."""
    results = []
    for image in images:
        try:
            array = image_to_array(image)
        except Exception as exc:  # noqa: BLE001 - a truncated or exotic file is "not measured", not a crash
            results.append(MeasureResult.unmeasured(f"could not read image: {type(exc).__name__}: {exc}"))
            continue
        results.extend(measure_pixel_batch(array[None]))
    return results
