"""Bulk insert 20,000 ImageRecords (200 runs × 100 images, 10 runs per ``write_runs``) into SQLite.

Target: at least 5,000 images/s. Run: ``python bench/bench_ledger_insert.py [--profile]``.
"""

from __future__ import annotations

import cProfile
import pstats
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from paramlab.ledger import ImageRecord, Ledger, RunRecord  # noqa: E402
from paramlab.paths import resolve_ledger_url  # noqa: E402

RUNS = 200
IMAGES_PER_RUN = 100
RUNS_PER_WRITE = 10
TARGET_PER_SECOND = 5_000

PROMPT = (
    "masterpiece, best quality, ultra-detailed, 1girl, solo, looking at viewer, (smile:1.2), long hair, "
    "school uniform, cherry blossoms, depth of field, <lora:detail_tweaker:0.6>"
)
NEGATIVE = "lowres, bad anatomy, bad hands, text, error, missing fingers, (worst quality:1.4), watermark"
EXTRA = (
    '{"ADetailer model": "face_yolov8n.pt", "Lora hashes": "detail_tweaker: e4b36f5ff3d1", '
    '"Version": "v1.10.1"}'
)


def make_runs(start: datetime) -> list[RunRecord]:
    runs = []
    for run_index in range(RUNS):
        started = start + timedelta(minutes=run_index)
        images = []
        for index in range(IMAGES_PER_RUN):
            seed = 1_000_000 + run_index * IMAGES_PER_RUN + index
            infotext = (
                f"{PROMPT}, v{index}\nNegative prompt: {NEGATIVE}\nSteps: 28, Sampler: DPM++ 2M, "
                f"Schedule type: Karras, CFG scale: 7, Seed: {seed}, Size: 512x768, Model hash: 6ce0161689"
            )
            images.append(ImageRecord(
                index_in_run=index, batch_number=index // 4, created_at=started + timedelta(seconds=index),
                seed=seed, subseed=seed + 7, subseed_strength=0.0, prompt=f"{PROMPT}, v{index}",
                negative_prompt=NEGATIVE, model_name="v1-5-pruned-emaonly", model_hash="6ce0161689",
                sampler="DPM++ 2M", scheduler="Karras", steps=28, cfg_scale=7.0, width=512, height=768,
                hires_enabled=True, hires_upscaler="R-ESRGAN 4x+", hires_scale=2.0, hires_steps=15,
                hires_denoising=0.45, clip_skip=2, infotext=infotext, extra_params=EXTRA,
                image_path=f"/data/outputs/txt2img-images/2024-06-01/{seed:08d}.png",
                image_sha256=f"{seed:064x}",
                thumbnail_path=f"/data/paramlab/thumbnails/{seed:08d}.webp", cost_seconds=2.31,
                model_evaluations=56, megapixel_steps=11.01, energy_joules=512.0,
            ))
        runs.append(RunRecord(
            tab="txt2img", source="ui", started_at=started, finished_at=started + timedelta(seconds=230),
            batch_count=25, batch_size=4, wall_seconds=230.4, first_pass_seconds=150.2, hires_seconds=70.1,
            vae_decode_seconds=10.1, peak_vram_bytes=7_812_000_000, peak_vram_method="torch",
            model_name="v1-5-pruned-emaonly", model_hash="6ce0161689", webui_version="v1.10.1",
            paramlab_version="0.1.0", host_name="bench", device_name="NVIDIA GeForce RTX 4090", images=images,
        ))
    return runs


def insert_all(ledger: Ledger, runs: list[RunRecord]) -> None:
    for first in range(0, len(runs), RUNS_PER_WRITE):
        ledger.write_runs(runs[first:first + RUNS_PER_WRITE])


def main(profile: bool = False) -> None:
    runs = make_runs(datetime(2024, 6, 1, tzinfo=timezone.utc))
    total = RUNS * IMAGES_PER_RUN
    with tempfile.TemporaryDirectory(prefix="paramlab-bench-") as temp:
        ledger = Ledger.open(resolve_ledger_url(Path(temp) / "ledger.sqlite", Path(temp)))
        try:
            profiler = cProfile.Profile() if profile else None
            started = time.perf_counter()
            if profiler is not None:
                profiler.enable()
            insert_all(ledger, runs)
            if profiler is not None:
                profiler.disable()
            elapsed = time.perf_counter() - started
            assert ledger.counts() == {"runs": RUNS, "images": total}
        finally:
            ledger.close()
    rate = total / elapsed
    verdict = "OK" if rate >= TARGET_PER_SECOND else f"BELOW target {TARGET_PER_SECOND:,}"
    print(f"ledger insert: {total} images in {elapsed:.2f} s = {rate:,.0f} images/s ({verdict})")
    if profiler is not None:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    main(profile="--profile" in sys.argv[1:])
