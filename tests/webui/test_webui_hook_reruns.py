"""Another extension re-running every always-on script's hooks on a copy of ``p`` (as ADetailer does after
each batch) must not open a second run: the lab saw every ADetailer generation end as a failed job."""

from __future__ import annotations

from copy import copy
from typing import Any

from modules import processing, scripts, txt2img
from modules._standin_ui import script_args_with
from modules.api import api
from webui_support import LoadedExtension

SMALL = {"width": 64, "height": 64}


class HookReplayer(scripts.Script):
    """ADetailer's pattern (scripts/!adetailer.py, 25.3.0): at the first image of a batch, ``postprocess`` on a
    copy with an empty result; at its last image, ``before_process`` and ``process`` on another copy."""

    calls = 0

    def title(self) -> str:
        return "Hook replayer"

    def show(self, is_img2img: bool) -> Any:
        return scripts.AlwaysVisible

    def postprocess_image(self, p: Any, pp: Any, *args: Any) -> None:
        HookReplayer.calls += 1
        p.scripts.postprocess(copy(p), processing.Processed(p, []))
        rerun = copy(p)
        p.scripts.before_process(rerun)
        p.scripts.process(rerun)


def test_hooks_rerun_on_a_copy_add_no_run_and_leave_the_job_ok(extension: LoadedExtension) -> None:
    HookReplayer.calls = 0
    runner = extension.runner(HookReplayer)
    for _ in range(2):
        api.text2imgapi(runner, {"prompt": "a knight", "steps": 4, "batch_size": 2, "n_iter": 2, "seed": 3,
                                 "alwayson_scripts": {"paramlab": {"args": [{"record": True}]}}, **SMALL})
    assert HookReplayer.calls == 8  # it really re-ran the hooks, once per image
    runs, jobs = extension.runs(), extension.jobs()
    assert [(run["status"], run["image_count"]) for run in runs] == [("ok", 4), ("ok", 4)]
    assert [(job["status"], job["run_count"]) for job in jobs] == [("ok", 1), ("ok", 1)]


def test_an_xyz_style_copy_after_the_run_ended_is_a_run_of_its_own(extension: LoadedExtension) -> None:
    runner = extension.runner()
    args = script_args_with(runner, {"Seed": [5]})
    txt2img.run_txt2img_ui(runner, {"prompt": "x", **SMALL}, args)
    txt2img.run_txt2img_ui(runner, {"prompt": "y", **SMALL}, args)  # the same script_args object again
    assert [run["status"] for run in extension.runs()] == ["ok", "ok"]
