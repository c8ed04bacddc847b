"""Built-in quality measures on controlled images, and on every kind of awkward input."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from paramlab.quality import MEASURES, MEASURES_VERSION, MeasureResult, measure_images
from paramlab.quality import image_to_array as _image_to_array
from paramlab.quality import measure_pixel_batch as measure_batch

NAMES = {"sharpness", "noise", "clipping", "saturation_burn", "colourfulness", "exposure", "contrast"}
LUMA = torch.tensor([0.299, 0.587, 0.114])


def image_to_tensor(image: Image.Image) -> torch.Tensor:
    return torch.from_numpy(_image_to_array(image))


def textured(size: int = 256, seed: int = 0) -> torch.Tensor:
    """A smooth 'natural-ish' picture: colour gradients, soft blobs and a little fine texture."""
    generator = torch.Generator().manual_seed(seed)
    yy, xx = torch.meshgrid(torch.linspace(0, 1, size), torch.linspace(0, 1, size), indexing="ij")
    image = torch.stack([0.35 + 0.3 * xx, 0.3 + 0.25 * yy, 0.55 - 0.25 * xx * yy])
    for _ in range(6):
        cx, cy, r = torch.rand(3, generator=generator).tolist()
        colour = (0.2 + 0.6 * torch.rand(3, generator=generator))[:, None, None]
        mask = torch.sigmoid((0.08 + 0.2 * r - ((xx - cx) ** 2 + (yy - cy) ** 2).sqrt()) * 60)
        image = image * (1 - mask) + colour * mask
    for freq, phase in ((7, 0.3), (19, 1.1), (41, 2.0)):
        image = image + 0.02 * torch.sin(2 * math.pi * (freq * xx + 0.7 * freq * yy) + phase)
    return image.clamp(0, 1)


def noised(image: torch.Tensor, sigma: float, seed: int = 1) -> torch.Tensor:
    return (image + sigma * torch.randn(image.shape, generator=torch.Generator().manual_seed(seed))).clamp(0, 1)


def blurred(image: torch.Tensor, sigma: float) -> torch.Tensor:
    radius = max(1, int(3 * sigma))
    coords = torch.arange(-radius, radius + 1, dtype=torch.float32)
    kernel = torch.exp(-(coords**2) / (2 * sigma**2))
    kernel = kernel / kernel.sum()
    x = torch.nn.functional.pad(image[:, None], (radius, radius, radius, radius), mode="replicate")
    x = torch.nn.functional.conv2d(x, kernel.view(1, 1, 1, -1))
    return torch.nn.functional.conv2d(x, kernel.view(1, 1, -1, 1))[:, 0]


def pushed(image: torch.Tensor, factor: float) -> torch.Tensor:
    """Chroma pushed away from the pixel's grey, as a too-high CFG does."""
    grey = (image * LUMA[:, None, None]).sum(0, keepdim=True)
    return (grey + factor * (image - grey)).clamp(0, 1)


def one(image: torch.Tensor) -> dict[str, float | None]:
    result = measure_batch(image[None])[0]
    assert result.not_measured == {}
    return result.values


def to_pil(image: torch.Tensor) -> Image.Image:
    return Image.fromarray((image.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8))


# -- documentation ------------------------------------------------------------------------------


def test_every_measure_is_documented() -> None:
    assert MEASURES_VERSION == 1
    assert set(MEASURES) == NAMES
    for key, doc in MEASURES.items():
        assert doc.name == key
        for text in (doc.label, doc.formula, doc.value_range, doc.high_means, doc.low_means):
            assert isinstance(text, str) and len(text) > 3


# -- controlled images --------------------------------------------------------------------------


def test_added_noise_raises_the_noise_figure_monotonically() -> None:
    base = textured()
    figures = [one(noised(base, sigma / 255))["noise"] for sigma in (0, 2, 5, 10, 25, 50)]
    assert figures == sorted(figures) and len(set(figures)) == len(figures)
    assert figures[0] < 1.0


def test_immerkaer_recovers_the_noise_sigma_on_flat_grey() -> None:
    image = noised(torch.full((3, 256, 256), 0.5), 10 / 255)
    # independent noise of σ per channel is σ·|LUMA| in luma
    expected = 10 * float(LUMA.norm())
    assert one(image)["noise"] == pytest.approx(expected, rel=0.05)


def test_blur_lowers_sharpness_monotonically() -> None:
    base = textured()
    figures = [one(base if sigma == 0 else blurred(base, sigma))["sharpness"] for sigma in (0, 0.5, 1, 2, 4)]
    assert figures == sorted(figures, reverse=True) and len(set(figures)) == len(figures)


def test_a_saturation_push_raises_burn_clipping_and_colourfulness() -> None:
    base = textured()
    runs = [one(pushed(base, factor)) for factor in (1, 2, 3, 4, 6)]
    burn = [run["saturation_burn"] for run in runs]
    assert burn == sorted(burn) and burn[0] == 0.0 and burn[-1] > 0.5
    clipping = [run["clipping"] for run in runs]
    assert clipping == sorted(clipping) and clipping[-1] > clipping[0]
    colour = [run["colourfulness"] for run in runs]
    assert colour == sorted(colour) and len(set(colour)) == len(colour)


def test_exposure_and_contrast_follow_brightness_and_spread() -> None:
    base = textured()
    exposure = [one((base * gain).clamp(0, 1))["exposure"] for gain in (0.5, 0.8, 1.0, 1.2)]
    assert exposure == sorted(exposure)
    contrast = [one((0.5 + spread * (base - 0.5)).clamp(0, 1))["contrast"] for spread in (0.25, 0.5, 1.0, 1.5)]
    assert contrast == sorted(contrast) and len(set(contrast)) == len(contrast)


def test_flat_grey_scores_as_flat_grey() -> None:
    values = one(torch.full((3, 64, 64), 0.5))
    assert values["sharpness"] == pytest.approx(0, abs=1e-6)
    assert values["noise"] == pytest.approx(0, abs=1e-6)
    assert values["contrast"] == pytest.approx(0, abs=1e-6)
    assert values["colourfulness"] == pytest.approx(0, abs=1e-4)
    assert values["clipping"] == 0 and values["saturation_burn"] == 0
    assert values["exposure"] == pytest.approx(0.5, abs=1e-6)


def test_sharpness_and_noise_match_a_conv2d_reference() -> None:
    image = noised(textured(64), 0.05)
    y = (image * LUMA[:, None, None]).sum(0)[None, None] * 255
    lap = torch.nn.functional.conv2d(y, torch.tensor([[[[0.0, 1, 0], [1, -4, 1], [0, 1, 0]]]]))
    mask = torch.tensor([[[[1.0, -2, 1], [-2, 4, -2], [1, -2, 1]]]])
    immerkaer = torch.nn.functional.conv2d(y, mask).abs().sum() * math.sqrt(math.pi / 2) / (6 * 62 * 62)
    values = one(image)
    assert values["sharpness"] == pytest.approx(float(lap.var(unbiased=False)), rel=1e-3)
    assert values["noise"] == pytest.approx(float(immerkaer), rel=1e-3)


# -- awkward input ------------------------------------------------------------------------------


def test_black_and_single_colour_images_have_defined_figures() -> None:
    black, red = measure_images([Image.new("RGB", (32, 32)), Image.new("RGB", (32, 32), (230, 10, 10))])
    assert black.not_measured == {} and red.not_measured == {}
    assert black.values["clipping"] == 1.0 and black.values["exposure"] == 0.0
    assert black.values["sharpness"] == 0.0 and black.values["colourfulness"] == 0.0
    assert red.values["saturation_burn"] == 1.0 and red.values["contrast"] == pytest.approx(0, abs=1e-6)
    assert red.values["colourfulness"] > 50


def test_one_pixel_image_says_why_sharpness_and_noise_are_missing() -> None:
    (result,) = measure_images([Image.new("RGB", (1, 1), (10, 200, 30))])
    assert result.values["sharpness"] is None and result.values["noise"] is None
    assert result.not_measured == {"sharpness": "image smaller than 3×3", "noise": "image smaller than 3×3"}
    assert result.values["exposure"] == pytest.approx((0.299 * 10 + 0.587 * 200 + 0.114 * 30) / 255, abs=1e-5)


def test_sixteen_bit_png(tmp_path: Path) -> None:
    path = tmp_path / "deep.png"
    ramp = np.tile(np.linspace(0, 65535, 64).astype(np.uint16), (64, 1))
    Image.fromarray(ramp).save(path)
    with Image.open(path) as image:
        assert image.mode.startswith("I")
        tensor = image_to_tensor(image)
        (result,) = measure_images([image])
    assert tensor.shape == (3, 64, 64) and tensor.dtype == torch.float32
    assert float(tensor.min()) == 0.0 and float(tensor.max()) == 1.0
    assert result.values["exposure"] == pytest.approx(0.5, abs=0.01)
    assert result.values["colourfulness"] == pytest.approx(0, abs=1e-3)


def test_grey_scale_and_bilevel_images() -> None:
    ramp = Image.fromarray(np.tile(np.arange(256, dtype=np.uint8), (16, 1)), mode="L")
    grey, bilevel = measure_images([ramp, Image.new("1", (8, 8), 1)])
    assert grey.not_measured == {} and grey.values["saturation_burn"] == 0.0
    assert grey.values["colourfulness"] == pytest.approx(0, abs=1e-3)
    assert bilevel.values["exposure"] == 1.0


def test_rgba_is_composited_over_mid_grey() -> None:
    transparent = Image.new("RGBA", (16, 16), (255, 0, 0, 0))
    half = Image.new("RGBA", (16, 16), (255, 255, 255, 128))
    assert torch.allclose(image_to_tensor(transparent), torch.full((3, 16, 16), 0.5))
    assert float(image_to_tensor(half)[0, 0, 0]) == pytest.approx(0.5 + 0.5 * 128 / 255, abs=1e-5)
    result, la = measure_images([transparent, Image.new("LA", (16, 16), (0, 255))])
    assert result.values["exposure"] == pytest.approx(0.5) and result.values["saturation_burn"] == 0.0
    assert la.values["exposure"] == 0.0


@pytest.mark.parametrize("mode", ["P", "CMYK", "YCbCr", "LAB", "HSV", "I", "F", "I;16"])
def test_other_modes_become_three_channels(mode: str) -> None:
    tensor = image_to_tensor(Image.new(mode, (5, 4)))
    assert tensor.shape == (3, 4, 5) and tensor.dtype == torch.float32
    assert measure_images([Image.new(mode, (5, 4))])[0].not_measured == {}


def test_nan_in_a_tensor_is_reported_and_does_not_spoil_the_batch() -> None:
    clean = textured(32)
    broken = clean.clone()
    broken[0, 3, 4] = float("nan")
    broken[1, 5, 5] = float("inf")
    first, middle, last = measure_batch(torch.stack([clean, broken, clean]))
    assert set(middle.not_measured) == NAMES and all(value is None for value in middle.values.values())
    assert "NaN in image" in middle.not_measured["noise"] and "2 of" in middle.not_measured["noise"]
    assert first.values == last.values == one(clean)


def test_a_float_image_with_nan_is_not_measured() -> None:
    image = Image.fromarray(np.full((8, 8), np.nan, dtype=np.float32))
    (result,) = measure_images([image])
    assert all(value is None for value in result.values.values())
    assert result.not_measured["exposure"].startswith("NaN in image")


def test_mixed_sizes_keep_their_order() -> None:
    shapes = [(40, 30), (16, 16), (40, 30), (1, 1), (16, 16), (40, 30), (64, 8)]
    images = [to_pil(noised(textured(64, seed=i)[:, :h, :w], 0.02, seed=i)) for i, (h, w) in enumerate(shapes)]
    together = measure_images(images)
    alone = [measure_images([image])[0] for image in images]
    assert [result.values for result in together] == [result.values for result in alone]
    assert together[3].not_measured and not together[0].not_measured


def test_tensor_input_shapes_and_dtypes() -> None:
    image = textured(16)
    reference = one(image)
    as_bytes = (image * 255).round().to(torch.uint8)
    assert measure_batch(as_bytes[None])[0].values["exposure"] == pytest.approx(reference["exposure"], abs=2e-3)
    assert measure_batch(image)[0].values == reference  # a single 3×H×W image
    assert measure_batch(image.half()[None])[0].values["exposure"] == pytest.approx(reference["exposure"], abs=1e-3)
    grey = measure_batch(image[:1][None])[0]
    assert grey.values["colourfulness"] == pytest.approx(0, abs=1e-4)
    opaque = torch.cat([image, torch.ones(1, 16, 16)])[None]
    assert measure_batch(opaque)[0].values == reference
    out_of_range = measure_batch((image * 4 - 2)[None])[0]
    assert out_of_range.not_measured == {} and out_of_range.values["clipping"] > 0.5
    assert measure_batch(torch.zeros(0, 3, 8, 8)) == []
    (odd,) = measure_batch(torch.zeros(1, 2, 8, 8))
    assert set(odd.not_measured) == NAMES and "unsupported" in odd.not_measured["exposure"]
    (nothing,) = measure_batch(None)  # type: ignore[arg-type]
    assert "unsupported" in nothing.not_measured["noise"]


def test_unreadable_images_are_not_measured(tmp_path: Path) -> None:
    path = tmp_path / "cut.png"
    to_pil(textured(64)).save(path)
    path.write_bytes(path.read_bytes()[:200])
    with Image.open(path) as truncated:
        results = measure_images([truncated, Image.new("RGB", (0, 0)), Image.new("RGB", (4, 4))])
    assert all("could not read image" in reason for reason in results[0].not_measured.values())
    assert results[1].not_measured["exposure"] == "empty image (0 pixels)"
    assert results[2].not_measured == {}
    assert isinstance(results[0], MeasureResult)
