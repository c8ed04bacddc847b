"""The "ParamLab A/B test" script in the A1111 stand-in: every variant on the same prompts and paired seeds as
one job, resumed after an interrupt without repeating a cell, and stopped before sampling on bad input."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from modules import processing, shared, txt2img
from modules._standin_ui import default_script_args
from modules.api import api
from webui_support import LoadedExtension

from paramlab.abtest.spec import SCRIPT_TITLE
from paramlab.ledger.reads.abtest import abtest_images, abtest_names
from paramlab.profiles import Profile
from paramlab.webui import runtime

SMALL = {"width": 64, "height": 64, "steps": 3}


@pytest.fixture
def extension(tmp_path: Path):
    loaded = LoadedExtension(tmp_path)
    runtime.profile_store().create(Profile(name="Fast draft", settings={"Steps": 2, "CFG scale": 5}))
    yield loaded
    loaded.close()


def abtest(**changes: Any) -> dict[str, Any]:
    return {"name": "night test", "variants": ["Fast draft", {"name": "Careful", "settings": {"Steps": 4}}],
            "prompts": ["a lighthouse", "a sailor"], "seeds": [11, 12, 13], **changes}


def run_api(extension: LoadedExtension, test: dict[str, Any]) -> dict[str, Any]:
    runner = extension.runner(extension.abtest_class)
    return api.text2imgapi(runner, {"prompt": "ignored", "script_name": SCRIPT_TITLE, "script_args": [test],
                                    **SMALL})


def interrupt_after(monkeypatch: pytest.MonkeyPatch, cells: int) -> list[int]:
    """Press Interrupt once ``cells`` cells have been made; returns the call counter."""
    calls, pressed = [0], []
    real = processing.process_images

    def counting(p: Any) -> Any:
        calls[0] += 1
        processed = real(p)
        if calls[0] == cells and not pressed:
            pressed.append(True)
            shared.state.interrupt()
        return processed

    monkeypatch.setattr(processing, "process_images", counting)
    return calls


def test_the_test_runs_interrupted_and_resumed_without_repeating_a_cell(
        extension: LoadedExtension, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = interrupt_after(monkeypatch, 5)
    progress: list[tuple[int, int]] = []
    real_nextjob = shared.state.nextjob
    monkeypatch.setattr(shared.state, "nextjob",
                        lambda: (real_nextjob(), progress.append((shared.state.job_no, shared.state.job_count))))
    first = run_api(extension, abtest())
    assert calls[0] == 5 and len(first["images"]) == 5
    assert progress[-1] == (5, 12)  # A1111's bar: 5 of 12 cells
    from paramlab.webui import runtime as rt

    assert rt.get_writer().flush(60)
    assert len(abtest_images(rt.get_ledger(), "night test")) == 5

    calls[0] = 0
    second = run_api(extension, abtest())
    assert calls[0] == 7 and len(second["images"]) == 7
    summary = json.loads(second["info"])["extra_generation_params"]["ParamLab A/B summary"]
    assert (summary["new_images"], summary["skipped_cells"], summary["remaining_cells"]) == (7, 5, 0)

    rows = [row for row in extension.rows() if "night test" in (row["extra_params"] or "")]
    cells = Counter((json.loads(row["extra_params"])["ParamLab A/B variant"], row["prompt"], row["seed"])
                    for row in rows)
    assert len(cells) == 12 and set(cells.values()) == {1}  # every cell once, none repeated
    by_variant = {variant: sorted((prompt, seed) for v, prompt, seed in cells if v == variant)
                  for variant in ("Fast draft", "Careful")}
    assert by_variant["Fast draft"] == by_variant["Careful"]  # paired: the same prompts and seeds
    assert {row["steps"] for row in rows if row["profile"] == "Fast draft"} == {2}
    assert {row["steps"] for row in rows if row["profile"] is None} == {4}
    jobs = [job for job in extension.jobs() if job["script_name"] == SCRIPT_TITLE]
    assert [(job["run_count"], job["image_count"]) for job in jobs] == [(5, 5), (7, 7)]
    assert json.loads(jobs[0]["script_args"])["name"] == "night test"
    assert abtest_names(rt.get_ledger()) == ["night test"]
    images = abtest_images(rt.get_ledger(), "night test")
    assert len(images) == 12

    calls[0] = 0
    third = run_api(extension, abtest())  # nothing left to make
    assert calls[0] == 0 and third["images"] == []


def test_the_ui_press_runs_the_test_too(extension: LoadedExtension) -> None:
    runner = extension.runner(extension.abtest_class)
    script = runner.selectable_scripts[0]
    args = default_script_args(runner)
    args[0] = 1
    args[script.args_from] = abtest(prompts=["a lighthouse"], seeds=[5])
    processed = txt2img.run_txt2img_ui(runner, {"prompt": "x", "width": 64, "height": 64}, args)
    assert len(processed.images) == 2
    assert runtime.get_writer().flush(60)
    images = abtest_images(runtime.get_ledger(), "night test")
    assert sorted(image.variant for image in images) == ["Careful", "Fast draft"]
    assert {(image.prompt, image.seed) for image in images} == {("a lighthouse", 5)}


@pytest.mark.parametrize(("changes", "message"), [
    ({"variants": ["Fast draft", "No such profile"]}, "No such profile"),
    ({"prompts": []}, "the prompt list is empty"),
    ({"prompts": ["  ", ""]}, "the prompt list is empty"),
    ({"seeds": None, "seed_count": 0}, "0 seeds"),
    ({"seeds": None, "seed_count": 200}, "more than the maximum of 200 without confirmation"),
    ({"variants": ["Fast draft"]}, "2–8 variants"),
    ({"variants": "Fast draft"}, "must be a list"),
    ({"colour": "red"}, "unknown A/B test key 'colour'"),
])
def test_input_errors_stop_before_any_sampling(extension: LoadedExtension, monkeypatch: pytest.MonkeyPatch,
                                              changes: dict[str, Any], message: str) -> None:
    calls = interrupt_after(monkeypatch, 10_000)
    answer = run_api(extension, abtest(**changes))
    assert calls[0] == 0 and answer["images"] == []
    info = json.loads(answer["info"])
    assert message in info["extra_generation_params"]["ParamLab error"]
    assert extension.rows() == []


def test_a_large_test_runs_when_confirmed(extension: LoadedExtension, monkeypatch: pytest.MonkeyPatch) -> None:
    interrupt_after(monkeypatch, 3)  # stop early: only that it starts matters here
    answer = run_api(extension, abtest(seeds=None, seed_count=200, confirm=True))
    assert len(answer["images"]) == 3


def test_the_panels_profile_never_replaces_a_variants_settings(extension: LoadedExtension) -> None:
    runner = extension.runner(extension.abtest_class)
    api.text2imgapi(runner, {"prompt": "x", "script_name": SCRIPT_TITLE, "script_args": [abtest(seeds=[3])],
                             "alwayson_scripts": {"ParamLab": {"args": [{"profile": "Fast draft"}]}}, **SMALL})
    rows = extension.rows()
    steps = {json.loads(row["extra_params"])["ParamLab A/B variant"]: row["steps"] for row in rows}
    assert steps == {"Fast draft": 2, "Careful": 4}
