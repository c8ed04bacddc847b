"""Stand-in for ``modules/paths_internal.py``; reset_host() points these at a temp dir."""

from __future__ import annotations

import os
import tempfile

script_path: str = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
modules_path: str = os.path.join(script_path, "modules")
data_path: str = tempfile.gettempdir()
models_path: str = os.path.join(data_path, "models")
extensions_dir: str = os.path.join(data_path, "extensions")
extensions_builtin_dir: str = os.path.join(script_path, "extensions-builtin")
config_states_dir: str = os.path.join(script_path, "config_states")
default_output_dir: str = os.path.join(data_path, "outputs")
sd_configs_path: str = os.path.join(script_path, "configs")
sd_default_config: str = os.path.join(sd_configs_path, "v1-inference.yaml")
sd_model_file: str = os.path.join(script_path, "model.ckpt")
default_sd_model_file: str = sd_model_file


def set_data_path(path: str) -> None:
    """Test helper: move every data-derived path under ``path``."""
    global data_path, models_path, extensions_dir, default_output_dir
    data_path = path
    models_path = os.path.join(path, "models")
    extensions_dir = os.path.join(path, "extensions")
    default_output_dir = os.path.join(path, "outputs")
