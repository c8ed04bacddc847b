"""Infotext parsing against texts shaped exactly like the ones A1111 v1.10.1 writes."""

from __future__ import annotations

import json
import time

import pytest

from paramlab.infotext import (
    InfotextError,
    image_fields,
    mapped_keys,
    parse_infotext,
    split_sampler_name,
)
from paramlab.ledger.records import ImageRecord
from paramlab.ledger.schema import IMAGE_TEXT_LENGTHS

TXT2IMG_HIRES = (
    "masterpiece, best quality, 1girl, (smile:1.2), <lora:detail_tweaker:0.6>\n"
    "Negative prompt: lowres, bad anatomy, (worst quality:1.4)\n"
    "Steps: 28, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 6.5, Seed: 3141592653, "
    "Size: 512x768, Model hash: 6ce0161689, Model: v1-5-pruned-emaonly, Denoising strength: 0.45, "
    "Clip skip: 2, ADetailer model: face_yolov8n.pt, ADetailer prompt: \"smiling face, blue eyes\", "
    "ADetailer version: 24.5.1, Hires upscale: 2, Hires steps: 15, Hires upscaler: R-ESRGAN 4x+, "
    "Lora hashes: \"detail_tweaker: e4b36f5ff3d1\", Version: v1.10.1"
)

IMG2IMG = (
    "a castle on a hill, oil painting\n"
    "Steps: 20, Sampler: Euler a, Schedule type: Automatic, CFG scale: 7, Seed: 42, Size: 768x512, "
    "Model hash: 31e35c80fc, Model: sd_xl_base_1.0, Denoising strength: 0.6, Mask blur: 4, Version: v1.10.1"
)


def test_prompt_negative_and_pairs() -> None:
    params = parse_infotext(TXT2IMG_HIRES)
    assert params["Prompt"] == "masterpiece, best quality, 1girl, (smile:1.2), <lora:detail_tweaker:0.6>"
    assert params["Negative prompt"] == "lowres, bad anatomy, (worst quality:1.4)"
    assert params["Steps"] == "28"
    assert params["Size-1"] == "512" and params["Size-2"] == "768"
    assert "Size" not in params
    # Quoted values keep their commas and colons, unquoted with json like A1111's unquote().
    assert params["ADetailer prompt"] == "smiling face, blue eyes"
    assert params["Lora hashes"] == "detail_tweaker: e4b36f5ff3d1"
    assert params["Version"] == "v1.10.1"


def test_quoted_value_with_escapes_and_newline() -> None:
    text = 'cat\nSteps: 5, Sampler: Euler, ADetailer prompt: "line one,\\nline \\"two\\"", Seed: 1'
    params = parse_infotext(text)
    assert params["ADetailer prompt"] == 'line one,\nline "two"'
    assert params["Seed"] == "1"


def test_multi_line_prompt_and_negative() -> None:
    text = (
        "line one\n  line two  \n\nline four\nNegative prompt: bad\nworse\n"
        "Steps: 10, Sampler: Euler, Seed: 7"
    )
    params = parse_infotext(text)
    assert params["Prompt"] == "line one\nline two\n\nline four"
    assert params["Negative prompt"] == "bad\nworse"


def test_no_negative_prompt() -> None:
    params = parse_infotext("a cat\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 512x512")
    assert params["Prompt"] == "a cat"
    assert params["Negative prompt"] == ""


def test_empty_prompt() -> None:
    params = parse_infotext("Steps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1")
    assert params["Prompt"] == "" and params["Steps"] == "20"


def test_prompt_with_colons_is_not_mistaken_for_parameters() -> None:
    text = "style: anime, pose: standing\nSteps: 20, Sampler: Euler, CFG scale: 7"
    params = parse_infotext(text)
    assert params["Prompt"] == "style: anime, pose: standing"
    assert "style" not in params


def test_all_fields_for_hires_txt2img() -> None:
    fields = image_fields(parse_infotext(TXT2IMG_HIRES), IMAGE_TEXT_LENGTHS)
    assert fields["seed"] == 3141592653
    assert fields["sampler"] == "DPM++ 2M" and fields["scheduler"] == "Karras"
    assert fields["steps"] == 28 and fields["cfg_scale"] == 6.5
    assert (fields["width"], fields["height"]) == (512, 768)
    assert fields["model_name"] == "v1-5-pruned-emaonly" and fields["model_hash"] == "6ce0161689"
    assert fields["hires_enabled"] is True
    assert fields["hires_scale"] == 2.0 and fields["hires_steps"] == 15
    assert fields["hires_upscaler"] == "R-ESRGAN 4x+"
    assert fields["hires_denoising"] == 0.45
    assert "denoising_strength" not in fields
    assert fields["clip_skip"] == 2
    extra = json.loads(fields["extra_params"])
    assert extra == {
        "ADetailer model": "face_yolov8n.pt",
        "ADetailer prompt": "smiling face, blue eyes",
        "ADetailer version": "24.5.1",
        "Lora hashes": "detail_tweaker: e4b36f5ff3d1",
        "Version": "v1.10.1",
    }
    assert list(extra) == sorted(extra)
    ImageRecord(index_in_run=0, **fields)  # every key is a real field


def test_img2img_denoising_without_hires() -> None:
    fields = image_fields(parse_infotext(IMG2IMG), IMAGE_TEXT_LENGTHS)
    assert fields["hires_enabled"] is False
    assert fields["denoising_strength"] == 0.6
    assert "hires_denoising" not in fields
    assert fields["scheduler"] == "Automatic" and fields["sampler"] == "Euler a"
    assert fields["clip_skip"] == 1  # A1111 omits "Clip skip" when it is 1


def test_hires_resize_and_variation_seed() -> None:
    text = (
        "a dog\nSteps: 20, Sampler: Euler, CFG scale: 7, Seed: 5, Variation seed: 99, "
        "Variation seed strength: 0.3, Size: 512x512, Denoising strength: 0.5, Hires resize: 1024x1536, "
        "Hires upscaler: Latent"
    )
    fields = image_fields(parse_infotext(text), IMAGE_TEXT_LENGTHS)
    assert (fields["subseed"], fields["subseed_strength"]) == (99, 0.3)
    assert fields["hires_enabled"] is True
    assert (fields["hires_resize_x"], fields["hires_resize_y"]) == (1024, 1536)
    assert "hires_scale" not in fields
    assert fields["hires_denoising"] == 0.5


@pytest.mark.parametrize(
    ("legacy", "sampler", "scheduler"),
    [
        ("DPM++ 2M Karras", "DPM++ 2M", "Karras"),
        ("DPM++ SDE Karras", "DPM++ SDE", "Karras"),
        ("DPM++ 2M SDE Exponential", "DPM++ 2M SDE", "Exponential"),
        ("DPM2 a Karras", "DPM2 a", "Karras"),
        ("Euler SGM Uniform", "Euler", "SGM Uniform"),
        ("Euler SGMUniform", "Euler", "SGM Uniform"),
        ("DPM++ 2M Align Your Steps", "DPM++ 2M", "Align Your Steps"),
        ("Euler a", "Euler a", None),
        ("DDIM", "DDIM", None),
        ("UniPC", "UniPC", None),
    ],
)
def test_legacy_sampler_names(legacy: str, sampler: str, scheduler: str | None) -> None:
    assert split_sampler_name(legacy) == (sampler, scheduler)
    fields = image_fields(parse_infotext(f"x\nSteps: 20, Sampler: {legacy}, CFG scale: 7"), IMAGE_TEXT_LENGTHS)
    assert fields["sampler"] == sampler
    assert fields.get("scheduler") == scheduler


def test_schedule_type_present_means_no_split() -> None:
    text = "x\nSteps: 20, Sampler: DPM++ 2M, Schedule type: Exponential, Seed: 1"
    fields = image_fields(parse_infotext(text), IMAGE_TEXT_LENGTHS)
    assert (fields["sampler"], fields["scheduler"]) == ("DPM++ 2M", "Exponential")


def test_invalid_numbers_become_none_and_stay_in_extra() -> None:
    text = (
        "x\nSteps: many, Sampler: Euler, CFG scale: nan, Seed: 99999999999999999999999, Size: 512x, "
        "Clip skip: 2.5"
    )
    fields = image_fields(parse_infotext(text), IMAGE_TEXT_LENGTHS)
    assert fields["steps"] is None and fields["cfg_scale"] is None and fields["seed"] is None
    assert fields["clip_skip"] is None
    assert "width" not in fields
    extra = json.loads(fields["extra_params"])
    assert extra["Steps"] == "many"
    assert extra["CFG scale"] == "nan"
    assert extra["Seed"] == "99999999999999999999999"
    assert extra["Size"] == "512x"
    assert extra["Clip skip"] == "2.5"


def test_too_long_text_for_a_column_is_kept_in_extra() -> None:
    text = f"x\nSteps: 20, Sampler: {'S' * 100}, Model hash: {'a' * 65}"
    fields = image_fields(parse_infotext(text), IMAGE_TEXT_LENGTHS)
    assert fields["sampler"] is None and fields["model_hash"] is None
    assert json.loads(fields["extra_params"])["Model hash"] == "a" * 65


def test_the_column_lengths_are_the_callers() -> None:
    text = "x\nSteps: 20, Sampler: Euler a, Model: sd15, Model hash: abcdef"
    fields = image_fields(parse_infotext(text), {"sampler": 7, "model_name": 4, "model_hash": 5})
    assert (fields["sampler"], fields["model_name"], fields["model_hash"]) == ("Euler a", "sd15", None)
    assert json.loads(fields["extra_params"]) == {"Model hash": "abcdef"}
    assert image_fields(parse_infotext(text), {})["model_hash"] == "abcdef"  # no length: any text


def test_mapped_keys_cover_the_columns() -> None:
    assert {"Prompt", "Negative prompt", "Seed", "Sampler", "Steps", "Size-1", "Size-2",
            "Denoising strength", "Hires upscale"} <= mapped_keys
    assert "Version" not in mapped_keys


def test_unicode_and_nul_bytes_in_prompt() -> None:
    prompt = "猫 🐈 caf\u00e9 \x00 end"
    params = parse_infotext(f"{prompt}\nNegative prompt: ☃\nSteps: 20, Sampler: Euler, CFG scale: 7")
    assert params["Prompt"] == prompt and params["Negative prompt"] == "☃"


def test_long_prompt_is_fast() -> None:
    prompt = "word " * 20_000
    started = time.perf_counter()
    params = parse_infotext(f"{prompt}\nSteps: 20, Sampler: Euler, CFG scale: 7")
    assert params["Prompt"] == prompt.strip()
    with pytest.raises(InfotextError):
        parse_infotext(prompt)  # a lone long line must not hit the regex's quadratic case
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ("", "empty"),
        ("   \n\t", "empty"),
        ("just a prompt with no parameters", "no parameters line"),
        ("a cat\nNegative prompt: dog", "no parameters line"),
        ("x\nSampler: Euler, CFG scale: 7, Hires Steps: 5", "no 'Steps'"),
        (b"Steps: 20, Sampler: Euler, CFG scale: 7", "not text"),
        (None, "not text"),
        ("{\"prompt\": {\"1\": {\"class_type\": \"KSampler\"}}}", "no parameters line"),
    ],
)
def test_garbage_raises_infotext_error(bad: object, reason: str) -> None:
    with pytest.raises(InfotextError, match=reason):
        parse_infotext(bad)  # type: ignore[arg-type]
    assert issubclass(InfotextError, ValueError)
