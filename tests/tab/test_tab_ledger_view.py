"""The ledger view in real gradio Blocks: its events filter, show, rate, delete and export as wired."""

from __future__ import annotations

import csv
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import gradio as gr
import pytest
from PIL import Image

from paramlab.gradio_compat import IS_GRADIO_4, event_wiring
from paramlab.ledger import ImageRecord, Ledger, RunRecord
from paramlab.seeds.series import SeriesStore
from paramlab.tab.ledger_view import render
from paramlab.tab.ledger_view.actions import ANY, FILTER_FIELDS, build_filter
from paramlab.tab.ledger_view.view import LedgerViewComponents, build_ledger_view

HOSTILE = "<img src=x onerror=alert(1)>"
T0 = datetime(2024, 6, 1, 12, 0, tzinfo=timezone.utc)


def run_event(blocks: gr.Blocks, target: Any, trigger: str, *inputs: Any) -> dict[Any, Any]:
    """Run the function gradio registered for ``target.trigger`` and map its results to components."""
    for event in event_wiring(blocks):
        if target._id in event.targets and event.trigger == trigger:
            assert len(event.inputs) == len(inputs), "inputs do not match the wiring"
            results = event.fn(*inputs)
            results = results if isinstance(results, (list, tuple)) else [results]
            assert len(results) == len(event.outputs)
            return {blocks.blocks[output]: result for output, result in zip(event.outputs, results)}
    raise AssertionError(f"no {trigger} event wired on {target}")


def load_events(blocks: gr.Blocks) -> list[Any]:
    return [(event.fn, event) for event in event_wiring(blocks) if event.trigger == "load"]


def write(ledger: Ledger, *images: ImageRecord) -> None:
    ledger.write_runs([RunRecord(tab="txt2img", source="ui", images=list(images), wall_seconds=3.0)])


def image(n: int, **overrides: Any) -> ImageRecord:
    values: dict[str, Any] = {
        "index_in_run": 0, "created_at": T0 + timedelta(days=n), "seed": 500 + n, "prompt": f"castle number{n}",
        "model_name": "sd_xl_base_1.0", "sampler": "Euler a", "scheduler": "Automatic", "steps": 20,
        "cfg_scale": 7.0, "width": 512, "height": 512, "cost_seconds": 1.5,
        "infotext": f"castle number{n}\nSteps: 20, Sampler: Euler a, Seed: {500 + n}",
    }
    values.update(overrides)
    return ImageRecord(**values)


@pytest.fixture
def view(ledger: Ledger) -> tuple[gr.Blocks, LedgerViewComponents, Ledger]:
    write(ledger, image(0), image(1, index_in_run=1, sampler="DPM++ 2M", scheduler="Karras"))
    write(ledger, image(2, prompt=HOSTILE, model_name="<b>bold</b>", infotext=HOSTILE))
    with gr.Blocks() as demo:
        components = build_ledger_view(lambda: ledger)
    return demo, components, ledger


def filter_values(**chosen: Any) -> list[Any]:
    defaults: dict[str, Any] = dict.fromkeys(FILTER_FIELDS)
    defaults.update({"model": ANY, "profile": ANY, "series": ANY, "sampler": ANY, "scheduler": ANY, "flaw": ANY,
                     "rating": ANY, "sort": "newest first", "text": "", "date_from": "", "date_to": ""})
    defaults.update(chosen)
    return [defaults[name] for name in FILTER_FIELDS]


def ids_in(table_html: str) -> list[int]:
    import re

    return [int(found) for found in re.findall(r'data-image-id="(\d+)"', table_html)]


def id_of(ledger: Ledger, seed: int) -> int:
    return next(row["id"] for row in ledger.recent_images(limit=100) if row["seed"] == seed)


def test_filters_show_only_matching_rows(view: Any) -> None:
    demo, c, ledger = view
    shown = run_event(demo, c.apply_button, "click", *filter_values(sampler="DPM++ 2M"))
    assert ids_in(shown[c.table]) == [id_of(ledger, 501)]
    assert "1 image" in shown[c.pager] and shown[c.page_state] == 1

    shown = run_event(demo, c.filters["text"], "submit", *filter_values(text="number0"))
    assert ids_in(shown[c.table]) == [id_of(ledger, 500)]
    shown = run_event(demo, c.apply_button, "click", *filter_values(date_from="2024-06-02", date_to="2024-06-02"))
    assert ids_in(shown[c.table]) == [id_of(ledger, 501)]
    shown = run_event(demo, c.apply_button, "click", *filter_values(date_from="June 1st"))
    assert "YYYY-MM-DD" in shown[c.message] and shown[c.table] == ""
    shown = run_event(demo, c.apply_button, "click", *filter_values(steps_min=21.0))
    assert "No images match" in shown[c.table]
    shown = run_event(demo, c.apply_button, "click", *filter_values(steps_min=0, steps_max=0, cfg_min=0, cfg_max=0))
    assert len(ids_in(shown[c.table])) == 3  # 0 is "any": gradio 3 shows an empty number box as 0


def test_hostile_strings_are_escaped(view: Any) -> None:
    demo, c, ledger = view
    table = run_event(demo, c.apply_button, "click", *filter_values(text=HOSTILE))[c.table]
    assert ids_in(table) == [id_of(ledger, 502)]
    assert "<img src=x" not in table and "&lt;img src=x onerror=alert(1)&gt;" in table
    assert "<b>bold</b>" not in table and "&lt;b&gt;bold&lt;/b&gt;" in table
    assert 'src="/paramlab/v1/images/' not in table  # no file recorded: no thumbnail tag
    detail = run_event(demo, c.selected, "change", str(id_of(ledger, 502)))
    assert "<img src=x" not in detail[c.detail] and "&lt;img src=x" in detail[c.detail]
    assert detail[c.infotext_box] == HOSTILE  # a plain textbox value, for A1111's paste


def test_rows_select_through_the_id_box_and_show_thumbnails(ledger: Ledger, tmp_path: Path) -> None:
    path = tmp_path / "a.png"
    Image.new("RGB", (8, 8)).save(path)
    write(ledger, image(0, image_path=str(path)))
    image_id = id_of(ledger, 500)
    row = render.table_row(ledger.recent_images(limit=1)[0])
    assert f'<img loading="lazy" alt="" src="/paramlab/v1/images/{image_id}/thumbnail?exp=' in row
    assert f'data-image-id="{image_id}"' in row and f"}})({image_id})" in row
    assert render.SELECTED_ELEM_ID in render.SELECT_IMAGE_JS


def test_paging_and_refresh(ledger: Ledger) -> None:
    write(ledger, *[image(n, index_in_run=n) for n in range(120)])
    with gr.Blocks() as demo:
        c = build_ledger_view(lambda: ledger)
    first = run_event(demo, c.apply_button, "click", *filter_values())
    assert len(ids_in(first[c.table])) == 50 and "Page 1 of 3" in first[c.pager]
    following = run_event(demo, c.next_button, "click", *filter_values(), 3)
    assert len(ids_in(following[c.table])) == 20 and following[c.page_state] == 3
    back = run_event(demo, c.prev_button, "click", *filter_values(), 3)
    assert back[c.page_state] == 2
    refreshed = run_event(demo, c.refresh_button, "click", *filter_values(), 2)
    assert refreshed[c.page_state] == 2 and refreshed[c.filters["sampler"]]["choices"] == [ANY, "Euler a"]
    assert c.refresh(*filter_values(), 1)[0] == first[c.table]
    assert len(c.inputs) == len(FILTER_FIELDS) + 1 and len(c.outputs) == 10


def test_page_load_fills_the_view_and_opens_the_image_parameter(view: Any) -> None:
    demo, c, ledger = view
    events = load_events(demo)
    (refresh, refresh_event), (opener, opener_event) = events[:2]
    assert refresh_event.inputs == ()  # gradio 4 warns about page-load events with inputs
    assert len(ids_in(refresh()[0])) == 3
    # a page-load script installs the in-place image links (gradio 4: a browser-only event of its own)
    assert any("paramlab-image=" in (event.js or "") for _, event in events)
    open_image = c.actions.open_from_page  # what the load event runs (on gradio 4 with the request alone)
    image_id = id_of(ledger, 501)
    if IS_GRADIO_4:
        assert opener_event.inputs == ()
        assert opener(SimpleNamespace(query_params={"image": str(image_id)}))[0] == str(image_id)
    else:
        assert opener == open_image and opener_event.js
    selected, detail, infotext, message = open_image(str(image_id), SimpleNamespace())
    assert selected == str(image_id) and f"Image {image_id}" in detail and "Seed: 501" in infotext
    from_query = open_image("", SimpleNamespace(query_params={"image": str(image_id)}))
    assert from_query[0] == str(image_id)
    referer = SimpleNamespace(query_params={}, headers={"referer": f"http://127.0.0.1:7860/?image={image_id}"})
    assert open_image("", referer)[0] == str(image_id)
    assert open_image("x", SimpleNamespace(query_params={"image": "<b>"}))[2] == ""


def test_rating_persists_in_the_ledger_and_shows_in_the_table_at_once(view: Any) -> None:
    demo, c, ledger = view
    image_id = id_of(ledger, 500)
    result = run_event(demo, c.rating_buttons[4], "click", str(image_id), *filter_values(), 1)
    assert "Rated image" in result[c.action_status] and "★★★★" in result[c.detail]
    row = next(line for line in result[c.table].splitlines() if f'data-image-id="{image_id}"' in line)
    assert "★★★★" in row  # no Refresh needed
    assert next(r for r in ledger.recent_images() if r["id"] == image_id)["rating"] == 4
    run_event(demo, c.rating_buttons[None], "click", str(image_id), *filter_values(), 1)
    assert next(r for r in ledger.recent_images() if r["id"] == image_id)["rating"] is None
    refused = run_event(demo, c.rating_buttons[2], "click", "", *filter_values(), 1)
    assert "Select an image" in refused[c.action_status]


def test_delete_needs_confirm(view: Any) -> None:
    demo, c, ledger = view
    image_id = id_of(ledger, 500)
    refused = run_event(demo, c.delete_button, "click", str(image_id), True, False, *filter_values(), 1)
    assert "nothing was deleted" in refused[c.action_status] and ledger.counts()["images"] == 3
    done = run_event(demo, c.delete_button, "click", str(image_id), False, True, *filter_values(), 1)
    assert "Deleted image" in done[c.action_status] and done[c.confirm] is False and done[c.selected] == ""
    assert ledger.counts()["images"] == 2 and image_id not in ids_in(done[c.table])


def test_show_seed_and_create_series(view: Any) -> None:
    demo, c, ledger = view
    image_id = id_of(ledger, 501)
    shown = run_event(demo, c.lock_button, "click", str(image_id))
    assert shown[c.seed_box] == "501" and c.lock_button.value == "Show the seed"  # it only shows the seed
    made = run_event(demo, c.series_button, "click", str(image_id), "Kaito")
    assert "Created series" in made[c.action_status] and SeriesStore(ledger).get("Kaito").seed == 501
    refused = run_event(demo, c.series_button, "click", str(image_id), "<script>")
    assert "<script>" not in refused[c.action_status] and "paramlab-error" in refused[c.action_status]


def test_export_filtered_rows(view: Any) -> None:
    demo, c, ledger = view
    exported = run_event(demo, c.export_button, "click", "csv", *filter_values(sampler="Euler a"))
    with open(exported[c.export_file], encoding="utf-8", newline="") as handle:
        assert sorted(row["seed"] for row in csv.DictReader(handle)) == ["500", "502"]
    exported = run_event(demo, c.export_button, "click", "json", *filter_values(text="number1"))
    assert [row["seed"] for row in json.loads(Path(exported[c.export_file]).read_text("utf-8"))] == [501]


def test_send_to_gets_the_infotext_box(ledger: Ledger) -> None:
    received: list[Any] = []
    with gr.Blocks():
        c = build_ledger_view(lambda: ledger, send_to=received.append)
    assert received == [c.infotext_box]


def test_build_filter_maps_the_inputs() -> None:
    filt = build_filter(filter_values(rating="unrated", sort="oldest first", steps_max=30.4, model="m"))
    assert (filt.rating_min, filt.steps_max, filt.model, filt.order) == (0, 30, ("m",), "oldest")
