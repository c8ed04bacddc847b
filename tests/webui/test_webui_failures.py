"""Failed generations in the A1111 stand-in: A1111's NaN check and an out-of-memory error in the middle of a
batch are ``failed`` runs and jobs at once, with A1111's error, the failing batch's settings and the time;
the next request is a job of its own; nothing waits for the garbage collector or a restart, and start-up
recovery never turns a failed run into an interrupted one.

The NaN comes the way a real model's does: the UNet's output (here through ``on_cfg_denoised``, which may
replace it) is NaN, and the stand-in's ``process_images_inner`` runs A1111's ``devices.test_for_nans``."""

from __future__ import annotations

import gc
import json
import logging
from collections.abc import Iterator
from typing import Any

import gradio as gr
import pytest
import torch
from host_fixture import register_xyz
from modules import _standin_sampling, devices, processing, script_callbacks, sd_samplers, shared, txt2img
from modules._standin_ui import default_script_args
from modules.api import api
from webui_support import LoadedExtension, ledger_table, wait_until_jobs_close

from paramlab.ledger import Ledger, recovery
from paramlab.ledger.reads.jobs import list_jobs
from paramlab.profiles.stats import profile_figures
from paramlab.tab.jobs.view import build_jobs_view
from paramlab.webui import failures, jobs, recorder, runtime, script, xyz_axis
from paramlab.webui.profile_actions import figures_text

SMALL = {"width": 64, "height": 64}
LIGHTHOUSE = {"prompt": "a lighthouse at dusk", "seed": 7, "cfg_scale": 9, "sampler_name": "Euler a", "steps": 4,
              **SMALL}  # the lab's NaN request (its tiny model fails it; here on_cfg_denoised does)
OUT_OF_MEMORY = ("CUDA out of memory. Tried to allocate 2.50 GiB. GPU 0 has a total capacity of 7.79 GiB of which "
                 "1.12 GiB is free.")


@pytest.fixture
def no_gc() -> Iterator[None]:
    """Nothing may depend on the collector finding a dead ``p``: the rows must be right at once."""
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def nan_in_unet(batches: set[int] | None = None) -> Any:
    """From now on the UNet's output is NaN (in the given batches of each request, or in every one); returns
    the callback, to remove it again."""

    def poison(params: Any) -> None:
        if batches is None or shared.state.job_no in batches:
            params.x = torch.full_like(params.x, float("nan"))

    script_callbacks.on_cfg_denoised(poison, name="test_nan_in_unet")
    return poison


table = ledger_table  # the table as the ledger holds it now (the writer drained; no garbage collection first)


def test_a_nan_and_an_out_of_memory_mid_batch_are_failed_runs_with_their_errors(
        extension: LoadedExtension, monkeypatch: pytest.MonkeyPatch, no_gc: None) -> None:
    runner = extension.runner()
    poison = nan_in_unet({1})
    with pytest.raises(devices.NansException) as nan:
        api.text2imgapi(runner, {**LIGHTHOUSE, "n_iter": 3, "batch_size": 2})
    script_callbacks.remove_callbacks_for_function(poison)

    sample = _standin_sampling.run_sampler

    def out_of_memory(p: Any, *args: Any, **kwargs: Any) -> Any:  # the sampler, out of memory in batch 2
        if p.iteration == 1:
            raise torch.cuda.OutOfMemoryError(OUT_OF_MEMORY)
        return sample(p, *args, **kwargs)

    monkeypatch.setattr(_standin_sampling, "run_sampler", out_of_memory)
    with pytest.raises(torch.cuda.OutOfMemoryError) as oom:
        txt2img.run_txt2img_ui(runner, {"prompt": "a big poster", "n_iter": 2, "batch_size": 2, **SMALL})

    assert jobs.OPEN_JOBS == []  # both closed already, though both p still live in the tracebacks held here
    runs, job_rows, images = table("runs"), table("jobs"), table("images")
    assert [(r["status"], r["error_type"], r["error"], r["image_count"]) for r in runs] == [
        ("failed", "NansException", str(nan.value), 2), ("failed", "OutOfMemoryError", OUT_OF_MEMORY, 2)]
    assert runs[0]["error"].startswith("A tensor with NaNs was produced in Unet. This could be either")
    assert [(j["status"], j["error_type"], j["error"], j["run_count"], j["image_count"]) for j in job_rows] == [
        ("failed", "NansException", str(nan.value), 1, 2), ("failed", "OutOfMemoryError", OUT_OF_MEMORY, 1, 2)]
    nan_settings, oom_settings = (json.loads(run["settings"]) for run in runs)
    assert nan_settings == {"failed_in": "batch 2 of 3", "sampler": "Euler a", "scheduler": "Automatic", "steps": 4,
                            "cfg_scale": 9.0,
                            "width": 64, "height": 64, "batch_size": 2, "seed": 9, "seeds": [9, 10],
                            "prompt": "a lighthouse at dusk"}
    assert (oom_settings["failed_in"], oom_settings["sampler"], oom_settings["prompt"]) == (
        "batch 2 of 2", "DPM++ 2M", "a big poster")
    for run, job in zip(runs, job_rows):
        assert run["finished_at"] >= run["started_at"] and run["wall_seconds"] > 0
        assert job["finished_at"] is not None and job["wall_seconds"] > 0
    assert [(image["seed"], image["status"]) for image in images[:2]] == [(7, "ok"), (8, "ok")]  # batch 1 kept
    assert nan.value is not None and oom.value is not None  # (keeps both tracebacks, and so both p, alive)


def test_two_api_requests_failing_with_nan_are_two_failed_jobs_at_once(extension: LoadedExtension,
                                                                       no_gc: None) -> None:
    runner = extension.runner()
    poison = nan_in_unet()
    failures = []
    for _ in range(2):
        with pytest.raises(devices.NansException) as failed:
            api.text2imgapi(runner, dict(LIGHTHOUSE))
        failures.append(failed)
        assert jobs.OPEN_JOBS == []
    assert [(j["status"], j["error_type"], j["run_count"], j["finished_at"] is not None) for j in table("jobs")] == [
        ("failed", "NansException", 1, True)] * 2
    script_callbacks.remove_callbacks_for_function(poison)
    api.text2imgapi(runner, {**LIGHTHOUSE, "prompt": "a knight, dramatic lighting"})
    job_rows = table("jobs")
    assert [(j["status"], j["run_count"], j["image_count"]) for j in job_rows] == [
        ("failed", 1, 0), ("failed", 1, 0), ("ok", 1, 1)]
    assert all(j["error"].startswith("A tensor with NaNs was produced in Unet.") for j in job_rows[:2])
    assert len(failures) == 2


def test_a_failed_run_is_never_marked_interrupted_at_restart(extension: LoadedExtension,
                                                             monkeypatch: pytest.MonkeyPatch, no_gc: None) -> None:
    runner = extension.runner()
    nan_in_unet({1})
    with pytest.raises(devices.NansException) as failed:  # its p lives on (the traceback), as in the WebUI
        api.text2imgapi(runner, {**LIGHTHOUSE, "n_iter": 2})
    table("runs")  # written
    monkeypatch.setattr(recovery, "is_gone", lambda identity: True)  # as if this WebUI had died meanwhile
    ledger = Ledger.open(runtime.ledger_url())
    try:
        report = recovery.recover_dead_runs(ledger)
    finally:
        ledger.close()
    assert (report.runs, report.jobs) == ([], [])
    assert [r["status"] for r in table("runs")] == ["failed"] and [j["status"] for j in table("jobs")] == ["failed"]
    assert failed.value is not None


def test_an_error_before_the_generation_loop_ends_its_run_when_the_next_request_starts(
        extension: LoadedExtension, monkeypatch: pytest.MonkeyPatch, no_gc: None) -> None:
    runner = extension.runner()
    fix = sd_samplers.fix_p_invalid_sampler_and_scheduler

    def checkpoint_fails(p: Any) -> None:  # process_images raises after before_process, outside its inner loop
        raise RuntimeError("Error(s) in loading state_dict")

    monkeypatch.setattr(sd_samplers, "fix_p_invalid_sampler_and_scheduler", checkpoint_fails)
    with pytest.raises(RuntimeError) as failed:
        api.text2imgapi(runner, dict(LIGHTHOUSE))
    monkeypatch.setattr(sd_samplers, "fix_p_invalid_sampler_and_scheduler", fix)
    api.text2imgapi(runner, dict(LIGHTHOUSE))
    job_rows, runs = table("jobs"), table("runs")
    assert [(j["status"], j["run_count"]) for j in job_rows] == [("failed", 1), ("ok", 1)]
    assert runs[0]["status"] == "failed" and runs[0]["error"] == jobs.UNSEEN_FAILURE
    assert failed.value is not None


def test_at_shutdown_a_run_whose_request_ended_is_failed_not_left_running(
        extension: LoadedExtension, monkeypatch: pytest.MonkeyPatch, no_gc: None) -> None:
    runner = extension.runner()

    def checkpoint_fails(p: Any) -> None:
        raise RuntimeError("Error(s) in loading state_dict")

    monkeypatch.setattr(sd_samplers, "fix_p_invalid_sampler_and_scheduler", checkpoint_fails)
    with pytest.raises(RuntimeError) as failed:
        txt2img.run_txt2img_ui(runner, {"prompt": "a lighthouse at dusk", **SMALL})
    runtime.shutdown()
    assert [(j["status"], j["error"]) for j in table("jobs")] == [("failed", jobs.UNSEEN_FAILURE)]
    assert failed.value is not None


def test_a_failing_xyz_cell_keeps_its_place_and_fails_the_plot(extension: LoadedExtension, no_gc: None) -> None:
    register_xyz()
    assert xyz_axis.register_axis()  # on_before_ui: cells note their place
    runner = extension.runner()
    xyz = runner.selectable_scripts[0]
    args = default_script_args(runner)
    args[0] = 1
    steps_axis = [option.label for option in xyz.current_axis_options].index("Steps")
    args[xyz.args_from: xyz.args_from + 2] = [steps_axis, "3, 5"]
    nan_in_unet({1})  # the second cell
    with pytest.raises(devices.NansException):
        txt2img.run_txt2img_ui(runner, {"prompt": "x", **SMALL}, args)
    wait_until_jobs_close()
    [job] = table("jobs")
    ok, failed = table("runs")
    assert (job["status"], job["error_type"], job["run_count"]) == ("failed", "NansException", 2)
    assert (ok["status"], failed["status"]) == ("ok", "failed")
    settings = json.loads(failed["settings"])
    assert settings["steps"] == 5 and settings["xyz_cell"]["x"] == 1  # what failed, and where in the plot


def test_failures_are_filterable_and_counted_in_the_profile_figures(extension: LoadedExtension, no_gc: None) -> None:
    runner = extension.runner()
    with_profile = {"alwayson_scripts": {"ParamLab": {"args": [{"profile": "Balanced"}]}}}
    api.text2imgapi(runner, {**LIGHTHOUSE, "prompt": "a knight", **with_profile})
    nan_in_unet()
    with pytest.raises(devices.NansException):
        api.text2imgapi(runner, {**LIGHTHOUSE, **with_profile})
    runs = table("runs")
    assert [(r["status"], r["profile"]) for r in runs] == [("ok", "Balanced"), ("failed", "Balanced")]
    ledger = Ledger.open(runtime.ledger_url())
    try:
        figures = profile_figures(ledger)["balanced"]
        failed_jobs, total = list_jobs(ledger, status="failed")
        with gr.Blocks():
            view = build_jobs_view(lambda: ledger)
        [shown] = view.refresh("failed")
    finally:
        ledger.close()
    assert (figures.generations, figures.runs, figures.failed_runs) == (1, 2, 1)
    assert figures.failures_text() == "1 of 2 runs failed: NaN in Unet"
    assert figures_text(figures).endswith("; 1 of 2 runs failed: NaN in Unet.")  # the panel's preview
    assert total == 1 and failed_jobs[0]["error_type"] == "NansException"
    assert "failed: NaN in Unet" in shown and shown.count("data-job-id") == 1


@pytest.mark.filterwarnings("ignore:invalid value encountered in cast")  # A1111 casts the NaNs alike
def test_with_the_nan_check_off_the_image_is_made_and_the_run_is_ok(extension: LoadedExtension) -> None:
    shared.cmd_opts.disable_nan_check = True  # A1111's --disable-nan-check
    runner = extension.runner()
    nan_in_unet()
    out = api.text2imgapi(runner, dict(LIGHTHOUSE))
    assert len(out["images"]) == 1 and [r["status"] for r in table("runs")] == ["ok"]


def test_the_watch_is_installed_once_and_a_paramlab_fault_leaves_a1111s_error_as_it_is(
        extension: LoadedExtension, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger="paramlab")
    watched = processing.process_images_inner
    assert failures.is_watched(watched) and not failures.is_watched(watched.__wrapped__)
    failures.install(script.run_failed)  # "Reload UI" loads the script file again
    assert processing.process_images_inner is watched

    def broken(*args: Any, **kwargs: Any) -> None:
        raise ValueError("bug in ParamLab")

    monkeypatch.setattr(recorder.RunRecorder, "fail", broken)
    nan_in_unet()
    with pytest.raises(devices.NansException, match="^A tensor with NaNs was produced in Unet"):
        api.text2imgapi(extension.runner(), dict(LIGHTHOUSE))
    assert "could not record a failed generation (bug in ParamLab)" in caplog.text


def test_the_jobs_route_lists_the_failed_jobs(extension: LoadedExtension, no_gc: None) -> None:
    from test_webui_api_routes import start_app

    client = start_app()
    runner = extension.runner()
    api.text2imgapi(runner, {**LIGHTHOUSE, "prompt": "a knight"})
    poison = nan_in_unet()
    with pytest.raises(devices.NansException) as failed:
        api.text2imgapi(runner, dict(LIGHTHOUSE))
    script_callbacks.remove_callbacks_for_function(poison)
    table("jobs")  # written
    answer = client.get("/paramlab/v1/jobs", params={"status": "failed"}).json()
    assert answer["total"] == 1 and answer["jobs"][0]["error"] == str(failed.value)
    assert answer["jobs"][0]["error_type"] == "NansException"
    assert client.get("/paramlab/v1/jobs").json()["total"] == 2
    refused = client.get("/paramlab/v1/jobs", params={"status": "broken"})
    assert refused.status_code == 422 and "no job status" in refused.text
