"""Quality figures recorded with every run, ratings and the Pareto endpoint, inside the A1111 stand-in."""

from __future__ import annotations

import json

import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from modules import script_callbacks, shared
from modules.api import api
from webui_support import LoadedExtension

from paramlab.ledger import Ledger, schema
from paramlab.webui import runtime

SMALL = {"width": 64, "height": 64}


def metrics_by_image(extension: LoadedExtension) -> dict[int, dict[str, tuple]]:
    assert runtime.get_writer().flush(30)
    ledger = Ledger.open(runtime.ledger_url())
    try:
        with ledger.engine.connect() as conn:
            rows = conn.execute(sa.select(schema.image_metrics)).all()
    finally:
        ledger.close()
    result: dict[int, dict[str, tuple]] = {}
    for row in rows:
        result.setdefault(row.image_id, {})[row.metric] = (row.value, row.not_measured)
    return result


def client() -> TestClient:
    app = FastAPI()
    script_callbacks.app_started_callback(None, app)
    return TestClient(app)


def test_every_recorded_image_gets_builtin_figures_and_flaw_advice(extension: LoadedExtension) -> None:
    api.text2imgapi(extension.runner(), {"prompt": "x", "batch_size": 2, "cfg_scale": 13, **SMALL})
    rows = extension.rows()
    figures = metrics_by_image(extension)
    assert set(figures) == {row["id"] for row in rows}
    for values in figures.values():
        builtin = {"sharpness", "noise", "clipping", "saturation_burn", "colourfulness", "exposure", "contrast"}
        assert builtin <= set(values)
        assert all(value is not None or reason for value, reason in values.values())
    assert all(isinstance(json.loads(row["flaws"]), list) for row in rows)


def test_measuring_can_be_turned_off(extension: LoadedExtension) -> None:
    shared.opts.set("paramlab_measure", False)
    api.text2imgapi(extension.runner(), {"prompt": "x", **SMALL})
    assert extension.rows() and metrics_by_image(extension) == {}


def test_learned_scorers_without_weights_say_why_and_lose_nothing(extension: LoadedExtension) -> None:
    shared.opts.set("paramlab_learned_scorers", True)
    api.text2imgapi(extension.runner(), {"prompt": "x", **SMALL})
    [row] = extension.rows()
    figures = metrics_by_image(extension)[row["id"]]
    assert figures["clip_score"][0] is None and "CLIP" in figures["clip_score"][1]
    assert figures["aesthetic"][0] is None and figures["aesthetic"][1]
    assert figures["sharpness"][0] is not None


def test_rating_route(extension: LoadedExtension) -> None:
    api.text2imgapi(extension.runner(), {"prompt": "x", **SMALL})
    [row] = extension.rows()
    http = client()
    assert http.put(f"/paramlab/v1/images/{row['id']}/rating", json={"rating": 4}).json()["rating"] == 4
    assert extension.rows()[0]["rating"] == 4
    assert http.put(f"/paramlab/v1/images/{row['id']}/rating", json={"rating": 7}).status_code == 422
    assert http.put(f"/paramlab/v1/images/{row['id']}/rating", json={"rating": True}).status_code == 422
    assert http.put("/paramlab/v1/images/99999/rating", json={"rating": 3}).status_code == 404
    assert http.put(f"/paramlab/v1/images/{row['id']}/rating", json={"rating": None}).status_code == 200
    assert extension.rows()[0]["rating"] is None


def test_pareto_route_answers_or_says_not_enough_data(extension: LoadedExtension) -> None:
    http = client()
    sparse = http.get("/paramlab/v1/stats/pareto").json()
    assert "not enough data" in json.dumps(sparse).lower()
    runner = extension.runner()
    for steps in (4, 8, 16):
        for seed in range(4):
            api.text2imgapi(runner, {"prompt": "lighthouse", "seed": seed, "steps": steps, **SMALL})
    extension.rows()
    answer = http.get("/paramlab/v1/stats/pareto", params={"cost": "model_evaluations", "quality": "sharpness"})
    assert answer.status_code == 200
    text = json.dumps(answer.json())
    assert "front" in text and "recommendation" in text
    assert http.get("/paramlab/v1/stats/pareto", params={"cost": "dollars"}).status_code == 422
    assert http.get("/paramlab/v1/stats/pareto", params={"quality": "vibes"}).status_code == 422


def test_convergence_route_finds_step_sweeps_in_the_ledger(extension: LoadedExtension) -> None:
    http = client()
    assert http.get("/paramlab/v1/stats/convergence").json()["sweeps"] == 0
    runner = extension.runner()
    for steps in (4, 8, 16, 32):
        api.text2imgapi(runner, {"prompt": "sweep", "seed": 11, "steps": steps, "sampler_name": "Euler", **SMALL})
    extension.rows()
    answer = http.get("/paramlab/v1/stats/convergence").json()
    assert answer["sweeps"] == 1 and answer["threshold_ssim"] == 0.95
    [entry] = answer["samplers"]
    assert entry["sampler"] == "Euler"
    assert entry["steps_to_converge"] == "unknown" or 4 <= entry["steps_to_converge"] <= 16
