"""The standalone page: its table formatting, its gradio wiring, and what a real browser shows."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd
import pytest
from browser_support import chromium_page, paramlab_server, require_browser
from PIL import Image

from paramlab.ledger import ImageRecord, Ledger, RunRecord
from paramlab.paths import resolve_ledger_url
from paramlab.standalone import (
    COLUMN_HEADERS,
    EMPTY_HINT_TEXT,
    build_page,
    gallery_items,
    make_refresh,
    recent_rows_frame,
    summary_html,
)

HOSTILE_PROMPT = "<img src=x onerror=alert(1)>"
HOSTILE_MODEL = "<b>bold-model</b>"
DISTINCTIVE_PROMPT = "paramlab browser check: a lighthouse at dusk, oil painting"
CREATED = datetime(2024, 5, 1, 12, 30, 5, tzinfo=timezone.utc)


def local(moment: datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def hires_image(**overrides: Any) -> ImageRecord:
    values: dict[str, Any] = {
        "index_in_run": 0, "created_at": CREATED, "seed": 1234567890, "prompt": "a red fox in snow",
        "model_name": "sd_xl_base_1.0", "sampler": "DPM++ 2M", "scheduler": "Karras", "steps": 30,
        "cfg_scale": 7.0, "width": 832, "height": 1216, "hires_enabled": True,
        "hires_upscaler": "R-ESRGAN 4x+", "hires_scale": 1.5, "hires_steps": 15, "cost_seconds": 12.3456,
        "model_evaluations": 90,
    }
    values.update(overrides)
    return ImageRecord(**values)


def write(ledger: Ledger, *images: ImageRecord, tab: str = "txt2img", source: str = "ui") -> None:
    ledger.write_runs([RunRecord(tab=tab, source=source, images=list(images))])


def save_png(
    path: Path, color: tuple[int, int, int] = (200, 80, 40), size: tuple[int, int] = (96, 64)
) -> str:
    Image.new("RGB", size, color).save(path)
    return str(path)


# -- the table ------------------------------------------------------------------------------------


def test_recent_rows_frame_formats_every_column(ledger: Ledger) -> None:
    write(ledger, hires_image())
    write(ledger, ImageRecord(index_in_run=0, created_at=CREATED, cfg_scale=7.5), tab="img2img", source="api")

    frame = recent_rows_frame(ledger, limit=100)

    assert list(frame.columns) == COLUMN_HEADERS
    assert len(frame) == 2
    newest, older = frame.iloc[0].to_dict(), frame.iloc[1].to_dict()
    assert older == {
        "time": local(CREATED), "tab": "txt2img", "source": "ui", "model": "sd_xl_base_1.0",
        "sampler": "DPM++ 2M", "schedule type": "Karras", "steps": "30", "CFG": "7", "size": "832×1216",
        "seed": "1234567890", "hires": "1.5× R-ESRGAN 4x+, 15 steps", "seconds": "12.35",
        "model evaluations": "90", "prompt": "a red fox in snow",
    }
    # Missing values stay blank instead of showing "None"; hires off is a dash.
    assert newest["tab"] == "img2img" and newest["source"] == "api"
    assert newest["CFG"] == "7.5" and newest["hires"] == "—"
    assert newest["model"] == newest["seed"] == newest["size"] == newest["prompt"] == ""
    assert all(isinstance(value, str) for value in frame.to_numpy().ravel())


def test_recent_rows_frame_hires_by_target_size_and_limit(ledger: Ledger) -> None:
    write(ledger, *[
        hires_image(index_in_run=n, hires_scale=None, hires_resize_x=1024, hires_resize_y=1536, hires_steps=0)
        for n in range(5)
    ])
    frame = recent_rows_frame(ledger, limit=3)
    assert len(frame) == 3
    assert frame["hires"].tolist() == ["to 1024×1536 R-ESRGAN 4x+"] * 3


def test_recent_rows_frame_truncates_long_prompts_to_one_line(ledger: Ledger) -> None:
    write(ledger, hires_image(prompt="line one\nline two " + "x" * 500))
    prompt = recent_rows_frame(ledger, limit=10)["prompt"].iloc[0]
    assert len(prompt) == 200
    assert prompt.startswith("line one line two xxx") and prompt.endswith("…")


def test_recent_rows_frame_keeps_markup_as_literal_text(ledger: Ledger) -> None:
    write(ledger, hires_image(prompt=HOSTILE_PROMPT, model_name=HOSTILE_MODEL))
    row = recent_rows_frame(ledger, limit=10).iloc[0]
    assert row["prompt"] == HOSTILE_PROMPT and row["model"] == HOSTILE_MODEL


def test_empty_ledger_gives_headers_and_a_hint(ledger: Ledger) -> None:
    frame = recent_rows_frame(ledger, limit=100)
    assert frame.empty and list(frame.columns) == COLUMN_HEADERS
    summary, table, gallery = make_refresh(ledger)()
    assert EMPTY_HINT_TEXT in summary and "python -m paramlab import &lt;outputs folder&gt;" in summary
    assert table.empty
    assert gallery["visible"] is False


def test_summary_escapes_the_location() -> None:
    html_text = summary_html("sqlite:////tmp/<script>x</script>.sqlite", {"runs": 1, "images": 1}, 1)
    assert "<script>" not in html_text and "&lt;script&gt;" in html_text
    assert "1 run, 1 image — showing the newest 1" in html_text


# -- the gallery ----------------------------------------------------------------------------------


def test_gallery_prefers_thumbnails_and_skips_missing_files(ledger: Ledger, tmp_path: Path) -> None:
    big = save_png(tmp_path / "big.png", size=(1200, 900))
    thumb = save_png(tmp_path / "thumb.png", color=(10, 200, 10), size=(48, 36))
    not_an_image = tmp_path / "notes.png"
    not_an_image.write_text("not a png", encoding="utf-8")
    write(
        ledger,
        hires_image(index_in_run=0, image_path=big, seed=1),
        hires_image(index_in_run=1, image_path=str(tmp_path / "gone.png"), seed=2),
        hires_image(index_in_run=2, image_path=big, thumbnail_path=thumb, seed=3),
        hires_image(index_in_run=3, image_path=str(not_an_image), seed=4),
    )

    items = gallery_items(ledger.recent_images(limit=100))

    assert [caption for _, caption in items] == ["sd_xl_base_1.0 · seed 3", "sd_xl_base_1.0 · seed 1"]
    from_thumbnail, from_image = items[0][0], items[1][0]
    assert from_thumbnail.size == (48, 36)
    assert max(from_image.size) <= 320  # shrunk, not the 1200 px original


def test_gallery_stops_at_twelve(ledger: Ledger, tmp_path: Path) -> None:
    path = save_png(tmp_path / "one.png")
    write(ledger, *[hires_image(index_in_run=n, image_path=path, seed=n) for n in range(20)])
    items = gallery_items(ledger.recent_images(limit=100))
    assert [caption for _, caption in items] == [f"sd_xl_base_1.0 · seed {n}" for n in range(19, 7, -1)]


# -- the gradio page ------------------------------------------------------------------------------


def bound_functions(demo: gr.Blocks, block: gr.blocks.Block | None, trigger: str) -> list[Any]:
    """The Python functions an event runs; ``block=None`` matches any target (gradio 3 gives page
    load no target). Gradio 3 stores ``targets=[id], trigger=...``, gradio 4 ``targets=[(id, trigger)]``.
    """
    found = []
    for index, dependency in enumerate(demo.dependencies):
        pairs = [
            tuple(target) if isinstance(target, (list, tuple)) else (target, dependency.get("trigger"))
            for target in dependency["targets"]
        ] or [(None, dependency.get("trigger"))]
        if any(event == trigger and (block is None or target == block._id) for target, event in pairs):
            found.append(demo.fns[index].fn)
    return found


def test_build_page_wires_refresh_and_load(ledger: Ledger) -> None:
    demo = build_page(ledger)
    assert isinstance(demo, gr.Blocks) and demo.title == "ParamLab" and demo.analytics_enabled is False

    blocks = list(demo.blocks.values())
    tables = [block for block in blocks if isinstance(block, gr.Dataframe)]
    assert len(tables) == 1 and tables[0].datatype == ["str"] * len(COLUMN_HEADERS)
    (button,) = [block for block in blocks if isinstance(block, gr.Button) and block.value == "Refresh"]
    (on_click,) = bound_functions(demo, button, "click")
    (on_load,) = bound_functions(demo, None, "load")

    write(ledger, hires_image(prompt=DISTINCTIVE_PROMPT))
    summary, frame, gallery = on_click()
    assert isinstance(frame, pd.DataFrame) and frame["prompt"].tolist() == [DISTINCTIVE_PROMPT]
    assert "1 run, 1 image" in summary

    write(ledger, hires_image(prompt="second"))
    assert on_load()[1]["prompt"].tolist() == ["second", DISTINCTIVE_PROMPT]


# -- a real browser -------------------------------------------------------------------------------


@pytest.mark.browser
def test_page_in_headless_chromium(tmp_path: Path, artifacts_dir: Path) -> None:
    require_browser()
    db_path = tmp_path / "ledger.sqlite"
    writer = Ledger.open(resolve_ledger_url(db_path, tmp_path))
    try:
        image_path = save_png(tmp_path / "fox.png", size=(512, 768))
        write(writer, hires_image(prompt="an older image without a file", seed=11, image_path=None))
        write(writer, hires_image(prompt=DISTINCTIVE_PROMPT, seed=22, image_path=image_path))
        write(writer, hires_image(
            prompt=HOSTILE_PROMPT, model_name=HOSTILE_MODEL, seed=33, image_path=image_path,
            hires_enabled=False, sampler="Euler a", scheduler="Automatic",
        ), tab="img2img", source="api")

        with paramlab_server(db_path, tmp_path) as server, chromium_page() as page:
            dialogs: list[str] = []
            page_errors: list[str] = []

            def on_dialog(dialog: Any) -> None:
                dialogs.append(dialog.message)
                dialog.dismiss()

            page.on("dialog", on_dialog)
            page.on("pageerror", lambda error: page_errors.append(str(error)))
            page.goto(server.url, wait_until="domcontentloaded", timeout=60_000)

            table = page.locator("#paramlab-recent-table")
            table.get_by_text(DISTINCTIVE_PROMPT, exact=True).wait_for(timeout=30_000)
            assert page.title() == "ParamLab"
            assert table.get_by_text(HOSTILE_PROMPT, exact=True).count() >= 1
            assert table.get_by_text(HOSTILE_MODEL, exact=True).count() >= 1
            assert page.locator('img[src="x"]').count() == 0
            assert page.locator("b", has_text="bold-model").count() == 0
            assert table.get_by_text("1.5× R-ESRGAN 4x+, 15 steps", exact=True).count() >= 1
            summary = page.locator("#paramlab-ledger-summary").first  # gradio 3 repeats the id inside
            assert "3 runs, 3 images" in summary.inner_text()
            gallery_images = page.locator("#paramlab-recent-gallery img")
            gallery_images.first.wait_for(timeout=15_000)
            assert gallery_images.count() >= 2

            write(writer, hires_image(prompt="written after the page loaded", seed=44))
            assert table.get_by_text("written after the page loaded", exact=True).count() == 0
            page.locator("#paramlab-ledger-refresh").click()
            table.get_by_text("written after the page loaded", exact=True).wait_for(timeout=15_000)
            assert "4 runs, 4 images" in summary.inner_text()

            page.wait_for_timeout(500)  # let thumbnails finish painting before the screenshot
            page.screenshot(path=str(artifacts_dir / "standalone-page.png"), full_page=True)
            assert dialogs == [], f"a dialog fired, so markup ran: {dialogs}"
            assert page_errors == [], f"JavaScript errors on the page: {page_errors}"
        assert "ParamLab: open http://127.0.0.1:" in server.output()
    finally:
        writer.close()
