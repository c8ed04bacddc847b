"""Test helper: reset every global of the stand-in A1111 host between tests."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

HOST_DIR = os.path.dirname(os.path.abspath(__file__))
if HOST_DIR not in sys.path:
    sys.path.insert(0, HOST_DIR)


def reset_host(tmp_path: str | Path | None = None) -> str:
    """Clear callbacks/scripts/errors/state/cmd_opts; reset opts to defaults, outputs under tmp_path.

    Returns the data dir used (a fresh temp dir when ``tmp_path`` is None).
    """
    from modules import (
        devices,
        errors,
        infotext_utils,
        paths_internal,
        processing,
        script_callbacks,
        scripts,
        scripts_postprocessing,
        sd_models,
        sd_samplers,
        sd_vae,
        shared,
        shared_cmd_options,
        shared_options,
    )
    from modules.api import api

    import launch

    data_dir = str(tmp_path) if tmp_path is not None else tempfile.mkdtemp(prefix="a1111-standin-")
    os.makedirs(data_dir, exist_ok=True)
    paths_internal.set_data_path(data_dir)
    shared.data_path = data_dir
    shared.models_path = paths_internal.models_path
    shared.config_filename = os.path.join(data_dir, "config.json")
    shared_cmd_options.reset()
    shared.parser = shared_cmd_options.parser
    shared.cmd_opts.data_dir = data_dir
    script_callbacks.clear_callbacks()
    templates = shared_options.build_templates(data_dir)
    shared.opts.data_labels.clear()
    shared.opts.data_labels.update(templates)
    shared.opts.data.clear()
    shared.opts.data.update({k: v.default for k, v in templates.items() if not v.do_not_save})
    shared.state.reset_to_defaults()
    shared.sd_model = shared.StandInModel()
    shared.sd_model.sd_checkpoint_info.filename = write_model_file(
        os.path.join(paths_internal.models_path, "Stable-diffusion", "standin.safetensors"))
    shared.demo = None
    shared.total_tqdm.clear()
    sd_models.reset()
    sd_vae.loaded_vae_file = None
    sd_samplers.set_samplers()
    scripts.scripts_data.clear()
    scripts.postprocessing_scripts_data.clear()
    scripts.scripts_postproc = scripts_postprocessing.ScriptPostprocessingRunner()
    scripts.scripts_txt2img = None
    scripts.scripts_img2img = None
    scripts.scripts_current = None
    errors.reset()
    devices.torch_gc_calls.clear()
    processing.sampled_noise_log.clear()
    infotext_utils.reset()
    api.reset()
    launch.reset()
    return data_dir


def write_model_file(path: str, size: int = 64 * 1024, seed: bytes = b"") -> str:
    """A model file with real bytes (distinct per file name and ``seed``), so that hashing it is real."""
    import hashlib

    os.makedirs(os.path.dirname(path), exist_ok=True)
    block = hashlib.sha256(os.path.basename(path).encode("utf8") + seed).digest() * 2048
    with open(path, "wb") as handle:
        for start in range(0, size, len(block)):
            handle.write(block[:size - start])
    return path


def register_xyz() -> object:
    """Load the stand-in X/Y/Z plot (module name "xyz_grid.py") into scripts.scripts_data."""
    return _register_builtin_script("xyz_grid.py")


def register_postprocessing(*script_classes: type) -> object:
    """Add Extras scripts (beside the stand-in "Upscale") to scripts.postprocessing_scripts_data, as
    A1111's load_scripts does, and build the Extras tab's controls; returns the runner."""
    import gradio as gr
    from modules import script_loading, scripts, scripts_postprocessing

    path = os.path.join(HOST_DIR, "scripts_builtin", "postprocessing_upscale.py")
    if not any(d.path == path for d in scripts.postprocessing_scripts_data):
        module = script_loading.load_module(path)
        scripts.postprocessing_scripts_data.append(
            scripts.ScriptClassData(module.ScriptPostprocessingUpscale, path, os.path.dirname(path), module))
    for cls in script_classes:
        if not any(d.script_class is cls for d in scripts.postprocessing_scripts_data):
            scripts.postprocessing_scripts_data.append(
                scripts.ScriptClassData(cls, scripts.class_file(cls), os.path.dirname(scripts.class_file(cls)), None))
    runner = scripts_postprocessing.ScriptPostprocessingRunner()
    with gr.Blocks():
        runner.standin_inputs = runner.setup_ui()  # STAND-IN: the real UI keeps this list itself
    scripts.scripts_postproc = runner
    return runner


def register_ultimate_upscale() -> object:
    """Load the stand-in Ultimate SD upscale (module name "ultimate_upscale.py") into scripts.scripts_data."""
    return _register_builtin_script("ultimate_upscale.py")


def register_controlnet() -> object:
    """Load the stand-in ControlNet (sd-webui-controlnet; Forge's built-in one under gradio 4) into
    scripts.scripts_data; its module's ``MODELS`` lists the installed models."""
    return _register_builtin_script("controlnet.py")


def register_adetailer() -> object:
    """Load the stand-in ADetailer into scripts.scripts_data."""
    return _register_builtin_script("adetailer.py")


def _register_builtin_script(filename: str) -> object:
    """Load a stand-in script file once, as A1111's script loader does, and return its module."""
    from modules import script_loading, scripts

    path = os.path.join(HOST_DIR, "scripts_builtin", filename)
    for d in scripts.scripts_data:
        if d.path == path:
            return d.module
    module = script_loading.load_module(path)
    scripts.scripts_data.append(scripts.ScriptClassData(module.Script, path, os.path.dirname(path), module))
    return module
