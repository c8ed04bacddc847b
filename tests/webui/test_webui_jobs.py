"""Jobs recorded by the real adapter in the A1111 stand-in: one job per press of Generate or API request,
an X/Y/Z plot's cells as its runs, the API answer naming the job and its images, and tile upscales
(the stand-in Ultimate SD upscale, and a script of no known name) recorded as one linked image with
their passes as parts."""

from __future__ import annotations

import hashlib
import json
from datetime import timezone
from pathlib import Path
from typing import Any

import pytest
from host_fixture import register_ultimate_upscale, register_xyz
from modules import images, img2img, processing, scripts, shared, txt2img
from modules._standin_ui import default_script_args, script_args_with
from modules.api import api
from PIL import Image
from webui_support import LoadedExtension, wait_until_jobs_close

from paramlab.ledger.records import utc_now

SMALL = {"width": 64, "height": 64}
LANCZOS = 1  # index of "Lanczos" in the stand-in's shared.sd_upscalers


def job_rows(extension: LoadedExtension, job: dict) -> tuple[list[dict], list[dict]]:
    runs = [run for run in extension.runs() if run["job_id"] == job["id"]]
    run_ids = {run["id"] for run in runs}
    return runs, [row for row in extension.rows() if row["run_id"] in run_ids]


def test_each_press_of_generate_and_each_request_is_one_job(extension: LoadedExtension) -> None:
    runner = extension.runner()
    txt2img.run_txt2img_ui(runner, {"prompt": "ui", "n_iter": 2, "batch_size": 2, **SMALL})
    answer = api.text2imgapi(runner, {"prompt": "api", "batch_size": 2, "steps": 4, **SMALL})
    jobs = extension.jobs()
    assert [(j["tab"], j["source"], j["kind"], j["status"], j["run_count"], j["image_count"]) for j in jobs] == [
        ("txt2img", "ui", "generate", "ok", 1, 4), ("txt2img", "api", "generate", "ok", 1, 2)]
    for job in jobs:
        runs, rows = job_rows(extension, job)
        assert job["cost_seconds"] == pytest.approx(sum(row["cost_seconds"] for row in rows))
        assert job["model_evaluations"] == sum(row["model_evaluations"] for row in rows)
        assert job["wall_seconds"] >= runs[0]["wall_seconds"] > 0 and job["finished_at"] >= job["started_at"]
    info = json.loads(answer["info"])
    rows = extension.rows()
    assert info["extra_generation_params"]["ParamLab"] == {
        "job": jobs[1]["job_uid"], "images": [row["image_uid"] for row in rows[4:]]}
    assert all("ParamLab" not in text for text in info["infotexts"])  # never in an image's parameters
    assert all("ParamLab" not in (row["infotext"] or "") for row in rows)


def test_an_xyz_plot_is_one_job_whose_cells_are_its_runs(extension: LoadedExtension) -> None:
    register_xyz()
    runner = extension.runner()
    xyz = runner.selectable_scripts[0]
    args = default_script_args(runner)
    args[0] = 1
    steps_axis = [option.label for option in xyz.current_axis_options].index("Steps")
    args[xyz.args_from: xyz.args_from + 2] = [steps_axis, "3, 5, 8"]
    txt2img.run_txt2img_ui(runner, {"prompt": "x", **SMALL}, args)
    script_args = list(default_script_args(runner)[xyz.args_from: xyz.args_to])
    script_args[:2] = [steps_axis, "2, 4"]
    answer = api.text2imgapi(runner, {"prompt": "y", "script_name": "X/Y/Z plot", "script_args": script_args,
                                      **SMALL})
    ui_job, api_job = extension.jobs()
    assert (ui_job["kind"], ui_job["script_name"], ui_job["run_count"], ui_job["image_count"]) == (
        "script", "X/Y/Z plot", 3, 3)
    arguments = json.loads(ui_job["script_args"])
    assert arguments["X type"] == "Steps" and arguments["X values"] == "3, 5, 8" and arguments["Draw legend"] is True
    runs, rows = job_rows(extension, ui_job)
    assert [run["role"] for run in runs] == ["run"] * 3 and [row["steps"] for row in rows] == [3, 5, 8]
    note = json.loads(answer["info"])["extra_generation_params"]["ParamLab"]
    _runs, api_rows = job_rows(extension, api_job)
    assert note == {"job": api_job["job_uid"], "images": [row["image_uid"] for row in api_rows]}
    assert [row["steps"] for row in api_rows] == [2, 4] and api_job["source"] == "api"


def usdu_args(runner: scripts.ScriptRunner, **values: Any) -> list[Any]:
    """The UI's args with Ultimate SD upscale selected and some of its controls set (by position)."""
    positions = {"tile_width": 1, "tile_height": 2, "padding": 4, "seams_fix_width": 5, "seams_fix_denoise": 6,
                 "seams_fix_padding": 7, "upscaler_index": 8, "save_upscaled_image": 9, "redraw_mode": 10,
                 "save_seams_fix_image": 11, "seams_fix_type": 13, "target_size_type": 14, "custom_scale": 17}
    usdu = runner.title_map["ultimate sd upscale"]
    args = script_args_with(runner, {"Sampler": [6, "Euler", "Automatic"], "Seed": [321]})
    args[0] = runner.selectable_scripts.index(usdu) + 1
    settings = {"tile_width": 64, "tile_height": 0, "padding": 0, "upscaler_index": LANCZOS, "target_size_type": 2,
                "custom_scale": 2, **values}
    for name, value in settings.items():
        args[usdu.args_from + positions[name]] = value
    return args


def draft(extension: LoadedExtension, seed: int = 7) -> dict:
    runner = extension.runner()
    txt2img.run_txt2img_ui(runner, {"prompt": "a lighthouse", **SMALL},
                           script_args_with(runner, {"Sampler": [4, "Euler", "Automatic"], "Seed": [seed]}))
    return extension.rows()[-1]


def test_a_tile_upscale_is_one_job_with_one_linked_image_and_its_passes_as_parts(
        extension: LoadedExtension) -> None:
    source = draft(extension)
    init = Image.open(source["image_path"]).convert("RGB")
    init.info = {}  # its pixels only: found again by them
    register_ultimate_upscale()
    runner = extension.runner(is_img2img=True)
    img2img.run_img2img_ui(runner, {"prompt": "a lighthouse", "init_images": [init], "denoising_strength": 0.4,
                                    **SMALL}, usdu_args(runner))
    job = extension.jobs()[-1]
    runs, rows = job_rows(extension, job)
    assert (job["kind"], job["tab"], job["source"], job["script_name"], job["status"]) == (
        "tile_upscale", "img2img", "ui", "Ultimate SD upscale", "ok")
    arguments = json.loads(job["script_args"])
    assert (arguments["Tile width"], arguments["Upscaler"], arguments["Target size type"]) == (
        64, "Lanczos", "Scale from image size")
    assert [(run["role"], run["image_count"]) for run in runs] == [("tile", 0)] * 4 + [("output", 1)]
    passes = [json.loads(run["settings"]) for run in runs[:4]]
    assert {(p["steps"], p["width"], p["denoising_strength"], p["model_evaluations"]) for p in passes} == {
        (3, 64, 0.4, 3)}  # int(0.4 × 6) + 1 steps per tile, Euler: one evaluation each
    [image] = rows  # the combined image is the job's only image; tiles are no images
    assert (image["width"], image["height"], image["status"]) == (128, 128, "ok")
    assert Path(image["image_path"]).is_file()
    assert Path(image["image_path"]).is_relative_to(shared.opts.outdir_img2img_samples)
    assert image["image_sha256"] == hashlib.sha256(Path(image["image_path"]).read_bytes()).hexdigest()
    assert image["source_image_id"] == source["id"] and image["model_evaluations"] == 12
    assert image["megapixel_steps"] == pytest.approx(4 * 3 * 64 * 64 / 1e6)
    upscale = json.loads(image["upscale"])
    assert {k: upscale[k] for k in ("method", "script", "upscaler", "scale", "tile_width", "padding", "passes",
                                    "steps_per_tile", "denoising", "input_size", "output_size")} == {
        "method": "tiled", "script": "Ultimate SD upscale", "upscaler": "Lanczos", "scale": 2, "tile_width": 64,
        "padding": 0, "passes": 4, "steps_per_tile": 3, "denoising": 0.4, "input_size": [64, 64],
        "output_size": [128, 128]}
    tile_seconds = sum(json.loads(run["settings"])["seconds"] for run in runs[:4])
    assert image["cost_seconds"] == pytest.approx(runs[4]["wall_seconds"]) and image["cost_seconds"] > tile_seconds
    assert (job["image_count"], job["cost_seconds"], job["model_evaluations"]) == (1, image["cost_seconds"], 12)
    assert job["wall_seconds"] >= image["cost_seconds"]
    assert len(extension.rows()) == 2  # the draft and the upscale, nothing else


def test_the_api_answer_of_a_tile_upscale_names_its_one_image(extension: LoadedExtension) -> None:
    register_ultimate_upscale()
    runner = extension.runner(is_img2img=True)
    usdu = runner.title_map["ultimate sd upscale"]
    script_args = usdu_args(runner)[usdu.args_from: usdu.args_to]
    init = api.encode_pil_to_base64(Image.new("RGB", (64, 64), (40, 90, 140)))
    answer = api.img2imgapi(runner, {"prompt": "x", "steps": 4, "init_images": [init], "denoising_strength": 0.5,
                                     "script_name": "Ultimate SD upscale", "script_args": script_args, **SMALL})
    [job] = extension.jobs()
    [image] = extension.rows()
    assert (job["kind"], job["source"], image["width"]) == ("tile_upscale", "api", 128)
    assert Path(image["image_path"]).is_file()  # USDU saves its result even when the API saves nothing else
    assert json.loads(answer["info"])["extra_generation_params"]["ParamLab"] == {
        "job": job["job_uid"], "images": [image["image_uid"]]}


def test_a_seams_fix_save_is_a_second_image_and_the_costs_add_up(extension: LoadedExtension) -> None:
    register_ultimate_upscale()
    runner = extension.runner(is_img2img=True)
    init = Image.new("RGB", (64, 64), (200, 40, 40))
    img2img.run_img2img_ui(runner, {"prompt": "x", "init_images": [init], "denoising_strength": 0.5, **SMALL},
                           usdu_args(runner, seams_fix_type=1, seams_fix_width=16, save_seams_fix_image=True,
                                     seams_fix_denoise=0.3))
    [job] = extension.jobs()
    runs, rows = job_rows(extension, job)
    assert [run["role"] for run in runs] == ["tile"] * 4 + ["output"] + ["tile"] * 2 + ["output"]
    assert [(row["width"], row["height"]) for row in rows] == [(128, 128)] * 2
    assert [json.loads(row["upscale"])["passes"] for row in rows] == [4, 2]
    assert job["cost_seconds"] == pytest.approx(sum(row["cost_seconds"] for row in rows))
    assert job["wall_seconds"] == pytest.approx(job["cost_seconds"], abs=0.5)


class TinyTiler(scripts.Script):
    """A tile upscaler of no known name: two passes on its own p, then one save of a larger image."""

    def title(self) -> str:
        return "Tiny tiler"

    def show(self, is_img2img: bool) -> Any:
        return is_img2img

    def run(self, p: Any, *args: Any) -> Any:
        p.do_not_save_samples = True
        source = p.init_images[0]
        canvas = source.resize((source.width * 2, source.height))
        for column in range(2):
            p.init_images = [canvas.crop((64 * column, 0, 64 * column + 64, 64))]
            processed = processing.process_images(p)
            canvas.paste(processed.images[0], (64 * column, 0))
        images.save_image(canvas, p.outpath_samples, "", p.seed, p.prompt, shared.opts.samples_format, p=p)
        return processing.Processed(p, [canvas])


def test_any_script_with_the_tile_pattern_is_recognised(extension: LoadedExtension) -> None:
    runner = extension.runner(TinyTiler, is_img2img=True)
    args = default_script_args(runner)
    args[0] = 1
    img2img.run_img2img_ui(runner, {"prompt": "x", "init_images": [Image.new("RGB", (64, 64))], **SMALL}, args)
    [job] = extension.jobs()
    runs, [image] = job_rows(extension, job)
    assert (job["kind"], [run["role"] for run in runs]) == ("tile_upscale", ["tile", "tile", "output"])
    upscale = json.loads(image["upscale"])
    assert (upscale["script"], upscale["tile_width"], upscale["passes"], upscale["output_size"]) == (
        "Tiny tiler", 64, 2, [128, 64])


def test_passes_no_larger_save_follows_become_ordinary_runs_with_their_images(extension: LoadedExtension) -> None:
    register_ultimate_upscale()
    runner = extension.runner(is_img2img=True)
    init = Image.new("RGB", (64, 64), (0, 120, 60))
    img2img.run_img2img_ui(runner, {"prompt": "x", "init_images": [init], **SMALL},
                           usdu_args(runner, save_upscaled_image=False))
    [job] = extension.jobs()
    runs, rows = job_rows(extension, job)
    assert (job["kind"], job["image_count"]) == ("script", 4)
    assert [(run["role"], run["image_count"]) for run in runs] == [("run", 1)] * 4
    assert all(row["cost_seconds"] and row["infotext"] for row in rows)


def test_a_job_still_open_when_the_next_starts_is_closed(extension: LoadedExtension) -> None:
    from paramlab.webui import jobs

    runner = extension.runner()
    shared.state.begin(job="held")  # a request A1111 has not ended yet
    p = txt2img.txt2img_create_processing(runner, {"prompt": "held", **SMALL}, default_script_args(runner))
    processing.process_images(p)
    assert len(jobs.OPEN_JOBS) == 1
    txt2img.run_txt2img_ui(runner, {"prompt": "next", **SMALL})
    assert [job["status"] for job in extension.jobs()] == ["ok", "ok"]
    assert p.prompt == "held"  # still alive: the job was closed because the next one started


def test_a_job_ends_when_a1111_ends_the_request_even_while_its_p_lives_on(extension: LoadedExtension) -> None:
    runner = extension.runner()
    shared.state.begin(job="request")
    p = txt2img.txt2img_create_processing(runner, {"prompt": "kept", **SMALL}, default_script_args(runner))
    processing.process_images(p)
    shared.state.end()
    request_ended = utc_now()
    wait_until_jobs_close()
    [job] = extension.jobs()
    assert (job["status"], job["image_count"], p.prompt) == ("ok", 1, "kept")
    finished = job["finished_at"] if job["finished_at"].tzinfo else job["finished_at"].replace(tzinfo=timezone.utc)
    assert finished <= request_ended  # its last activity, not when the watcher looked
