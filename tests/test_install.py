"""install.py installs only what the WebUI's venv lacks, pinned."""

from __future__ import annotations

import json
import runpy
import sys
from importlib import metadata
from pathlib import Path

import launch
import pytest

INSTALL = str(Path(__file__).resolve().parent.parent / "install.py")


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
    from paramlab.paths import resolve_ledger_url

    assert resolve_ledger_url("postgresql://u@db/paramlab", tmp_path).drivername == "postgresql+psycopg"
    assert resolve_ledger_url("postgres://u@db/paramlab", tmp_path).drivername == "postgresql+psycopg"
