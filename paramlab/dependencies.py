"""The packages ParamLab needs that a WebUI may lack, and the pins ``install.py`` brings.

Everything else ParamLab uses (torch, gradio, pandas, Pillow, numpy, pydantic, fastapi) ships with
both hosts. ``altair`` came with gradio 3 (A1111 1.10) but gradio 4 (Forge) dropped it; ``SQLAlchemy``
comes with neither. One table serves ``install.py`` and the one-line message shown when ParamLab
cannot load because one of them is missing. Importing this module needs nothing beyond the standard
library and ``packaging`` (every WebUI venv has it): ``install.py`` runs before anything else is there.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version


@dataclass(frozen=True)
class Dependency:
    distribution: str  # the name pip knows
    module: str  # the name Python imports
    accepted: str  # versions ParamLab works with
    pin: str  # what install.py installs when it is missing or outside ``accepted``
    pip_name: str | None = None  # when pip needs more than the distribution's name, e.g. an extra

    @property
    def requirement(self) -> str:
        return f"{self.pip_name or self.distribution}=={self.pin}"


DEPENDENCIES = (
    Dependency("SQLAlchemy", "sqlalchemy", ">=2.0.30,<2.1", "2.0.58"),
    # gradio 3.41 requires altair>=4.2,<6; the charts use altair 5. Its own needs (jsonschema, narwhals,
    # jinja2, typing_extensions>=4.10) are pinned by neither A1111 1.10 nor Forge.
    Dependency("altair", "altair", ">=5.0,<6", "5.5.0"),
)
# Only for a PostgreSQL ledger (install.py reads where the ledger is); not part of ``missing()``.
POSTGRESQL_DRIVER = Dependency("psycopg", "psycopg", ">=3.1,<4", "3.3.9", "psycopg[binary]")


def installed_version(distribution: str) -> Version | None:
    try:
        return Version(metadata.version(distribution))
    except (metadata.PackageNotFoundError, InvalidVersion):
        return None


def needs_install(dependency: Dependency) -> bool:
    installed = installed_version(dependency.distribution)
    return installed is None or installed not in SpecifierSet(dependency.accepted)


def missing() -> list[Dependency]:
    return [dependency for dependency in DEPENDENCIES if needs_install(dependency)]


def host_constraints(webui_root: Path) -> Path | None:
    """The WebUI's own pins (``requirements_versions.txt``), passed to pip as constraints so that
    installing ParamLab's needs never moves a package the host pins."""
    pins = webui_root / "requirements_versions.txt"
    return pins if pins.is_file() else None


def install_hint(module: str) -> str:
    """What to do when ``module`` cannot be imported: restart with the installers, or pip it."""
    for dependency in DEPENDENCIES:
        if module.split(".")[0] == dependency.module:
            return (f"start the WebUI without --skip-install (ParamLab's install.py installs "
                    f"{dependency.requirement}), or run in the WebUI's venv: pip install \"{dependency.requirement}\"")
    return "reinstall ParamLab, or report this with the console output"
