"""Profiles in the real SQLite ledger: CRUD, read-only starters, model-scope order, atomic writes, figures."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from db_faults import MISSING_TABLE, refuse

from paramlab.ledger import ImageRecord, Ledger, RunRecord, schema
from paramlab.profiles import (
    STARTER_PROFILES,
    HostCatalog,
    Profile,
    ProfileError,
    ProfileNotFound,
    ProfileStore,
    profile_figures,
)
from paramlab.profiles.store import ProfileStorageError


@pytest.fixture
def store(ledger: Ledger) -> ProfileStore:
    return ProfileStore(ledger)


def stored_rows(ledger: Ledger) -> list[tuple]:
    with ledger.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(sa.select(schema.profiles).order_by(schema.profiles.c.id))]


def test_create_get_update_delete(store: ProfileStore) -> None:
    created = store.create(Profile(name="Portrait", description="faces", settings={"Steps": 28, "Size": "512x768"}))
    assert created.settings == {"Steps": 28, "Size": "512x768"} and not created.starter
    assert created.created_at is not None and created.created_at.tzinfo is not None
    assert store.get("portrait") == created

    updated = store.update("PORTRAIT", Profile(name="Portrait tall", settings={"Steps": 30}))
    assert updated.name == "Portrait tall" and updated.settings == {"Steps": 30}
    assert updated.created_at == created.created_at and updated.updated_at >= created.updated_at
    with pytest.raises(ProfileNotFound, match="No profile named 'Portrait'. Available profiles: .*Portrait tall"):
        store.get("Portrait")

    store.delete("portrait TALL")
    assert [p.name for p in store.stored()] == []
    with pytest.raises(ProfileNotFound):
        store.delete("Portrait tall")


def test_names_are_unique_case_insensitively(store: ProfileStore) -> None:
    store.create(Profile(name="Night", settings={"CFG scale": 6}))
    with pytest.raises(ProfileError, match="A profile named 'Night' already exists"):
        store.create(Profile(name="NIGHT"))
    with pytest.raises(ProfileError, match="'Balanced' is the name of a starter profile"):
        store.create(Profile(name="balanced"))
    store.create(Profile(name="Day"))
    with pytest.raises(ProfileError, match="already exists"):
        store.update("Day", Profile(name="night"))
    assert store.update("Night", Profile(name="NIGHT", settings={"CFG scale": 6})).name == "NIGHT"  # own name


def test_create_with_a_catalog_checks_host_names(store: ProfileStore) -> None:
    catalog = HostCatalog(samplers=["Euler a", "DPM++ 2M"], schedulers=["Automatic", "Karras"])
    with pytest.raises(ProfileError, match="Valid samplers: Euler a, DPM\\+\\+ 2M"):
        store.create(Profile(name="Odd", settings={"Sampler": "Foo"}), catalog)
    assert store.stored() == []
    made = store.create(Profile(name="Legacy", settings={"Sampler": "dpm++ 2m karras"}), catalog)
    assert made.settings == {"Sampler": "DPM++ 2M", "Schedule type": "Karras"} and made.usable


def test_starters_are_read_only_but_duplicable(store: ProfileStore) -> None:
    with pytest.raises(ProfileError, match="'Final render' is a starter profile; duplicate it to change it"):
        store.update("final render", Profile(name="Final render", settings={"Steps": 50}))
    with pytest.raises(ProfileError, match="is a starter profile; duplicate it"):
        store.delete("Balanced")
    copy = store.duplicate("Final render", "My final render")
    assert not copy.starter and copy.settings == {"Steps": 40, "Hires upscale": 1.5, "Denoising strength": 0.35}
    edited = store.update("My final render", copy.copy(update={"settings": {"Steps": 50}}))
    assert edited.settings == {"Steps": 50}
    assert store.get("Final render").settings["Steps"] == 40  # the starter is unchanged
    assert [p.name for p in store.stored()] == ["My final render"]
    with pytest.raises(ProfileError, match="already exists"):
        store.duplicate("Balanced", "my final render")


def test_list_puts_the_loaded_models_profiles_first(store: ProfileStore) -> None:
    store.create(Profile(name="zeta general"))
    store.create(Profile(name="Alpha general"))
    store.create(Profile(name="SDXL look", model_scope="juggernaut"))
    store.create(Profile(name="By hash", model_scope="a1b2c3d4"))
    store.create(Profile(name="Other model", model_scope="v1-5-pruned-emaonly"))

    names = [p.name for p in store.list(model_name="juggernaut.safetensors [a1b2c3d4e5]", model_hash="a1b2c3d4e5")]
    starters = [p.name for p in STARTER_PROFILES]
    assert names == ["By hash", "SDXL look", *starters, "Alpha general", "Other model", "zeta general"]
    assert [p.name for p in store.list()][: len(starters)] == starters
    assert store.names() == [p.name for p in store.list()]


def test_a_failed_write_changes_nothing(store: ProfileStore, ledger: Ledger) -> None:
    store.create(Profile(name="Keep", settings={"Steps": 20}))
    before = stored_rows(ledger)
    refuse(ledger, "refuse_updates", "profiles", "UPDATE", "disk says no")
    with pytest.raises(ProfileStorageError, match="nothing was changed: disk says no"):
        store.update("Keep", Profile(name="Kept", settings={"Steps": 99}))
    assert stored_rows(ledger) == before


def test_an_unreadable_database_is_a_profile_error(store: ProfileStore, ledger: Ledger) -> None:
    with ledger.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE profiles")
    with pytest.raises(ProfileStorageError, match=f"ParamLab: could not read the profiles: .*({MISSING_TABLE})"):
        store.list()
    assert store.get("Balanced").starter  # starters come from code


def test_a_row_edited_into_nonsense_is_shown_unusable(store: ProfileStore, ledger: Ledger) -> None:
    store.create(Profile(name="Fine", settings={"Steps": 20}))
    with ledger.engine.begin() as conn:
        conn.execute(schema.profiles.update().values(settings_json='{"Steps": 9999}'))
    [profile] = store.stored()
    assert profile.settings == {} and "stored settings are invalid" in profile.unusable_reason


def make_run(profile: str | None, costs: list[float | None], peak: int | None) -> RunRecord:
    run = RunRecord(tab="txt2img", source="ui", wall_seconds=sum(c or 0 for c in costs), peak_vram_bytes=peak)
    run.images = [ImageRecord(index_in_run=i, cost_seconds=cost, profile=profile) for i, cost in enumerate(costs)]
    return run


def test_figures_per_profile(ledger: Ledger) -> None:
    ledger.write_runs([
        make_run("Final render", [4.0, 6.0], peak=6_000_000_000),
        make_run("final render", [10.0], peak=7_500_000_000),
        make_run("Balanced", [1.0, 2.0, 3.0], peak=None),
        make_run("Imported", [None], peak=None),
        make_run(None, [0.5], peak=9_000_000_000),
    ])
    figures = profile_figures(ledger)
    assert set(figures) == {"final render", "balanced", "imported"}
    final = figures["final render"]
    assert (final.generations, final.median_seconds_per_image, final.peak_vram_bytes) == (3, 6.0, 7_500_000_000)
    assert final.mean_quality is None
    balanced = figures["balanced"]
    assert (balanced.generations, balanced.median_seconds_per_image, balanced.peak_vram_bytes) == (3, 2.0, None)
    imported = figures["imported"]
    assert (imported.generations, imported.median_seconds_per_image) == (1, None)


def test_figures_on_an_empty_ledger(ledger: Ledger) -> None:
    assert profile_figures(ledger) == {}


def test_a_profile_counts_its_failed_runs_and_names_why(ledger: Ledger) -> None:
    nan = "A tensor with NaNs was produced in Unet. This could be either because there's not enough precision …"
    runs = [make_run("Final render", [4.0, 6.0], peak=None) for _ in range(37)]
    for error_type, error in (("NansException", nan), ("NansException", nan), ("OutOfMemoryError",
                                                                                  "CUDA out of memory. Tried …")):
        runs.append(RunRecord(tab="txt2img", source="api", status="failed", error_type=error_type, error=error,
                              profile="final render"))  # a failed run: no image carries the name
    runs.append(RunRecord(tab="txt2img", source="api", status="failed", error_type="NansException", error=nan))
    ledger.write_runs(runs)
    figures = profile_figures(ledger)
    assert set(figures) == {"final render"}  # the run without a profile counts for none
    final = figures["final render"]
    assert (final.generations, final.runs, final.failed_runs) == (74, 40, 3)
    assert final.failures_text() == "3 of 40 runs failed: NaN in Unet (2), out of memory (1)"


def test_a_profile_whose_every_run_failed_still_shows_it(ledger: Ledger) -> None:
    ledger.write_runs([RunRecord(tab="txt2img", source="ui", status="failed", error_type="NansException",
                                 error="A tensor with NaNs was produced in VAE.", profile="Balanced")])
    [(key, figures)] = profile_figures(ledger).items()
    assert (key, figures.generations, figures.failures_text()) == ("balanced", 0, "1 of 1 run failed: NaN in VAE")
