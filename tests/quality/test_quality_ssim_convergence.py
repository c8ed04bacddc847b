"""SSIM in torch, the step-sweep convergence table and steps-to-converge."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from paramlab.quality.convergence import TABLE_COLUMNS, convergence_table, steps_to_converge
from paramlab.quality.flaws import CONVERGENCE_SSIM, is_ancestral
from paramlab.quality.ssim import ssim, ssim_images

LUMA = np.array([0.299, 0.587, 0.114])


def textured(size: int = 64, seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    yy, xx = torch.meshgrid(torch.linspace(0, 1, size), torch.linspace(0, 1, size), indexing="ij")
    image = torch.stack([0.35 + 0.3 * xx, 0.3 + 0.25 * yy, 0.55 - 0.25 * xx * yy])
    for _ in range(5):
        cx, cy, r = torch.rand(3, generator=generator).tolist()
        colour = (0.2 + 0.6 * torch.rand(3, generator=generator))[:, None, None]
        mask = torch.sigmoid((0.08 + 0.2 * r - ((xx - cx) ** 2 + (yy - cy) ** 2).sqrt()) * 60)
        image = image * (1 - mask) + colour * mask
    return (image + 0.03 * torch.sin(2 * math.pi * 9 * (xx + yy))).clamp(0, 1)


def noised(image: torch.Tensor, sigma: float, seed: int = 1) -> torch.Tensor:
    return (image + sigma * torch.randn(image.shape, generator=torch.Generator().manual_seed(seed))).clamp(0, 1)


def to_pil(image: torch.Tensor) -> Image.Image:
    return Image.fromarray((image.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8))


def brute_force_ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Wang et al.'s definition window by window, to check the separable torch version."""
    coords = np.arange(11) - 5
    g = np.exp(-(coords**2) / (2 * 1.5**2))
    window = np.outer(g, g) / np.outer(g, g).sum()
    c1, c2 = 0.01**2, 0.03**2
    values = []
    for i in range(a.shape[0] - 10):
        for j in range(a.shape[1] - 10):
            pa, pb = a[i:i + 11, j:j + 11], b[i:i + 11, j:j + 11]
            ma, mb = (window * pa).sum(), (window * pb).sum()
            va, vb = (window * (pa - ma) ** 2).sum(), (window * (pb - mb) ** 2).sum()
            cov = (window * (pa - ma) * (pb - mb)).sum()
            values.append((2 * ma * mb + c1) * (2 * cov + c2) / ((ma**2 + mb**2 + c1) * (va + vb + c2)))
    return float(np.mean(values))


# -- SSIM ---------------------------------------------------------------------------------------


def test_identical_images_score_one() -> None:
    image = textured()
    assert ssim(image, image.clone()) == pytest.approx(1.0, abs=1e-6)
    assert ssim(torch.zeros(3, 20, 20), torch.zeros(3, 20, 20)) == pytest.approx(1.0)


def test_ssim_falls_as_noise_grows() -> None:
    image = textured()
    figures = [ssim(noised(image, sigma), image) for sigma in (0.005, 0.01, 0.02, 0.05, 0.1, 0.2)]
    assert figures == sorted(figures, reverse=True) and len(set(figures)) == len(figures)
    assert figures[0] > 0.99 and figures[-1] < 0.3


def test_ssim_matches_the_definition() -> None:
    a, b = textured(24), noised(textured(24), 0.05)
    luma_a = np.einsum("chw,c->hw", a.numpy().astype(np.float64), LUMA)
    luma_b = np.einsum("chw,c->hw", b.numpy().astype(np.float64), LUMA)
    assert ssim(a, b) == pytest.approx(brute_force_ssim(luma_a, luma_b), abs=1e-4)
    assert ssim(a, b) == pytest.approx(ssim(b, a), abs=1e-6)


def test_ssim_rejects_what_it_cannot_compare() -> None:
    with pytest.raises(ValueError, match="size"):
        ssim(torch.zeros(3, 16, 16), torch.zeros(3, 16, 17))
    with pytest.raises(ValueError, match="size"):
        ssim_images(Image.new("RGB", (8, 8)), Image.new("RGB", (9, 8)))
    broken = torch.zeros(3, 16, 16)
    broken[0, 0, 0] = float("nan")
    with pytest.raises(ValueError, match="NaN"):
        ssim(broken, torch.zeros(3, 16, 16))
    with pytest.raises(ValueError):
        ssim(torch.zeros(16, 16), torch.zeros(16, 16))


def test_ssim_images_and_small_images() -> None:
    image = to_pil(textured())
    assert ssim_images(image, image.copy()) == pytest.approx(1.0, abs=1e-6)
    assert ssim_images(image, image.convert("L")) > 0.99
    small = ssim(textured(5), noised(textured(5), 0.1))
    assert 0 < small < 1
    assert ssim(torch.full((3, 1, 1), 0.3), torch.full((3, 1, 1), 0.3)) == pytest.approx(1.0)


# -- the convergence table ----------------------------------------------------------------------

# sigma of the leftover "noise" by steps; 40 is the reference. SSIM ≈ 0.98 at σ 0.01, ≈ 0.93 at σ 0.02.
DPM_SIGMA = {8: 0.1, 12: 0.05, 20: 0.01, 30: 0.005, 40: 0.0}


def sweep_rows() -> tuple[pd.DataFrame, dict[int, Image.Image | None]]:
    rows, images = [], {}
    next_id = 1
    common = {"negative_prompt": "", "width": 64, "height": 64, "model_hash": "abc123", "cfg_scale": 7.0}
    for seed in (1, 2, 3):
        base = textured(seed=seed)
        for steps, sigma in DPM_SIGMA.items():
            rows.append({"id": next_id, "prompt": "a lake", "seed": seed, "sampler": "DPM++ 2M",
                         "scheduler": "Karras", "steps": steps, **common})
            images[next_id] = to_pil(noised(base, sigma, seed=steps) if sigma else base)
            next_id += 1
        for steps in (10, 20, 30, 40):  # an ancestral sampler keeps redrawing the picture
            rows.append({"id": next_id, "prompt": "a lake", "seed": seed, "sampler": "Euler a",
                         "scheduler": "Automatic", "steps": steps, **common})
            images[next_id] = to_pil(textured(seed=seed * 100 + steps))
            next_id += 1
    # a lone image (one step count) and a sweep whose reference image is gone
    rows.append({"id": next_id, "prompt": "alone", "seed": 9, "sampler": "DPM++ 2M", "scheduler": "Karras",
                 "steps": 20, **common})
    images[next_id] = to_pil(textured(seed=9))
    next_id += 1
    for steps, image in ((10, to_pil(textured(seed=7))), (20, to_pil(textured(seed=7))), (30, None)):
        rows.append({"id": next_id, "prompt": "moved", "seed": 7, "sampler": "Euler", "scheduler": "Normal",
                     "steps": steps, **common})
        images[next_id] = image
        next_id += 1
    return pd.DataFrame(rows), images


def test_convergence_table_compares_each_step_count_with_the_most_steps() -> None:
    frame, images = sweep_rows()
    table = convergence_table(frame, lambda row: images[row["id"]])
    assert list(table.columns) == TABLE_COLUMNS
    dpm = table[table["sampler"] == "DPM++ 2M"]
    assert len(dpm) == 15 and dpm["group_key"].nunique() == 3
    assert set(dpm["max_steps"]) == {40}
    assert (dpm[dpm["steps"] == 40]["ssim"] == 1.0).all()
    medians = dpm.groupby("steps")["ssim"].median()
    assert list(medians) == sorted(medians)
    assert medians[12] < CONVERGENCE_SSIM <= medians[20]
    # the sweep with a missing reference falls back to the most steps that still load
    moved = table[table["sampler"] == "Euler"]
    assert sorted(moved["steps"]) == [10, 20] and set(moved["max_steps"]) == {20}
    assert 28 not in set(table["id"]) and 31 not in set(table["id"])  # the lone image, the missing file


def test_convergence_table_survives_bad_rows_and_loaders() -> None:
    frame, images = sweep_rows()
    frame.loc[0, "steps"] = float("nan")

    def flaky(row: dict) -> Image.Image | None:
        if row["id"] == 2:
            raise OSError("file moved")
        return images[row["id"]]

    table = convergence_table(frame, flaky)
    assert not {1, 2} & set(table["id"])
    assert convergence_table(pd.DataFrame(), flaky).empty
    assert list(convergence_table(frame.iloc[:0], flaky).columns) == TABLE_COLUMNS


def test_steps_to_converge_from_the_sweep() -> None:
    frame, images = sweep_rows()
    result = steps_to_converge(convergence_table(frame, lambda row: images[row["id"]]))
    assert result[("DPM++ 2M", "Karras")] == 20
    assert result[("Euler a", "Automatic")] is None  # ancestral: never settles here
    assert result[("Euler", "Normal")] == 10  # the same picture at 10 and 20 steps


def table_of(points: list[tuple[str, int, int, float]]) -> pd.DataFrame:
    return pd.DataFrame([
        {"id": i, "group_key": f"g{i}", "sampler": sampler, "scheduler": "Karras",
         "steps": steps, "max_steps": max_steps, "ssim": value}
        for i, (sampler, steps, max_steps, value) in enumerate(points)
    ], columns=TABLE_COLUMNS)


def test_steps_to_converge_known_unknown_and_unstable() -> None:
    table = table_of([
        ("A", 10, 40, 0.80), ("A", 10, 40, 0.90), ("A", 20, 40, 0.96), ("A", 20, 40, 0.97), ("A", 40, 40, 1.0),
        ("B", 10, 40, 0.96), ("B", 20, 40, 0.90), ("B", 30, 40, 0.97), ("B", 40, 40, 1.0),  # a fluke at 10
        ("C", 10, 30, 0.5), ("C", 20, 30, 0.6), ("C", 30, 30, 1.0),
        ("D", 30, 30, 1.0),
    ])
    result = steps_to_converge(table)
    assert result == {("A", "Karras"): 20, ("B", "Karras"): 30, ("C", "Karras"): None, ("D", "Karras"): None}
    assert steps_to_converge(table_of([])) == {}


def test_ancestral_names() -> None:
    assert is_ancestral("Euler a") and is_ancestral("DPM++ 2S a") and is_ancestral("DPM++ 2M SDE")
    assert is_ancestral("k_euler_a")
    assert not is_ancestral("DPM++ 2M") and not is_ancestral("Euler") and not is_ancestral(None)
