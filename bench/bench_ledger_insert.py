"""Bulk insert 20,000 ImageRecords (200 runs × 100 images, 10 runs per ``write_runs``) into SQLite and into
PostgreSQL, in one run, so the two rates are comparable.

SQLite commits with ``synchronous=FULL`` (as ParamLab runs it); the PostgreSQL server is started here (Debian's
binaries, a temporary folder, 127.0.0.1) with its durable defaults (fsync, synchronous commit), reached over
TCP on loopback. Target: at least 5,000 images/s on SQLite.
Run: ``python bench/bench_ledger_insert.py [--profile] [--sqlite-only]``.
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
for entry in (str(REPO_ROOT), str(REPO_ROOT / "tests")):
    if entry not in sys.path:
        sys.path.insert(0, entry)

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


def measure(url: str, runs: list[RunRecord], profile: bool) -> tuple[float, pstats.Stats | None]:
    """Seconds to insert every run into a fresh ledger at ``url``."""
    ledger = Ledger.open(resolve_ledger_url(url, None))
    try:
        profiler = cProfile.Profile() if profile else None
        started = time.perf_counter()
        if profiler is not None:
            profiler.enable()
        insert_all(ledger, runs)
        if profiler is not None:
            profiler.disable()
        elapsed = time.perf_counter() - started
        assert ledger.counts() == {"runs": RUNS, "images": RUNS * IMAGES_PER_RUN}
    finally:
        ledger.close()
    return elapsed, pstats.Stats(profiler) if profiler is not None else None


def main(profile: bool = False, sqlite_only: bool = False) -> None:
    from pg_server import PostgresServer

    runs = make_runs(datetime(2024, 6, 1, tzinfo=timezone.utc))
    total = RUNS * IMAGES_PER_RUN
    results: dict[str, tuple[float, pstats.Stats | None]] = {}
    with tempfile.TemporaryDirectory(prefix="paramlab-bench-") as temp:
        results["SQLite"] = measure(str(Path(temp) / "ledger.sqlite"), runs, profile)
    if not sqlite_only:
        server = PostgresServer(durable=True).start()
        try:
            results["PostgreSQL"] = measure(server.create_empty_database("bench"), runs, profile)
        finally:
            server.stop()
    for name, (elapsed, stats) in results.items():
        rate = total / elapsed
        verdict = "" if name != "SQLite" else (" (OK)" if rate >= TARGET_PER_SECOND else
                                               f" (BELOW target {TARGET_PER_SECOND:,})")
        print(f"ledger insert, {name}: {total} images in {elapsed:.2f} s = {rate:,.0f} images/s{verdict}")
        if stats is not None:
            stats.sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    main(profile="--profile" in sys.argv[1:], sqlite_only="--sqlite-only" in sys.argv[1:])
