"""Flaw diagnostics: thresholds calibrated on controlled images, and the advice text."""

from __future__ import annotations

import math

import pytest
import torch

from paramlab.quality import flaws
from paramlab.quality.flaws import Flaw, diagnose
from paramlab.quality.measures import measure_pixel_batch

LUMA = torch.tensor([0.299, 0.587, 0.114])


def textured(size: int = 256, seed: int = 0) -> torch.Tensor:
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


def smooth_gradient(size: int = 256) -> torch.Tensor:
    yy, xx = torch.meshgrid(torch.linspace(0, 1, size), torch.linspace(0, 1, size), indexing="ij")
    return torch.stack([0.2 + 0.6 * xx, 0.25 + 0.5 * yy, 0.7 - 0.4 * xx])


def pushed(image: torch.Tensor, factor: float) -> torch.Tensor:
    grey = (image * LUMA[:, None, None]).sum(0, keepdim=True)
    return (grey + factor * (image - grey)).clamp(0, 1)


def noised(image: torch.Tensor, sigma: float) -> torch.Tensor:
    return (image + sigma * torch.randn(image.shape, generator=torch.Generator().manual_seed(3))).clamp(0, 1)


def values_of(image: torch.Tensor) -> dict[str, float | None]:
    return measure_pixel_batch(image[None])[0].values


def codes(found: list[Flaw]) -> list[str]:
    return [flaw.code for flaw in found]


@pytest.fixture(scope="module")
def clean() -> dict[str, float | None]:
    return values_of(textured())


@pytest.mark.parametrize("image", [textured(), textured(seed=1), smooth_gradient()])
def test_clean_images_have_no_flaw(image: torch.Tensor) -> None:
    values = values_of(image)
    assert diagnose(values, cfg_scale=7, steps=25, sampler="DPM++ 2M") == []
    assert diagnose(values, cfg_scale=13, steps=8, sampler="Euler a") == []  # nothing to blame on settings


def test_saturation_push_is_cfg_burn_at_high_cfg_only() -> None:
    values = values_of(pushed(textured(), 4))
    found = diagnose(values, cfg_scale=13, steps=25, sampler="DPM++ 2M")
    assert found == [Flaw("cfg_burn", "Likely CFG burn at CFG 13: lower CFG to 7–10.")]
    assert diagnose(values, cfg_scale=7, steps=25, sampler="DPM++ 2M") == []
    assert codes(diagnose(values, cfg_scale=11, steps=25, sampler="DPM++ 2M")) == ["cfg_burn"]
    assert diagnose(values, cfg_scale=10.5, steps=25, sampler="DPM++ 2M") == []
    assert diagnose(values, cfg_scale=None, steps=25, sampler="DPM++ 2M") == []
    assert "CFG 12.5:" in diagnose(values, cfg_scale=12.5, steps=25, sampler=None)[0].advice


def test_clipping_alone_is_enough_for_cfg_burn() -> None:
    values = {"saturation_burn": 0.0, "clipping": flaws.CLIPPING_THRESHOLD + 0.01}
    assert codes(diagnose(values, cfg_scale=14, steps=30, sampler="Euler")) == ["cfg_burn"]


def test_thresholds_sit_between_the_calibration_images(clean: dict[str, float | None]) -> None:
    burnt = values_of(pushed(textured(), 4))
    mild = values_of(pushed(textured(), 2))
    grainy = values_of(noised(textured(), 25 / 255))
    assert clean["saturation_burn"] < mild["saturation_burn"] < flaws.BURN_THRESHOLD < burnt["saturation_burn"]
    assert clean["clipping"] < flaws.CLIPPING_THRESHOLD < burnt["clipping"]
    assert clean["noise"] < flaws.NOISE_THRESHOLD < grainy["noise"]
    assert flaws.CFG_BURN_MIN == 11 and flaws.FEW_STEPS == 15


def test_strong_noise_is_under_converged_at_few_steps_only() -> None:
    values = values_of(noised(textured(), 25 / 255))
    found = diagnose(values, cfg_scale=7, steps=8, sampler="DPM++ 2M")
    assert found == [Flaw("under_converged", "Under-converged at 8 steps: raise steps (try 20–30).")]
    assert diagnose(values, cfg_scale=7, steps=30, sampler="DPM++ 2M") == []
    assert codes(diagnose(values, cfg_scale=7, steps=15, sampler="DPM++ 2M")) == ["under_converged"]
    assert diagnose(values, cfg_scale=7, steps=None, sampler="DPM++ 2M") == []


def test_advice_names_where_the_sampler_converged_in_the_ledger() -> None:
    values = values_of(noised(textured(), 25 / 255))
    found = diagnose(values, cfg_scale=7, steps=8, sampler="Euler a", converge_steps=24)
    assert found[0].advice == "Under-converged at 8 steps: raise steps (Euler a converged at 24 steps in your ledger)."
    # the ledger knows this sampler needs more than FEW_STEPS
    assert codes(diagnose(values, cfg_scale=7, steps=30, sampler="Euler a", converge_steps=40)) == ["under_converged"]
    assert diagnose(values, cfg_scale=7, steps=30, sampler="Euler a", converge_steps=24) == []
    unnamed = diagnose(values, cfg_scale=7, steps=8, sampler=None, converge_steps=24)
    assert "this sampler converged at 24 steps" in unnamed[0].advice


def test_low_convergence_counts_without_noise(clean: dict[str, float | None]) -> None:
    assert codes(diagnose(clean, cfg_scale=7, steps=10, sampler="DPM++ 2M", ssim_to_max=0.8)) == ["under_converged"]
    assert diagnose(clean, cfg_scale=7, steps=10, sampler="DPM++ 2M", ssim_to_max=0.97) == []
    assert diagnose(clean, cfg_scale=7, steps=30, sampler="DPM++ 2M", ssim_to_max=0.8) == []


def test_ancestral_sampler_used_for_refinement(clean: dict[str, float | None]) -> None:
    found = diagnose(clean, cfg_scale=7, steps=20, sampler="Euler a", is_refinement=True)
    assert found == [Flaw(
        "ancestral_refinement",
        "Ancestral sampler Euler a used for refinement: use a converging sampler such as DPM++ 2M.",
    )]
    assert diagnose(clean, cfg_scale=7, steps=20, sampler="Euler a") == []
    assert diagnose(clean, cfg_scale=7, steps=20, sampler="DPM++ 2M", is_refinement=True) == []
    sde = diagnose(clean, cfg_scale=7, steps=20, sampler="DPM++ 2M SDE", is_refinement=True)
    assert codes(sde) == ["ancestral_refinement"] and sde[0].advice.startswith("Stochastic (SDE) sampler")


def test_several_flaws_come_in_a_fixed_order() -> None:
    values = {"saturation_burn": 0.6, "clipping": 0.3, "noise": 20.0}
    found = diagnose(values, cfg_scale=15, steps=6, sampler="Euler a", is_refinement=True)
    assert codes(found) == ["cfg_burn", "under_converged", "ancestral_refinement"]


@pytest.mark.parametrize("values", [
    {}, dict.fromkeys(("saturation_burn", "clipping", "noise")),
    {"saturation_burn": float("nan"), "clipping": float("inf"), "noise": float("nan")},
    {"saturation_burn": "high", "noise": object()},
])
def test_missing_or_broken_figures_are_not_symptoms(values: dict) -> None:
    assert diagnose(values, cfg_scale=15, steps=5, sampler="Euler") == []
    assert diagnose(values, cfg_scale=float("nan"), steps=0, sampler="", ssim_to_max=float("nan")) == []


def test_flaw_is_frozen() -> None:
    flaw = Flaw("cfg_burn", "x")
    with pytest.raises(AttributeError):
        flaw.code = "other"  # type: ignore[misc]
    assert set(flaws.FLAW_CODES) == {"cfg_burn", "under_converged", "ancestral_refinement"}
