"""Stand-in only: which WebUI the stand-in imitates, decided by the gradio installed.

A1111 v1.10.1 ships gradio 3.41 and Forge (@ dfdcbab6) ships gradio 4.40, and neither runs the
other's gradio, so the flavour follows the venv: CI runs the suite once in each (``dev.sh``). On Forge
the folder ``tests/host/forge`` (``modules_forge``, ``backend``) is put on ``sys.path``, and the
processing stand-in follows Forge's order of calls (see ``_standin_p_classes``).
"""

from __future__ import annotations

import os
import sys
from importlib import metadata

GRADIO_MAJOR = int(metadata.version("gradio").split(".")[0])
FORGE = GRADIO_MAJOR >= 4
NAME = "forge" if FORGE else "a1111"
FORGE_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "forge")

if FORGE and FORGE_DIR not in sys.path:
    sys.path.insert(0, FORGE_DIR)
