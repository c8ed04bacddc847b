"""The tab's Profiles and Series managers: their handlers, their gradio wiring and their escaping."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd
import pytest

from paramlab.gradio_compat import event_wiring
from paramlab.ledger import ImageRecord, Ledger, RunRecord
from paramlab.profiles import HostCatalog, Profile, ProfileStore
from paramlab.seeds import Series, SeriesStore
from paramlab.tab.managers import sections as managers
from paramlab.tab.managers.sections import ManagerComponents

HOSTILE = "<img src=x onerror=alert(1)>"
ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"


def run_event(blocks: gr.Blocks, target: Any, trigger: str, *inputs: Any) -> dict[Any, Any]:
    """Run the function gradio registered for ``target.trigger`` and map its results to component ids."""
    for event in event_wiring(blocks):
        if target._id in event.targets and event.trigger == trigger:
            assert len(event.inputs) == len(inputs)
            results = event.fn(*inputs)
            results = results if isinstance(results, (list, tuple)) else [results]
            assert len(results) == len(event.outputs)
            return dict(zip(event.outputs, results))
    raise AssertionError(f"no {trigger} event wired on {target}")


def build(ledger: Ledger, catalog: HostCatalog | None = None) -> tuple[gr.Blocks, ManagerComponents, ManagerComponents]:
    with gr.Blocks() as demo:
        profiles = managers.build_profiles_manager(lambda: ledger, lambda: catalog)
        series = managers.build_series_manager(lambda: ledger)
    return demo, profiles, series


def html_outputs(results: list[Any] | dict[Any, Any], blocks: gr.Blocks | None = None) -> list[str]:
    """The strings that go to gr.HTML components (for an event's results), or that look like markup."""
    if isinstance(results, dict) and blocks is not None:
        return [value for key, value in results.items() if isinstance(blocks.blocks[key], gr.HTML)]
    values = results.values() if isinstance(results, dict) else results
    return [value for value in values if isinstance(value, str) and value.lstrip().startswith("<")]


def assert_escaped(texts: list[str]) -> None:
    """No HTML output carries the raw hostile text (it may carry the escaped form)."""
    for text in texts:
        assert "<img" not in text and "onerror=alert(1)>" not in text, text


def frame_of(value: Any) -> pd.DataFrame:
    assert isinstance(value, pd.DataFrame)
    return value


def write_images(ledger: Ledger, profile: str | None = None, series: str | None = None, count: int = 2) -> None:
    run = RunRecord(tab="txt2img", source="ui", wall_seconds=3.0, peak_vram_bytes=3 * 2**30)
    run.images = [ImageRecord(index_in_run=i, cost_seconds=1.5, profile=profile, series=series)
                  for i in range(count)]
    ledger.write_runs([run])


# -- profiles -------------------------------------------------------------------------------------


def test_the_list_has_the_starters_with_their_figures_and_the_events_are_wired(ledger: Ledger) -> None:
    write_images(ledger, profile="Balanced", count=3)
    demo, profiles, _ = build(ledger)
    table, selector = profiles.refresh()
    frame = frame_of(table)
    assert list(frame.columns) == managers.PROFILE_HEADERS
    balanced = frame[frame["name"] == "Balanced"].iloc[0]
    figures = (balanced["kind"], balanced["images applied at generation"], balanced["median s/image"])
    assert figures == ("starter", "3", "1.50")
    assert balanced["peak VRAM"] == "3.00 GiB" and balanced["usable"] == "yes"
    assert "CFG scale 7" in balanced["settings"]
    assert "Final render" in selector["choices"]
    assert profiles.outputs == [profiles.table, profiles.selector]
    config = demo.get_config_file()  # the page can be served: every component and event serialises
    assert {"paramlab-profiles-table", "paramlab-series-table"} <= {
        component["props"].get("elem_id") for component in config["components"]}

    chosen = run_event(demo, profiles.selector, "change", "Final render")
    info, name, _description, _scope, settings = chosen.values()
    assert name == "Final render" and json.loads(settings)["Steps"] == 40 and "Starter profile" in info
    clicked = run_event(demo, profiles.components["refresh"], "click")
    assert frame_of(clicked[profiles.table._id]).shape[0] == frame.shape[0]


def test_editing_the_settings_json_saves_or_names_the_bad_field(ledger: Ledger) -> None:
    store = ProfileStore(ledger)
    store.create(Profile(name="Mine", settings={"Steps": 20}))
    demo, profiles, _ = build(ledger)
    c = profiles.components

    typed = '{"Steps": 28, "Size": [512, 768]}'
    saved = run_event(demo, c["save"], "click", "Mine", "Mine", "for portraits", "", typed)
    assert "Saved" in saved[c["status"]._id] and "paramlab-ok" in saved[c["status"]._id]
    assert store.get("Mine").settings == {"Steps": 28, "Size": "512x768"}
    assert json.loads(saved[c["settings"]._id]) == {"Steps": 28, "Size": "512x768"}  # the editor shows it stored

    bad = managers.save_profile_changes(ledger, None, "Mine", "Mine", "", "", '{"Steps": 500}')
    assert "Steps" in bad[0] and "out of range" in bad[0] and "paramlab-error" in bad[0]
    assert store.get("Mine").settings["Steps"] == 28
    assert bad[4] == gr.update()  # the editor keeps what was typed

    unknown = managers.save_profile_changes(ledger, None, "Mine", "Mine", "", "", '{"Stepz": 5}')
    assert "Stepz" in unknown[0]
    broken = managers.save_profile_changes(ledger, None, "Mine", "Mine", "", "", '{"Steps": 20')
    assert "not valid JSON" in broken[0] and "line 1" in broken[0]
    catalog = HostCatalog(samplers=["Euler a", "DPM++ 2M"])
    refused = managers.save_profile_changes(ledger, catalog, "Mine", "Mine", "", "", '{"Sampler": "Nope"}')
    assert "Sampler" in refused[0] and "Euler a" in refused[0]
    assert store.get("Mine").settings == {"Steps": 28, "Size": "512x768"}

    new = managers.save_profile_as_new(ledger, None, "Second", "", "", '{"CFG scale": 6}')
    assert "Second" in new[0] and new[2]["value"] == "Second"
    clash = managers.save_profile_as_new(ledger, None, "second", "", "", "{}")
    assert "already exists" in clash[0]


def test_starters_duplicate_but_refuse_edit_and_delete_and_delete_needs_confirm(ledger: Ledger) -> None:
    demo, profiles, _ = build(ledger)
    c = profiles.components
    copied = run_event(demo, c["duplicate"], "click", "Final render")
    assert copied[c["selector"]._id]["value"] == "Final render (copy)"
    again = managers.duplicate_profile(ledger, "Final render")
    assert again[2]["value"] == "Final render (copy 2)"
    store = ProfileStore(ledger)
    assert store.get("Final render (copy)").settings == store.get("Final render").settings

    edit = managers.save_profile_changes(ledger, None, "Balanced", "Balanced", "", "", '{"CFG scale": 8}')
    assert "starter profile" in edit[0]
    refused = run_event(demo, c["delete"], "click", "Balanced", True)
    assert "is a starter profile; duplicate it to change it" in refused[c["status"]._id]
    assert store.get("Balanced").starter

    unconfirmed = managers.delete_profile(ledger, "Final render (copy)", False)
    assert "Yes, delete" in unconfirmed[0] and store.get("Final render (copy)")
    deleted = managers.delete_profile(ledger, "Final render (copy)", True)
    assert "Deleted" in deleted[0] and deleted[-1] is False
    assert "Final render (copy)" not in store.names()
    assert "Pick a profile" in managers.delete_profile(ledger, None, True)[0]


def test_export_then_import_with_rename_and_the_conflict_choices(ledger: Ledger) -> None:
    store = ProfileStore(ledger)
    store.create(Profile(name="Studio", description="soft light", settings={"Steps": 22}))
    demo, profiles, _ = build(ledger)
    c = profiles.components
    exported = run_event(demo, c["export_selected"], "click", "Studio")
    path = exported[c["exported"]._id]
    content = Path(path).read_bytes()
    assert json.loads(content)["profiles"][0]["name"] == "Studio"
    all_path, status = managers.export_profiles_file(ledger, None)
    assert "Exported" in status and len(json.loads(Path(all_path).read_text())["profiles"]) == len(store.list())

    asked = managers.import_profiles_file(ledger, None, content, managers.CONFLICT_CHOICES[0], False)
    assert "Nothing was imported" in asked[0] and "already exists" in asked[0]
    renamed = run_event(demo, c["import"], "click", content, "rename", False)
    report = renamed[c["report"]._id]
    assert "renamed" in report and "Studio (2)" in report
    assert store.get("Studio (2)").settings == {"Steps": 22}
    assert "Studio (2)" in renamed[profiles.selector._id]["choices"]
    skipped = managers.import_profiles_file(ledger, None, content, "skip", False)
    assert "skipped" in skipped[0]
    assert "not valid JSON" in managers.import_profiles_file(ledger, None, b"{nope", "skip", False)[0]
    assert "Choose a profiles file" in managers.import_profiles_file(ledger, None, None, "skip", False)[0]


# -- series ---------------------------------------------------------------------------------------


def test_series_create_edit_delete_with_image_counts(ledger: Ledger) -> None:
    write_images(ledger, series="Kaito", count=4)
    demo, _, series = build(ledger)
    c = series.components
    created = run_event(demo, c["save_new"], "click", "Kaito", "1234", "99", "0.3", "Balanced", "blue hair", "hero")
    assert "Saved the new series" in created[c["status"]._id]
    frame = frame_of(created[series.table._id])
    row = frame.iloc[0]
    assert (row["name"], row["seed"], row["variation"], row["profile"], row["images"]) == (
        "Kaito", "1234", "99 @ 0.3", "Balanced", "4")
    assert list(frame.columns) == managers.SERIES_HEADERS

    edited = managers.save_series_changes(ledger, "Kaito", "Kaito", "4321", "", "", "balanced", "", "x" * 200)
    assert "Saved" in edited[0]
    stored = SeriesStore(ledger).get("Kaito")
    assert (stored.seed, stored.variation_seed, stored.profile) == (4321, None, "Balanced")  # the profile's own name
    assert frame_of(edited[1]).iloc[0]["notes"].endswith("…")
    refused = managers.save_series_changes(ledger, "Kaito", "Kaito", "4321", "", "", "No such profile", "", "")
    assert "paramlab-error" in refused[0] and "Not saved" in refused[0]
    assert "no profile named 'No such profile'" in html.unescape(refused[0]) and "Balanced" in refused[0]
    assert SeriesStore(ledger).get("Kaito").profile == "Balanced"  # nothing was changed

    for seed, message in (("abc", "expected a whole number"), (str(2**32), "outside 0…4294967295"),
                          ("", "seed is missing")):
        bad = managers.save_series_changes(ledger, "Kaito", "Kaito", seed, "", "", "", "", "")
        assert message in bad[0] and "paramlab-error" in bad[0]
    assert SeriesStore(ledger).get("Kaito").seed == 4321
    assert "already exists" in managers.save_series_as_new(ledger, "kaito", "1", "", "", "", "", "")[0]

    chosen = run_event(demo, series.selector, "change", "Kaito")
    assert "4 image(s)" in chosen[c["info"]._id] and chosen[c["seed"]._id] == "4321"
    assert "Yes, delete" in managers.delete_series(ledger, "Kaito", False)[0]
    deleted = run_event(demo, c["delete"], "click", "Kaito", True)
    assert "Deleted" in deleted[c["status"]._id] and deleted[c["confirm"]._id] is False
    assert SeriesStore(ledger).names() == []


def series_file(*entries: dict[str, Any], version: Any = 1) -> bytes:
    return json.dumps({"format": "paramlab-series", "version": version, "series": list(entries)}).encode()


def test_series_export_and_import(ledger: Ledger) -> None:
    store = SeriesStore(ledger)
    store.create(Series(name="Kaito", seed=7, variation_seed=8, variation_strength=0.25, prompt_fragment="red coat"))
    demo, _, series = build(ledger)
    c = series.components
    exported = run_event(demo, c["export_all"], "click")
    content = Path(exported[c["exported"]._id]).read_bytes()
    document = json.loads(content)
    assert (document["format"], document["version"]) == ("paramlab-series", 1)
    assert document["series"][0]["variation_strength"] == 0.25

    assert "already exists" in managers.import_series_file(ledger, content, managers.CONFLICT_CHOICES[0])[0]
    skipped = managers.import_series_file(ledger, content, "skip")[0]
    assert "Imported 0 series; skipped 1: a series with that name already exists." in skipped
    assert "Imported 1" not in skipped
    renamed = run_event(demo, c["import"], "click", content, "rename")
    assert "Kaito (2)" in renamed[c["report"]._id] and store.get("Kaito (2)").variation_seed == 8
    replaced = managers.import_series(store, series_file({"name": "KAITO", "seed": 70}), on_conflict="replace")
    assert replaced.ok and store.get("kaito").seed == 70
    good = managers.import_series(store, series_file({"name": "Mira", "seed": 1}, {"name": "Ren", "seed": 2}))
    assert good.ok and {"Mira", "Ren"} <= set(store.names())

    before = store.names()
    failures = {
        b"{not json": "not valid JSON",
        series_file({"name": "A", "seed": 1}, version=2): "version 2",
        series_file({"name": "A", "seed": 1}, version=True): "version True",
        json.dumps({"format": "paramlab-profiles", "version": 1}).encode(): "not a ParamLab series file",
        series_file({"name": "Dup", "seed": 1}, {"name": "dup", "seed": 2}): "more than once",
        series_file({"name": "Fine", "seed": 1}, {"name": "a<b", "seed": 2}): "'<' or '>'",
        series_file({"name": "Big", "seed": 2**32}): "outside 0…4294967295",
        series_file({"name": "Odd", "seed": "12"}): "expected a whole number",
        series_file({"name": "Extra", "seed": 1, "colour": "red"}): "unknown field(s) colour",
        series_file(): "holds no series",
    }
    for content, message in failures.items():
        report = managers.import_series(store, content, on_conflict="rename")
        assert not report.ok and message in report.summary(), (message, report.summary())
        shown = managers.import_series_file(ledger, content, "rename")[0]
        assert "paramlab-error" in shown and "Nothing was imported" in shown
    assert store.names() == before  # all-or-nothing: "Fine" was not written either


# -- escaping -------------------------------------------------------------------------------------


def test_hostile_text_is_escaped_in_every_html_output(ledger: Ledger) -> None:
    ProfileStore(ledger).create(Profile(name="Plain", description=HOSTILE, model_scope=HOSTILE, settings={}))
    SeriesStore(ledger).create(Series(name="Safe", seed=1, notes=HOSTILE, prompt_fragment=HOSTILE, profile="p"))
    demo, profiles, series = build(ledger)
    p, s = profiles.components, series.components
    hostile_profiles = json.dumps({"format": "paramlab-profiles", "version": 1, "profiles": [
        {"name": HOSTILE, "settings": {}}, {"name": "ok", "description": HOSTILE, "settings": {HOSTILE: 1}}]})
    events = [
        (profiles.selector, "change", "Plain"),
        (profiles.selector, "change", HOSTILE),
        (p["save_new"], "click", HOSTILE, HOSTILE, "", "{}"),
        (p["save_new"], "click", "Fresh", HOSTILE, HOSTILE, "{}"),
        (p["save"], "click", "Plain", "Plain", HOSTILE, "", f'{{"{HOSTILE}": 1}}'),
        (p["save"], "click", "Plain", "Plain", HOSTILE, "", f'{{"Sampler": "{HOSTILE}"}}'),
        (p["duplicate"], "click", HOSTILE),
        (p["delete"], "click", HOSTILE, True),
        (p["export_selected"], "click", HOSTILE),
        (p["import"], "click", hostile_profiles, "rename", False),
        (p["import"], "click", HOSTILE, "rename", False),
        (series.selector, "change", "Safe"),
        (s["save_new"], "click", HOSTILE, "1", "", "", "", "", ""),
        (s["save"], "click", "Safe", "Safe", HOSTILE, "", "", "", HOSTILE, HOSTILE),
        (s["save"], "click", "Safe", "Safe", "1", "", HOSTILE, "", HOSTILE, HOSTILE),
        (s["save"], "click", "Safe", "Safe", "1", "", "", HOSTILE, HOSTILE, HOSTILE),
        (s["delete"], "click", HOSTILE, True),
        (s["export_selected"], "click", HOSTILE),
        (s["import"], "click", series_file({"name": HOSTILE, "seed": 1}), "rename"),
        (s["import"], "click", series_file({"name": "x", "seed": HOSTILE, HOSTILE: 1}), "rename"),
    ]
    shown: list[str] = []
    for target, trigger, *inputs in events:
        outputs = html_outputs(run_event(demo, target, trigger, *inputs), demo)
        texts = [text for text in outputs if isinstance(text, str)]  # the rest are no-op updates
        assert texts and all(text == gr.update() for text in outputs if not isinstance(text, str))
        assert_escaped(texts)
        shown += texts
    assert sum(ESCAPED in text for text in shown) >= 8
    stored = SeriesStore(ledger).get("Safe")
    assert stored.notes == HOSTILE and "Plain" in ProfileStore(ledger).names()

    frame = frame_of(managers.refresh_series(ledger)[0])
    assert frame.iloc[0]["notes"] == HOSTILE  # a text cell (datatype "str"): shown as typed, never rendered
    assert profiles.table.datatype == ["str"] * len(managers.PROFILE_HEADERS)
    assert series.table.datatype == ["str"] * len(managers.SERIES_HEADERS)


def test_handlers_never_raise_when_the_ledger_is_unavailable(ledger: Ledger, tmp_path: Path,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    def broken() -> Ledger:
        raise RuntimeError("ledger locked")

    with gr.Blocks() as demo:
        profiles = managers.build_profiles_manager(broken)
        series = managers.build_series_manager(broken)
    assert profiles.refresh() == [gr.update(), gr.update()]  # logged; the table keeps what it showed
    assert series.refresh() == [gr.update(), gr.update()]
    assert "ledger locked" in caplog.text
    saved = run_event(demo, series.components["save_new"], "click", "A", "1", "", "", "", "", "")
    assert "ledger locked" in saved[series.status._id]

    if ledger.engine.dialect.name != "sqlite":
        return  # below: an SQLite file that disappears
    ledger.engine.dispose()
    (tmp_path / "ledger.sqlite").unlink()
    (tmp_path / "ledger.sqlite").mkdir()  # the file is gone and cannot come back
    outcome = managers.save_series_as_new(ledger, "A", "1", "", "", "", "", "")
    assert "paramlab-error" in outcome[0]


@pytest.mark.parametrize("label, expected", [(managers.CONFLICT_CHOICES[0], None), ("rename", "rename")])
def test_conflict_labels(label: str, expected: str | None) -> None:
    from paramlab.tab.managers.common import conflict_choice

    assert conflict_choice(label) == expected
