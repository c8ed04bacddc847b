"""Character series in the ledger: the model's rules, the store's CRUD, and atomic writes."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from db_faults import refuse

from paramlab.ledger import ImageRecord, Ledger, RunRecord, schema
from paramlab.seeds import Series, SeriesError, SeriesNotFound, SeriesStorageError, SeriesStore


@pytest.fixture
def store(ledger: Ledger) -> SeriesStore:
    return SeriesStore(ledger)


def kaito(**overrides) -> Series:
    fields = {"name": "Kaito", "seed": 1234, "notes": "blue scarf"} | overrides
    return Series(**fields)


def stored_rows(ledger: Ledger) -> list[dict]:
    with ledger.engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(sa.select(schema.series).order_by(schema.series.c.id))]


# -- the model -----------------------------------------------------------------------------------


def test_a_series_holds_its_fields_stripped() -> None:
    series = Series(name="  Kaito ", seed=4294967295, variation_seed=0, variation_strength=1, profile=" Final render ",
                    prompt_fragment="  silver hair, blue scarf ", notes=None)
    assert series.name == "Kaito" and series.key == "kaito" and series.seed == 4294967295
    assert series.variation_strength == 1.0 and series.has_variation
    assert series.profile == "Final render" and series.prompt_fragment == "silver hair, blue scarf"
    assert series.notes == ""
    assert Series(name="A", seed=0, profile="", prompt_fragment="  ").profile is None
    with pytest.raises(TypeError):
        series.seed = 5  # type: ignore[misc]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Series name is empty"),
        ("   ", "Series name is empty"),
        (None, "Series name is missing"),
        ("x" * 101, "Series name is 101 characters long; the limit is 100"),
        ("Kai\nto", "Series name contains a control character"),
        ("Kai\u202eto", "Series name contains a control character"),
        ("<img src=x onerror=alert(1)>", "contains '<' or '>'"),
        (12, "Series name must be text"),
    ],
    ids=["empty", "blank", "missing", "long", "newline", "bidi", "html", "number"],
)
def test_empty_or_hostile_names_are_refused(name: object, message: str) -> None:
    with pytest.raises(SeriesError, match=message):
        Series(name=name, seed=1)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"seed": 4294967296}, "Series seed: 4294967296 is outside 0…4294967295"),
        ({"seed": -1}, "Series seed: -1 is outside"),
        ({"seed": 1.5}, "Series seed: expected a whole number"),
        ({"seed": None}, "Series seed is missing"),
        ({"variation_seed": "7"}, "Series variation_seed: expected a whole number"),
        ({"variation_seed": 1, "variation_strength": 1.01}, "Series variation_strength: 1.01 is outside 0…1"),
        ({"variation_strength": 0.3}, "variation_strength is above 0 but no variation_seed"),
        ({"profile": "bad<name>"}, "Series profile: Profile name 'bad<name>' contains"),
        ({"prompt_fragment": "x" * 2001}, "Series prompt_fragment is 2,001 characters long; the limit is 2,000"),
        ({"notes": "x" * 10_001}, "Series notes is 10,001 characters long; the limit is 10,000"),
        ({"notes": 5}, "Series notes must be text"),
        ({"colour": "blue"}, "unknown series field 'colour'"),
    ],
)
def test_bad_fields_are_refused_naming_the_field(fields: dict, message: str) -> None:
    with pytest.raises(SeriesError) as caught:
        kaito(**fields)
    assert message in str(caught.value)


# -- the store -----------------------------------------------------------------------------------


def test_create_get_list_update_delete(store: SeriesStore, ledger: Ledger) -> None:
    assert store.list() == [] and store.names() == []
    created = store.create(kaito(variation_seed=9, variation_strength=0.15, prompt_fragment="silver hair"))
    assert created.seed == 1234 and created.variation_seed == 9 and created.variation_strength == 0.15
    assert created.created_at is not None and created.created_at.tzinfo is not None
    store.create(Series(name="aiko", seed=5))
    assert store.names() == ["aiko", "Kaito"]
    assert [series.name for series in store.list()] == ["aiko", "Kaito"]

    updated = store.update("kaito", kaito(name="Kaito (older)", seed=4321, notes="grey scarf"))
    assert updated.name == "Kaito (older)" and updated.seed == 4321 and updated.variation_seed is None
    assert updated.created_at == created.created_at and updated.updated_at >= created.updated_at
    assert store.names() == ["aiko", "Kaito (older)"]

    store.delete("KAITO (OLDER)")
    assert store.names() == ["aiko"]
    assert [row["name"] for row in stored_rows(ledger)] == ["aiko"]


def test_get_is_case_insensitive_and_not_found_lists_the_names(store: SeriesStore) -> None:
    store.create(kaito())
    store.create(Series(name="Aiko", seed=5))
    assert store.get("KAITO").name == "Kaito" and store.get("  kaito ").seed == 1234
    with pytest.raises(SeriesNotFound, match=r"No series named 'Kiato'\. Available series: Aiko, Kaito\."):
        store.get("Kiato")
    with pytest.raises(SeriesNotFound):
        store.update("Kiato", kaito(name="Kiato"))
    with pytest.raises(SeriesNotFound):
        store.delete("Kiato")
    with pytest.raises(SeriesNotFound, match="Available series: Aiko, Kaito"):
        store.get(None)  # type: ignore[arg-type]


def test_names_are_unique_regardless_of_case(store: SeriesStore) -> None:
    store.create(kaito())
    with pytest.raises(SeriesError, match="A series named 'Kaito' already exists"):
        store.create(kaito(name="KAITO", seed=1))
    store.create(Series(name="Aiko", seed=5))
    with pytest.raises(SeriesError, match="already exists"):
        store.update("Aiko", Series(name="kaito", seed=5))
    assert store.update("Kaito", kaito(name="KAITO")).name == "KAITO"  # renaming to itself in new case is fine


def test_a_failed_write_changes_nothing(store: SeriesStore, ledger: Ledger) -> None:
    store.create(kaito())
    before = stored_rows(ledger)
    refuse(ledger, "refuse_series_update", "series", "UPDATE", "disk full")  # every update fails in its transaction
    with pytest.raises(SeriesStorageError,
                       match="ParamLab: could not save series 'Kaito2'; nothing was changed: disk full"):
        store.update("Kaito", kaito(name="Kaito2", seed=99))
    assert stored_rows(ledger) == before
    refuse(ledger, "refuse_series_insert", "series", "INSERT", "disk full", timing="AFTER")
    with pytest.raises(SeriesStorageError, match="nothing was changed"):
        store.create(Series(name="Aiko", seed=5))
    assert stored_rows(ledger) == before


def test_a_missing_ledger_file_refuses_writes(tmp_path: Path) -> None:
    from paramlab.ledger.urls import resolve_ledger_url

    path = tmp_path / "gone.sqlite"
    ledger = Ledger.open(resolve_ledger_url(path, tmp_path))
    try:
        ledger.engine.dispose()
        path.unlink()
        with pytest.raises(SeriesStorageError, match="has gone missing"):
            SeriesStore(ledger).create(kaito())
    finally:
        ledger.close()


def test_a_row_edited_into_nonsense_is_skipped_in_the_list(store: SeriesStore, ledger: Ledger) -> None:
    store.create(kaito())
    store.create(Series(name="Aiko", seed=5))
    with ledger.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE series SET seed = -7 WHERE name = 'Aiko'")
    assert store.names() == ["Aiko", "Kaito"]
    assert [series.name for series in store.list()] == ["Kaito"]
    with pytest.raises(SeriesError, match="Series seed: -7 is outside"):
        store.get("Aiko")


# -- from a ledger row ---------------------------------------------------------------------------


def write_image(ledger: Ledger, **fields) -> dict:
    run = RunRecord(tab="txt2img", source="ui", batch_count=1, batch_size=1)
    run.images = [ImageRecord(index_in_run=0, prompt="a boy with a scarf", **fields)]
    ledger.write_runs([run])
    return ledger.recent_images(limit=1)[0]


def test_from_image_row_takes_the_seed_variation_and_profile(store: SeriesStore, ledger: Ledger) -> None:
    row = write_image(ledger, seed=4294967295, subseed=31, subseed_strength=0.4, profile="Final render")
    series = store.from_image_row(row, "  Kaito ")
    assert (series.name, series.seed) == ("Kaito", 4294967295)
    assert (series.variation_seed, series.variation_strength) == (31, 0.4)
    assert series.profile == "Final render" and row["image_uid"] in series.notes
    assert store.names() == []  # built, not stored
    assert store.create(series).seed == 4294967295


def test_from_image_row_ignores_a_variation_of_strength_zero(store: SeriesStore, ledger: Ledger) -> None:
    row = write_image(ledger, seed=77, subseed=78, subseed_strength=0.0)
    series = store.from_image_row(row, "Aiko")
    assert series.seed == 77 and series.variation_seed is None and series.variation_strength is None
    assert series.profile is None


def test_from_image_row_refuses_a_row_without_a_seed_or_a_bad_name(store: SeriesStore, ledger: Ledger) -> None:
    with pytest.raises(SeriesError, match="has no seed"):
        store.from_image_row(write_image(ledger), "Kaito")
    with pytest.raises(SeriesError, match="Series name is empty"):
        store.from_image_row({"seed": 5}, "")
    with pytest.raises(SeriesError, match="Series seed: -1 is outside"):
        store.from_image_row({"seed": -1}, "Kaito")


def test_images_carry_their_series_name(ledger: Ledger) -> None:
    row = write_image(ledger, seed=5, series="Kaito")
    assert row["series"] == "Kaito"
