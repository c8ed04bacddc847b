"""The ParamLab tab and panels inside the whole WebUI stand-in page (txt2img and ParamLab as top tabs, A1111's
own scripts, the extension's javascript/ and style.css), in a real Chromium: nothing is lost by a click,
nothing shows stale, one seed-lock state (issue 11)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from browser_support import assert_side_by_side, chart_point, choose_option, require_browser
from webui_page_support import open_top_tab, webui_page
from webui_support import LoadedExtension

from paramlab.gradio_compat import IS_GRADIO_4
from paramlab.ledger import ImageRecord, RunRecord
from paramlab.profiles import Profile
from paramlab.seeds import Series
from paramlab.webui import profile_panel, runtime

# The whole-page stand-in lays the page out as A1111 1.10.1's create_ui does (gradio 3). On gradio 4 these
# walks were checked in a real Forge instead (Forge lays out its own page; see the README, On Forge).
pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(IS_GRADIO_4, reason="the whole-page walks imitate A1111's gradio 3 page")]
LONG_INFOTEXT = ("a lighthouse on a cliff at dusk, " * 40).strip() + "\nSteps: 20, Sampler: Euler a, CFG scale: 7"


@pytest.fixture
def extension(tmp_path: Path):
    require_browser()
    loaded = LoadedExtension(tmp_path)
    profile_panel.PENDING_PANELS.clear()
    yield loaded
    loaded.close()


def write_runs(count_per_setting: int = 4, infotext: str | None = None, series: str | None = None) -> None:
    """Two samplers × three step counts, ``count_per_setting`` images each, with cost and figures."""
    runs = []
    for sampler in ("Euler a", "DPM++ 2M"):
        for steps in (10, 20, 40):
            run = RunRecord(tab="txt2img", source="ui", wall_seconds=steps * 0.4, batch_count=1,
                            batch_size=count_per_setting, first_pass_seconds=steps * 0.3)
            for seed in range(count_per_setting):
                run.images.append(ImageRecord(
                    index_in_run=seed, seed=1000 + steps + seed, prompt=f"lighthouse {sampler} {steps}",
                    sampler=sampler, scheduler="Karras", steps=steps, cfg_scale=7.0, width=512, height=512,
                    model_name="sd15", model_hash="abcd1234", cost_seconds=steps * 0.1, model_evaluations=steps,
                    series=series, infotext=infotext or f"lighthouse\nSteps: {steps}, Sampler: {sampler}, Seed: {seed}",
                    metrics={"sharpness": (100.0 + steps * 3 + seed, None), "noise": (10.0 - steps / 5, None)},
                    metrics_version="1",
                ))
            runs.append(run)
    runtime.get_ledger().write_runs(runs)


def ledger_rows(page: Any) -> Any:
    return page.locator("#paramlab-ledger-table tr[data-image-id]")


def select_image(page: Any, image_id: int | str) -> None:
    box = page.locator("#paramlab_selected_image textarea, #paramlab_selected_image input").first
    box.fill(str(image_id))
    page.locator("#paramlab-ledger-detail h3", has_text=f"Image {image_id}").first.wait_for(timeout=15_000)


def open_paramlab_accordion(page: Any, section: str) -> None:
    page.locator("#script_txt2img_paramlab_accordion .label-wrap").first.click()
    page.locator("#script_txt2img_paramlab_accordion button", has_text=section).first.click()


def test_a_chart_point_and_a_run_link_open_the_image_in_place(extension: LoadedExtension,
                                                             artifacts_dir: Path) -> None:
    """Item 2: no reload, so the txt2img prompt (and everything else on the page) stays."""
    write_runs()
    with webui_page([extension.script_class]) as (page, _):
        prompt = page.locator("#txt2img_prompt textarea").first
        prompt.fill("a lighthouse, typed before looking at the charts")
        page.evaluate("window.__paramlabSameDocument = true")
        open_top_tab(page, "ParamLab")
        page.locator("#paramlab-tab > .tab-nav > button", has_text="Cost / quality").first.click()
        link = page.locator("#paramlab-charts-run-summary a").first  # the run view's image links
        link.wait_for(timeout=30_000)
        link.click()
        page.locator("#paramlab-ledger-detail h3", has_text="Image ").first.wait_for(timeout=30_000)
        assert page.evaluate("window.__paramlabSameDocument === true"), "the page was reloaded"
        assert page.locator("#paramlab-tab-ledger").first.is_visible()

        page.locator("#paramlab-tab > .tab-nav > button", has_text="Cost / quality").first.click()
        page.locator("#paramlab-charts-scatter svg path[aria-roledescription='circle']").first.wait_for(
            timeout=30_000)
        point = chart_point(page)
        page.mouse.click(point["x"], point["y"])
        image_id = point["label"].split("Image id: ")[1].split(";")[0]
        page.locator("#paramlab-ledger-detail h3", has_text=f"Image {image_id}").first.wait_for(timeout=15_000)
        assert page.evaluate("window.__paramlabSameDocument === true"), "the page was reloaded"
        assert page.evaluate("location.search") == ""  # no ?image= page was loaded
        open_top_tab(page, "txt2img")
        assert prompt.input_value() == "a lighthouse, typed before looking at the charts"


def test_opening_the_tab_shows_the_rows_written_since_the_page_loaded(extension: LoadedExtension) -> None:
    """Item 3: the page loaded on an empty ledger; generations since then show the moment the tab opens."""
    with webui_page([extension.script_class]) as (page, _):
        page.locator("#paramlab-ledger-table").first.get_by_text("No images match").wait_for(
            state="attached", timeout=30_000)
        write_runs()
        open_top_tab(page, "ParamLab")
        page.wait_for_function(
            "() => document.querySelectorAll('#paramlab-ledger-table tr[data-image-id]').length === 24",
            timeout=15_000)
        page.locator("#paramlab-tab > .tab-nav > button", has_text="Cost / quality").first.click()
        page.locator("#paramlab-charts-note").first.get_by_text("Showing all 24 images").wait_for(timeout=30_000)
        open_top_tab(page, "txt2img")
        write_runs()
        open_top_tab(page, "ParamLab")  # the section on view (charts) is read again too
        page.locator("#paramlab-charts-note").first.get_by_text("Showing all 48 images").wait_for(timeout=30_000)


def test_one_seed_lock_state_for_series_lock_button_badge_and_paste(extension: LoadedExtension,
                                                                    artifacts_dir: Path) -> None:
    """Items 4, 5, 6 and the seed panel's fields: lists read when opened, a series can be cleared, and the
    badge, the 🔒 button, "Lock seed" and a pasted infotext all show one state."""
    runtime.profile_store().create(Profile(name="Sailor draft", settings={"Steps": 8, "CFG scale": 6}))
    with webui_page([extension.script_class]) as (page, _):
        # made after the page was loaded, as when a series is created in the ParamLab tab or through the API
        runtime.series_store().create(Series(name="Kaito", seed=12345, profile="Sailor draft"))
        open_top_tab(page, "ParamLab")
        open_top_tab(page, "txt2img")  # coming back to txt2img reads the lists again
        open_paramlab_accordion(page, "Seed lock & series")
        stride = page.locator("#script_txt2img_paramlab_seed_stride")
        variation = page.locator("#script_txt2img_paramlab_seed_variation_row")
        assert not stride.is_visible() and not variation.is_visible()
        choose_option(page, "#script_txt2img_paramlab_seed_policy", "Stride N")
        stride.wait_for(state="visible", timeout=15_000)
        assert not variation.is_visible() and not page.locator("#script_txt2img_paramlab_seed_list").is_visible()

        choose_option(page, "#script_txt2img_paramlab_series", "Kaito")
        checkbox = page.locator("#script_txt2img_paramlab_seed_locked input[type=checkbox]").first
        page.wait_for_function("el => el.checked", arg=checkbox.element_handle(), timeout=15_000)
        seed = page.locator("#script_txt2img_paramlab_seed_value input").first
        # the lock's events answer one after the other: wait for the field's final state
        page.wait_for_function("el => el.value === '12345' && el.disabled", arg=seed.element_handle(),
                               timeout=15_000)
        badge = page.locator("#script_txt2img_paramlab_seed_badge").first
        badge.get_by_text("Series Kaito · seed 12345").wait_for(timeout=15_000)
        page.wait_for_function("() => document.querySelector('#paramlab_txt2img_seed_lock').textContent === '🔒'",
                               timeout=15_000)
        page.locator("#script_txt2img_paramlab_accordion button", has_text="Profiles").first.click()
        profile = page.locator("#script_txt2img_paramlab_profile input").first
        page.wait_for_function("el => el.value === 'Sailor draft'", arg=profile.element_handle(), timeout=15_000)
        apply_at_generation = page.locator("#script_txt2img_paramlab_apply_at_generation input").first
        assert not apply_at_generation.is_checked()  # suggested, not applied
        page.screenshot(path=str(artifacts_dir / "seed-panel-series.png"), full_page=True)

        page.locator("#script_txt2img_paramlab_accordion button", has_text="Seed lock & series").first.click()
        page.locator("#script_txt2img_paramlab_series_clear").first.click()
        page.wait_for_function("el => !el.checked", arg=checkbox.element_handle(), timeout=15_000)
        badge.get_by_text("Seed not locked").wait_for(timeout=15_000)
        assert page.locator("#script_txt2img_paramlab_series input").first.input_value() == ""
        page.wait_for_function("el => !el.disabled", arg=seed.element_handle(), timeout=15_000)
        page.wait_for_function("() => document.querySelector('#paramlab_txt2img_seed_lock').textContent === '🔓'",
                               timeout=15_000)

        # an image made in the series, pasted back from the ledger: series, lock and policy come back as one
        runtime.get_ledger().write_runs([RunRecord(tab="txt2img", source="ui", images=[ImageRecord(
            index_in_run=0, seed=12345, prompt="kaito", steps=5, sampler="Euler", cfg_scale=4.0, series="Kaito",
            infotext="kaito\nSteps: 5, Sampler: Euler, CFG scale: 4, Seed: 12345, Size: 64x64, "
                     "Seed series: Kaito, Seed policy: same")])])
        open_top_tab(page, "ParamLab")
        image_id = ledger_rows(page).first.get_attribute("data-image-id")
        select_image(page, image_id)
        page.locator("#paramlab-ledger-side #txt2img_tab").first.click()
        page.locator("#tab_txt2img").first.wait_for(state="visible", timeout=15_000)
        page.wait_for_function("el => el.checked", arg=checkbox.element_handle(), timeout=15_000)
        assert seed.input_value() == "12345"
        badge.get_by_text("Series Kaito · seed 12345 · Same seed for every image").wait_for(timeout=15_000)
        policy = page.locator("#script_txt2img_paramlab_seed_policy input").first
        assert policy.input_value() == "Same seed for every image"
        assert page.locator("#paramlab_txt2img_seed_lock").first.inner_text() == "🔒"


def test_the_ledger_locks_an_images_seed_in_txt2img(extension: LoadedExtension) -> None:
    """Item 8: "Lock this seed" locks it (WebUI), rather than only showing it."""
    write_runs(count_per_setting=1)
    with webui_page([extension.script_class]) as (page, _):
        open_top_tab(page, "ParamLab")
        row = ledger_rows(page).first
        row.wait_for(timeout=30_000)
        image_id = row.get_attribute("data-image-id")
        seed = row.locator("td").nth(8).inner_text()
        select_image(page, image_id)
        page.locator("#paramlab-ledger-lock-txt2img").first.click()
        page.locator("#paramlab-ledger-action-status").first.get_by_text(f"Locked seed {seed}").wait_for(
            timeout=15_000)
        open_top_tab(page, "txt2img")
        open_paramlab_accordion(page, "Seed lock & series")
        assert page.locator("#script_txt2img_paramlab_seed_locked input").first.is_checked()
        assert page.locator("#script_txt2img_paramlab_seed_value input").first.input_value() == seed
        assert page.locator("#paramlab_txt2img_seed_lock").first.inner_text() == "🔒"


def test_table_and_detail_side_by_side_at_1400_by_1000(extension: LoadedExtension, artifacts_dir: Path) -> None:
    """Layout: the WebUI shows only A1111's CSS and the extension's own, yet table and detail are both in
    view with no sideways scrolling, and a long infotext wraps."""
    write_runs(count_per_setting=10, infotext=LONG_INFOTEXT)
    with webui_page([extension.script_class], viewport={"width": 1400, "height": 1000}) as (page, _):
        open_top_tab(page, "ParamLab")
        ledger_rows(page).first.wait_for(timeout=30_000)
        ledger_rows(page).first.click()
        page.locator("#paramlab-ledger-detail h3", has_text="Image ").first.wait_for(timeout=15_000)
        page.locator("#paramlab-ledger-body").first.scroll_into_view_if_needed()
        assert_side_by_side(page)
        page.screenshot(path=str(artifacts_dir / "webui-ledger-1400.png"))
