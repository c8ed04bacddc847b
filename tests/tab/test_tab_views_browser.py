"""The standalone page (``python -m paramlab serve``) in a real Chromium, for what issue 11 fixed there as in
the WebUI: chart points open images in place, charts agree and explain themselves, the table follows a
rating, table and detail fit 1400×1000, and the managers select a clicked row and report imports truly."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from browser_support import assert_side_by_side, chart_point, chromium_page, paramlab_server, require_browser

from paramlab.ledger import ImageRecord, Ledger, RunRecord
from paramlab.ledger.urls import resolve_ledger_url
from paramlab.seeds import Series, SeriesStore

pytestmark = pytest.mark.browser
LONG_INFOTEXT = ("a lighthouse on a cliff at dusk, " * 40).strip() + "\nSteps: 20, Sampler: Euler a, CFG scale: 7"


def fill(db: Path, per_setting: int = 4, steps_list: tuple[int, ...] = (10, 20, 40), infotext: str = "",
         samplers: tuple[str, ...] = ("Euler a", "DPM++ 2M")) -> None:
    """``samplers`` × ``steps_list``, ``per_setting`` images each, with cost and figures; no profile, no series."""
    ledger = Ledger.open(resolve_ledger_url(db, db.parent))
    runs = []
    for sampler in samplers:
        for steps in steps_list:
            run = RunRecord(tab="txt2img", source="ui", wall_seconds=steps * 0.4, batch_count=1,
                            batch_size=per_setting, first_pass_seconds=steps * 0.3)
            for seed in range(per_setting):
                run.images.append(ImageRecord(
                    index_in_run=seed, seed=seed, prompt=f"lighthouse {sampler} {steps}", sampler=sampler,
                    scheduler="Karras", steps=steps, cfg_scale=7.0, width=512, height=512, model_name="sd15",
                    model_hash="abcd1234", cost_seconds=steps * 0.1 + seed * 0.01, model_evaluations=steps,
                    infotext=infotext or f"lighthouse\nSteps: {steps}, Sampler: {sampler}, Seed: {seed}",
                    metrics={"sharpness": (100.0 + steps * 3 + seed, None), "noise": (10.0 - steps / 5, None)},
                    metrics_version="1",
                ))
            runs.append(run)
    ledger.write_runs(runs)
    ledger.close()


def open_charts(page: Any) -> None:
    page.locator("#paramlab-tab > .tab-nav > button", has_text="Cost / quality").first.click()
    # opening the section loads the charts (no Refresh click, which would redraw them under the mouse)
    page.locator("#paramlab-charts-scatter svg path[aria-roledescription='circle']").first.wait_for(timeout=30_000)


def test_chart_points_open_in_place_and_the_charts_agree(tmp_path: Path, artifacts_dir: Path) -> None:
    """Items 2, 7 and 8: in place; "Composite v1" on the axis; no "null" in tooltips; one colour per
    sampler in both charts; points at the edges drawn whole."""
    require_browser()
    db = tmp_path / "ledger.sqlite"
    fill(db)
    with paramlab_server(db, tmp_path) as server, chromium_page() as page:
        page.goto(server.url)
        page.locator("#paramlab-ledger-table tr[data-image-id]").first.wait_for(timeout=30_000)
        page.evaluate("window.__paramlabSameDocument = true")
        page.locator("#paramlab-tab > .tab-nav > button", has_text="Cost / quality").first.click()
        link = page.locator("#paramlab-charts-run-summary a").first  # the run view's image links
        link.wait_for(timeout=30_000)
        link.click()
        page.locator("#paramlab-ledger-detail h3", has_text="Image ").first.wait_for(timeout=30_000)
        assert page.evaluate("window.__paramlabSameDocument === true"), "the page was reloaded"
        open_charts(page)
        scatter = page.locator("#paramlab-charts-scatter svg.marks").first
        assert "Composite v1 (technical proxy)" in scatter.text_content()

        point = chart_point(page)
        page.mouse.move(point["x"], point["y"])
        tooltip = page.locator("#vg-tooltip-element").first
        tooltip.get_by_text("Profile").wait_for(timeout=15_000)
        assert "null" not in tooltip.inner_text() and "(none)" in tooltip.inner_text()

        colours = page.evaluate("""() => {
            const fills = {};
            for (const chart of ['scatter', 'steps']) {
                for (const mark of document.querySelectorAll(`#paramlab-charts-${chart} svg path[aria-label]`)) {
                    const found = /Sampler: ([^;]+)/.exec(mark.getAttribute('aria-label'));
                    const fill = mark.getAttribute('fill');
                    if (found && fill && !['transparent', 'none'].includes(fill)) {
                        (fills[found[1].trim()] ||= {})[chart] = fill;
                    }
                }
            }
            return fills;
        }""")
        assert set(colours) == {"Euler a", "DPM++ 2M"}, colours
        assert all(entry.get("scatter") == entry.get("steps") for entry in colours.values()), colours
        assert colours["Euler a"]["scatter"] != colours["DPM++ 2M"]["scatter"]

        cut = page.evaluate("""() => {
            const svg = document.querySelector('#paramlab-charts-scatter svg.marks');
            const domain = (axis) => [...svg.querySelectorAll('.role-axis')]
                .find(a => (a.getAttribute('aria-label') || '').startsWith(axis))
                .querySelector('.role-axis-domain line, .role-axis-domain path').getBoundingClientRect();
            const x = domain('X-axis'), y = domain('Y-axis');
            const frame = {left: x.left, right: x.right, top: y.top, bottom: y.bottom};
            let cut = 0;
            for (const point of document.querySelectorAll(
                    "#paramlab-charts-scatter svg path[aria-roledescription='circle']")) {
                const r = point.getBoundingClientRect();
                if (r.left < frame.left - 0.5 || r.right > frame.right + 0.5 || r.top < frame.top - 0.5
                    || r.bottom > frame.bottom + 0.5) cut++;
            }
            return cut;
        }""")
        assert cut == 0
        page.screenshot(path=str(artifacts_dir / "tab-charts-svg.png"), full_page=False)

        click_chart_point_until_opened(page)
        assert page.evaluate("window.__paramlabSameDocument === true"), "the page was reloaded"
        assert page.evaluate("location.search") == ""  # no ?image= page was loaded


def click_chart_point_until_opened(page: Any, attempts: int = 3) -> None:
    """Click a chart point and wait for its image in the ledger view. On a loaded machine the chart may be
    redrawn (its tab's refresh answering late) between finding the point and the click: then find it again."""
    for attempt in range(attempts):
        point = chart_point(page)
        page.mouse.click(point["x"], point["y"])
        image_id = point["label"].split("Image id: ")[1].split(";")[0]
        try:
            page.locator("#paramlab-ledger-detail h3", has_text=f"Image {image_id}").first.wait_for(timeout=10_000)
            return
        except Exception:  # noqa: BLE001 - Playwright's timeout: the click met a redrawn chart
            if attempt == attempts - 1:
                raise
            page.locator("#paramlab-tab > .tab-nav > button", has_text="Cost / quality").first.click()


def test_one_image_per_setting_is_explained_and_draws_no_lone_front(tmp_path: Path) -> None:
    """Item 8: an X/Y/Z grid's single images get an answer that says what is missing, and no diamond."""
    require_browser()
    db = tmp_path / "ledger.sqlite"
    fill(db, per_setting=1, steps_list=(4, 8, 12))
    fill(db, per_setting=3, steps_list=(20,), samplers=("Euler a",))  # one setting does have three images
    with paramlab_server(db, tmp_path) as server, chromium_page() as page:
        page.goto(server.url)
        open_charts(page)
        advice = page.locator("#paramlab-charts-recommendation").first
        advice.get_by_text("Batch count").wait_for(timeout=15_000)
        assert "Not enough data" in advice.inner_text() and "one image per cell" in advice.inner_text()
        assert page.locator("#paramlab-charts-scatter svg path[aria-roledescription='point']").count() == 0
        assert "No Pareto front" in page.locator("#paramlab-charts-scatter svg.marks").first.text_content()


def test_rating_shows_in_the_table_and_the_layout_fits_1400_by_1000(tmp_path: Path, artifacts_dir: Path) -> None:
    """Item 3 (a new rating shows without Refresh) and the layout requirement on the standalone page."""
    require_browser()
    db = tmp_path / "ledger.sqlite"
    fill(db, per_setting=10, infotext=LONG_INFOTEXT)
    with paramlab_server(db, tmp_path) as server, chromium_page({"width": 1400, "height": 1000}) as page:
        page.goto(server.url)
        row = page.locator("#paramlab-ledger-table tr[data-image-id]").first
        row.wait_for(timeout=30_000)
        image_id = row.get_attribute("data-image-id")
        row.click()
        page.locator("#paramlab-ledger-detail h3", has_text=f"Image {image_id}").first.wait_for(timeout=15_000)
        page.locator("#paramlab-rate-5").first.click()
        page.locator(f"#paramlab-ledger-table tr[data-image-id='{image_id}']", has_text="★★★★★").first.wait_for(
            timeout=15_000)
        page.locator("#paramlab-ledger-body").first.scroll_into_view_if_needed()
        assert_side_by_side(page)
        page.screenshot(path=str(artifacts_dir / "tab-ledger-1400.png"), full_page=False)


def test_managers_select_a_clicked_row_and_report_skipped_imports(tmp_path: Path) -> None:
    """Item 8: a click on a Profiles or Series row selects it; an import that skips says "0 imported";
    a series' profile is picked from the profiles there are."""
    require_browser()
    db = tmp_path / "ledger.sqlite"
    fill(db, per_setting=1, steps_list=(10,))
    ledger = Ledger.open(resolve_ledger_url(db, db.parent))
    SeriesStore(ledger).create(Series(name="Kaito", seed=7))
    ledger.close()
    series_file = tmp_path / "series.json"
    series_file.write_text(json.dumps({"format": "paramlab-series", "version": 1,
                                       "series": [{"name": "Kaito", "seed": 7}]}), encoding="utf-8")
    with paramlab_server(db, tmp_path) as server, chromium_page() as page:
        page.goto(server.url)
        page.locator("#paramlab-tab > .tab-nav > button", has_text="Profiles").first.click()
        cell = page.locator("#paramlab-profiles-table tbody tr", has_text="Strict adherence").first
        cell.wait_for(timeout=30_000)
        cell.locator("td").nth(2).click()
        selector = page.locator("#paramlab-profiles-selector input").first
        page.wait_for_function("el => el.value === 'Strict adherence'", arg=selector.element_handle(),
                               timeout=15_000)
        page.locator("#paramlab-profiles-info").first.get_by_text("applied at generation").wait_for(timeout=15_000)

        page.locator("#paramlab-tab > .tab-nav > button", has_text="Series").first.click()
        # force: gradio 4 draws the cell's text in a button of its own, which takes the click as a user's does
        page.locator("#paramlab-series-table tbody tr", has_text="Kaito").first.locator("td").nth(1).click(force=True)
        series_selector = page.locator("#paramlab-series-selector input").first
        page.wait_for_function("el => el.value === 'Kaito'", arg=series_selector.element_handle(), timeout=15_000)
        page.locator("#paramlab-series-profile input").first.click()
        page.locator("ul.options li", has_text="Balanced").first.wait_for(timeout=15_000)  # offered: it exists
        page.keyboard.press("Escape")

        page.locator("#paramlab-series-sharing .label-wrap").first.click()
        page.locator("#paramlab-series-upload input[type=file]").first.set_input_files(str(series_file))
        page.locator("#paramlab-series-conflict label", has_text="skip").first.click()
        page.locator("#paramlab-series-import").first.click()
        report = page.locator("#paramlab-series-report").first
        report.get_by_text("Imported 0 series; skipped 1").wait_for(timeout=15_000)
