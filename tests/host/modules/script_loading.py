"""Stand-in for ``modules/script_loading.py``: run a file as a module NOT registered in sys.modules."""

from __future__ import annotations

import importlib.util
import os
from types import ModuleType


def load_module(path: str) -> ModuleType:
    """Module name = file basename (e.g. ``paramlab.py``), exactly like real webui."""
    module_spec = importlib.util.spec_from_file_location(os.path.basename(path), path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


def preload_extensions(extensions_dir: str, parser: object, extension_list: list | None = None) -> None:
    """Run ``preload(parser)`` of each extension's preload.py."""
    if not os.path.isdir(extensions_dir):
        return
    for dirname in sorted(os.listdir(extensions_dir)):
        if extension_list is not None and dirname not in extension_list:
            continue
        preload_script = os.path.join(extensions_dir, dirname, "preload.py")
        if os.path.isfile(preload_script):
            module = load_module(preload_script)
            if hasattr(module, "preload"):
                module.preload(parser)
