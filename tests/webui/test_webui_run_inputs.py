"""What the WebUI records for a replay (issue 20, parts 1 and 2): input images and other extensions' arguments,
read when the run starts, through the stand-in's API with its ControlNet and ADetailer."""

from __future__ import annotations

import base64
import gc
import io
import json
import logging
from typing import Any

import numpy as np
import pytest
from host_fixture import register_adetailer, register_controlnet
from modules import errors, txt2img
from modules._standin_ui import _register_class, script_args_with
from modules.api import api
from PIL import Image
from webui_support import LoadedExtension, wait_until_jobs_close

from paramlab.ledger.input_records import RecordRunInputs
from paramlab.replay.args_json import PLACEHOLDER
from paramlab.webui import run_inputs, runtime

SMALL = {"width": 64, "height": 64, "steps": 4, "seed": 1234}
POSE = Image.new("RGB", (64, 64), (0, 0, 0))
POSE.paste((255, 255, 255), (20, 8, 44, 56))
OPENPOSE = "control_v11p_sd15_openpose [cab727d4]"


def png_base64(image: Image.Image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def pixels(response: dict[str, Any]) -> np.ndarray:
    return np.array(Image.open(io.BytesIO(base64.b64decode(response["images"][0]))).convert("RGB"))


@pytest.fixture
def submitted(extension: LoadedExtension, monkeypatch: pytest.MonkeyPatch) -> list[RecordRunInputs]:
    """The RecordRunInputs the runs hand the writer (which prepares and writes them as usual)."""
    operations: list[RecordRunInputs] = []
    writer = runtime.get_writer()
    submit = writer.submit

    def keep(operation: Any) -> None:
        if isinstance(operation, RecordRunInputs):
            operations.append(operation)
        submit(operation)

    monkeypatch.setattr(writer, "submit", keep)
    return operations


def controlnet_unit(**settings: Any) -> dict[str, Any]:
    return {"enabled": True, "image": png_base64(POSE), "module": "none", "model": OPENPOSE, "weight": 1.0,
            **settings}


def txt2img_with_controlnet(runner: Any, **settings: Any) -> dict[str, Any]:
    return api.text2imgapi(runner, {"prompt": "a dancer", **SMALL,
                                    "alwayson_scripts": {"controlnet": {"args": [controlnet_unit(**settings)]}}})


@pytest.mark.parametrize("paramlab_first", [False, True], ids=["controlnet-first", "paramlab-first"])
def test_a_controlnet_unit_is_recorded_with_its_control_image(
        extension: LoadedExtension, submitted: list[RecordRunInputs], paramlab_first: bool) -> None:
    if paramlab_first:  # A1111 runs always-on scripts in the order of their extensions' folder names
        _register_class(extension.script_class)
    register_controlnet()
    runner = extension.runner()
    txt2img_with_controlnet(runner, weight=0.8, guidance_end=0.9)

    [run] = extension.runs()
    [operation] = submitted
    assert operation.run_uid == run["run_uid"]
    [control] = operation.inputs
    assert (control.source, control.role, control.position, control.arg_path) == (
        "ControlNet unit 0", "control", 0, "ControlNet/args/0/image")
    assert (control.width, control.height) == (64, 64)
    section = operation.replay_args["scripts"]["ControlNet"]
    unit, default, _third = section["args"]
    assert unit["image"] == {PLACEHOLDER: 0} and unit["model"] == OPENPOSE and unit["weight"] == 0.8
    assert default["enabled"] is False and default["resize_mode"] == "Crop and Resize"  # the UI's default unit
    assert section["values"]["unit 0 model"] == OPENPOSE and section["values"]["unit 0 guidance end"] == "0.9"
    assert ("ControlNet", "unit 0 weight", "0.8") in operation.values
    assert not any(name.startswith("unit 1") for _script, name, _value in operation.values)
    assert set(operation.replay_args["scripts"]) == {"ControlNet"}  # not ParamLab, not Sampler/Seed
    assert "img2img" not in operation.replay_args
    assert np.array_equal(np.array(Image.open(io.BytesIO(control.png)).convert("RGB")), np.array(POSE))
    [row] = extension.table("run_inputs")
    assert (row["run_id"], row["source"], row["role"], row["sha256"]) == (
        run["id"], "ControlNet unit 0", "control", control.sha256)
    [run] = extension.runs()
    stored = json.loads(run["replay_args"])["scripts"]["ControlNet"]["args"][0]
    assert stored["image"] == {PLACEHOLDER: control.sha256}
    values = {(value["script"], value["name"]): value["value"] for value in extension.table("run_extension_values")}
    assert values[("ControlNet", "unit 0 model")] == OPENPOSE
    assert errors.reported == []


def test_the_same_pose_image_for_twenty_renders_is_one_image(
        extension: LoadedExtension, submitted: list[RecordRunInputs]) -> None:
    register_controlnet()
    runner = extension.runner()
    for seed in range(20):
        api.text2imgapi(runner, {"prompt": "kaito, pose sheet", **SMALL, "seed": seed,
                                 "alwayson_scripts": {"ControlNet": {"args": [controlnet_unit()]}}})
    assert len(extension.runs()) == 20 and len({operation.run_uid for operation in submitted}) == 20
    assert len({item.sha256 for operation in submitted for item in operation.inputs}) == 1
    assert len(extension.table("run_inputs")) == 20
    assert len(extension.table("input_blobs")) == 1


def test_the_stand_in_controlnet_changes_the_picture_by_its_inputs(
        extension: LoadedExtension, submitted: list[RecordRunInputs]) -> None:
    module = register_controlnet()
    runner = extension.runner()
    plain = pixels(api.text2imgapi(runner, {"prompt": "a dancer", **SMALL}))
    posed = pixels(txt2img_with_controlnet(runner))
    again = pixels(txt2img_with_controlnet(runner))
    other_pose = Image.new("RGB", (64, 64), (255, 255, 255))
    other = pixels(txt2img_with_controlnet(runner, image=png_base64(other_pose)))
    assert np.array_equal(posed, again) and not np.array_equal(posed, plain) and not np.array_equal(posed, other)
    assert module.model_list() == {"model_list": list(module.MODELS)}

    missing = txt2img_with_controlnet(runner, model="nosuchmodel [deadbeef]")  # made without ControlNet
    assert np.array_equal(pixels(missing), plain)
    assert 'ControlNet 0: "Module: none, Model: nosuchmodel [deadbeef]' in json.loads(missing["info"])["infotexts"][0]
    assert any("Error running process" in text for text in errors.reported)
    assert any("model not found: None" in text for text in errors.reported_tracebacks)


def test_an_img2img_inpaint_records_init_mask_and_settings(
        extension: LoadedExtension, submitted: list[RecordRunInputs]) -> None:
    runner = extension.runner(is_img2img=True)
    init = Image.new("RGB", (64, 64), (90, 40, 200))
    mask = Image.new("L", (64, 64), 0)
    mask.paste(255, (16, 16, 48, 48))
    api.img2imgapi(runner, {"prompt": "a red hat", **SMALL, "init_images": [png_base64(init)],
                            "mask": png_base64(mask), "mask_blur": 6, "inpainting_fill": 1,
                            "inpaint_full_res": False, "inpaint_full_res_padding": 16, "denoising_strength": 0.6,
                            "resize_mode": 1})
    [operation] = submitted
    section = operation.replay_args["img2img"]
    assert section["init_images"] == [{PLACEHOLDER: 0}] and section["mask"] == {PLACEHOLDER: 1}
    assert {key: section[key] for key in run_inputs.IMG2IMG_SETTINGS} == {
        "resize_mode": 1, "mask_blur": 6, "inpainting_fill": 1, "inpaint_full_res": False,
        "inpaint_full_res_padding": 16, "inpainting_mask_invert": 0, "denoising_strength": 0.6,
        "image_cfg_scale": None, "initial_noise_multiplier": 1.0, "mask_round": True}
    extension.runs()  # the writer drained
    first, second = operation.inputs
    assert (first.source, first.role, first.arg_path) == ("img2img", "init", "img2img/init_images/0")
    assert (second.source, second.role, second.arg_path) == ("img2img", "mask", "img2img/image_mask")
    assert {(row["source"], row["role"]) for row in extension.table("run_inputs")} == {("img2img", "init"),
                                                                                          ("img2img", "mask")}
    assert Image.open(io.BytesIO(second.png)).getpixel((32, 32)) == 255
    assert np.array_equal(np.array(Image.open(io.BytesIO(first.png))), np.array(init))


def test_adetailer_arguments_are_recorded_and_change_the_picture(
        extension: LoadedExtension, submitted: list[RecordRunInputs]) -> None:
    register_adetailer()
    runner = extension.runner()
    tab = {"ad_model": "mediapipe_face_full", "ad_prompt": "a smiling face", "ad_confidence": 0.4}
    plain = pixels(api.text2imgapi(runner, {"prompt": "a portrait", **SMALL, "batch_size": 2}))
    detailed = api.text2imgapi(runner, {"prompt": "a portrait", **SMALL, "batch_size": 2,
                                        "alwayson_scripts": {"ADetailer": {"args": [True, False, tab]}}})
    assert not np.array_equal(pixels(detailed), plain)
    assert "ADetailer model: mediapipe_face_full" in json.loads(detailed["info"])["infotexts"][0]
    operation = submitted[-1]
    args = operation.replay_args["scripts"]["ADetailer"]["args"]
    assert args[:3] == [True, False, tab] and len(args) == 6 and args[3]["ad_model"] == "None"
    values = {name: value for script, name, value in operation.values if script == "ADetailer"}
    assert (values["ad_model"], values["ad_prompt"], values["ad_confidence"]) == (
        "mediapipe_face_full", "a smiling face", "0.4")
    assert operation.inputs == []
    wait_until_jobs_close()
    gc.collect()  # a run left open would end now as failed
    assert [run["status"] for run in extension.runs()] == ["ok", "ok"]  # ADetailer's re-run of hooks is no run
    assert [job["status"] for job in extension.jobs()] == ["ok", "ok"]


def test_a_capture_that_raises_never_fails_the_generation(
        extension: LoadedExtension, submitted: list[RecordRunInputs], monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    register_controlnet()
    runner = extension.runner()

    def broken(p: Any) -> Any:
        raise RuntimeError("capture broke")

    monkeypatch.setattr(run_inputs, "_capture", broken)
    with caplog.at_level(logging.ERROR, logger="paramlab"):
        response = txt2img_with_controlnet(runner)
    assert response["images"] and submitted == []
    [run] = extension.runs()
    assert run["status"] == "ok" and run["image_count"] == 1
    assert "the run's inputs could not be read" in caplog.text


def test_a_ui_unit_with_numpy_image_and_mask_keeps_both(
        extension: LoadedExtension, submitted: list[RecordRunInputs]) -> None:
    """The UI hands ControlNet a ``ControlNetUnit`` whose image is ``{"image": array, "mask": array}``."""
    module = register_controlnet()
    runner = extension.runner()
    picture = np.array(POSE)
    mask = np.zeros((64, 64, 3), np.uint8)
    mask[:32] = 255
    unit = module.ControlNetUnit(enabled=True, model=OPENPOSE, image={"image": picture, "mask": mask})
    args = script_args_with(runner, {"ControlNet": [unit], "Seed": [1234]})
    txt2img.run_txt2img_ui(runner, {"prompt": "a dancer", "width": 64, "height": 64}, args)

    extension.runs()  # the writer drained
    [operation] = submitted
    section = operation.replay_args["scripts"]["ControlNet"]
    assert section["args"][0]["image"] == {"image": {PLACEHOLDER: 0}, "mask": {PLACEHOLDER: 1}}
    assert section["args"][0]["resize_mode"] == "Crop and Resize" and section["values"]["unit 0 enabled"] == "True"
    control, control_mask = operation.inputs
    assert (control.role, control_mask.role, control_mask.source) == ("control", "mask", "ControlNet unit 0")
    assert np.array_equal(np.array(Image.open(io.BytesIO(control.png))), picture)
    assert len(extension.table("input_blobs")) == 2
