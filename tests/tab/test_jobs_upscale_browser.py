"""The Jobs and "Upscale & batch" sections in a real headless Chromium against ``python -m paramlab serve``:
a click on a tile-upscale job opens its passes and its image's history, the Status filter shows the failed
job alone, and the upscale comparison chart draws its four methods with the recommendation. The screenshots
(test-artifacts/) are the README's."""

from __future__ import annotations

from pathlib import Path

import pytest
from browser_support import choose_option, chromium_page, paramlab_server, require_browser
from upscale_ledger import fill_upscale_ledger

from paramlab.ledger import Ledger, RunRecord
from paramlab.ledger.urls import resolve_ledger_url

COLOURED_PIXELS_JS = """(selector) => {
    const canvas = document.querySelector(selector + ' canvas');
    if (!canvas || !canvas.width) return 0;
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let coloured = 0;
    for (let i = 0; i < data.length; i += 4) {
        const [r, g, b, a] = [data[i], data[i + 1], data[i + 2], data[i + 3]];
        if (a > 0 && Math.max(r, g, b) - Math.min(r, g, b) > 60) coloured++;
    }
    return coloured;
}"""


@pytest.mark.browser
def test_jobs_and_the_upscale_chart_in_chromium(tmp_path: Path, artifacts_dir: Path) -> None:
    require_browser()
    db = tmp_path / "ledger.sqlite"
    fill_upscale_ledger(db)
    ledger = Ledger.open(resolve_ledger_url(db, tmp_path))
    try:
        ledger.write_runs([RunRecord(tab="txt2img", source="api", status="failed", error_type="NansException",
                                     error="A tensor with NaNs was produced in Unet.")])
    finally:
        ledger.close()
    with paramlab_server(db, tmp_path) as server, chromium_page() as page:
        page.goto(server.url)
        page.locator("button", has_text="Jobs").first.click()
        rows = page.locator("#paramlab-jobs-table tr[data-job-id]")
        rows.first.wait_for(timeout=30_000)
        assert rows.count() == 29
        rows.filter(has_text="Tile upscale").first.click()
        detail = page.locator("#paramlab-job-detail").first
        detail.get_by_text("tile pass", exact=False).first.wait_for(timeout=15_000)
        assert "History: #" in detail.inner_text() and "combined image" in detail.inner_text()
        page.screenshot(path=str(artifacts_dir / "tab-jobs.png"), full_page=False)
        choose_option(page, "#paramlab-jobs-status", "failed")
        page.wait_for_function("() => document.querySelectorAll('#paramlab-jobs-table tr[data-job-id]').length === 1",
                               timeout=30_000)
        assert "failed: NaN in Unet" in rows.first.inner_text()

        page.locator("button", has_text="Upscale & batch").first.click()
        page.locator("#paramlab-upscale-refresh").first.click()
        page.wait_for_function(f"() => ({COLOURED_PIXELS_JS})('#paramlab-upscale-chart') > 100", timeout=30_000)
        note = page.locator("#paramlab-upscale-recommendation").first
        note.get_by_text("At 1024×1024", exact=False).first.wait_for(timeout=15_000)
        assert "cheapest" in note.inner_text()
        assert "stops paying after 4" in page.locator("#paramlab-batch-recommendation").first.inner_text()
        page.locator("#paramlab-upscale-chart").first.scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts_dir / "tab-upscale.png"), full_page=False)
