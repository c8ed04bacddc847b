"""Run by the WebUI at launch (and after "Install from URL"): installs only what its venv lacks.

The table lives in :mod:`paramlab.dependencies` (SQLAlchemy everywhere; altair where gradio 4 left it
out; the PostgreSQL driver only when the configured ledger is a PostgreSQL database). Each install is
pinned and held to the host's own ``requirements_versions.txt`` as pip constraints, so no WebUI pin
moves. ``launch.run_pip`` does nothing under ``--skip-install``; the WebUI skips this file altogether
under ``--skip-prepare-environment``.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from pathlib import Path

import launch

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the extension's own package

from paramlab.dependencies import POSTGRESQL_DRIVER, host_constraints, missing, needs_install  # noqa: E402


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
    constraints = host_constraints(Path(launch.__file__).resolve().parent)
    hold = f' -c "{constraints}"' if constraints is not None else ""
    for dependency in missing():
        launch.run_pip(f'install "{dependency.requirement}"{hold}', f"ParamLab requirement: {dependency.requirement}")
    driver = POSTGRESQL_DRIVER
    if is_postgresql(configured_ledger()) and needs_install(driver):
        launch.run_pip(f'install "{driver.requirement}"{hold}',
                       f"ParamLab requirement for a PostgreSQL ledger: {driver.requirement}")


main()
