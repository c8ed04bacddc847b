"""The ledger's one image filter: reading string parameters (clear errors naming the parameter and the value) and
what the filter's fields select (several values, a job by id or uid, image ids, order)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa

from paramlab.ledger import ImageRecord, Ledger, RunRecord, schema
from paramlab.ledger.filters import FILTER_PARAMS, FilterError, ImageFilter
from paramlab.ledger.reads.images import image_ids

T0 = datetime(2024, 6, 1, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(("params", "message"), [
    ({"colour": "red"}, "unknown filter parameter 'colour'"),
    ({"steps_min": "twenty"}, "steps_min 'twenty' is not a whole number"),
    ({"steps_max": "-1"}, "steps_max '-1' is out of range; use from 0 to 10000"),
    ({"cfg_min": "nan"}, "cfg_min 'nan' is out of range"),
    ({"cfg_max": "high"}, "cfg_max 'high' is not a number"),
    ({"rating_min": "6"}, "rating_min '6' is out of range; use from 0 to 5"),
    ({"from": "June 1st"}, "from 'June 1st' is not a date; write it as YYYY-MM-DD"),
    ({"to": "2024-13-01"}, "to '2024-13-01' is not a date"),
    ({"order": "random"}, "order 'random' is not known; use one of newest, oldest, rating, cost, cheapest"),
    ({"page": "0"}, "page '0' is out of range; use from 1"),
    ({"page_size": "501"}, "page_size '501' is out of range; use from 1 to 500"),
    ({"ids": ["1", "x"]}, "ids 'x' is not a whole number"),
    ({"steps_min": ["1", "2"]}, "steps_min is given 2 times; give it once"),
])
def test_bad_parameters_are_refused_by_name_and_value(params: dict[str, Any], message: str) -> None:
    with pytest.raises(FilterError, match="^ParamLab: ") as raised:
        ImageFilter.from_params(params)
    assert message in str(raised.value)
    assert isinstance(raised.value, ValueError)


def test_parameters_read_into_the_model_and_back() -> None:
    filt = ImageFilter.from_params({
        "from": "2024-06-02", "to": "2024-06-02", "sampler": ["Euler a", " DPM++ 2M "], "model": "",
        "steps_min": "20", "cfg_max": "7.5", "rating_min": "unrated", "text": "  red fox ", "job": "7",
        "order": "oldest", "page": "2", "page_size": "10", "ids": ["3", "1"], "status": "ok",
    })
    assert filt.sampler == ("Euler a", "DPM++ 2M") and filt.model is None and filt.text == "red fox"
    assert (filt.steps_min, filt.cfg_max, filt.rating_min, filt.job, filt.ids) == (20, 7.5, 0, "7", (3, 1))
    assert filt.created_to - filt.created_from == timedelta(days=1)  # "to" a date: that whole day
    assert filt.created_from == datetime(2024, 6, 2).astimezone() and filt.status == ("ok",)
    assert (filt.order, filt.page, filt.page_size) == ("oldest", 2, 10)
    assert ImageFilter.from_params(filt.params()) == filt
    assert ImageFilter.from_params({"from": "2024-06-02T10:30:00+00:00"}).created_from == T0 + timedelta(hours=22.5)
    assert ImageFilter.from_params({}) == ImageFilter() and ImageFilter().params() == {}
    assert ImageFilter(sampler="Euler a").sampler == ("Euler a",)  # one value or several: always a tuple
    with pytest.raises(FilterError, match="order 'best'"):
        ImageFilter(order="best")
    assert {p.name for p in FILTER_PARAMS if not p.selects} == {"order", "page", "page_size"}


def image(n: int, **overrides: Any) -> ImageRecord:
    values: dict[str, Any] = {"index_in_run": n, "created_at": T0 + timedelta(hours=n), "seed": n, "steps": 20,
                              "sampler": "Euler a", "model_name": "base", "model_hash": "h1", "cost_seconds": n}
    values.update(overrides)
    return ImageRecord(**values)


def test_several_values_jobs_ids_and_orders_select_on_both_databases(ledger: Ledger) -> None:
    ledger.write_runs([RunRecord(tab="txt2img", source="ui", images=[image(0), image(1, sampler="DDIM")])])
    ledger.write_runs([RunRecord(tab="txt2img", source="ui", images=[
        image(2, sampler="DPM++ 2M", model_name="other", model_hash="h2", rating=3), image(3, status="skipped"),
    ])])
    ids = image_ids(ledger, ImageFilter(order="oldest"))
    assert len(ids) == 4 and image_ids(ledger, ImageFilter()) == ids[::-1]
    assert image_ids(ledger, ImageFilter(sampler=("DDIM", "DPM++ 2M"), order="oldest")) == ids[1:3]
    assert image_ids(ledger, ImageFilter(model=("h2",))) == [ids[2]]  # a hash or a name
    assert image_ids(ledger, ImageFilter(model=("base", "h2"), order="oldest")) == ids
    assert image_ids(ledger, ImageFilter(status=("ok",), order="oldest")) == ids[:3]
    assert image_ids(ledger, ImageFilter(ids=(ids[3], ids[0], 999_999), order="oldest")) == [ids[0], ids[3]]
    assert image_ids(ledger, ImageFilter(ids=())) == []
    assert image_ids(ledger, ImageFilter(order="cheapest"))[:2] == [ids[0], ids[1]]
    assert image_ids(ledger, ImageFilter(order="rating"))[0] == ids[2]
    jobs, runs, images = schema.jobs, schema.runs, schema.images
    with ledger.engine.connect() as conn:
        job_id, job_uid = conn.execute(
            sa.select(jobs.c.id, jobs.c.job_uid).join(runs, runs.c.job_id == jobs.c.id)
            .join(images, images.c.run_id == runs.c.id).where(images.c.id == ids[2])
        ).one()
    by_job = ImageFilter(job=job_uid, order="oldest")
    assert image_ids(ledger, by_job) == ids[2:] == image_ids(ledger, replace(by_job, job=str(job_id)))
    assert image_ids(ledger, ImageFilter(job="no-such-job")) == []
