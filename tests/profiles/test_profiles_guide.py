"""The studio's style guide in a shared ledger: approved and locked profiles, every change kept as a
version with who and when, the guide exported for review, and viewers that may not write; on SQLite and
PostgreSQL alike."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from paramlab.ledger import Ledger, schema
from paramlab.ledger.actor import Actor, acting_as, operator
from paramlab.ledger.store import LedgerReadOnly
from paramlab.profiles import Profile, ProfileError, ProfileStore
from paramlab.profiles.fileformat import export_profiles, import_profiles
from paramlab.profiles.guide import badge, guide_markdown
from paramlab.profiles.store import ProfileLocked, ProfileStorageError

REPO = Path(__file__).resolve().parents[2]
ALICE = Actor(name="alice (WebUI on gpu-1)")
LEAD = Actor(name="lead (WebUI on gpu-1)", may_edit_locked=True)


@pytest.fixture
def store(ledger: Ledger) -> ProfileStore:
    return ProfileStore(ledger)


def actions(store: ProfileStore, name: str) -> list[tuple[int, str, str | None]]:
    return [(v["version"], v["action"], v["changed_by"]) for v in store.history(name)]


def test_every_change_is_a_version_with_who_and_when(store: ProfileStore) -> None:
    with acting_as(ALICE):
        store.create(Profile(name="House", description="daily work", settings={"Steps": 20}))
        store.update("House", Profile(name="House style", settings={"Steps": 28}))
    with acting_as(LEAD):
        store.set_guide("House style", approved=True, locked=True)
    history = store.history("House style")
    assert actions(store, "house style") == [
        (1, "created", ALICE.name), (2, "updated", ALICE.name), (3, "approved", LEAD.name), (4, "locked", LEAD.name)]
    assert [v["name"] for v in history] == ["House", "House style", "House style", "House style"]
    assert json.loads(history[0]["settings_json"]) == {"Steps": 20}
    assert all(v["changed_at"].tzinfo is not None for v in history)
    profile = store.get("House style")
    assert (profile.version, profile.approved, profile.locked, profile.approved_by) == (4, True, True, LEAD.name)
    assert badge(profile).startswith(f"✓ Approved by {LEAD.name} on ") and "🔒 Locked" in badge(profile)


def test_approved_profiles_are_listed_first(store: ProfileStore) -> None:
    for name in ("Alpha", "Zulu", "Mid"):
        store.create(Profile(name=name, settings={"Steps": 20}))
    with acting_as(operator()):
        store.set_guide("Zulu", approved=True)
    names = store.names()
    assert names[0] == "Zulu" and names.index("Balanced") < names.index("Alpha")


def test_a_locked_profile_changes_only_for_those_allowed_and_nothing_is_written_otherwise(
        store: ProfileStore, ledger: Ledger) -> None:
    store.create(Profile(name="Final", settings={"Steps": 40}))
    with acting_as(operator()):
        store.set_guide("Final", locked=True)
    before = store.history("Final")
    with acting_as(ALICE):
        with pytest.raises(ProfileLocked, match="'Final' is locked in the studio's style guide.*profiles unlock"):
            store.update("Final", Profile(name="Final", settings={"Steps": 10}))
        with pytest.raises(ProfileLocked, match="cannot delete it"):
            store.delete("Final")
        with pytest.raises(ProfileLocked, match="Only the command line"):
            store.set_guide("Final", locked=False)
        report = import_profiles(store, export_profiles([Profile(name="Final", settings={"Steps": 5})]),
                                 on_conflict="replace")
        assert not report.ok and "locked" in report.summary()
        store.duplicate("Final", "Final (mine)")  # a copy is the user's own, unlocked
    assert store.history("Final") == before and store.get("Final").settings == {"Steps": 40}
    assert not store.get("Final (mine)").locked
    with acting_as(LEAD):
        store.update("Final", Profile(name="Final", settings={"Steps": 44}))
        store.delete("Final")
    assert [a for _, a, _ in actions(store, "Final")] == ["created", "locked", "updated", "deleted"]
    with ledger.engine.connect() as conn:  # the history outlives the profile
        assert conn.execute(sa.select(sa.func.count()).select_from(schema.profile_versions)).scalar_one() == 5


def test_starters_stay_out_of_the_guide(store: ProfileStore) -> None:
    with acting_as(operator()), pytest.raises(ProfileError, match="starter profile; duplicate it"):
        store.set_guide("Balanced", approved=True)


def test_a_viewer_cannot_write_and_nothing_is_written(store: ProfileStore, ledger: Ledger) -> None:
    viewer = Actor(name="guest", may_write=False, read_only_reason="ParamLab: guest may view this ledger only.")
    with acting_as(viewer):
        with pytest.raises(ProfileStorageError, match="guest may view this ledger only"):
            store.create(Profile(name="Nope", settings={}))
        with pytest.raises(LedgerReadOnly, match="view this ledger only"):
            ledger.set_rating(1, 3)
    assert store.stored() == []


def test_the_guide_exports_for_review(store: ProfileStore) -> None:
    store.create(Profile(name="Portrait", description="people | close-ups", settings={"Steps": 30, "CFG scale": 6}))
    store.create(Profile(name="Scratch", settings={"Steps": 8}))
    with acting_as(LEAD):
        store.set_guide("Portrait", approved=True, locked=True)
    text = guide_markdown(store.list())
    assert "## Portrait" in text and "**When to use:** people | close-ups" in text
    assert "| Steps | 30 |" in text and "| CFG scale | 6.0 |" in text and f"by {LEAD.name}" in text
    assert "## Not in the guide" in text and "- Scratch" in text and "Balanced" not in text


def test_cli_approves_locks_shows_history_and_exports_the_guide(ledger_location: str, tmp_path: Path) -> None:
    env = dict(os.environ, PARAMLAB_HOME=str(tmp_path / "home"), PYTHONIOENCODING="utf-8")

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "paramlab", "--db", ledger_location, "profiles", *args],
                              cwd=REPO, env=env, capture_output=True, text=True, encoding="utf-8", timeout=120)

    source = tmp_path / "in.json"
    source.write_text(export_profiles([Profile(name="Night", description="after dark", settings={"Steps": 25})]),
                      encoding="utf-8")
    assert cli("import", str(source)).returncode == 0
    approved = cli("approve", "night")
    assert approved.returncode == 0 and "✓ Approved by" in approved.stderr and "(command line)" in approved.stderr
    assert cli("lock", "Night").returncode == 0
    history = cli("history", "Night")
    assert [line.split()[0] for line in history.stdout.splitlines()] == ["v1", "v2", "v3"]
    assert "imported" in history.stdout and "locked" in history.stdout
    guide = tmp_path / "guide.md"
    assert cli("export", "--approved", "--format", "markdown", "-o", str(guide)).returncode == 0
    assert "## Night" in guide.read_text(encoding="utf-8") and "🔒 Locked" in guide.read_text(encoding="utf-8")
    exported = json.loads(cli("export", "--approved").stdout)
    assert [entry["name"] for entry in exported["profiles"]] == ["Night"]
    refused = cli("approve", "Balanced")
    assert refused.returncode == 2 and "starter profile" in refused.stderr
    listed = cli("list").stdout.splitlines()
    assert listed[0].startswith("Night  [profile]  [✓ Approved")
