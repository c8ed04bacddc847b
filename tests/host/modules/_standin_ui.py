"""Stand-in only (no A1111 counterpart): builds a ScriptRunner the way webui's UI build does."""

from __future__ import annotations

import os
import sys
from typing import Any

from modules import errors, scripts, shared_items
from modules.scripts import AlwaysVisible, Script, ScriptClassData, ScriptRunner


def _register_class(cls: type) -> None:
    if any(d.script_class is cls for d in scripts.scripts_data):
        return
    path = scripts.class_file(cls)
    module = sys.modules.get(cls.__module__)
    base = (
        os.path.dirname(os.path.dirname(path))
        if os.path.dirname(path).endswith("scripts")
        else os.path.dirname(path)
    )
    scripts.scripts_data.append(ScriptClassData(cls, path, base, module))


def _create_script_ui(runner: ScriptRunner, script: Script) -> None:
    """Real create_script_ui: call ui(), append its components to inputs, set args_from/args_to."""
    script.args_from = len(runner.inputs)
    script.args_to = len(runner.inputs)
    try:
        controls = script.ui(script.is_img2img)
        script.controls = controls
        if controls is not None:
            script.name = script.title().lower()
            runner.inputs += list(controls)
            script.args_to = len(runner.inputs)
            if script.infotext_fields is not None:
                runner.infotext_fields += script.infotext_fields
            if script.paste_field_names is not None:
                runner.paste_field_names += script.paste_field_names
    except Exception:
        errors.report(f"Error creating UI for {script.name}: ", exc_info=True)
    runner.apply_on_before_component_callbacks()


def _setup_ui_for_section(
    runner: ScriptRunner, section: str | None, scriptlist: list[Script] | None = None
) -> None:
    import gradio as gr

    if scriptlist is None:
        scriptlist = runner.alwayson_scripts
    for script in scriptlist:
        if script.alwayson and script.section != section:
            continue
        if script.create_group:
            with gr.Group(visible=script.alwayson) as group:
                _create_script_ui(runner, script)
            script.group = group
        else:
            _create_script_ui(runner, script)


def _setup_ui(runner: ScriptRunner) -> None:
    import gradio as gr

    all_titles = [script.title() or script.filename for script in runner.scripts]
    runner.title_map = {title.lower(): script for title, script in zip(all_titles, runner.scripts)}
    runner.titles = [script.title() for script in runner.selectable_scripts]
    _setup_ui_for_section(runner, None)
    dropdown = gr.Dropdown(
        label="Script", elem_id="script_list", choices=["None", *runner.titles], value="None", type="index"
    )
    runner.inputs[0] = dropdown
    _setup_ui_for_section(runner, None, runner.selectable_scripts)
    runner.infotext_fields.append((dropdown, lambda x: gr.update(value=x.get("Script", "None"))))


def build_runner(script_classes: list[type], is_img2img: bool) -> ScriptRunner:
    """TEST HELPER (not in A1111): instantiate scripts in load order and build their UI in a gr.Blocks.

    Load order: classes already in ``scripts.scripts_data`` (e.g. register_xyz()), then ``script_classes``,
    then the builtin Sampler and Seed scripts last. Inputs are laid out in UI-section order as webui does:
    [0]=script dropdown, "sampler" section (builtin Sampler), "accordions" scripts, "seed" (builtin Seed),
    custom sections, then section=None always-on scripts, then selectable scripts.
    """
    import gradio as gr
    from modules import gradio_extensons
    from modules.processing_scripts.sampler import ScriptSampler
    from modules.processing_scripts.seed import ScriptSeed

    gradio_extensons.apply()
    for cls in script_classes:
        _register_class(cls)
    runner = ScriptRunner()
    runner.is_img2img = is_img2img
    builtin = [
        ScriptClassData(c, scripts.class_file(c), os.path.dirname(scripts.class_file(c)), None)
        for c in (ScriptSampler, ScriptSeed)
    ]
    for data in [*scripts.scripts_data, *builtin]:
        try:
            script = data.script_class()
        except Exception:
            errors.report(f"Error # failed to initialize Script {data.module}: ", exc_info=True)
            continue
        script.filename = data.path
        script.is_txt2img = not is_img2img
        script.is_img2img = is_img2img
        script.tabname = "img2img" if is_img2img else "txt2img"
        visibility = script.show(script.is_img2img)
        if visibility == AlwaysVisible:
            runner.scripts.append(script)
            runner.alwayson_scripts.append(script)
            script.alwayson = True
        elif visibility:
            runner.scripts.append(script)
            runner.selectable_scripts.append(script)
    runner.apply_on_before_component_callbacks()
    if is_img2img:
        scripts.scripts_img2img = runner
    else:
        scripts.scripts_txt2img = runner
    scripts.scripts_current = runner
    try:
        with gr.Blocks():
            for category in list(shared_items.ui_reorder_categories()):
                if category == "scripts":
                    _setup_ui(runner)
                else:
                    _setup_ui_for_section(runner, category)
    finally:
        scripts.scripts_current = None
    return runner


def default_script_args(runner: ScriptRunner) -> list[Any]:
    """TEST HELPER: the UI's initial args (component ``.value``s; [0] = 0 meaning no selectable script)."""
    values = [getattr(c, "value", c) for c in runner.inputs]
    values[0] = 0
    return values


def script_args_with(
    runner: ScriptRunner, overrides: dict[str, list[Any]], base: list[Any] | None = None
) -> list[Any]:
    """TEST HELPER: default args with some scripts' leading args replaced (keys: titles, any case)."""
    args = list(base if base is not None else default_script_args(runner))
    for title, values in overrides.items():
        script = runner.title_map[title.lower()]
        for i, v in enumerate(values[: script.args_to - script.args_from]):
            args[script.args_from + i] = v
    return args
