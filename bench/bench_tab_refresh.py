"""Tab refresh (filter + first table page) over 100,000 and 1,000,000 ledger rows.

Targets: ≤ 1 s at 100,000 rows, ≤ 3 s at 1,000,000 (median of 5 after a warm-up). The ledgers are
built once under ``/tmp/paramlab-bench-tab/`` (1M rows takes a few minutes) and reused while their
row count matches. Run: ``python bench/bench_tab_refresh.py [--sizes 100000 1000000] [--build-only]``.
When a target is missed the script prints SQLite's query plan for the slow query.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from paramlab.ledger import ImageRecord, Ledger, RunRecord  # noqa: E402
from paramlab.ledger.urls import resolve_ledger_url  # noqa: E402

BENCH_DIR = Path("/tmp/paramlab-bench-tab")
CHUNK = 10_000
BATCH = 4
TARGETS = {100_000: 1.0, 1_000_000: 3.0}
MODELS = [("sd_xl_base_1.0", "31e35c80fc"), ("dreamshaper_8", "879db523c3"), ("v1-5-pruned-emaonly", "6ce0161689"),
          ("juggernautXL_v9", "c9e3e68f89"), ("realisticVision_v51", "15012c538f")]
SAMPLERS = ["Euler a", "Euler", "DPM++ 2M", "DPM++ SDE", "DDIM", "UniPC", "DPM++ 2M SDE", "Heun", "LMS", "DPM2"]
SCHEDULERS = ["Automatic", "Karras", "Exponential", "SGM Uniform", "Simple"]
WORDS = (  # noqa: SIM905 - a word list reads better as prose
    "portrait landscape lighthouse dusk castle forest river mountain city night street cyberpunk fantasy "
    "warrior princess dragon cat dog fox owl robot astronaut ship ocean beach desert snow rain fog sunset "
    "sunrise golden hour cinematic lighting dramatic soft studio photo painting oil watercolor sketch anime "
    "detailed intricate masterpiece best quality highres sharp focus bokeh depth field wide angle closeup "
    "red blue green purple orange black white silver gold neon glowing ancient modern futuristic medieval"
).split()


def ledger_path(rows: int) -> Path:
    return BENCH_DIR / f"ledger-{rows}.sqlite"


def open_ledger(path: Path) -> Ledger:
    return Ledger.open(resolve_ledger_url(path, path.parent))


def _image(rng: random.Random, index: int, created: datetime) -> ImageRecord:
    model, model_hash = rng.choice(MODELS)
    cfg = rng.choice([4.0, 5.0, 6.0, 7.0, 7.5, 9.0, 12.0])
    burnt = cfg >= 12 and rng.random() < 0.3
    prompt = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 18)))
    return ImageRecord(
        index_in_run=index, created_at=created, seed=rng.randrange(2**32), prompt=prompt,
        negative_prompt="blurry, lowres", model_name=model, model_hash=model_hash,
        sampler=rng.choice(SAMPLERS), scheduler=rng.choice(SCHEDULERS), steps=rng.choice([10, 15, 20, 25, 30, 40]),
        cfg_scale=cfg, width=512, height=768,
        cost_seconds=rng.uniform(1, 10), model_evaluations=40, megapixel_steps=10.0,
        image_path=f"/nonexistent/out/{index}.png", rating=rng.choice([None, None, None, 1, 2, 3, 4, 5]),
        profile=rng.choice([None, None, "Balanced", "Final render"]),
        series=rng.choice([None] * 9 + ["Kaito"]),
        infotext=f"{prompt}\nSteps: 20, Sampler: Euler a",
        flaws=json.dumps([{"code": "cfg_burn", "advice": "lower CFG to 7–10"}]) if burnt else None,
    )


def build(rows: int) -> Path:
    """Write ``rows`` images in transactions of CHUNK images (batches of BATCH), unless already there."""
    path = ledger_path(rows)
    if path.exists():
        ledger = open_ledger(path)
        try:
            if ledger.counts()["images"] == rows:
                return path
        finally:
            ledger.close()
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    rng = random.Random(rows)
    start_time = datetime(2024, 1, 1, tzinfo=timezone.utc)
    step = timedelta(seconds=365 * 86400 / rows)
    ledger = open_ledger(path)
    began = time.perf_counter()
    try:
        written = 0
        while written < rows:
            runs = []
            for first in range(written, min(written + CHUNK, rows), BATCH):
                count = min(BATCH, rows - first)
                images = [_image(rng, n, start_time + step * (first + n)) for n in range(count)]
                runs.append(RunRecord(tab="txt2img", source="ui", started_at=images[0].created_at,
                                      wall_seconds=20.0, images=images))
            ledger.write_runs(runs)
            written += sum(len(run.images) for run in runs)
            if written % 100_000 == 0 or written == rows:
                print(f"  {written:,}/{rows:,} rows ({time.perf_counter() - began:.0f} s)", flush=True)
    finally:
        ledger.close()
    return path


def median_seconds(fn: Callable[[], Any], repeat: int = 5) -> float:
    fn()  # warm-up: page cache and prepared statements
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def explain(ledger: Ledger, filt: Any) -> None:
    """Print SQLite's plan for the page query and the count of ``filt``."""
    from paramlab.ledger.reads.images import page_statements

    page_sql, count_sql = page_statements(ledger, filt)
    with ledger.engine.connect() as conn:
        for label, statement in (("page", page_sql), ("count", count_sql)):
            compiled = statement.compile(dialect=ledger.engine.dialect)
            plan = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + str(compiled),
                                        tuple(compiled.params[k] for k in compiled.positiontup)).all()
            print(f"    plan ({label}):")
            for row in plan:
                print(f"      {row[-1]}")


def run(rows: int) -> None:
    from paramlab.ledger.filters import ImageFilter
    from paramlab.ledger.reads.images import image_page
    from paramlab.tab.ledger_view import query

    path = build(rows)
    ledger = open_ledger(path)
    target = TARGETS.get(rows, 3.0)
    cases = {
        "unfiltered": ImageFilter(),
        "sampler": ImageFilter(sampler="DPM++ 2M"),
        "text": ImageFilter(text="lighthouse dusk"),
        "sampler + text": ImageFilter(sampler="DPM++ 2M", text="lighthouse dusk"),
        "model + steps + cfg + rating": ImageFilter(model="dreamshaper_8", steps_min=20, steps_max=30,
                                                           cfg_min=5, cfg_max=8, rating_min=4),
        "last 30 days": ImageFilter(created_from=datetime(2024, 12, 1, tzinfo=timezone.utc)),
        "flaw": ImageFilter(flaw="cfg_burn"),
    }
    try:
        print(f"{rows:,} rows ({path}); target ≤ {target:g} s")
        options = median_seconds(lambda: query.filter_options(ledger))
        print(f"  filter_options: {options:.3f} s")
        for label, filt in cases.items():
            result = image_page(ledger, filt)
            seconds = median_seconds(lambda filt=filt: image_page(ledger, filt))
            verdict = "ok" if seconds <= target else "MISSED"
            print(f"  {label:30s} {seconds:.3f} s  ({result.total:,} rows, {len(result.rows)} shown)  {verdict}")
            if seconds > target:
                explain(ledger, filt)
    finally:
        ledger.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(TARGETS))
    parser.add_argument("--build-only", action="store_true")
    args = parser.parse_args()
    for rows in args.sizes:
        print(f"building {rows:,} rows (reused when present)…", flush=True)
        build(rows)
        if not args.build_only:
            run(rows)


if __name__ == "__main__":
    main()
