"""Structural similarity (Wang et al. 2004) in torch, for telling when more steps stop changing an image.

Standard form: an 11×11 Gaussian window with σ = 1.5, ``C1 = (0.01 L)²``, ``C2 = (0.03 L)²`` with
``L = 1``, computed on the Rec. 601 luma (not per channel: samplers converge in structure first,
and one figure per pair keeps the convergence table readable) over the window positions that fit
inside the image ("valid"), then averaged. No automatic down-sampling. Images smaller than 11 px
on a side use the largest odd window that fits, with σ scaled down alike.
"""

from __future__ import annotations

import math

import torch
from PIL import Image

from paramlab.quality.measures import LUMA, image_to_array

WINDOW = 11
SIGMA = 1.5
K1, K2 = 0.01, 0.03


def _gaussian(size: int, sigma: float, device: torch.device) -> torch.Tensor:
    coords = torch.arange(size, dtype=torch.float32, device=device) - (size - 1) / 2
    kernel = torch.exp(-(coords**2) / (2 * sigma**2))
    return kernel / kernel.sum()


def luma_plane(image: torch.Tensor) -> torch.Tensor:
    if image.ndim != 3 or image.shape[0] not in (1, 3):
        raise ValueError(f"expected a 3×H×W (or 1×H×W) tensor, got shape {tuple(image.shape)}")
    image = image.float()
    if image.shape[0] == 1:
        return image[0]
    weights = torch.tensor(LUMA, dtype=torch.float32, device=image.device)
    return torch.einsum("chw,c->hw", image, weights)


def _blur(planes: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """Separable valid-mode Gaussian filter of an N×H×W stack, as shifted multiply-adds.

    On a CPU this is several times faster than ``conv2d`` with a 1×11 kernel on one channel.
    """
    size = kernel.numel()
    weights = kernel.tolist()
    width = planes.shape[-1] - size + 1
    rows = planes[..., :width] * weights[0]
    for offset in range(1, size):
        rows.add_(planes[..., offset:offset + width], alpha=weights[offset])
    height = planes.shape[-2] - size + 1
    out = rows[..., :height, :] * weights[0]
    for offset in range(1, size):
        out.add_(rows[..., offset:offset + height, :], alpha=weights[offset])
    return out


def ssim_luma(a: torch.Tensor, b: torch.Tensor) -> float:
    """SSIM of two H×W luma planes in 0..1 (same size)."""
    if a.shape != b.shape:
        raise ValueError(f"images differ in size: {tuple(a.shape)} vs {tuple(b.shape)}")
    h, w = a.shape
    if h == 0 or w == 0:
        raise ValueError("empty image")
    if not (bool(torch.isfinite(a).all()) and bool(torch.isfinite(b).all())):
        raise ValueError("NaN or infinity in image")
    size = min(WINDOW, h, w)
    size -= 1 - size % 2  # odd
    sigma = SIGMA * size / WINDOW
    kernel = _gaussian(size, sigma, a.device)
    b = b.to(a.device)
    with torch.inference_mode():
        stack = torch.stack([a, b, a * a, b * b, a * b])
        mu_a, mu_b, aa, bb, ab = _blur(stack, kernel)
        var_a = aa - mu_a * mu_a
        var_b = bb - mu_b * mu_b
        cov = ab - mu_a * mu_b
        c1, c2 = K1**2, K2**2
        numerator = (2 * mu_a * mu_b + c1) * (2 * cov + c2)
        denominator = (mu_a * mu_a + mu_b * mu_b + c1) * (var_a + var_b + c2)
        value = float((numerator / denominator).mean())
    if not math.isfinite(value):
        raise ValueError("SSIM came out non-finite")
    return min(1.0, value)


def ssim(a: torch.Tensor, b: torch.Tensor) -> float:
    """SSIM of two 3×H×W tensors in 0..1, on luma; 1.0 for identical images. Different sizes → ValueError."""
    if a.shape != b.shape:
        raise ValueError(f"images differ in size: {tuple(a.shape)} vs {tuple(b.shape)}")
    return ssim_luma(luma_plane(a), luma_plane(b))


def ssim_images(a: Image.Image, b: Image.Image) -> float:
    """SSIM of two PIL images of the same size (any mode :func:`image_to_array` reads)."""
    if a.size != b.size:
        raise ValueError(f"images differ in size: {a.size} vs {b.size}")
    return ssim(torch.from_numpy(image_to_array(a)), torch.from_numpy(image_to_array(b)))
