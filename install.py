"""Run by A1111 at launch (and after "Install from URL"): installs only what its venv lacks.

Everything else ParamLab uses (torch, gradio, pandas, altair, Pillow, numpy, pydantic) ships with
the WebUI itself. ``launch.run_pip`` does nothing under ``--skip-install``. The PostgreSQL driver is
installed only when the configured ledger is a PostgreSQL database.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from importlib import metadata
from pathlib import Path

import launch
from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

# (distribution, versions that work, the pin to install when missing or outside that range)
REQUIREMENTS = [
    ("SQLAlchemy", ">=2.0.30,<2.1", "2.0.58"),
]
POSTGRESQL_DRIVER = ("psycopg", ">=3.1,<4", "3.3.9", "psycopg[binary]")


def needs_install(distribution: str, accepted: str) -> bool:
    try:
        installed = Version(metadata.version(distribution))
    except (metadata.PackageNotFoundError, InvalidVersion):
        return True
    return installed not in SpecifierSet(accepted)


def _command_lines() -> list[list[str]]:
    """This process's arguments (A1111 adds COMMANDLINE_ARGS to them), then those of the processes that
    started it: A1111 runs this file in a child process, so flags given to webui.sh/launch.py are there."""
    lines = [sys.argv[1:] + shlex.split(os.environ.get("COMMANDLINE_ARGS", ""))]
    pid = os.getppid()
    for _ in range(4):  # the shell that runs us, launch.py, webui.sh …
        try:
            raw = Path(f"/proc/{pid}/cmdline").read_bytes()
            status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8", errors="replace")
        except OSError:
            break  # not Linux, or gone: COMMANDLINE_ARGS and the Settings entry still count
        lines.append([part.decode("utf-8", "replace") for part in raw.split(b"\0") if part])
        parent = [line.split()[1] for line in status.splitlines() if line.startswith("PPid:")]
        if not parent or parent[0] in ("0", "1"):
            break
        pid = int(parent[0])
    return lines


def configured_ledger() -> str:
    """``--paramlab-db`` if given, else Settings → ParamLab → Ledger location (config.json), else ""."""
    parser = argparse.ArgumentParser(add_help=False)
    for flag in ("--paramlab-db", "--data-dir", "--ui-settings-file"):
        parser.add_argument(flag, default=None)
    found: dict[str, str] = {}
    for line in _command_lines():
        known, _ = parser.parse_known_args(line)
        for key, value in vars(known).items():
            if value and key not in found:
                found[key] = value
    if found.get("paramlab_db"):
        return found["paramlab_db"]
    data_dir = Path(found.get("data_dir") or Path(os.path.abspath(__file__)).parent.parent.parent)
    settings = Path(found.get("ui_settings_file") or data_dir / "config.json")
    try:
        return str(json.loads(settings.read_text(encoding="utf-8")).get("paramlab_db") or "")
    except (OSError, ValueError, AttributeError):
        return ""


def is_postgresql(location: str) -> bool:
    return location.strip().lower().startswith(("postgresql://", "postgresql+psycopg://", "postgres://"))


def main() -> None:
    for distribution, accepted, pin in REQUIREMENTS:
        if needs_install(distribution, accepted):
            launch.run_pip(f'install "{distribution}=={pin}"', f"ParamLab requirement: {distribution}=={pin}")
    distribution, accepted, pin, extra = POSTGRESQL_DRIVER
    if is_postgresql(configured_ledger()) and needs_install(distribution, accepted):
        launch.run_pip(f'install "{extra}=={pin}"', f"ParamLab requirement for a PostgreSQL ledger: {extra}=={pin}")


main()
