"""The profiles file: export, all-or-nothing import, every kind of bad input, and name conflicts."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from db_faults import refuse

from paramlab.ledger import Ledger, schema
from paramlab.profiles import (
    STARTER_PROFILES,
    HostCatalog,
    Profile,
    ProfileError,
    ProfileStore,
    export_profiles,
    import_profiles,
)

CATALOG = HostCatalog(
    samplers=["DPM++ 2M", "Euler a", "Euler", "DDIM"], schedulers=["Automatic", "Karras", "Exponential"],
    upscalers=["Latent", "R-ESRGAN 4x+"], checkpoints=["v1-5-pruned-emaonly.safetensors [6ce0161689]"],
    vaes=["Automatic", "None"],
)


@pytest.fixture
def store(ledger: Ledger) -> ProfileStore:
    return ProfileStore(ledger)


def document(*entries: dict, **top) -> str:
    data = {"format": "paramlab-profiles", "version": 1, "exported_at": "2026-03-01T10:00:00+00:00",
            "profiles": list(entries)}
    data.update(top)
    return json.dumps(data)


def entry(name: str, **settings) -> dict:
    return {"name": name, "description": f"about {name}", "model_scope": None, "settings": settings or {"Steps": 20}}


def table_rows(ledger: Ledger) -> list[tuple]:
    with ledger.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(sa.select(schema.profiles).order_by(schema.profiles.c.id))]


def test_export_then_import_round_trips(store: ProfileStore, ledger: Ledger) -> None:
    store.create(Profile(name="Portrait", description="faces, 2:3", model_scope="6ce0161689",
                         settings={"Sampler": "Euler a", "Size": "512x768", "Hires resize": "1024x1536"}))
    store.create(Profile(name="カイト 🌃", settings={"CFG scale": 6.5, "Clip skip": 2}))
    text = export_profiles(store.stored())
    data = json.loads(text)
    assert data["format"] == "paramlab-profiles" and data["version"] == 1 and data["exported_at"]
    assert "カイト" in text  # ensure_ascii=False
    assert set(data["profiles"][0]) == {"name", "description", "model_scope", "settings"}

    originals = [(p.name, p.description, p.model_scope, p.settings) for p in store.stored()]
    for profile in store.stored():
        store.delete(profile.name)
    report = import_profiles(store, text.encode("utf-8"), catalog=CATALOG)
    assert report.ok and [e.action for e in report.entries] == ["created", "created"]
    assert [(p.name, p.description, p.model_scope, p.settings) for p in store.stored()] == originals
    assert "Imported 2 profiles (2 created)." in report.summary()


def test_starters_export_as_ordinary_profiles(store: ProfileStore) -> None:
    data = json.loads(export_profiles(list(STARTER_PROFILES)))
    assert len(data["profiles"]) == 8 and "starter" not in data["profiles"][0]
    report = import_profiles(store, export_profiles(list(STARTER_PROFILES)), on_conflict="rename")
    assert report.ok and {e.action for e in report.entries} == {"renamed"}
    assert store.get("Final render (2)").settings["Hires upscale"] == 1.5


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not valid JSON (line 1, column 2"),
        ("", "not valid JSON"),
        (b"\xff\xfe\x00garbage", "not UTF-8"),
        ("[1, 2]", "not a ParamLab profiles file"),
        (json.dumps({"format": "something-else", "version": 1, "profiles": []}), "not a ParamLab profiles file"),
        (document(entry("A"), version=2), "format version 2; this ParamLab reads version 1"),
        (document(entry("A"), version="1"), "format version '1'"),
        (document(entry("A"), profiles={"A": 1}), 'no "profiles" list'),
        (document(), "holds no profiles"),
        ("[" * 100_000 + "]" * 100_000, "not valid JSON"),
    ],
    ids=["malformed", "empty", "not-utf8", "array", "other-format", "version-2", "version-text", "no-list",
         "no-profiles", "deep-nesting"],
)
def test_a_bad_file_is_refused_whole(store: ProfileStore, ledger: Ledger, text, message: str) -> None:
    report = import_profiles(store, text)
    assert not report.ok and message in report.error and report.entries == []
    assert "Nothing was imported" in report.summary()
    assert table_rows(ledger) == []


def test_a_file_over_5_mb_is_refused(store: ProfileStore) -> None:
    huge = document(entry("A")) + " " * (5 * 1024 * 1024)
    report = import_profiles(store, huge)
    assert not report.ok and "the limit is 5 MB" in report.error


@pytest.mark.parametrize(
    ("bad_entry", "reason"),
    [
        (entry(""), "Profile name is empty"),
        (entry("x" * 10_000), "Profile name is 10,000 characters long; the limit is 100"),
        (entry("<b>x</b>"), "HTML is not allowed in names"),
        ({"description": "no name", "settings": {}}, "Profile name is missing"),
        (entry("Bad steps", Steps=0), "Steps: 0 is out of range; it must be between 1 and 150"),
        (entry("Bad key", Stepz=20), "Unknown setting 'Stepz'"),
        ({**entry("Extra"), "colour": "red"}, "unknown field(s) colour"),
        ("just a string", "an entry must be an object"),
        (entry("Unknown sampler", Sampler="Foo"), "Valid samplers: DPM++ 2M, Euler a, Euler, DDIM"),
    ],
)
def test_one_bad_entry_means_nothing_is_written(store: ProfileStore, ledger: Ledger, bad_entry, reason) -> None:
    report = import_profiles(store, document(entry("Good one"), bad_entry, entry("Good two")), catalog=CATALOG)
    assert not report.ok
    assert [e.action for e in report.entries] == ["created", "rejected", "created"]
    assert reason in report.entries[1].detail
    assert table_rows(ledger) == []
    assert reason in report.summary()


def test_duplicate_names_inside_one_file(store: ProfileStore, ledger: Ledger) -> None:
    report = import_profiles(store, document(entry("Night"), entry("Day"), entry("NIGHT")))
    assert not report.ok
    assert [(e.name, e.action) for e in report.entries] == [
        ("Night", "rejected"), ("Day", "created"), ("NIGHT", "rejected")]
    assert "appears more than once in this file" in report.entries[0].detail
    assert table_rows(ledger) == []


def test_unknown_sampler_kept_but_unusable_with_keep_unknown(store: ProfileStore) -> None:
    text = document(entry("Foreign", Sampler="Foo", Steps=30), entry("Local", Sampler="euler a"))
    report = import_profiles(store, text, keep_unknown=True, catalog=CATALOG)
    assert report.ok
    assert report.entries[0].detail == "kept but unusable here: sampler 'Foo' is not available in this WebUI"
    foreign = store.get("Foreign")
    assert foreign.settings == {"Sampler": "Foo", "Steps": 30} and not foreign.usable
    assert foreign.unusable_reason == "sampler 'Foo' is not available in this WebUI"
    local = store.get("Local")
    assert local.usable and local.settings == {"Sampler": "Euler a"}
    # types and ranges are still enforced with keep_unknown
    bad = import_profiles(store, document(entry("Broken", Sampler="Foo", Steps=500)), keep_unknown=True,
                          catalog=CATALOG)
    assert not bad.ok and "out of range" in bad.entries[0].detail


def test_a_conflict_needs_an_explicit_choice(store: ProfileStore, ledger: Ledger) -> None:
    store.create(Profile(name="Night", settings={"Steps": 20}))
    before = table_rows(ledger)
    report = import_profiles(store, document(entry("night", Steps=50), entry("New")))
    assert not report.ok and report.entries[0].action == "rejected"
    assert "already exists; choose skip, rename or replace" in report.entries[0].detail
    assert table_rows(ledger) == before


def test_conflict_skip(store: ProfileStore) -> None:
    store.create(Profile(name="Night", settings={"Steps": 20}))
    report = import_profiles(store, document(entry("night", Steps=50), entry("New")), on_conflict="skip")
    assert report.ok and [e.action for e in report.entries] == ["skipped", "created"]
    assert store.get("Night").settings == {"Steps": 20} and store.get("New")


def test_conflict_rename(store: ProfileStore) -> None:
    store.create(Profile(name="Night"))
    store.create(Profile(name="Night (2)"))
    long_name = "L" * 100
    store.create(Profile(name=long_name))
    report = import_profiles(store, document(entry("Night", Steps=50), entry("Night (3)"), entry(long_name)),
                             on_conflict="rename")
    # "Night (3)" is taken by the file itself, so the renamed "Night" becomes "Night (4)"
    assert report.ok and [e.action for e in report.entries] == ["renamed", "created", "renamed"]
    assert report.entries[0].detail == "imported as 'Night (4)'"
    assert store.get("Night (4)").settings == {"Steps": 50}
    assert store.get("Night (3)")
    assert store.get("L" * 96 + " (2)")


def test_conflict_replace_and_starters_are_never_replaced(store: ProfileStore, ledger: Ledger) -> None:
    original = store.create(Profile(name="Night", settings={"Steps": 20}))
    report = import_profiles(store, document(entry("NIGHT", Steps=50)), on_conflict="replace")
    assert report.ok and report.entries[0].action == "replaced"
    replaced = store.get("night")
    assert replaced.name == "NIGHT" and replaced.settings == {"Steps": 50}
    assert replaced.created_at == original.created_at
    assert len(table_rows(ledger)) == 1

    before = table_rows(ledger)
    report = import_profiles(store, document(entry("Balanced", **{"CFG scale": 9}), entry("Other")),
                             on_conflict="replace")
    assert not report.ok and report.entries[0].action == "rejected"
    assert "starter profile and cannot be replaced" in report.entries[0].detail
    assert table_rows(ledger) == before
    assert store.get("Balanced").settings == {"CFG scale": 7}


def test_an_invalid_conflict_choice_is_an_error(store: ProfileStore) -> None:
    with pytest.raises(ProfileError, match="on_conflict must be one of skip, rename, replace"):
        import_profiles(store, document(entry("A")), on_conflict="merge")


def test_a_write_failure_leaves_the_table_unchanged(store: ProfileStore, ledger: Ledger) -> None:
    store.create(Profile(name="Night", settings={"Steps": 20}))
    before = table_rows(ledger)
    refuse(ledger, "refuse_boom", "profiles", "INSERT", "disk says no", when="NEW.name = 'Boom'")
    text = document(entry("Night", Steps=50), entry("Fine"), entry("Boom"))
    report = import_profiles(store, text, on_conflict="replace")
    assert not report.ok and "disk says no" in report.error
    assert {e.action for e in report.entries} == {"rejected"}
    assert table_rows(ledger) == before


def test_cli_exports_and_imports_profiles(tmp_path) -> None:
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parents[2]
    db = str(tmp_path / "ledger.sqlite")

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "paramlab", "--db", db, "profiles", *args], cwd=repo,
                              capture_output=True, text=True, check=False)

    out_file = tmp_path / "style-guide.json"
    assert cli("export", "--name", "Final render", "-o", str(out_file)).returncode == 0
    refused = cli("import", str(out_file))
    assert refused.returncode == 1 and "skip" in refused.stderr
    assert cli("import", str(out_file), "--on-conflict", "rename").returncode == 0
    listing = cli("list")
    assert "Final render (2)  [profile]" in listing.stdout and "Balanced  [starter]" in listing.stdout
    missing = cli("import", str(tmp_path / "nope.json"))
    assert missing.returncode == 2 and "nope.json" in missing.stderr
