"""install.py installs only what the WebUI's venv lacks (SQLAlchemy; altair, which gradio 4 dropped; psycopg for a
PostgreSQL ledger), pinned, held to the host's own pins, and nothing under --skip-install."""

from __future__ import annotations

import json
import runpy
import sys
from importlib import metadata
from pathlib import Path

import launch
import pytest

INSTALL = str(Path(__file__).resolve().parents[2] / "install.py")


@pytest.fixture(autouse=True)
def clean_pip_log():
    launch.reset()
    yield
    launch.reset()


def test_nothing_is_installed_when_sqlalchemy_is_present() -> None:
    runpy.run_path(INSTALL, run_name="__main__")
    assert launch.run_pip_calls == []


@pytest.mark.parametrize("installed", [None, "1.4.54", "2.1.0"])
def test_missing_or_incompatible_sqlalchemy_is_installed_pinned(monkeypatch, installed: str | None) -> None:
    real_version = metadata.version

    def fake_version(name: str) -> str:
        if name == "SQLAlchemy":
            if installed is None:
                raise metadata.PackageNotFoundError(name)
            return installed
        return real_version(name)

    monkeypatch.setattr(metadata, "version", fake_version)
    runpy.run_path(INSTALL, run_name="__main__")
    assert [args for args, _ in launch.run_pip_calls] == ['install "SQLAlchemy==2.0.58"']


PG_URL = "postgresql+psycopg://paramlab@db.studio.lan/paramlab"


@pytest.fixture
def psycopg_missing(monkeypatch):
    real_version = metadata.version

    def fake_version(name: str) -> str:
        if name == "psycopg":
            raise metadata.PackageNotFoundError(name)
        return real_version(name)

    monkeypatch.setattr(metadata, "version", fake_version)
    monkeypatch.delenv("COMMANDLINE_ARGS", raising=False)


def pip_installs() -> list[str]:
    return [args for args, _ in launch.run_pip_calls]


@pytest.mark.parametrize("how", ["flag", "commandline_args", "settings"])
def test_psycopg_is_installed_only_for_a_postgresql_ledger(psycopg_missing, monkeypatch, tmp_path: Path,
                                                           how: str) -> None:
    settings = tmp_path / "config.json"
    settings.write_text(json.dumps({"paramlab_db": str(tmp_path / "ledger.sqlite")}), encoding="utf-8")
    monkeypatch.setattr(sys, "argv", ["install.py", "--ui-settings-file", str(settings)])
    runpy.run_path(INSTALL, run_name="__main__")
    assert pip_installs() == []  # an SQLite ledger needs no driver

    if how == "flag":
        monkeypatch.setattr(sys, "argv", ["install.py", "--paramlab-db", PG_URL])
    elif how == "commandline_args":
        monkeypatch.setenv("COMMANDLINE_ARGS", f"--api --paramlab-db {PG_URL}")
    else:
        settings.write_text(json.dumps({"paramlab_db": "postgresql://paramlab@db/paramlab"}), encoding="utf-8")
    runpy.run_path(INSTALL, run_name="__main__")
    assert pip_installs() == ['install "psycopg[binary]==3.3.9"']


def test_an_installed_psycopg_is_left_alone(monkeypatch) -> None:
    monkeypatch.setattr(sys, "argv", ["install.py", "--paramlab-db", PG_URL])
    runpy.run_path(INSTALL, run_name="__main__")
    assert pip_installs() == []  # psycopg 3.3.9 is in the test venv


def test_a_bare_postgresql_url_uses_psycopg_3(tmp_path: Path) -> None:
    from paramlab.ledger.urls import resolve_ledger_url

    assert resolve_ledger_url("postgresql://u@db/paramlab", tmp_path).drivername == "postgresql+psycopg"
    assert resolve_ledger_url("postgres://u@db/paramlab", tmp_path).drivername == "postgresql+psycopg"


FORGE_PINS = "fastapi==0.104.1\ngradio==4.40.0\nnumpy==1.26.2\npydantic==2.8.2\ntorch\n"


@pytest.fixture
def webui_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A WebUI folder holding launch.py and the host's pins, as install.py finds them."""
    (tmp_path / "requirements_versions.txt").write_text(FORGE_PINS, encoding="utf-8")
    monkeypatch.setattr(launch, "__file__", str(tmp_path / "launch.py"))
    return tmp_path


def with_installed(monkeypatch: pytest.MonkeyPatch, versions: dict[str, str | None]) -> None:
    """Pretend these distributions are installed at these versions (None: missing)."""
    real_version = metadata.version

    def fake_version(name: str) -> str:
        if name in versions:
            if versions[name] is None:
                raise metadata.PackageNotFoundError(name)
            return versions[name]
        return real_version(name)

    monkeypatch.setattr(metadata, "version", fake_version)


def test_a_fresh_forge_gets_altair_and_sqlalchemy_held_to_its_own_pins(monkeypatch, webui_root: Path) -> None:
    """gradio 4 does not bring altair: without it ParamLab's charts cannot load."""
    with_installed(monkeypatch, {"SQLAlchemy": None, "altair": None, "gradio": "4.40.0"})
    runpy.run_path(INSTALL, run_name="__main__")
    pins = webui_root / "requirements_versions.txt"
    assert pip_installs() == [f'install "SQLAlchemy==2.0.58" -c "{pins}"', f'install "altair==5.5.0" -c "{pins}"']
    assert [desc for _, desc in launch.run_pip_calls] == [
        "ParamLab requirement: SQLAlchemy==2.0.58", "ParamLab requirement: altair==5.5.0"]


def test_an_old_altair_is_replaced_but_a_fitting_one_is_kept(monkeypatch) -> None:
    with_installed(monkeypatch, {"altair": "4.2.2"})
    runpy.run_path(INSTALL, run_name="__main__")
    assert pip_installs() == ['install "altair==5.5.0"']
    launch.reset()
    with_installed(monkeypatch, {"altair": "5.0.1"})
    runpy.run_path(INSTALL, run_name="__main__")
    assert pip_installs() == []


def test_skip_install_installs_nothing(monkeypatch, webui_root: Path) -> None:
    with_installed(monkeypatch, {"SQLAlchemy": None, "altair": None})
    launch.args.skip_install = True
    runpy.run_path(INSTALL, run_name="__main__")
    assert launch.run_pip_calls == []


def test_the_pins_fit_the_hosts() -> None:
    """Each pin satisfies its own accepted range and the gradio of both hosts (3.41 wants altair>=4.2,<6)."""
    from packaging.specifiers import SpecifierSet
    from packaging.version import Version

    from paramlab.dependencies import DEPENDENCIES, POSTGRESQL_DRIVER

    for dependency in (*DEPENDENCIES, POSTGRESQL_DRIVER):
        assert Version(dependency.pin) in SpecifierSet(dependency.accepted)
    altair = next(d for d in DEPENDENCIES if d.distribution == "altair")
    assert Version(altair.pin) in SpecifierSet(">=4.2.0,<6.0")
