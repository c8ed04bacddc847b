"""The tab's chart part on big SQLite ledgers: count + SQL sample + figures, the scatter's spec, and the
recommendation, at 100,000 and 1,000,000 images (4 quality figures each).

Targets: the whole tab refresh (filter + table page + chart) ≤ 1 s at 100,000 rows and ≤ 3 s at
1,000,000, so the chart part must leave room for the table. Median of 5 runs after a warm-up.
The ledgers are built once under /tmp/paramlab-bench-charts/ (several minutes for 1M) and reused;
an interrupted build resumes where it stopped.
Run: ``python bench/bench_tab_charts.py [--rows 100000] [--rows 1000000]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
for entry in (str(REPO_ROOT), str(Path(__file__).resolve().parent)):
    if entry not in sys.path:
        sys.path.insert(0, entry)

from bench_pareto import synthetic_frame  # noqa: E402

from paramlab.ledger import ImageRecord, Ledger, RunRecord  # noqa: E402
from paramlab.ledger.filters import ImageFilter  # noqa: E402
from paramlab.ledger.urls import resolve_ledger_url  # noqa: E402
from paramlab.tab.charts.figures import (  # noqa: E402
    chart_data,
    cost_quality_chart,
    recommendation_text,
    steps_quality_chart,
)

FOLDER = Path("/tmp/paramlab-bench-charts")
CHUNK = 10_000
PER_RUN = 20
TARGETS = {100_000: 1.0, 1_000_000: 3.0}
METRICS = ("sharpness", "noise", "clipping", "saturation_burn")
START = datetime(2024, 6, 1, tzinfo=timezone.utc)


def _optional(value: float) -> float | None:
    return None if np.isnan(value) else float(value)


def _chunk_runs(chunk: int) -> list[RunRecord]:
    """CHUNK images (deterministic per chunk, so a resumed build writes the same data) in runs of PER_RUN."""
    df = synthetic_frame(CHUNK, seed=chunk + 1)
    rng = np.random.default_rng(chunk)
    profiles = rng.choice(["Balanced", "Final render", None, None, None], CHUNK)
    runs = []
    for first in range(0, CHUNK, PER_RUN):
        images = []
        for index, row in enumerate(df.iloc[first:first + PER_RUN].to_dict("records")):
            number = chunk * CHUNK + first + index
            images.append(ImageRecord(
                index_in_run=index, created_at=START + timedelta(seconds=number), seed=int(row["seed"]),
                prompt=f"a cat number {number % 997}, oil painting", model_name=row["model_name"],
                model_hash=row["model_hash"], sampler=row["sampler"], scheduler=row["scheduler"],
                steps=int(row["steps"]), cfg_scale=float(row["cfg_scale"]), width=int(row["width"]),
                height=int(row["height"]), hires_enabled=bool(row["hires_enabled"]),
                hires_scale=_optional(row["hires_scale"]), cost_seconds=_optional(row["cost_seconds"]),
                model_evaluations=int(row["model_evaluations"]), energy_joules=float(row["energy_joules"]),
                profile=profiles[first + index], metrics={m: (_optional(row[m]), None) for m in METRICS},
                metrics_version="1",
            ))
        wall = sum(i.cost_seconds or 0.0 for i in images)
        runs.append(RunRecord(tab="txt2img", source="ui", started_at=START, images=images, wall_seconds=wall,
                              first_pass_seconds=wall * 0.8, vae_decode_seconds=wall * 0.1))
    return runs


def build(rows: int) -> Path:
    FOLDER.mkdir(parents=True, exist_ok=True)
    path = FOLDER / f"ledger-{rows}.sqlite"
    ledger = Ledger.open(resolve_ledger_url(path, FOLDER))
    try:
        have = ledger.counts()["images"]
        if have % CHUNK:
            raise SystemExit(f"{path} holds {have:,} images, not whole chunks of {CHUNK:,}: delete it and rerun")
        started = time.perf_counter()
        for chunk in range(have // CHUNK, rows // CHUNK):
            ledger.write_runs(_chunk_runs(chunk))
            done = (chunk + 1) * CHUNK
            if done % 50_000 == 0 or done == rows:
                print(f"  {path.name}: {done:,}/{rows:,} images ({time.perf_counter() - started:.0f} s)", flush=True)
    finally:
        ledger.close()
    return path


def median_seconds(func, runs: int = 5) -> float:
    func()  # warm-up (imports, the page cache)
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def bench(rows: int) -> None:
    path = build(rows)
    ledger = Ledger.open(resolve_ledger_url(path, FOLDER))
    try:
        target = TARGETS.get(rows, 3.0)
        cases = (("no filter", None), ("sampler = DPM++ 2M", ImageFilter(sampler="DPM++ 2M", status="ok")))
        for label, filters in cases:
            def chart_part(filters=filters):
                data = chart_data(ledger, filters)
                cost_quality_chart(data, "cost_seconds", "composite", "sampler").to_dict()
                return data, recommendation_text(data, "cost_seconds", "composite")

            seconds = median_seconds(chart_part)
            data, text = chart_part()
            load = median_seconds(lambda filters=filters: chart_data(ledger, filters))
            spec = median_seconds(lambda data=data: cost_quality_chart(data, "cost_seconds", "composite",
                                                                       "sampler").to_json())
            steps = median_seconds(lambda data=data: steps_quality_chart(data, "composite").to_json())
            advice = median_seconds(lambda data=data: recommendation_text(data, "cost_seconds", "composite"))
            verdict = "OK" if seconds <= target else "SLOW"
            print(f"{rows:,} rows, {label}: chart_data + scatter spec + recommendation {seconds:.2f} s "
                  f"(whole-tab target ≤ {target:.0f} s) {verdict}")
            print(f"    chart_data {load:.2f} s, scatter to_json {spec:.2f} s, steps chart {steps:.2f} s, "
                  f"recommendation {advice:.2f} s")
            print(f"    {data.note}")
            print(f"    {text[:300]}")
    finally:
        ledger.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, action="append", help="ledger sizes (default 100,000 and 1,000,000)")
    for size in parser.parse_args().rows or [100_000, 1_000_000]:
        bench(size)
