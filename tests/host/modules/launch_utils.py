"""Stand-in for ``modules/launch_utils.py``; the pip helpers live in the top-level ``launch`` stand-in."""

from __future__ import annotations

import subprocess
import sys

from modules import _standin_flavour
from modules.paths_internal import script_path  # noqa: F401 - real launch_utils imports it the same way

python: str = sys.executable
git: str = "git"
index_url: str = ""


def git_tag() -> str:
    """The stand-in reports the release it imitates (Forge: ``f<forge version>-<A1111 tag>``)."""
    if _standin_flavour.FORGE:
        from modules_forge import forge_version

        return f"f{forge_version.version}-v1.10.1"
    return "v1.10.1"


def commit_hash() -> str:
    """As real: ``git -C script_path rev-parse HEAD`` each call, ``"<none>"`` when that fails (tests point
    ``launch_utils.script_path`` at a repository of their own)."""
    try:
        return subprocess.check_output([git, "-C", script_path, "rev-parse", "HEAD"], shell=False,
                                       encoding="utf8", stderr=subprocess.DEVNULL).strip()
    except Exception:  # noqa: BLE001 - as real
        return "<none>"
