"""Run by A1111 at launch (and after "Install from URL"): installs only what its venv lacks.

Everything else ParamLab uses (torch, gradio, pandas, altair, Pillow, numpy, pydantic) ships with
the WebUI itself. ``launch.run_pip`` does nothing under ``--skip-install``.
"""

from __future__ import annotations

from importlib import metadata

import launch
from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

# (distribution, versions that work, the pin to install when missing or outside that range)
REQUIREMENTS = [
    ("SQLAlchemy", ">=2.0.30,<2.1", "2.0.58"),
]


def needs_install(distribution: str, accepted: str) -> bool:
    try:
        installed = Version(metadata.version(distribution))
    except (metadata.PackageNotFoundError, InvalidVersion):
        return True
    return installed not in SpecifierSet(accepted)


def main() -> None:
    for distribution, accepted, pin in REQUIREMENTS:
        if needs_install(distribution, accepted):
            launch.run_pip(f'install "{distribution}=={pin}"', f"ParamLab requirement: {distribution}=={pin}")


main()
