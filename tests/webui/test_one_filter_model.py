"""One filter model, three doors: the tab's ledger view, ``GET /paramlab/v1/images`` and ``paramlab export``
select the same images for the same filter (on SQLite and PostgreSQL), and the route keeps the server's login."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from browser_support import free_port
from test_webui_api_routes import extension, start_app  # noqa: F401 - the WebUI's extension fixture

from paramlab import cli
from paramlab.ledger import ImageRecord, Ledger, RunRecord
from paramlab.ledger.filters import ImageFilter
from paramlab.ledger.reads.images import image_ids
from paramlab.ledger.urls import resolve_ledger_url
from paramlab.tab.ledger_view.actions import ANY, FILTER_FIELDS, LedgerActions

ROUTE = "/paramlab/v1/images"
T0 = datetime(2024, 6, 1, 12, 0, tzinfo=timezone.utc)
BURN = json.dumps([{"code": "cfg_burn", "advice": "lower CFG"}])


def image(n: int, **overrides: Any) -> ImageRecord:
    values: dict[str, Any] = {
        "index_in_run": n, "created_at": T0 + timedelta(days=n), "seed": 100 + n, "prompt": f"a red fox number{n}",
        "model_name": "sd_xl_base_1.0", "model_hash": "31e35c80fc", "sampler": "Euler a", "scheduler": "Automatic",
        "steps": 20, "cfg_scale": 7.0, "width": 512, "height": 512, "cost_seconds": 1.0 + n,
    }
    values.update(overrides)
    return ImageRecord(**values)


def fill(ledger: Ledger) -> None:
    ledger.write_runs([RunRecord(tab="txt2img", source="ui", images=[
        image(0), image(1, sampler="DPM++ 2M", scheduler="Karras", steps=30, cfg_scale=5.0, rating=4),
        image(2, model_name="dreamshaper_8", profile="Final render", rating=2),
    ])])
    ledger.write_runs([RunRecord(tab="txt2img", source="api", images=[
        image(3, series="Kaito", cfg_scale=12.0, flaws=BURN, prompt="a lighthouse at dusk"),
        image(4, steps=10, rating=5, status="interrupted"), image(5, prompt="a red fox in snow", steps=25),
    ])])


# The same filters as query parameters (HTTP and, as flags, the CLI) and as the tab's inputs.
CASES: list[tuple[dict[str, str], dict[str, Any]]] = [
    ({}, {}),
    ({"sampler": "Euler a", "steps_min": "20"}, {"sampler": "Euler a", "steps_min": 20}),
    ({"text": "red fox", "rating_min": "unrated"}, {"text": "red fox", "rating": "unrated"}),
    ({"from": "2024-06-02", "to": "2024-06-04", "order": "oldest"},
     {"date_from": "2024-06-02", "date_to": "2024-06-04", "sort": "oldest first"}),
    ({"model": "dreamshaper_8"}, {"model": "dreamshaper_8"}),
    ({"flaw": "cfg_burn", "cfg_min": "10"}, {"flaw": "cfg_burn", "cfg_min": 10}),
    ({"scheduler": "Karras", "cfg_max": "6", "steps_max": "30"},
     {"scheduler": "Karras", "cfg_max": 6, "steps_max": 30}),
    ({"rating_min": "2", "order": "rating"}, {"rating": "2 or more", "sort": "best rated"}),
    ({"series": "Kaito"}, {"series": "Kaito"}),
    ({"profile": "Final render", "order": "cost"}, {"profile": "Final render", "sort": "most expensive"}),
]


def tab_values(chosen: dict[str, Any]) -> list[Any]:
    values: dict[str, Any] = dict.fromkeys(FILTER_FIELDS, ANY)
    values.update({"sort": "newest first", "text": "", "date_from": "", "date_to": ""})
    values.update(dict.fromkeys(("steps_min", "steps_max", "cfg_min", "cfg_max")))
    values.update(chosen)
    return [values[name] for name in FILTER_FIELDS]


def tab_ids(ledger: Ledger, chosen: dict[str, Any]) -> list[int]:
    """The ids the ledger view's table shows (its Apply button's handler), in its order."""
    table, _, _, message = LedgerActions(lambda: ledger, page_size=500).apply(*tab_values(chosen))
    assert message == ""
    return [int(found) for found in re.findall(r'data-image-id="(\d+)"', table)]


def cli_ids(location: str, params: dict[str, Any], tmp_path: Path, fmt: str = "json") -> list[int]:
    """The ids ``paramlab export`` writes with the same parameters as flags (``steps_min`` is ``--steps-min``; a
    list is the flag given once per value); order and paging are the route's alone."""
    out = tmp_path / f"export.{fmt}"
    flags = [part for name, values in params.items() if name not in ("order", "page", "page_size")
             for value in (values if isinstance(values, list) else [values])
             for part in (f"--{name.replace('_', '-')}", value)]
    assert cli.main(["export", "--db", location, "--format", fmt, "-o", str(out), *flags]) == 0
    if fmt == "json":
        return [row["id"] for row in json.loads(out.read_text("utf-8"))]
    import csv

    with out.open(encoding="utf-8", newline="") as handle:
        return [int(row["id"]) for row in csv.DictReader(handle)]


@pytest.mark.usefixtures("extension")
def test_the_tab_the_route_and_the_cli_select_the_same_images(ledger_location: str, tmp_path: Path) -> None:
    from paramlab.webui import runtime

    ledger = runtime.get_ledger()
    fill(ledger)
    client = start_app()
    for number, (params, chosen) in enumerate(CASES):
        expected = image_ids(ledger, ImageFilter.from_params(params))
        answer = client.get(ROUTE, params={**params, "page_size": "500"})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        http = [entry["id"] for entry in body["images"]]
        assert body["total"] == len(expected) and body["pages"] == 1 and body["page"] == 1
        assert tab_ids(ledger, chosen) == http == expected, params
        assert cli_ids(ledger_location, params, tmp_path, "json" if number % 2 else "csv") == sorted(expected), params
    assert len(image_ids(ledger, ImageFilter())) == 6 and image_ids(ledger, ImageFilter(sampler="nope")) == []


@pytest.mark.usefixtures("extension")
def test_several_values_paging_jobs_and_ids_through_the_route_and_the_cli(ledger_location: str,
                                                                          tmp_path: Path) -> None:
    """What the tab's dropdowns cannot say (several samplers, a job, a status, image ids) still means the same
    through the route and the CLI."""
    from paramlab.webui import runtime

    ledger = runtime.get_ledger()
    fill(ledger)
    client = start_app()
    newest_job = str(ledger.recent_images(limit=1)[0]["run_id"])  # one job per write here: run id = job id
    for params in ({"sampler": ["Euler a", "DPM++ 2M"], "cfg_max": "7"}, {"status": "interrupted"},
                   {"job": newest_job}, {"ids": ["1", "3", "999"]}):
        expected = image_ids(ledger, ImageFilter.from_params(params))
        http = [entry["id"] for entry in client.get(ROUTE, params=params).json()["images"]]
        assert http == expected and expected, params
        assert cli_ids(ledger_location, params, tmp_path) == sorted(expected), params

    first = client.get(ROUTE, params={"page_size": "4", "order": "oldest"}).json()
    second = client.get(ROUTE, params={"page_size": "4", "order": "oldest", "page": "2"}).json()
    assert (first["total"], first["pages"], second["page"]) == (6, 2, 2)
    assert [e["id"] for e in first["images"] + second["images"]] == image_ids(ledger, ImageFilter(order="oldest"))
    entry = first["images"][0]
    assert {"id", "image_uid", "created_at", "prompt", "sampler", "steps", "cfg_scale", "seed", "rating"} <= set(entry)
    assert entry["created_at"] == T0.isoformat() and entry["seed"] == 100


@pytest.mark.usefixtures("extension")
def test_a_bad_filter_is_a_400_naming_the_parameter(ledger_location: str, capsys: pytest.CaptureFixture[str]) -> None:
    client = start_app()
    for params, fragment in (({"steps_min": "many"}, "steps_min 'many' is not a whole number"),
                             ({"colour": "red"}, "unknown filter parameter 'colour'"),
                             ({"from": "June 1st"}, "from 'June 1st' is not a date"),
                             ({"order": "random"}, "order 'random' is not known"),
                             ({"page_size": "100000"}, "page_size '100000' is out of range")):
        answer = client.get(ROUTE, params=params)
        assert answer.status_code == 400 and fragment in answer.json()["detail"], params
    assert cli.main(["export", "--db", ledger_location, "--steps-min", "many"]) == 2
    assert "steps_min 'many' is not a whole number" in capsys.readouterr().err


@pytest.mark.usefixtures("extension")
def test_the_route_keeps_the_webui_login() -> None:
    client = start_app(api_auth="alice:secret")
    assert client.get(ROUTE).status_code == 401
    assert client.get(ROUTE, auth=("alice", "secret")).json()["total"] == 0


def test_serve_needs_a_login_for_the_route_and_then_answers_as_the_tab(tmp_path: Path) -> None:
    from paramlab.standalone import launch_page

    ledger = Ledger.open(resolve_ledger_url(tmp_path / "ledger.sqlite", tmp_path))
    fill(ledger)
    demo = launch_page(ledger, "127.0.0.1", port := free_port(), logins=[("alice", "pw")])
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            assert client.get(ROUTE, params={"sampler": "Euler a"}).status_code == 401
            client.post("/login", data={"username": "alice", "password": "pw"})
            answer = client.get(ROUTE, params={"sampler": "Euler a"})
            assert answer.status_code == 200
            assert [e["id"] for e in answer.json()["images"]] == tab_ids(ledger, {"sampler": "Euler a"})
    finally:
        demo.close()
        ledger.close()
