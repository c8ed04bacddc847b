"""install.py installs only what the WebUI's venv lacks, pinned."""

from __future__ import annotations

import runpy
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
