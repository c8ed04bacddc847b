"""The ParamLab page in a real headless Chromium against ``python -m paramlab serve`` on a ledger the
test fills: it loads, a filter narrows the table, the chart has points, a rating survives a reload,
export downloads a file, and a hostile prompt stays text. Screenshots go to test-artifacts/."""

from __future__ import annotations

from pathlib import Path

import pytest
from browser_support import chromium_page, paramlab_server, require_browser
from PIL import Image

from paramlab.ledger import ImageRecord, Ledger, RunRecord
from paramlab.ledger.urls import resolve_ledger_url

HOSTILE = "<img src=x onerror=alert(1)>"


def fill(db: Path, image_dir: Path) -> None:
    """24 images: two samplers × three step counts × four seeds, with figures, files and one hostile prompt."""
    ledger = Ledger.open(resolve_ledger_url(db, db.parent))
    runs = []
    for sampler in ("Euler a", "DPM++ 2M"):
        for steps in (10, 20, 40):
            run = RunRecord(tab="txt2img", source="ui", wall_seconds=steps * 0.1 * 4, batch_count=1, batch_size=4,
                            output_dir=str(image_dir))
            for seed in range(4):
                path = image_dir / f"{sampler[:3]}-{steps}-{seed}.png"
                Image.new("RGB", (64, 64), (steps * 5, seed * 60, 120)).save(path)
                prompt = HOSTILE if (sampler, steps, seed) == ("Euler a", 10, 0) else f"lighthouse {sampler} {steps}"
                run.images.append(ImageRecord(
                    index_in_run=seed, seed=seed, prompt=prompt, sampler=sampler, scheduler="Karras", steps=steps,
                    cfg_scale=7.0, width=512, height=512, model_name="sd15", model_hash="abcd1234",
                    cost_seconds=steps * 0.1, model_evaluations=steps, image_path=str(path),
                    metrics={"sharpness": (100.0 + steps * 3 + seed, None), "noise": (10.0 - steps / 5, None)},
                    metrics_version="1",
                ))
            runs.append(run)
    ledger.write_runs(runs)
    ledger.close()


@pytest.mark.browser
def test_the_tab_in_chromium(tmp_path: Path, artifacts_dir: Path) -> None:
    require_browser()
    images = tmp_path / "outputs"
    images.mkdir()
    db = tmp_path / "ledger.sqlite"
    fill(db, images)
    dialogs: list[str] = []
    with paramlab_server(db, tmp_path) as server, chromium_page() as page:
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.goto(server.url)
        table = page.locator("#paramlab-ledger-table").first
        table.locator("tr[data-image-id]").first.wait_for(timeout=30_000)
        assert table.locator("tr[data-image-id]").count() == 24
        assert HOSTILE in table.inner_text()  # shown literally…
        assert page.locator("img[src='x']").count() == 0 and dialogs == []  # …and never run
        page.screenshot(path=str(artifacts_dir / "tab-ledger.png"), full_page=False)

        page.locator("#paramlab-filter-text textarea, #paramlab-filter-text input").first.fill("DPM")
        page.locator("#paramlab-ledger-apply").first.click()
        page.wait_for_function(
            "() => document.querySelectorAll('#paramlab-ledger-table tr[data-image-id]').length === 12",
            timeout=15_000)

        first_row = table.locator("tr[data-image-id]").first
        image_id = first_row.get_attribute("data-image-id")
        first_row.click()
        page.locator("#paramlab-ledger-detail").first.get_by_text("Infotext", exact=False).first.wait_for(
            timeout=15_000)
        page.locator("#paramlab-rate-4").first.click()
        page.locator("#paramlab-ledger-action-status").first.get_by_text("4", exact=False).first.wait_for(
            timeout=15_000)

        page.reload()
        page.locator("#paramlab-ledger-table tr[data-image-id]").first.wait_for(timeout=30_000)
        row = page.locator(f"#paramlab-ledger-table tr[data-image-id='{image_id}']").first
        assert "★★★★" in row.inner_text()

        with page.expect_download(timeout=30_000) as download_info:
            page.locator("#paramlab-ledger-export").first.click()
            page.locator("#paramlab-ledger-export-file a").first.click(timeout=30_000)
        downloaded = Path(download_info.value.path())
        assert downloaded.read_text(encoding="utf-8").count("\n") >= 24

        page.goto(f"{server.url}?image={image_id}")  # a bookmarked image link
        page.locator("#paramlab-ledger-detail").first.get_by_text("Infotext", exact=False).first.wait_for(
            timeout=30_000)
        assert page.locator("#paramlab_selected_image textarea, #paramlab_selected_image input").first.input_value() \
            == image_id

        page.locator("button", has_text="Cost / quality").first.click()  # opening the section loads the charts
        # the charts are SVG: one element per point
        page.wait_for_function(
            "() => document.querySelectorAll(\"#paramlab-charts-scatter svg path[aria-roledescription='circle']\")"
            ".length === 24", timeout=30_000)
        assert "Showing all 24 images" in page.locator("#paramlab-charts-note").first.inner_text()
        page.screenshot(path=str(artifacts_dir / "tab-charts.png"), full_page=False)
    assert dialogs == []
