"""Profiles inside the A1111 stand-in: Apply (UI), Apply at generation (UI and API), infotext paste,
the X/Y/Z axis, and the panel's handlers on a real gradio 3.41.2 tab."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from host_fixture import register_xyz
from modules import infotext_utils, script_callbacks, shared, txt2img
from modules._standin_tab import build_tab
from modules._standin_ui import default_script_args, script_args_with
from modules.api import api
from webui_support import LoadedExtension

from paramlab.gradio_compat import event_wiring
from paramlab.webui import profile_panel, runtime, xyz_axis

SMALL = {"width": 64, "height": 64}


@pytest.fixture
def extension(tmp_path: Path, ledger_location: str):
    """The extension recording into a fresh ledger, on SQLite and on PostgreSQL."""
    loaded = LoadedExtension(tmp_path, ledger=ledger_location)
    profile_panel.PENDING_PANELS.clear()
    yield loaded
    loaded.close()


def test_apply_at_generation_api_uses_the_profile_and_marks_the_infotext(extension: LoadedExtension) -> None:
    runner = extension.runner()
    out = api.text2imgapi(runner, {"prompt": "x", "steps": 5, "cfg_scale": 3, "sampler_name": "Euler", **SMALL,
                                   "alwayson_scripts": {"ParamLab": {"args": [{"profile": "Final render"}]}}})
    info = out["info"]
    assert "Steps: 40" in info and "Hires upscale: 1.5" in info and "Denoising strength: 0.35" in info
    assert "ParamLab profile: Final render" in info
    [row] = extension.rows()
    assert (row["steps"], row["hires_enabled"], row["hires_scale"], row["profile"]) == (40, True, 1.5, "Final render")
    assert row["width"] == 64  # the profile does not set Size: the request's value stays


def test_apply_at_generation_ui_beats_builtin_setup(extension: LoadedExtension) -> None:
    runner = extension.runner()
    args = script_args_with(runner, {"Sampler": [12, "Euler", "Automatic"],
                                     "ParamLab": [{"record": True, "profile": "DPM++ 2M Karras · 30 steps"}]})
    processed = txt2img.run_txt2img_ui(runner, {"prompt": "x", **SMALL}, args)
    assert "Steps: 30" in processed.info and "Sampler: DPM++ 2M" in processed.info
    assert "Schedule type: Karras" in processed.info
    [row] = extension.rows()
    assert (row["steps"], row["sampler"], row["scheduler"]) == (30, "DPM++ 2M", "Karras")


def test_unknown_profile_stops_the_run_before_sampling_with_a_clear_error(extension: LoadedExtension) -> None:
    runner = extension.runner()
    out = api.text2imgapi(runner, {"prompt": "x", **SMALL,
                                   "alwayson_scripts": {"ParamLab": {"args": [{"profile": "No such profile"}]}}})
    assert out["images"] == []
    assert "No such profile" in out["info"]
    [run] = extension.runs()
    assert run["status"] == "interrupted" and "No such profile" in run["error"]


def test_infotext_paste_selects_the_profile_again(extension: LoadedExtension) -> None:
    runner = extension.runner()
    out = api.text2imgapi(runner, {"prompt": "x", **SMALL,
                                   "alwayson_scripts": {"ParamLab": {"args": [{"profile": "Balanced"}]}}})
    infotext = api_infotext(out)
    tab = build_tab([extension.script_class])
    fields = infotext_utils.paste_fields["txt2img"]["fields"]
    values = infotext_utils.paste_values("txt2img", infotext)
    panel_dropdown = tab.runner.title_map["paramlab"].infotext_fields[0][0]
    index = next(i for i, entry in enumerate(fields) if entry[0] is panel_dropdown)
    assert values[index]["value"] == "Balanced"
    without_profile = infotext_utils.paste_values("txt2img", infotext.replace(", ParamLab profile: Balanced", ""))
    assert without_profile[index] is None  # no key: the dropdown is left as it is


def api_infotext(out: dict[str, Any]) -> str:
    import json

    return json.loads(out["info"])["infotexts"][0]


def test_xyz_axis_registered_once_and_each_cell_uses_its_profile(extension: LoadedExtension) -> None:
    module = register_xyz()
    script_callbacks.before_ui_callback()
    script_callbacks.before_ui_callback()
    assert [o.label for o in module.axis_options].count(xyz_axis.AXIS_LABEL) == 1
    runner = extension.runner()
    xyz = runner.selectable_scripts[0]
    args = default_script_args(runner)
    args[0] = 1
    axis = [option.label for option in xyz.current_axis_options].index(xyz_axis.AXIS_LABEL)
    args[xyz.args_from: xyz.args_from + 2] = [axis, "Creative, Strict adherence"]
    txt2img.run_txt2img_ui(runner, {"prompt": "x", **SMALL}, args)
    rows = extension.rows()
    assert [(row["cfg_scale"], row["profile"]) for row in rows] == [
        (5.0, "Creative"), (12.0, "Strict adherence")]


def test_xyz_axis_is_harmlessly_absent_without_the_xyz_script(extension: LoadedExtension) -> None:
    assert xyz_axis.register_axis() is False


def test_xyz_axis_rejects_an_unknown_profile_before_any_cell(extension: LoadedExtension) -> None:
    register_xyz()
    script_callbacks.before_ui_callback()
    with pytest.raises(RuntimeError, match="No such"):
        xyz_axis.confirm_axis_values(None, ["Balanced", "No such"])


def test_panel_on_a_real_tab_apply_save_update_duplicate_delete(extension: LoadedExtension) -> None:
    tab = build_tab([extension.script_class])
    [panel] = [p for p in [*profile_panel.PENDING_PANELS] if p.tabname == "txt2img"] or [None]
    assert panel is None, "the panel must be wired once the tab's paste fields exist"
    script = tab.runner.title_map["paramlab"]
    dropdown = script.infotext_fields[0][0]
    wired = next(p for p in profile_panel_registry() if p.dropdown is dropdown)
    assert wired.wired and {"cfg_scale", "width", "sampler_name", "hr_scale", "enable_hr"} <= set(wired.field_names)

    result = profile_panel.apply_to_fields("Final render", wired, with_override=True)
    by_field = dict(zip(wired.field_names, result))
    assert by_field["steps"]["value"] == 40 and by_field["hr_scale"]["value"] == 1.5
    assert by_field["enable_hr"]["value"] is True and by_field["denoising_strength"]["value"] == 0.35
    assert "value" not in by_field["cfg_scale"]  # the profile is silent on CFG: the field keeps its value
    assert "Applied" in result[-1] and "Final render" in result[-1]

    current = {"Sampler": "Euler a", "Schedule type": "Automatic", "Steps": 18, "CFG scale": 6.5, "Size": "768x512",
               "Batch size": 2}
    dropdown_update, status = profile_panel.save_profile("My look", current)
    assert dropdown_update["value"] == "My look" and "Saved" in status
    _, status = profile_panel.save_profile("<b>bad</b>", current)
    assert "paramlab-error" in status and "&lt;" in status
    preview, status = profile_panel.update_profile("My look", {**current, "Steps": 24}, wired)
    assert "Updated" in status
    assert runtime.profile_store().get("My look").settings["Steps"] == 24
    _, status = profile_panel.delete_profile("Balanced")
    assert "starter" in status
    dropdown_update, status = profile_panel.duplicate_profile("Balanced")
    assert dropdown_update["value"] == "Balanced (copy)"
    dropdown_update, status = profile_panel.delete_profile("Balanced (copy)")
    assert "Deleted" in status and "Balanced (copy)" not in dropdown_update["choices"]


def profile_panel_registry() -> list[Any]:
    return profile_panel.WIRED_PANELS


def test_apply_in_img2img_skips_hires_keys_and_says_so(extension: LoadedExtension) -> None:
    tab = build_tab([extension.script_class], is_img2img=True)
    dropdown = tab.runner.title_map["paramlab"].infotext_fields[0][0]
    panel = next(p for p in profile_panel_registry() if p.dropdown is dropdown)
    result = profile_panel.apply_to_fields("Final render", panel, with_override=True)
    assert "Hires upscale (txt2img only)" in result[-1]
    assert dict(zip(panel.field_names, result))["steps"]["value"] == 40


def test_clip_skip_and_model_go_through_override_settings_at_generation(extension: LoadedExtension) -> None:
    runner = extension.runner()
    store = runtime.profile_store()
    from paramlab.profiles import Profile

    store.create(Profile(name="Anime look", settings={"Clip skip": 2, "CFG scale": 6}))
    api.text2imgapi(runner, {"prompt": "x", **SMALL,
                             "alwayson_scripts": {"ParamLab": {"args": [{"profile": "anime look"}]}}})
    [row] = extension.rows()
    assert (row["clip_skip"], row["cfg_scale"], row["profile"]) == (2, 6.0, "Anime look")
    assert shared.opts.CLIP_stop_at_last_layers == 1  # restored after the run


def run_event(blocks: Any, target: Any, trigger: str, *inputs: Any) -> dict[Any, Any]:
    """Run the function gradio registered for ``target.trigger`` and map its results to components."""
    for event in event_wiring(blocks):
        matches = target._id in event.targets and event.trigger == trigger
        if matches and len(event.inputs) == len(inputs):
            results = event.fn(*inputs)
            results = results if isinstance(results, (list, tuple)) else [results]
            assert len(results) == len(event.outputs)
            return dict(zip(event.outputs, results))
    raise AssertionError(f"no {trigger} event wired on {target}")


def test_panel_buttons_are_wired_to_the_tabs_fields_in_the_gradio_blocks(extension: LoadedExtension) -> None:
    tab = build_tab([extension.script_class])
    dropdown = tab.runner.title_map["paramlab"].infotext_fields[0][0]
    panel = next(p for p in profile_panel_registry() if p.dropdown is dropdown)
    applied = run_event(tab.blocks, panel.apply_button, "click", "Final render")
    assert applied[tab.components["steps"]._id]["value"] == 40
    assert applied[tab.components["hr_scale"]._id]["value"] == 1.5
    assert applied[tab.components["enable_hr"]._id]["value"] is True
    assert "value" not in applied[tab.components["cfg_scale"]._id]

    [change] = [e for e in event_wiring(tab.blocks) if panel.dropdown._id in e.targets and e.trigger == "change"
                and panel.preview._id in e.outputs]
    current = [tab.blocks.blocks[component_id].value for component_id in change.inputs[1:]]
    preview = run_event(tab.blocks, panel.dropdown, "change", "Strict adherence", *current)
    [html_text] = preview.values()
    assert "CFG scale" in html_text and "12" in html_text and "paramlab-changes" in html_text


def test_share_export_and_import_from_the_panel(extension: LoadedExtension, tmp_path: Path) -> None:
    from paramlab.profiles import Profile
    from paramlab.webui import profile_sharing

    runtime.profile_store().create(Profile(name="Studio look", settings={"Steps": 22}))
    path, status = profile_sharing.export_file("Studio look")
    content = Path(path).read_bytes()
    assert b"Studio look" in content and "Exported 1" in status
    refused = profile_sharing.import_file(content, profile_sharing.CONFLICT_CHOICES[0], False)
    assert "paramlab-error" in refused
    renamed = profile_sharing.import_file(content, "rename", False)
    assert "paramlab-ok" in renamed
    assert runtime.profile_store().get("Studio look (2)").settings == {"Steps": 22}
    assert "paramlab-error" in profile_sharing.import_file(b"{broken", "skip", False)
