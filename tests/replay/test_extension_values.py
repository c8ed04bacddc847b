"""Known extensions' arguments as the (name, value) pairs people search: ControlNet units, ADetailer tabs,
Dynamic Prompts, and any other script by its controls' labels."""

from __future__ import annotations

from paramlab.replay.args_json import PLACEHOLDER
from paramlab.replay.extension_values import image_source, ordinal, script_values

UNIT_DEFAULT = {"enabled": False, "module": "none", "model": "None", "weight": 1.0, "image": None,
                "resize_mode": "Crop and Resize", "control_mode": "Balanced"}


def test_controlnet_units_only_the_enabled_ones_with_controlnets_defaults() -> None:
    posted = {"enabled": True, "image": {PLACEHOLDER: 0}, "model": "control_v11p_sd15_openpose [cab727d4]",
              "weight": 0.8, "guidance_end": 0.6, "control_mode": 2, "resize_mode": 0}
    values = dict(script_values("ControlNet", [UNIT_DEFAULT, posted, UNIT_DEFAULT]))
    assert values == {
        "unit 1 enabled": "True", "unit 1 module": "none", "unit 1 model": "control_v11p_sd15_openpose [cab727d4]",
        "unit 1 weight": "0.8", "unit 1 guidance start": "0.0", "unit 1 guidance end": "0.6",
        "unit 1 control mode": "ControlNet is more important", "unit 1 resize mode": "Just Resize",
        "unit 1 pixel perfect": "False", "unit 1 processor res": "-1", "unit 1 image": "given"}


def test_controlnet_legacy_aliases() -> None:
    values = dict(script_values("controlnet", [{"enabled": True, "input_image": "x", "guidance": 0.5}]))
    assert values["unit 0 guidance end"] == "0.5" and values["unit 0 image"] == "given"


def test_adetailer_tabs_that_run_named_as_its_infotext_suffixes_them() -> None:
    first = {"ad_model": "mediapipe_face_full", "ad_prompt": "a smiling face", "ad_confidence": 0.5}
    off = {"ad_model": "face_yolov8n.pt", "ad_tab_enable": False}
    third = {"ad_model": "mediapipe_face_mesh", "ad_use_steps": True, "ad_steps": 12,
             "ad_controlnet_model": "control_v11p_sd15_inpaint [ebff9138]"}
    values = dict(script_values("ADetailer", [True, False, first, off, third, {"ad_model": "None"}]))
    assert values["enabled"] == "True" and "skip img2img" not in values
    assert (values["ad_model"], values["ad_prompt"], values["ad_confidence"]) == (
        "mediapipe_face_full", "a smiling face", "0.5")
    assert values["ad_negative_prompt"] == "" and values["ad_mask_blur"] == "4"
    assert values["ad_denoising_strength"] == "0.4" and values["ad_inpaint_only_masked"] == "True"
    assert "ad_steps" not in values and "ad_model 2nd" not in values  # its switch is off; the tab is off
    assert (values["ad_model 3rd"], values["ad_steps 3rd"]) == ("mediapipe_face_mesh", "12")
    assert values["ad_controlnet_weight 3rd"] == "1.0"
    assert not any(name.endswith("4th") for name in values)


def test_dynamic_prompts_template_and_resolved_prompt() -> None:
    args = [True, False, 1, False]
    values = dict(script_values("Dynamic Prompts v2.17.1", args, None,
                                ("a {red|blue} car", ["a red car", "a blue car"])))
    assert values == {"enabled": "True", "combinatorial": "False", "template": "a {red|blue} car",
                      "resolved prompt": "a red car", "resolved prompts": "2"}


def test_any_other_script_by_its_labels() -> None:
    labelled = {"Enabled": True, "Strength": 0.25, "Points": [1, 2], "Reference": {PLACEHOLDER: 3}}
    values = script_values("Some extension", [True, 0.25], labelled)
    assert values == [("Enabled", "True"), ("Strength", "0.25"), ("Points", "[1, 2]"), ("Reference", "image")]


def test_image_sources() -> None:
    assert image_source("ControlNet", "ControlNet/args/2/image") == ("ControlNet unit 2", "control")
    assert image_source("ControlNet", "ControlNet/args/0/image/mask") == ("ControlNet unit 0", "mask")
    assert image_source("ControlNet", "ControlNet/args/0/mask_image") == ("ControlNet unit 0", "mask")
    assert image_source("ADetailer", "ADetailer/args/2/x") == ("ADetailer", "script")


def test_ordinals() -> None:
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd"]
