"""The Extras tab and the API's extra-single-image recorded as upscale jobs by the real adapter's
postprocessing script in the stand-in: sizes, upscaler, seconds, the output file, and the link to the
ledger image the input came from (by pixels or by infotext)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from modules import postprocessing, shared, txt2img
from modules._standin_ui import script_args_with
from modules.api import api
from PIL import Image
from webui_support import LoadedExtension

SMALL = {"width": 64, "height": 64}


def extras_args(runner: Any, **upscale: Any) -> list[Any]:
    """The Extras tab's controls at their defaults, with some of the Upscale script's set by name."""
    args = [component.value for component in runner.standin_inputs]
    script = next(s for s in runner.scripts_in_preferred_order() if s.name == "Upscale")
    for position, name in enumerate(script.controls):
        if name in upscale:
            args[script.args_from + position] = upscale[name]
    return args


def run_extras_ui(image: Any, args: list[Any], *, mode: int = 0, folder: list | None = None) -> list:
    """The Extras tab's Generate: wrap_gradio_gpu_call's state.begin/end around run_postprocessing_webui."""
    shared.state.begin(job="task(extras)")
    try:
        outputs, _html, _ = postprocessing.run_postprocessing_webui("task(extras)", mode, image, folder, "", "",
                                                                   True, *args)
    finally:
        shared.state.end()
    return outputs


def generate(extension: LoadedExtension, seed: int = 11) -> dict:
    runner = extension.runner()
    txt2img.run_txt2img_ui(runner, {"prompt": "a knight", **SMALL},
                           script_args_with(runner, {"Sampler": [4, "Euler", "Automatic"], "Seed": [seed]}))
    return extension.rows()[-1]


def test_an_extras_upscale_is_one_job_linked_to_the_image_it_came_from(extension: LoadedExtension) -> None:
    source = generate(extension)
    runner = extension.extras_runner()
    run_extras_ui(Image.open(source["image_path"]), extras_args(runner, upscaler_1_name="Lanczos", upscale_by=2))
    job = extension.jobs()[-1]
    [run] = [run for run in extension.runs() if run["job_id"] == job["id"]]
    image = extension.rows()[-1]
    assert (job["tab"], job["source"], job["kind"], job["status"], job["image_count"]) == (
        "extras", "ui", "extras", "ok", 1)
    assert (run["role"], run["status"]) == ("extras", "ok")
    assert json.loads(run["settings"]) == {"Postprocess upscale by": 2, "Postprocess upscaler": "Lanczos"}
    assert (image["width"], image["height"], image["source_image_id"]) == (128, 128, source["id"])
    assert Path(image["image_path"]).is_file() and image["cost_seconds"] > 0
    assert (image["prompt"], image["seed"], image["sampler"]) == ("a knight", 11, None)  # no generation settings
    upscale = json.loads(image["upscale"])
    assert {k: upscale[k] for k in ("method", "upscaler", "scale", "input_size", "output_size")} == {
        "method": "extras", "upscaler": "Lanczos", "scale": 2, "input_size": [64, 64], "output_size": [128, 128]}
    assert job["cost_seconds"] == pytest.approx(image["cost_seconds"])


def test_an_input_with_other_pixels_is_found_by_its_infotext(extension: LoadedExtension) -> None:
    source = generate(extension, seed=12)
    edited = Image.open(source["image_path"])
    edited.load()
    edited.putpixel((0, 0), (1, 2, 3))  # other pixels, same "parameters" text
    runner = extension.extras_runner()
    run_extras_ui(edited, extras_args(runner, upscaler_1_name="Nearest", upscale_by=1.5))
    image = extension.rows()[-1]
    assert (image["source_image_id"], image["width"]) == (source["id"], 96)


def test_the_api_extras_is_an_unsaved_upscale_job_and_its_answer_names_it(extension: LoadedExtension) -> None:
    extension.extras_runner()
    picture = api.encode_pil_to_base64(Image.new("RGB", (32, 32), (5, 80, 160)))
    answer = api.extras_single_image_api({"image": picture, "upscaler_1": "Lanczos", "upscaling_resize": 2})
    [job] = extension.jobs()
    [image] = extension.rows()
    assert (job["source"], image["image_path"], image["source_image_id"], image["width"]) == ("api", None, None, 64)
    assert image["thumbnail_path"] is None and extension.images_with_thumbnails() == {image["id"]}  # in the ledger
    assert f"ParamLab job: {job['job_uid']}" in answer["html_info"]
    assert f"ParamLab image: {image['image_uid']}" in answer["html_info"]


def test_a_batch_is_one_job_with_one_run_per_image(extension: LoadedExtension) -> None:
    runner = extension.extras_runner()
    shared.opts.set("use_original_name_batch", False)  # images given as PIL objects have no name
    folder = [Image.new("RGB", (16, 16), (i * 40, 0, 0)) for i in range(3)]
    outputs = run_extras_ui(None, extras_args(runner, upscaler_1_name="Lanczos", upscale_by=2), mode=1,
                            folder=folder)
    assert len(outputs) == 3
    [job] = extension.jobs()
    runs = extension.runs()
    assert (job["run_count"], job["image_count"], job["status"]) == (3, 3, "ok")
    assert [run["job_id"] for run in runs] == [job["id"]] * 3
    assert job["wall_seconds"] >= sum(run["wall_seconds"] for run in runs) * 0.99


def test_extras_are_not_recorded_when_recording_is_off(extension: LoadedExtension) -> None:
    runner = extension.extras_runner()
    shared.opts.set("paramlab_record", False)
    run_extras_ui(Image.new("RGB", (16, 16)), extras_args(runner, upscaler_1_name="Lanczos", upscale_by=2))
    shared.opts.set("paramlab_record", True)
    assert extension.jobs() == [] and extension.rows() == []
