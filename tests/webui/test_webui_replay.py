"""Reproduce through A1111's own API handlers in the stand-in: every kind of run made again from the ledger alone,
refusals before sampling that name what is missing, and the verdicts recorded runs get.

The ControlNet and ADetailer runs need the capture side (``paramlab.webui.run_inputs``) and the stand-in's
ControlNet and ADetailer (``host_fixture.register_controlnet``/``register_adetailer``); they are skipped until
both are in the tree."""

from __future__ import annotations

import base64
import importlib.util
import io
import json
from pathlib import Path
from typing import Any

import pytest
import torch
from fastapi import FastAPI
from fastapi.testclient import TestClient
from modules import processing, script_callbacks, shared
from modules.api import api
from PIL import Image
from webui_support import LoadedExtension

from paramlab.ledger import schema
from paramlab.ledger.input_records import InputRecord, RecordRunInputs
from paramlab.ledger.input_store import InputStorage
from paramlab.webui import runtime

SMALL = {"width": 64, "height": 64, "steps": 4}
NO_BODY = {"X-ParamLab-Request": "1"}
CAPTURE = importlib.util.find_spec("paramlab.webui.run_inputs") is not None
needs_capture = pytest.mark.skipif(not CAPTURE, reason="needs the capture side (branch i20-capture)")


@pytest.fixture
def extension(tmp_path: Path, ledger_location: str):
    loaded = LoadedExtension(tmp_path, ledger=ledger_location)
    yield loaded
    loaded.close()


def png_base64(image: Image.Image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def start_app() -> TestClient:
    shared.cmd_opts.api_auth = None
    app = FastAPI()
    script_callbacks.app_started_callback(None, app)
    return TestClient(app)


def reproduce(image_id: int) -> Any:
    from paramlab.webui.reproduce import reproduce as reproduce_image

    return reproduce_image(image_id)


def write_inputs(run_uid: str, inputs: list[InputRecord], replay_args: dict[str, Any]) -> None:
    """What the capture side hands the writer for a run, written straight into the ledger."""
    operation = RecordRunInputs(run_uid, inputs, replay_args, [])
    operation.prepare(InputStorage())
    with runtime.get_ledger().write() as conn:
        operation.apply(conn)


def runs_recorded(extension: LoadedExtension) -> int:
    return len(extension.runs())


def test_an_image_of_a_batch_reproduces_alone_with_its_own_seed_and_is_not_recorded_again(
        extension: LoadedExtension) -> None:
    api.text2imgapi(extension.runner(), {"prompt": "kaito", "seed": 40, "batch_size": 2, **SMALL,
                                         "save_images": True})
    rows = extension.rows()
    assert [row["seed"] for row in rows] == [40, 41]
    before = runs_recorded(extension)
    processing.sampled_noise_log.clear()
    result = reproduce(rows[1]["id"])
    assert result.comparison.identical and result.compared_against == "file"
    assert [seeds for _, _, seeds, _ in processing.sampled_noise_log] == [[41]]  # alone, with its own seed
    assert (result.endpoint, result.verdict) == ("txt2img", "exact")
    assert runs_recorded(extension) == before  # the replay is not a new run of the ledger
    answer = result.to_json()
    assert {"identical", "summary", "fingerprint_changes", "endpoint", "verdict", "verdict_reason"} <= set(answer)


def test_a_hires_image_reproduces_identical(extension: LoadedExtension) -> None:
    runner = extension.runner()
    api.text2imgapi(runner, {"prompt": "city", "seed": 9, **SMALL, "enable_hr": True, "hr_scale": 1.5,
                             "hr_upscaler": "Latent", "hr_second_pass_steps": 2, "denoising_strength": 0.5,
                             "save_images": True})
    [row] = extension.rows()
    assert row["hires_enabled"]
    result = reproduce(row["id"])
    assert result.comparison.identical, result.summary()


def test_an_inpaint_image_reproduces_from_its_stored_inputs_and_is_refused_when_one_is_deleted(
        extension: LoadedExtension) -> None:
    runner = extension.runner(is_img2img=True)
    init = Image.new("RGB", (64, 64), (30, 120, 200))
    init.paste((250, 200, 20), (10, 10, 40, 40))
    mask = Image.new("L", (64, 64), 0)
    mask.paste(255, (16, 16, 48, 48))
    settings = {"resize_mode": 0, "mask_blur": 4, "inpainting_fill": 1, "inpaint_full_res": False,
                "inpaint_full_res_padding": 32, "inpainting_mask_invert": 0, "denoising_strength": 0.6}
    api.img2imgapi(runner, {"prompt": "a lamp", "seed": 5, **SMALL, "init_images": [png_base64(init)],
                            "mask": png_base64(mask), **settings, "save_images": True})
    [row] = extension.rows()
    [run] = extension.runs()
    if not CAPTURE:  # what the capture side records for the run
        write_inputs(run["run_uid"], [InputRecord("img2img", "init", 0, "img2img/init_images/0", image=init),
                                      InputRecord("img2img", "mask", 0, "img2img/mask", image=mask)],
                     {"img2img": settings, "scripts": {}})
    other = api.img2imgapi(runner, {"prompt": "a lamp", "seed": 6, **SMALL, "init_images": [png_base64(init)]})
    assert other["images"]  # more work between: the VAE encode's global random state moved on
    torch.randn(1000)
    result = reproduce(row["id"])
    assert result.comparison.identical and result.endpoint == "img2img", result.summary()
    state = json.loads(extension.runs()[0]["replay_args"])["torch_rng_state"]
    assert set(state) == {"cpu"} and len(base64.b64decode(state["cpu"])) == torch.get_rng_state().numel()

    with runtime.get_ledger().write() as conn:
        conn.execute(schema.input_blobs.delete())
    answer = start_app().post(f"/paramlab/v1/images/{row['id']}/reproduce", headers=NO_BODY)
    assert answer.status_code == 422
    assert "the init image is no longer in the input store" in answer.json()["detail"]


def test_an_extension_missing_on_the_webui_refuses_the_replay_before_sampling(extension: LoadedExtension) -> None:
    runner = extension.runner()
    api.text2imgapi(runner, {"prompt": "pose", "seed": 3, **SMALL})
    [row] = extension.rows()
    replay_args = {"scripts": {"ControlNet": {"args": [
        {"enabled": True, "image": None, "module": "none", "model": "control_v11p_sd15_openpose [cab727d4]"}]}}}
    with runtime.get_ledger().write() as conn:
        conn.execute(schema.runs.update().where(schema.runs.c.id == row["run_id"])
                     .values(replay_args=json.dumps(replay_args)))
    processing.sampled_noise_log.clear()
    answer = start_app().post(f"/paramlab/v1/images/{row['id']}/reproduce", headers=NO_BODY)
    assert answer.status_code == 409
    assert answer.json()["detail"] == (f"ParamLab: image {row['id']} cannot be replayed on this WebUI: extension "
                                       "ControlNet is not installed (no always-on script of that name).")
    assert processing.sampled_noise_log == []  # refused before sampling


def test_recorded_runs_get_their_verdict(extension: LoadedExtension, monkeypatch: pytest.MonkeyPatch) -> None:
    from paramlab.webui import forge_backend, host_info

    runner = extension.runner()
    api.text2imgapi(runner, {"prompt": "cpu", "seed": 1, **SMALL})
    monkeypatch.setattr(host_info, "device_name", lambda: "NVIDIA GeForce RTX 4090")
    shared.opts.set("randn_source", "GPU")
    shared.opts.set("cross_attention_optimization", "xformers")  # A1111's setting; Forge's backend picks its own
    monkeypatch.setattr(forge_backend, "attention", lambda: "xformers (upcast off)")
    api.text2imgapi(runner, {"prompt": "gpu", "seed": 1, **SMALL, "sampler_name": "Euler a"})
    first, second = extension.runs()
    assert (first["replay_verdict"], first["replay_reason"]) == ("exact", None)
    assert second["replay_verdict"] == "approximate"
    assert second["replay_reason"].startswith("xformers")  # Forge names its backend's pick: "xformers (upcast off)"
    assert second["replay_reason"].endswith(
        "attention with an ancestral or SDE sampler (Euler a); GPU noise: identical only on the same GPU model "
        "(NVIDIA GeForce RTX 4090)")


# -- with the capture side: ControlNet and ADetailer runs ------------------------------------------------------

def _controlnet_run(extension: LoadedExtension) -> tuple[dict[str, Any], Any]:
    from host_fixture import register_controlnet

    module = register_controlnet()
    runner = extension.runner()
    pose = Image.new("RGB", (64, 64), (0, 0, 0))
    pose.paste((255, 255, 255), (20, 8, 44, 56))
    unit = {"enabled": True, "image": png_base64(pose), "module": "none", "model": module.MODELS[0], "weight": 0.9}
    api.text2imgapi(runner, {"prompt": "a dancer", "seed": 1234, **SMALL, "save_images": True,
                             "alwayson_scripts": {"controlnet": {"args": [unit]}}})
    [row] = extension.rows()
    return row, module


@needs_capture
def test_a_controlnet_image_reproduces_identical_from_the_ledger_alone(extension: LoadedExtension) -> None:
    row, _module = _controlnet_run(extension)
    [run] = extension.runs()
    assert (run["replay_verdict"], run["replay_reason"]) == ("exact", None)
    result = reproduce(row["id"])
    assert result.comparison.identical, result.summary()


@needs_capture
def test_a_controlnet_run_made_with_input_storage_off_is_not_replayable_and_says_which_input(
        extension: LoadedExtension) -> None:
    shared.opts.set("paramlab_keep_inputs", False)
    row, _module = _controlnet_run(extension)
    [run] = extension.runs()
    assert run["replay_verdict"] == "not_replayable"
    assert run["replay_reason"].startswith("the ControlNet unit 0 control image was not stored")
    answer = start_app().post(f"/paramlab/v1/images/{row['id']}/reproduce", headers=NO_BODY)
    assert answer.status_code == 422 and "the ControlNet unit 0 control image was not stored" in answer.json()["detail"]


@needs_capture
def test_a_removed_controlnet_model_refuses_the_replay_before_sampling(extension: LoadedExtension,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    row, module = _controlnet_run(extension)
    model = module.MODELS[0]
    monkeypatch.setattr(module, "MODELS", module.MODELS[1:])
    processing.sampled_noise_log.clear()
    answer = start_app().post(f"/paramlab/v1/images/{row['id']}/reproduce", headers=NO_BODY)
    assert answer.status_code == 409 and f"ControlNet model {model} is not installed" in answer.json()["detail"]
    assert processing.sampled_noise_log == []


@needs_capture
def test_an_adetailer_image_reproduces_identical_from_the_ledger_alone(extension: LoadedExtension) -> None:
    from host_fixture import register_adetailer

    register_adetailer()
    runner = extension.runner()
    api.text2imgapi(runner, {"prompt": "portrait", "seed": 77, **SMALL, "save_images": True,
                             "alwayson_scripts": {"ADetailer": {"args": [True, False, {
                                 "ad_model": "mediapipe_face_full", "ad_prompt": "smile"}]}}})
    [row] = extension.rows()
    result = reproduce(row["id"])
    assert result.comparison.identical, result.summary()


def test_a_difference_on_an_approximate_image_says_why_it_was_expected() -> None:
    from paramlab.seeds import ImageComparison
    from paramlab.webui.reproduce import ReproduceResult

    comparison = ImageComparison(identical=False, mean_abs_diff=0.4, max_abs_diff=3.0, changed_pixel_share=0.2,
                                 psnr_db=50.0)
    result = ReproduceResult(1, comparison, "file", verdict="approximate",
                             verdict_reason="GPU noise: identical only on the same GPU model (RTX 4090)")
    assert "Its verdict was approximate: GPU noise: identical only on the same GPU model (RTX 4090)." in (
        result.summary())


def test_an_img2img_batch_replays_its_first_image_exact_and_says_why_the_second_is_not(
        extension: LoadedExtension) -> None:
    runner = extension.runner(is_img2img=True)
    init = Image.new("RGB", (64, 64), (30, 120, 200))
    api.img2imgapi(runner, {"prompt": "a lamp", "seed": 5, **SMALL, "init_images": [png_base64(init)],
                            "batch_size": 2, "denoising_strength": 0.6, "save_images": True})
    first, second = extension.rows()
    assert extension.runs()[0]["replay_verdict"] == "approximate"
    exact = reproduce(first["id"])
    assert exact.comparison.identical and exact.verdict == "exact", exact.summary()
    later = reproduce(second["id"])  # its VAE encode drew second in a batch of two; the replay draws for it alone
    assert not later.comparison.identical and later.verdict == "approximate"
    assert later.verdict_reason.startswith("img2img in batches of 2")
