"""The X/Y/Z matrix in a real headless Chromium against ``python -m paramlab serve``: the Jobs list's
"Matrix" button opens the seed guide's 5 × 4 sailor plot as its matrix, in place, with the cheapest
good-enough cell named; an image of the plot leads back to it from its detail."""

from __future__ import annotations

from pathlib import Path

import pytest
from browser_support import chromium_page, paramlab_server, require_browser
from matrix_ledger import SAILOR_CFGS, SAILOR_STEPS, fill_xyz_job

from paramlab.ledger import Ledger
from paramlab.ledger.urls import resolve_ledger_url


@pytest.mark.browser
def test_the_matrix_opens_from_the_jobs_list_and_from_an_image(tmp_path: Path, artifacts_dir: Path) -> None:
    require_browser()
    db = tmp_path / "ledger.sqlite"
    ledger = Ledger.open(resolve_ledger_url(db, tmp_path))
    try:
        fill_xyz_job(ledger, SAILOR_CFGS, SAILOR_STEPS, seeds=3)
    finally:
        ledger.close()
    with paramlab_server(db, tmp_path) as server, chromium_page({"width": 1400, "height": 1100}) as page:
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(server.url)
        page.locator("button", has_text="Jobs").first.click()
        button = page.locator("#paramlab-jobs-table button.paramlab-open-matrix")
        button.first.wait_for(timeout=30_000)
        button.first.click()
        matrix = page.locator("#paramlab-matrix").first
        matrix.locator("table.paramlab-matrix").first.wait_for(timeout=30_000)
        assert page.locator("#paramlab-tab-matrix").first.is_visible()  # the section came to the front
        assert matrix.locator("td[data-place]").count() == 20
        assert matrix.locator("thead th").all_inner_texts()[1:] == [f"CFG Scale: {cfg}" for cfg in SAILOR_CFGS]
        assert [text.strip() for text in matrix.locator("tbody th").all_inner_texts()] == [
            f"Steps: {steps}" for steps in SAILOR_STEPS]
        sentence = matrix.locator(".paramlab-recommendation").first.inner_text()
        assert " s/image" in sentence and "Medians of 3 images per cell." in sentence
        pick = matrix.locator("td.paramlab-matrix-pick")
        assert pick.count() == 1 and "★ pick" in pick.inner_text() and "n=3" in pick.inner_text()
        assert matrix.locator(".paramlab-badge").count() >= 4  # CFG 15 burns in every row
        matrix.screenshot(path=str(artifacts_dir / "tab-matrix.png"))

        # From one of its images: the cell's link opens the image in the ledger, whose detail links back.
        page.locator("#paramlab-matrix td[data-place='0,0,0'] a").first.click()
        back = page.locator("#paramlab-ledger-detail button.paramlab-open-matrix")
        back.first.wait_for(timeout=30_000)
        assert not page.locator("#paramlab-tab-matrix").first.is_visible()
        back.first.click()
        matrix.locator("table.paramlab-matrix").first.wait_for(timeout=30_000)
        assert page.locator("#paramlab-tab-matrix").first.is_visible()
        assert matrix.locator("td[data-place]").count() == 20 and not errors
