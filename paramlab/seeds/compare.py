"""Comparing a reproduced image with the recorded one: identical, or by how much it differs."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image


@dataclass(frozen=True)
class ImageComparison:
    """Pixel differences on the 0…255 scale over the RGB channels."""

    identical: bool
    mean_abs_diff: float
    max_abs_diff: int
    changed_pixel_share: float  # pixels with any channel different, 0…1
    psnr_db: float | None  # None when identical (infinite)

    @property
    def text(self) -> str:
        """One line for the panel: "identical" or the figures."""
        if self.identical:
            return "identical (every pixel matches)"
        assert self.psnr_db is not None  # only None when identical
        return (f"differs: mean difference {self.mean_abs_diff:.2f}/255, largest {self.max_abs_diff}/255, "
                f"{self.changed_pixel_share:.1%} of pixels changed, PSNR {self.psnr_db:.1f} dB")


def compare_images(a: Image.Image, b: Image.Image) -> ImageComparison:
    """Compare two images pixel by pixel (both read as RGB; alpha and palettes do not count)."""
    if a.size != b.size:
        raise ValueError(
            f"The images have different sizes ({a.size[0]}×{a.size[1]} and {b.size[0]}×{b.size[1]}); "
            "they cannot be compared pixel by pixel."
        )
    pixels_a = np.asarray(a.convert("RGB"), dtype=np.int16)
    pixels_b = np.asarray(b.convert("RGB"), dtype=np.int16)
    diff = np.abs(pixels_a - pixels_b)
    max_abs_diff = int(diff.max()) if diff.size else 0
    if max_abs_diff == 0:
        return ImageComparison(True, 0.0, 0, 0.0, None)
    mean_squared = float(np.mean(diff.astype(np.float64) ** 2))
    return ImageComparison(
        identical=False,
        mean_abs_diff=float(diff.mean()),
        max_abs_diff=max_abs_diff,
        changed_pixel_share=float(np.any(diff > 0, axis=-1).mean()),
        psnr_db=10 * math.log10(255**2 / mean_squared),
    )


__all__ = ["ImageComparison", "compare_images"]
