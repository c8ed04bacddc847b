"""The reproducibility fingerprint (what changed since a run) and the pixel comparison of a reproduction."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PIL import Image

from paramlab.ledger import Ledger, RunRecord
from paramlab.seeds import (
    FINGERPRINT_FIELDS,
    FingerprintChange,
    compare_images,
    diff_fingerprints,
    fingerprint_json,
    load_fingerprint,
)

RECORDED = {
    "rng_source": "GPU", "eta_noise_seed_delta": 0, "cross_attention": "sdp", "precision": "half, no upcast",
    "webui_version": "v1.10.1", "torch_version": "2.1.2+cu121", "paramlab_version": "0.1.0",
    "device": "NVIDIA GeForce RTX 3060", "model_hash": "6ce0161689", "vae_hash": None,
    "sampler": "DPM++ 2M", "scheduler": "Karras",
}


# -- fingerprint ---------------------------------------------------------------------------------


def test_fields_are_ordered_with_labels() -> None:
    assert list(FINGERPRINT_FIELDS) == [
        "rng_source", "eta_noise_seed_delta", "cross_attention", "precision", "memory", "host", "webui_version",
        "torch_version", "paramlab_version", "device", "model_hash", "vae_hash", "sampler", "scheduler",
        "webui_commit", "extension_commits", "compat", "model_sha256",
    ]
    assert FINGERPRINT_FIELDS["cross_attention"] == "Cross-attention optimization"
    assert FINGERPRINT_FIELDS["precision"] == "Precision (half/upcast, or Forge's dtypes)"
    assert FINGERPRINT_FIELDS["memory"] == "Memory management (Forge)"
    assert FINGERPRINT_FIELDS["scheduler"] == "Schedule type"


def test_an_unchanged_fingerprint_has_no_changes() -> None:
    assert diff_fingerprints(RECORDED, dict(RECORDED)) == []
    assert diff_fingerprints(RECORDED, {**RECORDED, "eta_noise_seed_delta": 0.0, "sampler": " DPM++ 2M "}) == []
    assert diff_fingerprints({}, {}) == []


def test_changes_are_listed_in_display_order_with_labels() -> None:
    now = {**RECORDED, "scheduler": "Exponential", "rng_source": "CPU", "torch_version": "2.3.0"}
    changes = diff_fingerprints(RECORDED, now)
    assert [change.field for change in changes] == ["rng_source", "torch_version", "scheduler"]
    assert changes[0] == FingerprintChange("rng_source", "RNG source", "GPU", "CPU")
    assert changes[0].text == "RNG source: GPU → CPU"


def test_a_missing_field_counts_only_when_the_other_side_has_a_value() -> None:
    recorded = {"vae_hash": None, "device": "", "model_hash": "abc"}
    now = {"device": None, "model_hash": None, "sampler": "Euler a"}
    changes = {change.field: change for change in diff_fingerprints(recorded, now)}
    assert set(changes) == {"model_hash", "sampler"}  # vae_hash and device: missing on both sides
    assert changes["model_hash"].text == "Model hash: abc → (not recorded)"
    assert changes["sampler"].text == "Sampler: (not recorded) → Euler a"
    assert [change.field for change in diff_fingerprints(None, {"sampler": "Euler"})] == ["sampler"]  # type: ignore[arg-type]


def test_structured_values_and_unknown_fields_are_compared_too() -> None:
    recorded = {"precision": {"half": True, "upcast": False}, "xformers_version": "0.0.23"}
    same_order_changed = {"precision": {"upcast": False, "half": True}, "xformers_version": "0.0.27"}
    changes = diff_fingerprints(recorded, same_order_changed)
    assert [(change.field, change.label) for change in changes] == [("xformers_version", "xformers_version")]
    flipped = diff_fingerprints(recorded, {**recorded, "precision": {"half": True, "upcast": True}})
    assert flipped[0].text == (
        'Precision (half/upcast, or Forge\'s dtypes): {"half": true, "upcast": false} → {"half": true, "upcast": true}'
    )
    assert diff_fingerprints({"eta_noise_seed_delta": 0}, {"eta_noise_seed_delta": False})  # bool is not 0


def test_json_round_trip_with_sorted_keys() -> None:
    text = fingerprint_json({"sampler": "Euler", "device": "cpu", "eta_noise_seed_delta": 31337})
    assert text == '{"device": "cpu", "eta_noise_seed_delta": 31337, "sampler": "Euler"}'
    assert load_fingerprint(text) == {"device": "cpu", "eta_noise_seed_delta": 31337, "sampler": "Euler"}
    assert fingerprint_json({"device": "GPU — ü"}) == '{"device": "GPU — ü"}'


@pytest.mark.parametrize("stored", [None, "", "   ", "not json", "[1, 2]", "42", "{broken", 5, b"\xff\xfe"])
def test_a_missing_or_garbled_fingerprint_reads_as_nothing_recorded(stored: object) -> None:
    assert load_fingerprint(stored) == {}


def test_load_accepts_bytes_and_dicts() -> None:
    assert load_fingerprint(b'{"device": "cpu"}') == {"device": "cpu"}
    original = {"device": "cpu"}
    loaded = load_fingerprint(original)
    assert loaded == original and loaded is not original


def test_the_fingerprint_is_stored_with_the_run(ledger: Ledger) -> None:
    ledger.write_runs([RunRecord(tab="txt2img", source="api", fingerprint=fingerprint_json(RECORDED))])
    with ledger.engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT fingerprint FROM runs").scalar_one()
    assert load_fingerprint(stored) == RECORDED
    restored = RunRecord.from_json(RunRecord(tab="txt2img", source="ui", fingerprint="{}").to_json())
    assert restored.fingerprint == "{}"


# -- image comparison ----------------------------------------------------------------------------


def gradient(width: int = 64, height: int = 48) -> Image.Image:
    pixels = np.zeros((height, width, 3), dtype=np.uint8)
    pixels[..., 0] = np.arange(width, dtype=np.uint8)[None, :] * 3
    pixels[..., 1] = np.arange(height, dtype=np.uint8)[:, None] * 5
    pixels[..., 2] = 128
    return Image.fromarray(pixels, "RGB")


def test_identical_images() -> None:
    result = compare_images(gradient(), gradient())
    assert result.identical and result.psnr_db is None
    assert (result.mean_abs_diff, result.max_abs_diff, result.changed_pixel_share) == (0.0, 0, 0.0)
    assert result.text.startswith("identical")


def test_modes_are_compared_as_rgb() -> None:
    rgb = gradient()
    assert compare_images(rgb, rgb.convert("RGBA")).identical  # an alpha channel alone is no difference
    grey = Image.new("L", (8, 8), 100)
    assert compare_images(grey, Image.new("RGB", (8, 8), (100, 100, 100))).identical


def test_differences_are_measured_on_the_0_to_255_scale() -> None:
    a = Image.new("RGB", (10, 10), (100, 100, 100))
    pixels = np.array(a)
    pixels[0, :5] = (110, 100, 100)  # 5 of 100 pixels, one channel off by 10
    pixels[9, 9] = (100, 100, 0)  # 1 pixel, one channel off by 100
    result = compare_images(a, Image.fromarray(pixels))
    assert not result.identical
    assert result.max_abs_diff == 100
    assert result.changed_pixel_share == pytest.approx(0.06)
    assert result.mean_abs_diff == pytest.approx((5 * 10 + 100) / 300)
    mse = (5 * 10**2 + 100**2) / 300
    assert result.psnr_db == pytest.approx(10 * math.log10(255**2 / mse))
    assert "6.0% of pixels changed" in result.text and "largest 100/255" in result.text


def test_opposite_images_give_the_largest_difference() -> None:
    result = compare_images(Image.new("RGB", (4, 4), (0, 0, 0)), Image.new("RGB", (4, 4), (255, 255, 255)))
    assert result.mean_abs_diff == 255.0 and result.max_abs_diff == 255 and result.changed_pixel_share == 1.0
    assert result.psnr_db == pytest.approx(0.0)


def test_a_single_level_difference_is_not_identical() -> None:
    pixels = np.array(gradient())
    pixels[3, 3, 2] += 1
    result = compare_images(gradient(), Image.fromarray(pixels))
    assert not result.identical and result.max_abs_diff == 1 and result.psnr_db is not None and result.psnr_db > 60


def test_different_sizes_are_refused_with_both_sizes() -> None:
    with pytest.raises(ValueError, match="different sizes \\(64×48 and 48×64\\)"):
        compare_images(gradient(64, 48), gradient(48, 64))
