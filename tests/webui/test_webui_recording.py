"""The real adapter recording runs inside the A1111 stand-in: UI, API, img2img, X/Y/Z, faults."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any

import pytest
from host_fixture import register_xyz
from modules import errors, processing, scripts, shared, txt2img
from modules._standin_ui import default_script_args, script_args_with
from modules.api import api
from webui_support import LoadedExtension

SMALL = {"width": 64, "height": 64}


class StateChanger(scripts.Script):
    """Interrupts or skips at a chosen batch, as the UI's buttons do mid-sampling."""

    action: str | None = None
    at_batch = 0

    def title(self) -> str:
        return "State changer"

    def show(self, is_img2img: bool) -> Any:
        return scripts.AlwaysVisible

    def process_batch(self, p: Any, *args: Any, **kwargs: Any) -> None:
        if kwargs.get("batch_number") == self.at_batch:
            getattr(shared.state, self.action or "nothing")()


def test_ui_txt2img_with_hires_records_every_image_with_its_cost(extension: LoadedExtension) -> None:
    runner = extension.runner()
    ui = {"prompt": "kaito on a rooftop", "n_iter": 2, "batch_size": 2, "enable_hr": True, "hr_scale": 1.5,
          "hr_upscaler": "Latent", "hr_second_pass_steps": 8, "denoising_strength": 0.4, **SMALL}
    args = script_args_with(runner, {"Sampler": [12, "Heun", "Karras"], "Seed": [1234]})
    processed = txt2img.run_txt2img_ui(runner, ui, args)

    [run] = extension.runs()
    rows = extension.rows()
    assert (run["tab"], run["source"], run["status"], run["image_count"]) == ("txt2img", "ui", "ok", 4)
    assert (run["batch_count"], run["batch_size"]) == (2, 2)
    assert run["first_pass_seconds"] > 0 and run["hires_seconds"] > 0 and run["vae_decode_seconds"] is None
    assert run["paramlab_version"] and run["host_name"] and run["device_name"] == "cpu"
    assert [row["seed"] for row in rows] == processed.all_seeds == [1234, 1235, 1236, 1237]
    assert [row["infotext"] for row in rows] == processed.infotexts[1:]  # the grid is never a row
    row = rows[0]
    assert (row["sampler"], row["scheduler"], row["steps"], row["cfg_scale"]) == ("Heun", "Karras", 12, 7.0)
    assert (row["hires_enabled"], row["hires_scale"], row["hires_steps"], row["hires_denoising"]) == (True, 1.5, 8, 0.4)
    assert row["model_evaluations"] == (2 * 12 - 1) + (2 * 8 - 1)  # Heun: twice per step but the last, both passes
    assert row["megapixel_steps"] == pytest.approx(12 * 64 * 64 / 1e6 + 8 * 96 * 96 / 1e6)
    assert sum(r["cost_seconds"] for r in rows) == pytest.approx(run["wall_seconds"], rel=1e-6)
    assert Path(row["image_path"]).is_file() and row["thumbnail_path"] is None
    assert row["image_sha256"] == hashlib.sha256(Path(row["image_path"]).read_bytes()).hexdigest()
    assert errors.reported == []


def test_ui_records_the_values_builtin_setup_wrote_not_the_defaults(extension: LoadedExtension) -> None:
    runner = extension.runner()
    args = script_args_with(runner, {"Sampler": [7, "DPM++ 2M", "Automatic"], "Seed": [99]})
    txt2img.run_txt2img_ui(runner, {"prompt": "x", **SMALL}, args)
    [row] = extension.rows()
    assert (row["steps"], row["sampler"], row["seed"]) == (7, "DPM++ 2M", 99)


def test_api_run_is_recorded_with_a_thumbnail_when_not_saved(extension: LoadedExtension) -> None:
    runner = extension.runner()
    api.text2imgapi(runner, {"prompt": "api prompt", "steps": 5, "batch_size": 2, "seed": 5,
                             "alwayson_scripts": {"paramlab": {"args": [{"record": True}]}}, **SMALL})
    [run] = extension.runs()
    rows = extension.rows()
    assert run["source"] == "api" and len(rows) == 2
    assert all(r["image_path"] is None and r["thumbnail_path"] is None for r in rows)
    assert extension.images_with_thumbnails() == {r["id"] for r in rows}  # kept in the ledger itself
    assert rows[0]["steps"] == 5 and rows[0]["seed"] == 5


def test_record_false_per_run_and_the_settings_toggle_turn_recording_off(extension: LoadedExtension) -> None:
    runner = extension.runner()
    api.text2imgapi(runner, {"prompt": "x", "alwayson_scripts": {"ParamLab": {"args": [{"record": False}]}}, **SMALL})
    no_record = script_args_with(runner, {"ParamLab": [{"record": False}]})
    txt2img.run_txt2img_ui(runner, {"prompt": "y", **SMALL}, no_record)
    shared.opts.set("paramlab_record", False)
    api.text2imgapi(runner, {"prompt": "z", **SMALL})
    shared.opts.set("paramlab_record", True)
    api.text2imgapi(runner, {"prompt": "recorded", **SMALL})
    assert [row["prompt"] for row in extension.rows()] == ["recorded"]


def test_invalid_api_args_stop_the_run_before_sampling_and_say_why(extension: LoadedExtension, caplog) -> None:
    runner = extension.runner()
    caplog.set_level(logging.ERROR, logger="paramlab")
    out = api.text2imgapi(runner, {"prompt": "x", "alwayson_scripts": {"ParamLab": {"args": [{"recrd": False}]}},
                                   **SMALL})
    assert out["images"] == [] and "unknown key 'recrd'" in out["info"]
    [run] = extension.runs()
    assert run["status"] == "interrupted"
    assert "unknown key 'recrd'" in run["error"] and "Valid keys: record" in run["error"]
    assert any("unknown key 'recrd'" in record.getMessage() for record in caplog.records)


def test_img2img_records_denoising_and_the_steps_actually_run(extension: LoadedExtension) -> None:
    from modules import img2img
    from PIL import Image

    runner = extension.runner(is_img2img=True)
    init = Image.new("RGB", (64, 64), (10, 200, 10))
    args = script_args_with(runner, {"Sampler": [20, "Euler a", "Automatic"]})
    img2img.run_img2img_ui(runner, {"prompt": "x", "init_images": [init], "denoising_strength": 0.5, **SMALL}, args)
    [run] = extension.runs()
    [row] = extension.rows()
    assert run["tab"] == "img2img" and row["denoising_strength"] == 0.5 and row["hires_enabled"] is False
    assert row["model_evaluations"] == 11  # int(0.5 × 20) + 1 steps, one evaluation each


def test_interrupted_run_is_recorded_with_its_status(extension: LoadedExtension) -> None:
    StateChanger.action, StateChanger.at_batch = "interrupt", 0
    runner = extension.runner(StateChanger)
    txt2img.run_txt2img_ui(runner, {"prompt": "x", "n_iter": 3, **SMALL})
    [run] = extension.runs()
    assert run["status"] == "interrupted"
    assert {row["status"] for row in extension.rows()} <= {"interrupted"}


def test_skipped_batch_is_marked_and_the_run_goes_on(extension: LoadedExtension) -> None:
    StateChanger.action, StateChanger.at_batch = "skip", 0
    runner = extension.runner(StateChanger)
    txt2img.run_txt2img_ui(runner, {"prompt": "x", "n_iter": 2, **SMALL})
    [run] = extension.runs()
    assert run["status"] == "skipped"
    assert [row["status"] for row in extension.rows()] == ["skipped", "ok"]


def test_every_xyz_cell_is_a_run_from_the_script(extension: LoadedExtension) -> None:
    register_xyz()
    runner = extension.runner()
    xyz = runner.selectable_scripts[0]
    args = default_script_args(runner)
    args[0] = 1
    steps_axis = [option.label for option in xyz.current_axis_options].index("Steps")
    args[xyz.args_from: xyz.args_from + 2] = [steps_axis, "3, 5, 8"]
    txt2img.run_txt2img_ui(runner, {"prompt": "x", **SMALL}, args)
    runs = extension.runs()
    assert [(r["source"], r["script_name"]) for r in runs] == [("script", "X/Y/Z plot")] * 3
    assert [row["steps"] for row in extension.rows()] == [3, 5, 8]


def test_a_run_that_raises_is_recorded_as_failed_with_its_error(extension: LoadedExtension, monkeypatch) -> None:
    runner = extension.runner()

    def broken_sample(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("CUDA out of memory (simulated)")

    monkeypatch.setattr(processing.StableDiffusionProcessingTxt2Img, "sample", broken_sample)
    with pytest.raises(RuntimeError, match="out of memory"):
        txt2img.run_txt2img_ui(runner, {"prompt": "x", **SMALL})
    [run] = extension.runs()
    assert (run["status"], run["error_type"], run["error"]) == ("failed", "RuntimeError",
                                                              "CUDA out of memory (simulated)")


def test_a_paramlab_fault_never_breaks_the_generation(extension: LoadedExtension, monkeypatch, caplog) -> None:
    from paramlab.webui import recorder

    def broken(*args: Any, **kwargs: Any) -> None:
        raise ValueError("bug in ParamLab")

    monkeypatch.setattr(recorder.RunRecorder, "image_done", broken)
    caplog.set_level(logging.ERROR, logger="paramlab")
    runner = extension.runner()
    for _ in range(3):
        processed = txt2img.run_txt2img_ui(runner, {"prompt": "x", "batch_size": 2, **SMALL})
        assert len(processed.images) == 3
    assert len([r for r in caplog.records if "bug in ParamLab" in r.getMessage()]) == 1
    assert errors.reported == []


def test_unusable_ledger_path_reports_once_and_generation_completes(extension: LoadedExtension, caplog) -> None:
    from modules import shared_cmd_options

    import preload

    not_a_database = extension.data_dir / "notes.txt"
    not_a_database.write_text("precious notes")
    shared_cmd_options.load_preload(preload.preload)
    shared.cmd_opts.paramlab_db = str(not_a_database)
    caplog.set_level(logging.ERROR, logger="paramlab")
    runner = extension.runner()
    for _ in range(3):
        assert len(txt2img.run_txt2img_ui(runner, {"prompt": "x", **SMALL}).images) == 1
    from paramlab.webui import runtime

    assert not runtime.get_writer().flush(0.5)
    assert len([r for r in caplog.records if "not an SQLite database" in r.getMessage()]) == 1
    assert not_a_database.read_text() == "precious notes"


def test_preload_flag_and_settings_entry_choose_the_ledger(extension: LoadedExtension) -> None:
    from modules import shared_cmd_options

    import preload
    from paramlab.webui import runtime

    assert runtime.ledger_url().database == str(extension.data_dir / "paramlab" / "ledger.sqlite")
    shared.opts.set("paramlab_db", str(extension.data_dir / "from-settings.sqlite"))
    assert runtime.ledger_url().database.endswith("from-settings.sqlite")
    shared_cmd_options.load_preload(preload.preload)
    shared.cmd_opts.paramlab_db = str(extension.data_dir / "from-flag.sqlite")
    assert runtime.ledger_url().database.endswith("from-flag.sqlite")


def test_ui_builds_in_real_gradio_and_the_checkbox_updates_the_one_arg(extension: LoadedExtension) -> None:
    import gradio as gr

    from paramlab.webui.script import compose_args

    runner = extension.runner()
    script = runner.title_map["paramlab"]
    assert script.args_to - script.args_from == 1
    [state] = runner.inputs[script.args_from: script.args_to]
    assert isinstance(state, gr.State) and state.value == {"record": True, "profile": None, "seed_lock": None}
    assert compose_args(False, "Balanced", False) == {"record": False, "profile": None}
    assert compose_args(True, "Balanced", True) == {"record": True, "profile": "Balanced"}
    assert script.elem_id("record") == "script_txt2img_paramlab_record"


class LedgerPeek(scripts.Script):
    """Looks at the ledger from inside a run, as another program would while the WebUI works."""

    seen: list[tuple[str, int]] = []

    def title(self) -> str:
        return "Ledger peek"

    def show(self, is_img2img: bool) -> Any:
        return scripts.AlwaysVisible

    def process_batch(self, p: Any, *args: Any, **kwargs: Any) -> None:
        import sqlite3

        from paramlab.ledger.urls import sqlite_path
        from paramlab.webui import runtime

        assert runtime.get_writer().flush(10, background=False)  # figures wait until the host is idle
        connection = sqlite3.connect(sqlite_path(runtime.ledger_url()))
        try:
            self.seen.append(connection.execute(
                "SELECT status, (SELECT count(*) FROM images) FROM runs ORDER BY id DESC").fetchone())
        finally:
            connection.close()


def test_rows_are_written_as_the_run_goes_not_only_at_its_end(extension: LoadedExtension) -> None:
    """A crash mid-run must find the run and every finished batch already in the ledger."""
    LedgerPeek.seen = []
    runner = extension.runner(LedgerPeek)
    result = api.text2imgapi(runner, {"prompt": "x", "steps": 3, "batch_size": 2, "n_iter": 3, **SMALL})
    assert len(result["images"]) == 3 * 2
    assert LedgerPeek.seen == [("running", 0), ("running", 2), ("running", 4)]
    [run] = extension.runs()
    assert (run["status"], run["image_count"]) == ("ok", 6)
    rows = extension.rows()
    assert all(row["infotext"] and row["cost_seconds"] for row in rows)  # the end of the run filled them in
    assert sum(row["cost_seconds"] for row in rows) == pytest.approx(run["wall_seconds"])
