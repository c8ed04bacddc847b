"""Stand-in for A1111's ``launch`` module as seen by an extension's install.py (pip calls are recorded)."""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util

args = argparse.Namespace(skip_install=False, skip_prepare_environment=False, reinstall_torch=False)
run_pip_calls: list[tuple[str, str | None]] = []
"""TEST HELPER: (args, desc) of every run_pip call, in order."""


def is_installed(package: str) -> bool:
    """importlib.metadata first, then find_spec, like real launch_utils.is_installed."""
    try:
        importlib.metadata.distribution(package)
        return True
    except importlib.metadata.PackageNotFoundError:
        pass
    try:
        return importlib.util.find_spec(package) is not None
    except (ModuleNotFoundError, ValueError):
        return False


def run_pip(command: str, desc: str | None = None, live: bool = False) -> str:
    """Record instead of running pip; a no-op under --skip-install, as real."""
    if args.skip_install:
        return ""
    run_pip_calls.append((command, desc))
    return ""


def git_tag() -> str:
    """The release imitated."""
    return "v1.10.1"


def reset() -> None:
    """TEST HELPER: clear recorded calls and flags."""
    run_pip_calls.clear()
    args.skip_install = False
