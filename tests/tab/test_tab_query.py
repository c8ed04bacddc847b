"""The ledger view's queries on a real SQLite ledger: filters, search, pages, detail, export and delete."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from PIL import Image
from sqlalchemy.dialects import postgresql

from paramlab.ledger import ImageRecord, Ledger, RunRecord, schema
from paramlab.ledger.dialect import fts5_query
from paramlab.ledger.edits.images import delete_images, export_filtered
from paramlab.ledger.filters import ImageFilter, search_tokens, where_clause
from paramlab.ledger.reads.images import PageResult, image_page
from paramlab.tab.ledger_view.query import filter_options, image_detail

T0 = datetime(2024, 6, 1, 12, 0, tzinfo=timezone.utc)
HOSTILE = "<img src=x onerror=alert(1)>"
BURN = json.dumps([{"code": "cfg_burn", "advice": "lower CFG to 7–10"}])


def image(n: int, **overrides: Any) -> ImageRecord:
    values: dict[str, Any] = {
        "index_in_run": 0, "created_at": T0 + timedelta(days=n), "seed": 1000 + n, "prompt": f"a red fox number{n}",
        "negative_prompt": "blurry", "model_name": "sd_xl_base_1.0", "model_hash": "31e35c80fc",
        "sampler": "Euler a", "scheduler": "Automatic", "steps": 20, "cfg_scale": 7.0, "width": 512, "height": 512,
        "cost_seconds": 2.0, "infotext": f"a red fox number{n}\nSteps: 20, Sampler: Euler a, Seed: {1000 + n}",
    }
    values.update(overrides)
    return ImageRecord(**values)


def write(ledger: Ledger, *images: ImageRecord, **run: Any) -> int:
    run = {"tab": "txt2img", "source": "ui", **run}
    return ledger.write_runs([RunRecord(images=list(images), **run)])[0]


def query_page(ledger: Ledger, filt: ImageFilter, page: int = 1, page_size: int = 50,
               sort: str = "newest") -> PageResult:
    return image_page(ledger, replace(filt, page=page, page_size=page_size, order=sort))


def seeds(ledger: Ledger, filt: ImageFilter, **kwargs: Any) -> list[int]:
    return [row["seed"] for row in query_page(ledger, filt, page_size=500, **kwargs).rows]


@pytest.fixture
def filled(ledger: Ledger) -> Ledger:
    write(ledger, image(0), image(1, sampler="DPM++ 2M", scheduler="Karras", steps=30, cfg_scale=5.0, rating=4))
    write(ledger, image(2, model_name="dreamshaper_8", model_hash="879db523c3", profile="Final render", rating=2))
    write(ledger, image(3, series="Kaito", cfg_scale=12.0, flaws=BURN, prompt="a lighthouse at dusk, oil painting"))
    write(ledger, image(4, prompt=HOSTILE, steps=10, rating=5), tab="img2img")
    return ledger


def test_every_filter_narrows(filled: Ledger) -> None:
    assert seeds(filled, ImageFilter()) == [1004, 1003, 1002, 1001, 1000]
    assert seeds(filled, ImageFilter(created_from=T0 + timedelta(days=2))) == [1004, 1003, 1002]
    assert seeds(filled, ImageFilter(created_to=T0 + timedelta(days=2))) == [1001, 1000]
    assert seeds(filled, ImageFilter(model="dreamshaper_8")) == [1002]
    assert seeds(filled, ImageFilter(model="879db523c3")) == [1002]
    assert seeds(filled, ImageFilter(profile="Final render")) == [1002]
    assert seeds(filled, ImageFilter(series="Kaito")) == [1003]
    assert seeds(filled, ImageFilter(sampler="DPM++ 2M")) == [1001]
    assert seeds(filled, ImageFilter(scheduler="Karras")) == [1001]
    assert seeds(filled, ImageFilter(steps_min=25)) == [1001]
    assert seeds(filled, ImageFilter(steps_max=15)) == [1004]
    assert seeds(filled, ImageFilter(cfg_min=10)) == [1003]
    assert seeds(filled, ImageFilter(cfg_max=6)) == [1001]
    assert seeds(filled, ImageFilter(rating_min=4)) == [1004, 1001]
    assert seeds(filled, ImageFilter(rating_min=0)) == [1003, 1000]
    assert seeds(filled, ImageFilter(flaw="cfg_burn")) == [1003]
    assert seeds(filled, ImageFilter(flaw="under_converged")) == []
    assert seeds(filled, ImageFilter(status="ok")) == [1004, 1003, 1002, 1001, 1000]
    assert seeds(filled, ImageFilter(sampler="Euler a", steps_min=20, rating_min=0)) == [1003, 1000]
    assert seeds(filled, ImageFilter(), sort="oldest") == [1000, 1001, 1002, 1003, 1004]
    assert seeds(filled, ImageFilter(), sort="rating")[:3] == [1004, 1001, 1002]


def test_text_search_matches_words_and_prefixes_in_the_prompt_only(filled: Ledger) -> None:
    assert seeds(filled, ImageFilter(text="lighthouse dusk")) == [1003]
    assert seeds(filled, ImageFilter(text="LIGHT")) == [1003]  # prefix, any case
    assert seeds(filled, ImageFilter(text="fox number1")) == [1001]
    assert seeds(filled, ImageFilter(text="blurry")) == []  # the negative prompt is not searched
    assert seeds(filled, ImageFilter(text=HOSTILE)) == [1004]


@pytest.mark.parametrize("hostile", [
    '"', "*", "NEAR(", "NEAR(a b", "a OR", "AND", "-", "prompt:", "{prompt}", "^", "(((", '"unterminated', "'",
    "%", "_", "\\", HOSTILE, "a' OR 1=1 --", "\x00", "fox*", "🦊", "  ",
])
def test_hostile_search_text_never_errors(filled: Ledger, hostile: str) -> None:
    result = query_page(filled, ImageFilter(text=hostile))
    assert result.total == len(result.rows) <= 5


def test_punctuation_only_search_is_a_literal_substring(ledger: Ledger) -> None:
    write(ledger, image(0, prompt="100% (masterpiece)"), image(1, prompt="plain"))
    assert seeds(ledger, ImageFilter(text="%")) == [1000]
    assert seeds(ledger, ImageFilter(text="_")) == []
    assert search_tokens("NEAR(a*b) \"x\"") == ["NEAR", "a", "b", "x"]
    assert fts5_query(["NEAR", "a"]) == 'prompt : ("NEAR"* "a"*)'


def test_search_compiles_for_postgresql_and_other_dialects() -> None:
    (clause,) = where_clause(ImageFilter(text="red fox"), dialect="postgresql")
    sql = str(clause.compile(dialect=postgresql.dialect()))
    assert "to_tsvector('simple', coalesce(images.prompt, '') || ' ' || coalesce(images.negative_prompt, ''))" in sql
    assert "to_tsquery('simple'" in sql and "ILIKE" in sql
    (other,) = where_clause(ImageFilter(text="red fox"), dialect="mysql")
    assert "images_fts" not in str(other)


def test_pagination_totals(ledger: Ledger) -> None:
    write(ledger, *[image(n, index_in_run=n) for n in range(23)])
    first = query_page(ledger, ImageFilter(), page=1, page_size=10)
    assert (first.total, first.pages, first.page, len(first.rows)) == (23, 3, 1, 10)
    last = query_page(ledger, ImageFilter(), page=3, page_size=10)
    assert len(last.rows) == 3 and last.rows[-1]["seed"] == 1000
    beyond = query_page(ledger, ImageFilter(), page=99, page_size=10)
    assert beyond.page == 3 and len(beyond.rows) == 3
    empty = query_page(ledger, ImageFilter(sampler="nope"))
    assert (empty.total, empty.pages, empty.page, empty.rows) == (0, 1, 1, [])
    assert {"wall_seconds", "tab", "run_uid"} <= set(first.rows[0])  # joined run columns


def test_detail_has_figures_flaws_fingerprint_and_cost(ledger: Ledger) -> None:
    img = image(0, cfg_scale=12.0, flaws=BURN, model_evaluations=40, megapixel_steps=5.2, energy_joules=30.0)
    img.metrics = {"sharpness": (123.5, None), "clip_score": (None, "no CLIP model configured")}
    other = image(1, index_in_run=1, cost_seconds=6.0)
    write(ledger, img, other, wall_seconds=8.0, first_pass_seconds=6.5, vae_decode_seconds=1.0,
          peak_vram_bytes=6 * 2**30, peak_vram_method="peak", energy_joules=100.0,
          fingerprint=json.dumps({"rng_source": "GPU", "device": "cuda:0"}))
    first_id = query_page(ledger, ImageFilter(), sort="oldest").rows[0]["id"]

    detail = image_detail(ledger, first_id)

    assert detail is not None and detail["seed"] == 1000 and detail["infotext"].startswith("a red fox")
    assert detail["metrics"] == {"clip_score": (None, "no CLIP model configured"), "sharpness": (123.5, None)}
    assert detail["flaws"] == [{"code": "cfg_burn", "advice": "lower CFG to 7–10"}]
    assert detail["fingerprint"] == {"rng_source": "GPU", "device": "cuda:0"}
    cost = detail["cost"]
    assert cost["run_wall_seconds"] == 8.0 and cost["first_pass_seconds"] == 6.5 and cost["cost_share"] == 0.25
    assert cost["peak_vram_bytes"] == 6 * 2**30 and cost["model_evaluations"] == 40
    assert cost["megapixel_steps"] == 5.2 and cost["energy_joules"] == 30.0 and cost["run_energy_joules"] == 100.0
    assert cost["run_image_count"] == 2
    assert image_detail(ledger, 999_999) is None and image_detail(ledger, "nope") is None  # type: ignore[arg-type]


def test_filter_options_are_distinct_and_sorted(filled: Ledger) -> None:
    options = filter_options(filled)
    assert options["models"] == ["dreamshaper_8", "sd_xl_base_1.0"]
    assert options["samplers"] == ["DPM++ 2M", "Euler a"]
    assert options["schedulers"] == ["Automatic", "Karras"]
    assert options["profiles"] == ["Final render"] and options["series"] == ["Kaito"]
    assert options["flaws"] == ["cfg_burn", "under_converged", "ancestral_refinement"]


def test_export_of_filtered_rows_parses_back(filled: Ledger) -> None:
    buffer = io.StringIO()
    assert export_filtered(filled, ImageFilter(sampler="Euler a", rating_min=0), "csv", buffer, chunk_size=1) == 2
    rows = list(csv.DictReader(io.StringIO(buffer.getvalue())))
    assert [row["seed"] for row in rows] == ["1000", "1003"] and "wall_seconds" in rows[0]

    buffer = io.StringIO()
    assert export_filtered(filled, ImageFilter(text=HOSTILE), "json", buffer) == 1
    (row,) = json.loads(buffer.getvalue())
    assert row["prompt"] == HOSTILE and row["created_at"].endswith("+00:00")

    buffer = io.StringIO()
    assert export_filtered(filled, ImageFilter(sampler="none"), "json", buffer) == 0
    assert json.loads(buffer.getvalue()) == []
    with pytest.raises(ValueError, match="unknown export format"):
        export_filtered(filled, ImageFilter(), "xml", io.StringIO())


def _png(path: Path) -> str:
    Image.new("RGB", (8, 8), (10, 20, 30)).save(path)
    return str(path)


def test_delete_keeps_files_without_confirm_and_removes_orphan_runs(ledger: Ledger, tmp_path: Path) -> None:
    a, b = _png(tmp_path / "a.png"), _png(tmp_path / "b.png")
    thumb = _png(tmp_path / "a-thumb.png")
    a_img = image(0, image_path=a, thumbnail_path=thumb)
    a_img.metrics = {"sharpness": (1.0, None)}
    write(ledger, a_img)
    write(ledger, image(1, image_path=b), image(2, index_in_run=1))
    ids = {row["seed"]: row["id"] for row in query_page(ledger, ImageFilter()).rows}

    for delete_files, confirm in ((False, False), (True, False), (False, True)):
        report = delete_images(ledger, [ids[1000]], delete_files=delete_files, confirm=confirm)
        assert report.files_deleted == []
        write(ledger, image(0, image_path=a, thumbnail_path=thumb)) if report.rows_deleted else None
        ids = {row["seed"]: row["id"] for row in query_page(ledger, ImageFilter()).rows}
    assert Path(a).exists() and Path(thumb).exists()

    report = delete_images(ledger, [ids[1001]])
    assert (report.rows_deleted, report.runs_deleted) == (1, 0)  # its run still has image 1002
    assert Path(b).exists()
    report = delete_images(ledger, [ids[1002], 987654])
    assert (report.rows_deleted, report.runs_deleted, report.missing_ids) == (1, 1, [987654])
    with ledger.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(schema.image_metrics)).scalar_one() == 0
    assert ledger.counts() == {"runs": 1, "images": 1}


def test_delete_with_confirm_removes_only_recorded_files(ledger: Ledger, tmp_path: Path) -> None:
    a, shared = _png(tmp_path / "a.png"), _png(tmp_path / "shared.png")
    thumb = _png(tmp_path / "a-thumb.jpg")
    bystander = _png(tmp_path / "not-recorded.png")
    saved_in = {"output_dir": str(tmp_path)}  # the output folder the ledger knows: files are deleted only there
    write(ledger, image(0, image_path=a, thumbnail_path=thumb), image(1, index_in_run=1, image_path=shared), **saved_in)
    write(ledger, image(2, image_path=shared), image(3, index_in_run=1, image_path=str(tmp_path / "gone.png")),
          **saved_in)
    ids = {row["seed"]: row["id"] for row in query_page(ledger, ImageFilter()).rows}

    report = delete_images(ledger, [ids[1000], ids[1001], ids[1003]], delete_files=True, confirm=True)

    assert report.rows_deleted == 3 and report.runs_deleted == 1
    assert sorted(report.files_deleted) == sorted([a, thumb])
    assert report.files_kept == [shared]  # image 1002 still records it
    assert report.files_failed == [(str(tmp_path / "gone.png"), "already gone")]
    assert not Path(a).exists() and not Path(thumb).exists()
    assert Path(shared).exists() and Path(bystander).exists()
    with pytest.raises(ValueError):
        delete_images(ledger, ["../etc/passwd"])
