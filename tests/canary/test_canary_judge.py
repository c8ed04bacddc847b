"""How the canary judges one image: pixels (identical / within the SSIM tolerance / different), speed (only on the
same device, flagged beyond the factor) and fingerprint changes (causes only when recorded on both sides)."""

from __future__ import annotations

import numpy as np
from PIL import Image

from paramlab.canary.judge import fingerprint_after_render, fingerprint_changes, judge_pixels, judge_speed
from paramlab.canary.report import result_line
from paramlab.ledger.reads.canary import CanaryResult


def noise(seed: int) -> Image.Image:
    return Image.fromarray(np.random.default_rng(seed).integers(0, 256, (48, 48, 3), dtype=np.uint8))


def test_pixels_identical_within_tolerance_or_different() -> None:
    recorded = noise(1)
    assert judge_pixels(recorded, recorded.copy(), 0.995).outcome == "identical"
    nudged = Image.fromarray((np.asarray(recorded).astype(np.int16) + 1).clip(0, 255).astype(np.uint8))
    near = judge_pixels(recorded, nudged, 0.995)
    assert near.outcome == "within_tolerance" and near.ssim >= 0.995 and near.max_abs_diff == 1
    far = judge_pixels(recorded, noise(2), 0.995)
    assert far.outcome == "different" and far.mean_abs_diff > 50 and far.changed_pixel_share > 0.9
    resized = judge_pixels(recorded, recorded.resize((32, 32)), 0.995)
    assert resized.outcome == "different" and "32×32" in resized.message


def test_speed_is_compared_on_the_same_device_only() -> None:
    assert judge_speed(3.0, 2.0, "RTX 4090", "RTX 4090", 1.25).slower
    assert judge_speed(2.4, 2.0, "RTX 4090", "RTX 4090", 1.25).note is None
    assert judge_speed(9.0, 2.0, "RTX 4090", "RTX 3060", 1.25).note == "other device, speed not compared"
    assert judge_speed(9.0, None, "RTX 4090", "RTX 4090", 1.25).note == "no recorded time, speed not compared"


def test_only_fields_recorded_on_both_sides_are_causes() -> None:
    recorded = {"rng_source": "GPU", "torch_version": "2.1.2", "sampler": "Euler a", "model_hash": "aaaa"}
    now = fingerprint_after_render({"rng_source": "CPU", "torch_version": "2.1.2", "webui_commit": "82a973c0",
                                    "model_hash": "bbbb"}, {"sd_model_hash": "aaaa"})
    changes = {change["field"]: change for change in fingerprint_changes(recorded, now)}
    assert set(changes) == {"rng_source", "webui_commit"}  # sampler is replayed; model_hash from the render
    assert changes["rng_source"]["cause"] and not changes["webui_commit"]["cause"]
    line = result_line(CanaryResult(0, 12, "u", "different", 0.41, 3.1, 40.0, 0.41,
                                    fingerprint_changes=list(changes.values())), 0.995)
    assert line.startswith("image 12: different (mean 3.1/255, largest 40/255, 41 % of pixels")
    assert "— RNG source: GPU → CPU — newly recorded: WebUI commit" in line
