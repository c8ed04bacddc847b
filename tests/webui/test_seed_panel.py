"""The seed panel: its handlers, its wiring to A1111's Seed field, and the lock button in Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest
from browser_support import chromium_page, free_port, require_browser
from modules._standin_tab import build_tab
from modules.api import api
from webui_support import LoadedExtension

from paramlab.gradio_compat import update
from paramlab.webui import profile_panel, runtime, seed_panel
from paramlab.webui.script import compose_args

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def extension(tmp_path: Path):
    loaded = LoadedExtension(tmp_path)
    profile_panel.PENDING_PANELS.clear()
    yield loaded
    loaded.close()


def test_controls_compose_the_seed_lock_part_of_the_one_arg() -> None:
    labels = seed_panel.POLICY_LABELS
    unlocked = compose_args(True, None, False, False, -1, labels["increment"], 2, "", -1, 0.0, 1.0, None)
    assert unlocked == {"record": True, "profile": None, "seed_lock": None}
    same = compose_args(True, None, False, True, 1234, labels["same"], 2, "", -1, 0.0, 1.0, None)
    assert same["seed_lock"] == {"policy": "same", "seed": 1234}
    listed = seed_panel.seed_lock_value(True, 1, labels["list"], 2, "5, 9,x", -1, 0.0, 1.0, None)
    assert listed == {"policy": "list", "seed": 1, "seeds": [5, 9, "x"]}  # "x" is refused at run time
    sweep = seed_panel.seed_lock_value(True, 7, labels["variation"], 2, "", -1, 0.1, 0.5, None)
    assert sweep == {"policy": "variation", "seed": 7, "variation_strengths": [0.1, 0.5]}
    series = seed_panel.seed_lock_value(False, -1, labels["same"], 2, "", -1, 0.0, 1.0, "Kaito")
    assert series == {"policy": "same", "series": "Kaito"}


def test_lock_handlers_and_series_creation(extension: LoadedExtension) -> None:
    locked, seed, status, series = seed_panel.lock_field_seed(4321)
    assert locked["value"] is True and seed["value"] == 4321
    assert series["value"] is None  # a plain seed lock replaces a chosen series: one state
    _, random_seed, note, _ = seed_panel.lock_field_seed(-1)
    assert 0 <= random_seed["value"] <= 4294967295 and "random" in note

    _, _, empty, untouched = seed_panel.lock_last_used("txt2img")
    assert "No txt2img generation" in empty and untouched == update()
    api.text2imgapi(extension.runner(), {"prompt": "x", "seed": 808, "width": 64, "height": 64})
    runtime.get_writer().flush(10)
    locked, seed, _, _ = seed_panel.lock_last_used("txt2img")
    assert seed["value"] == 808

    dropdown, status = seed_panel.create_series_from_lock("Kaito", 808, -1, 0.0)
    assert dropdown["value"] == "Kaito" and "Created" in status
    _, refused = seed_panel.create_series_from_lock("Kaito", 808, -1, 0.0)
    assert "paramlab-error" in refused
    _, no_seed = seed_panel.create_series_from_lock("Other", -1, -1, 0.0)
    assert "Lock a seed first" in no_seed
    assert "🔒 Series Kaito" in seed_panel.lock_badge(False, None, "same", "Kaito")

    chosen_lock, chosen_seed, note, badge = seed_panel.series_chosen("kaito", False, 3925, "Stride N")
    assert chosen_lock["value"] is True and chosen_seed == update(value=808, interactive=False)
    assert "locks seed 808" in note and "Series Kaito · seed 808 · Stride N" in badge  # never the field's old seed
    assert seed_panel.clear_series_choice("Kaito")[:3] == [update(value=None), update(value=False),
                                                           update(interactive=True)]
    assert seed_panel.lock_toggled(False, "Kaito")[0] == update(value=None)
    assert seed_panel.paste_policy({"Seed policy": "same"})["value"] == seed_panel.POLICY_LABELS["same"]
    assert seed_panel.paste_policy({})["value"] == seed_panel.POLICY_LABELS["increment"]
    assert seed_panel.paste_series({})["value"] is None


def test_lock_button_beside_the_seed_field_in_chromium(extension: LoadedExtension, artifacts_dir: Path) -> None:
    require_browser()
    tab = build_tab([extension.script_class])
    port = free_port()
    tab.blocks.queue().launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    shims = ("window.gradioApp = () => document; window.__uiLoaded = []; window.onUiLoaded = cb => "
             "window.__uiLoaded.push(cb); window.onUiUpdate = () => {};")
    try:
        with chromium_page() as page:
            page.goto(f"http://127.0.0.1:{port}/")
            page.locator("#txt2img_seed").first.wait_for(timeout=15_000)
            page.add_script_tag(content=shims)
            page.add_script_tag(path=str(REPO / "javascript" / "paramlab.js"))
            page.evaluate("window.__uiLoaded.forEach(cb => cb())")
            button = page.locator("#paramlab_txt2img_seed_lock")
            assert button.inner_text() == "🔓"
            page.locator("#txt2img_seed input").first.fill("1357")
            page.locator("#txt2img_seed input").first.press("Tab")
            button.click()
            page.wait_for_function("() => document.querySelector('#paramlab_txt2img_seed_lock').textContent === '🔒'",
                                   timeout=15_000)
            page.get_by_text("ParamLab", exact=True).first.click()
            page.locator("button", has_text="Seed lock & series").first.click()
            badge = page.locator("#script_txt2img_paramlab_seed_badge").first
            badge.get_by_text("Seed 1357 locked").wait_for(timeout=15_000)
            page.screenshot(path=str(artifacts_dir / "seed-lock.png"), full_page=True)
            button.click()
            page.wait_for_function("() => document.querySelector('#paramlab_txt2img_seed_lock').textContent === '🔓'",
                                   timeout=15_000)
    finally:
        tab.blocks.close()
