"""Shared fixtures. ``tests/host`` holds the stand-in for A1111's ``modules`` package."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
HOST_DIR = Path(__file__).resolve().parent / "host"
ARTIFACTS_DIR = REPO_ROOT / "test-artifacts"

for entry in (str(REPO_ROOT), str(HOST_DIR)):
    if entry not in sys.path:
        sys.path.insert(0, entry)


@pytest.fixture
def ledger(tmp_path: Path):
    """A fresh SQLite ledger in a temporary folder."""
    from paramlab.ledger import Ledger
    from paramlab.paths import resolve_ledger_url

    opened = Ledger.open(resolve_ledger_url(tmp_path / "ledger.sqlite", tmp_path))
    yield opened
    opened.close()


@pytest.fixture
def artifacts_dir() -> Path:
    """Where tests leave screenshots and other files for people to look at."""
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    return ARTIFACTS_DIR
