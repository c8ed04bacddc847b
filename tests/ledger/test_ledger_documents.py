"""The ledger's reads and edits of profiles and series (``ledger.reads.profiles|series``,
``ledger.edits.profiles|series``): plain rows, versions, transactions that change nothing when they fail, and
database failures that arrive as LedgerError (or the store's own error) with a plain sentence."""

from __future__ import annotations

from datetime import datetime

import pytest
from db_faults import refuse

from paramlab.ledger import ImageRecord, Ledger, LedgerError, RunRecord
from paramlab.ledger.edits.profiles import ProfileEdits, profile_edits
from paramlab.ledger.edits.series import series_edits
from paramlab.ledger.reads import profiles as profile_reads
from paramlab.ledger.reads import series as series_reads
from paramlab.ledger.records import utc_now


def profile_values(name: str, settings: str = "{}") -> dict[str, object]:
    now = utc_now()
    return {"name": name, "name_key": name.lower(), "description": "", "model_scope": None,
            "settings_json": settings, "unusable_reason": None, "created_at": now, "updated_at": now}


def series_values(name: str, seed: int) -> dict[str, object]:
    now = utc_now()
    return {"name": name, "name_key": name.lower(), "seed": seed, "variation_seed": None, "variation_strength": None,
            "profile": None, "prompt_fragment": None, "notes": "", "created_at": now, "updated_at": now}


def test_profile_edits_keep_every_version_and_the_reads_return_plain_rows(ledger: Ledger) -> None:
    with profile_edits(ledger, "save profile 'Night'") as edits:
        edits.create(profile_values("Night", '{"Steps": 20}'), "created")
    with profile_edits(ledger, "save profile 'Night'") as edits:
        night = edits.find("night")
        assert night is not None and night["version"] == 1
        changed = edits.change(night, {"settings_json": '{"Steps": 30}'}, "updated")
        assert changed["version"] == 2 and changed["settings_json"] == '{"Steps": 30}'

    [row] = profile_reads.stored_profiles(ledger)
    assert row == profile_reads.stored_profile(ledger, "night")
    assert all(type(key) is str for key in row)  # plain keys: orjson (gradio's JSON) refuses SQLAlchemy's
    assert isinstance(row["created_at"], datetime) and row["created_at"].tzinfo is not None
    assert profile_reads.stored_profile(ledger, "day") is None

    with profile_edits(ledger, "delete profile 'Night'") as edits:
        edits.remove(edits.find("night") or {})
    assert profile_reads.stored_profiles(ledger) == []
    history = profile_reads.profile_history(ledger, "night")  # a deleted profile: found by its last name
    assert history is not None and [v["action"] for v in history] == ["created", "updated", "deleted"]
    assert [v["version"] for v in history] == [1, 2, 3] and history[0]["changed_at"].tzinfo is not None
    assert profile_reads.profile_history(ledger, "never") is None


def test_a_failed_edit_changes_nothing_and_says_why_as_a_ledger_error(ledger: Ledger) -> None:
    with series_edits(ledger, "save series 'Kaito'") as edits:
        edits.insert(series_values("Kaito", 7))
    refuse(ledger, "refuse_series_update", "series", "UPDATE", "disk full")
    refused = "ParamLab: could not save series 'Kaito'; nothing was changed: disk full"
    with pytest.raises(LedgerError, match=refused), series_edits(ledger, "save series 'Kaito'") as edits:
        edits.insert(series_values("Aiko", 1))  # lands in the transaction, then rolls back with it
        edits.update(edits.find("kaito")["id"], {"seed": 8})  # type: ignore[index]
    assert series_reads.series_names(ledger) == ["Kaito"]
    assert series_reads.stored_one_series(ledger, "kaito")["seed"] == 7  # type: ignore[index]


def test_the_store_error_and_the_name_taken_by_another_writer(ledger: Ledger) -> None:
    class StoreError(ValueError):
        pass

    with profile_edits(ledger, "save profile 'Night'") as edits:
        edits.create(profile_values("Night"), "created")
    taken = (r"could not save profile 'NIGHT'; nothing was changed: a profile with that name already exists "
             r"\(names are case-insensitive\)")
    with pytest.raises(StoreError, match=taken) as raised, \
            profile_edits(ledger, "save profile 'NIGHT'", errors_as=StoreError) as edits:
        edits.create(profile_values("NIGHT"), "created")  # no check first: the unique key refuses it
    assert isinstance(raised.value.__cause__, LedgerError)
    assert [row["name"] for row in profile_reads.stored_profiles(ledger)] == ["Night"]
    assert len(profile_reads.profile_history(ledger, "night") or []) == 1


def test_a_store_error_raised_inside_rolls_the_edit_back(ledger: Ledger) -> None:
    with pytest.raises(KeyError), profile_edits(ledger, "import the profiles") as edits:
        assert isinstance(edits, ProfileEdits)
        edits.create(profile_values("First"), "imported")
        raise KeyError("the second entry was refused")
    assert profile_reads.stored_profiles(ledger) == []


def test_what_the_ledger_recorded_with_profiles_and_series(ledger: Ledger) -> None:
    run = RunRecord(tab="txt2img", source="ui", wall_seconds=3.0, peak_vram_bytes=2**30, profile="Balanced")
    run.images = [ImageRecord(index_in_run=0, cost_seconds=1.5, profile="Balanced", series="Kaito"),
                  ImageRecord(index_in_run=1, cost_seconds=2.5, profile="balanced", series="KAITO"),
                  ImageRecord(index_in_run=2, cost_seconds=1.0, series="Aiko")]
    ledger.write_runs([run])
    costs = profile_reads.profile_image_costs(ledger)
    assert list(costs.columns) == ["profile", "run_id", "cost_seconds", "peak_vram_bytes"]
    assert sorted(costs["profile"]) == ["Balanced", "balanced"] and set(costs["peak_vram_bytes"]) == {2**30}
    outcomes = profile_reads.profile_run_outcomes(ledger)
    assert list(outcomes.columns) == ["profile", "run_id", "status", "error_type", "error"]
    assert list(outcomes["profile"]) == ["Balanced"]
    assert series_reads.images_per_series(ledger) == {"Kaito": 1, "KAITO": 1, "Aiko": 1}  # as tagged


def test_an_unreadable_table_is_a_ledger_error(ledger: Ledger) -> None:
    with ledger.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE series")
    with pytest.raises(LedgerError, match="ParamLab: could not read the series: "):
        series_reads.stored_series(ledger)
    refused = "ParamLab: could not save series 'A'; nothing was changed: "
    with pytest.raises(LedgerError, match=refused), series_edits(ledger, "save series 'A'") as edits:
        edits.insert(series_values("A", 1))
