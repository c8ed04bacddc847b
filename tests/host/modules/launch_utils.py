"""Stand-in for ``modules/launch_utils.py``; the pip helpers live in the top-level ``launch`` stand-in."""

from __future__ import annotations

import sys

from modules import _standin_flavour

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
    """Real v1.10.1 commit (from the reference doc)."""
    return "82a973c04367123ae98bd9abdf80d9eda9b910e2"
