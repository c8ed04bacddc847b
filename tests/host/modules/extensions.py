"""Stand-in for ``modules/extensions.py`` (minimal)."""

from __future__ import annotations

import os

from modules import paths_internal


class Extension:
    """An installed extension directory."""

    def __init__(self, name: str, path: str, enabled: bool = True, is_builtin: bool = False) -> None:
        self.name = name
        self.canonical_name = name.lower()
        self.path = path
        self.enabled = enabled
        self.is_builtin = is_builtin
        self.status = ""
        self.can_update = False
        self.remote: str | None = None
        self.version = ""
        self.commit_hash = ""  # filled by read_info_from_repo (real: the extensions tab, or a check for updates)
        self.commit_date: int | None = None
        self.branch: str | None = None
        self.have_info_from_repo = False

    def read_info_from_repo(self) -> None:
        """As real (which uses GitPython): builtins and folders without ``.git`` stay without a commit."""
        if self.is_builtin or self.have_info_from_repo:
            return
        self.have_info_from_repo = True
        if not os.path.exists(os.path.join(self.path, ".git")):
            return
        import subprocess

        try:
            self.commit_hash = subprocess.check_output(["git", "-C", self.path, "rev-parse", "HEAD"],
                                                       encoding="utf8", stderr=subprocess.DEVNULL).strip()
        except (OSError, subprocess.CalledProcessError):
            self.remote = None
            return
        self.version = self.commit_hash[:8]


extensions: list[Extension] = []


def active() -> list[Extension]:
    """Enabled extensions."""
    return [x for x in extensions if x.enabled]


def find_extension(filename: str) -> Extension | None:
    """Extension containing ``filename``."""
    for ext in extensions:
        if os.path.abspath(filename).startswith(os.path.abspath(ext.path) + os.sep):
            return ext
    return None


def list_extensions() -> None:
    """Scan ``paths_internal.extensions_dir`` (stand-in: no metadata.ini handling)."""
    extensions.clear()
    if not os.path.isdir(paths_internal.extensions_dir):
        return
    for dirname in sorted(os.listdir(paths_internal.extensions_dir)):
        path = os.path.join(paths_internal.extensions_dir, dirname)
        if os.path.isdir(path):
            extensions.append(Extension(dirname, path))
