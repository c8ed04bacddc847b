"""A ledger holding what the upscale question is about, written through the writer's own operations:
drafts at 512², their 1024² versions by latent hires, pixel-upscaler hires, a tile upscale (with its tile
passes as parts) and Extras, with quality figures; and timed runs at batch sizes 1, 2, 4 and 8."""

from __future__ import annotations

import json
from pathlib import Path

from paramlab.ledger import ImageRecord, Ledger, RunRecord
from paramlab.ledger.job_operations import FinishJob, MarkTileJob, StartJob
from paramlab.ledger.operations import FinishRun, StartRun, WriteRun
from paramlab.ledger.records import JobRecord
from paramlab.ledger.urls import resolve_ledger_url

MODEL = {"model_name": "sd15", "model_hash": "abcd1234"}
# method → (seconds for the 1024² output, sharpness): Extras is cheapest, tiled is sharpest.
METHODS = {"latent": (9.0, 300.0), "pixel": (10.0, 330.0), "tiled": (6.0, 345.0), "extras": (0.6, 320.0)}
DRAFT_SECONDS = 2.0


def _figures(sharpness: float) -> dict:
    return {"sharpness": (sharpness, None), "noise": (3.0, None), "clipping": (0.01, None),
            "saturation_burn": (0.0, None)}


def apply(ledger: Ledger, *operations: object) -> None:
    for operation in operations:
        with ledger.write() as conn:
            operation.apply(conn)  # type: ignore[attr-defined]


def _draft(ledger: Ledger, seed: int) -> int:
    run = RunRecord(tab="txt2img", source="ui", batch_size=1, wall_seconds=DRAFT_SECONDS, images=[ImageRecord(
        index_in_run=0, seed=seed, prompt="a lighthouse", sampler="DPM++ 2M", steps=20, cfg_scale=7.0, width=512,
        height=512, cost_seconds=DRAFT_SECONDS, metrics=_figures(250.0), metrics_version="1", **MODEL)])
    apply(ledger, WriteRun(run))
    with ledger.engine.connect() as conn:
        return int(conn.exec_driver_sql("SELECT max(id) FROM images").scalar_one())


def _hires(ledger: Ledger, seed: int, upscaler: str, seconds: float, sharpness: float) -> None:
    run = RunRecord(tab="txt2img", source="ui", batch_size=1, wall_seconds=seconds, images=[ImageRecord(
        index_in_run=0, seed=seed, prompt="a lighthouse", sampler="DPM++ 2M", steps=20, cfg_scale=7.0, width=1024,
        height=1024, hires_enabled=True, hires_upscaler=upscaler, hires_scale=2.0, cost_seconds=seconds,
        metrics=_figures(sharpness), metrics_version="1", **MODEL)])
    apply(ledger, WriteRun(run))


def _tiled(ledger: Ledger, seed: int, source_id: int, seconds: float, sharpness: float) -> None:
    job = JobRecord(tab="img2img", source="ui", kind="script", script_name="Ultimate SD upscale",
                    script_args=json.dumps({"Tile width": 512, "Upscaler": "Lanczos"}))
    tiles = [RunRecord(tab="img2img", source="script", job_uid=job.job_uid, role="tile", wall_seconds=seconds / 5,
                       settings=json.dumps({"sampler": "Euler", "steps": 8, "width": 512, "height": 512,
                                            "denoising_strength": 0.3, "model_evaluations": 8}))
             for _ in range(4)]
    upscale = {"method": "tiled", "script": "Ultimate SD upscale", "upscaler": "Lanczos", "scale": 2.0,
               "tile_width": 512, "tile_height": 512, "padding": 32, "passes": 4, "steps_per_tile": 8,
               "denoising": 0.3, "input_size": [512, 512], "output_size": [1024, 1024]}
    output = RunRecord(tab="img2img", source="script", job_uid=job.job_uid, role="output", wall_seconds=seconds,
                       images=[ImageRecord(index_in_run=0, seed=seed, prompt="a lighthouse", sampler="Euler", steps=8,
                                           width=1024, height=1024, denoising_strength=0.3, cost_seconds=seconds,
                                           model_evaluations=32, source_image_id=source_id,
                                           upscale=json.dumps(upscale), metrics=_figures(sharpness),
                                           metrics_version="1", **MODEL)])
    operations: list[object] = [StartJob(job)]
    for tile in tiles:
        operations += [StartRun(tile), FinishRun(tile)]
    operations += [WriteRun(output), MarkTileJob(job.job_uid, [t.run_uid for t in tiles]),
                   FinishJob(job.job_uid, "ok", wall_seconds=seconds + 0.1)]
    apply(ledger, *operations)


def _extras(ledger: Ledger, seed: int, source_id: int, seconds: float, sharpness: float) -> None:
    job = JobRecord(tab="extras", source="ui", kind="extras")
    upscale = {"method": "extras", "upscaler": "R-ESRGAN 4x+", "scale": 2, "input_size": [512, 512],
               "output_size": [1024, 1024]}
    run = RunRecord(tab="extras", source="ui", job_uid=job.job_uid, role="extras", wall_seconds=seconds,
                    settings=json.dumps({"Postprocess upscale by": 2, "Postprocess upscaler": "R-ESRGAN 4x+"}),
                    images=[ImageRecord(index_in_run=0, seed=seed, prompt="a lighthouse", width=1024, height=1024,
                                        cost_seconds=seconds, source_image_id=source_id, upscale=json.dumps(upscale),
                                        metrics=_figures(sharpness), metrics_version="1", **MODEL)])
    apply(ledger, StartJob(job), WriteRun(run), FinishJob(job.job_uid, "ok", wall_seconds=seconds))


def _batches(ledger: Ledger) -> None:
    """Seconds per image fall from 1.0 at batch 1 to 0.62 at batch 4, and only to 0.61 at batch 8."""
    for batch, per_image in ((1, 1.0), (2, 0.75), (4, 0.62), (8, 0.61)):
        run = RunRecord(tab="txt2img", source="api", batch_size=batch, wall_seconds=per_image * batch, images=[
            ImageRecord(index_in_run=i, seed=900 + i, sampler="Euler a", steps=20, width=512, height=512,
                        cost_seconds=per_image, **MODEL) for i in range(batch)])
        apply(ledger, WriteRun(run))


def fill_upscale_ledger(path: Path) -> None:
    ledger = Ledger.open(resolve_ledger_url(path, path.parent))
    try:
        for seed in range(4):
            wobble = seed * 0.05
            source_tiled, source_extras = _draft(ledger, seed), _draft(ledger, 100 + seed)
            _hires(ledger, seed, "Latent", METHODS["latent"][0] + wobble, METHODS["latent"][1] + seed)
            _hires(ledger, seed, "Lanczos", METHODS["pixel"][0] + wobble, METHODS["pixel"][1] + seed)
            _tiled(ledger, seed, source_tiled, METHODS["tiled"][0] + wobble, METHODS["tiled"][1] + seed)
            _extras(ledger, seed, source_extras, METHODS["extras"][0] + wobble / 10, METHODS["extras"][1] + seed)
        _batches(ledger)
    finally:
        ledger.close()
