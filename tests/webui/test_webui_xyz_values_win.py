"""An X/Y/Z plot runs exactly the values it is labelled with: a series, its profile, a profile applied at
generation and a locked seed never replace what an axis sets (issue 11, item 1)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from host_fixture import register_xyz
from modules import script_callbacks, txt2img
from modules._standin_ui import script_args_with
from webui_support import LoadedExtension

from paramlab.profiles import Profile
from paramlab.seeds import Series
from paramlab.webui import profile_panel, runtime

SMALL = {"width": 64, "height": 64}


@pytest.fixture
def extension(tmp_path: Path):
    loaded = LoadedExtension(tmp_path)
    profile_panel.PENDING_PANELS.clear()
    register_xyz()
    script_callbacks.before_ui_callback()  # ParamLab's axis, and every axis notes what it sets
    runtime.profile_store().create(Profile(name="Sailor draft", settings={"Steps": 8, "CFG scale": 6}))
    runtime.series_store().create(Series(name="Kaito", seed=12345, profile="Sailor draft",
                                         prompt_fragment="kaito, blue hair"))
    yield loaded
    loaded.close()


def run_grid(extension: LoadedExtension, axis: str, values: str, paramlab: dict[str, Any],
             **fields: Any) -> list[dict[str, Any]]:
    """One txt2img press (Steps 20, CFG 7) with the X/Y/Z plot selected (X axis only) and the panel's one arg."""
    runner = extension.runner()
    xyz = runner.selectable_scripts[0]
    args = script_args_with(runner, {"ParamLab": [paramlab]})
    args[0] = 1 + runner.selectable_scripts.index(xyz)
    axis_index = [option.label for option in xyz.current_axis_options].index(axis)
    args[xyz.args_from: xyz.args_from + 2] = [axis_index, values]
    txt2img.run_txt2img_ui(runner, {"prompt": "on a rooftop", "cfg_scale": 7.0, **SMALL, **fields},
                           args)
    return extension.rows()


def test_a_series_fixes_only_the_seed_and_the_cfg_axis_runs_its_values(extension: LoadedExtension) -> None:
    """The reported case: series with a profile selected, Apply at generation unticked, CFG "3,7,12"."""
    panel = {"record": True, "profile": None, "seed_lock": {"policy": "increment", "series": "Kaito"}}
    rows = run_grid(extension, "CFG Scale", "3,7,12", panel)
    assert [row["cfg_scale"] for row in rows] == [3.0, 7.0, 12.0]
    assert {(row["steps"], row["seed"], row["series"], row["profile"]) for row in rows} == {(20, 12345, "Kaito", None)}
    assert all(row["prompt"] == "on a rooftop, kaito, blue hair" for row in rows)


def test_a_profile_applied_at_generation_keeps_the_axis_values_even_equal_to_the_field(
        extension: LoadedExtension) -> None:
    """CFG 7 in the grid is the axis's value even though the field says 7 too: the profile's CFG 6 never runs."""
    panel = {"record": True, "profile": "Sailor draft", "seed_lock": {"policy": "increment", "series": "Kaito"}}
    rows = run_grid(extension, "CFG Scale", "3,7", panel)
    assert [(row["cfg_scale"], row["steps"], row["profile"]) for row in rows] == [
        (3.0, 8, "Sailor draft"), (7.0, 8, "Sailor draft")]


def test_a_steps_axis_beats_the_profile_and_the_console_says_so(extension: LoadedExtension, caplog) -> None:
    panel = {"record": True, "profile": "Sailor draft", "seed_lock": None}
    with caplog.at_level("INFO", logger="paramlab"):
        rows = run_grid(extension, "Steps", "4,8", panel)
    assert [(row["steps"], row["cfg_scale"]) for row in rows] == [(4, 6.0), (8, 6.0)]
    assert all(row["profile"] == "Sailor draft" for row in rows)
    assert "the X/Y/Z axis sets Steps in this grid, so profile 'Sailor draft' does not change it" in caplog.text


def test_the_axis_note_reaches_a_webui_console_that_shows_warnings_only(extension: LoadedExtension, caplog,
                                                                        monkeypatch) -> None:
    """A1111 1.10.1 and Forge configure no logging unless --loglevel/SD_WEBUI_LOG_LEVEL is given: Python's
    last-resort handler then prints WARNING and up only, so an INFO note never reached the real console."""
    from paramlab.webui import script

    monkeypatch.setattr(script, "_axis_notes_logged", set())  # noted once per process: not by an earlier test
    with caplog.at_level("WARNING", logger="paramlab"):
        run_grid(extension, "Steps", "4,8", {"record": True, "profile": "Sailor draft", "seed_lock": None})
    assert "the X/Y/Z axis sets Steps in this grid, so profile 'Sailor draft' does not change it" in caplog.text


def test_a_seed_axis_beats_a_locked_seed(extension: LoadedExtension) -> None:
    panel = {"record": True, "profile": None, "seed_lock": {"policy": "same", "seed": 99}}
    rows = run_grid(extension, "Seed", "5,6", panel)
    assert [row["seed"] for row in rows] == [5, 6]


def test_the_api_series_no_longer_applies_its_profile_unasked(extension: LoadedExtension) -> None:
    from modules.api import api

    out = api.text2imgapi(extension.runner(), {
        "prompt": "x", "steps": 20, "cfg_scale": 7, **SMALL,
        "alwayson_scripts": {"ParamLab": {"args": [{"seed_lock": {"series": "Kaito"}}]}}})
    assert "ParamLab profile" not in out["info"]
    [row] = extension.rows()
    assert (row["seed"], row["steps"], row["cfg_scale"], row["profile"]) == (12345, 20, 7.0, None)


def test_axis_writes_are_noted_even_when_equal_and_x_y_zs_shared_overrides_stay_one_dict() -> None:
    from types import SimpleNamespace

    from paramlab.webui.axis_values import record_axis_writes, set_by_axis

    class Processing:
        def __init__(self) -> None:
            self.steps = 20

    shared_overrides: dict[str, Any] = {}
    p = Processing()
    p.override_settings = shared_overrides
    seen: list[bool] = []

    def apply(p: Any, x: Any, xs: Any) -> None:
        seen.append(isinstance(p, Processing))  # other extensions' axes may check the class
        p.steps = x  # the same value the field already has: still the axis's value
        p.override_settings["CLIP_stop_at_last_layers"] = 2

    option = SimpleNamespace(label="Steps", apply=apply)
    assert record_axis_writes([option]) == 1 and record_axis_writes([option]) == 0  # wrapped once
    option.apply(p, 20, [20])
    assert set_by_axis(p) == {"steps", "override:CLIP_stop_at_last_layers"} and seen == [True]
    assert type(p) is Processing and p.override_settings is shared_overrides
    assert shared_overrides == {"CLIP_stop_at_last_layers": 2}
    p.steps = 30  # after the axis: not noted
    assert "paramlab_axis_set" in vars(p) and set_by_axis(p) == {"steps", "override:CLIP_stop_at_last_layers"}
