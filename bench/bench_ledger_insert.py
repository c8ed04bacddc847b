"""Ledger writes as the WebUI makes them, per batch, into SQLite and into PostgreSQL, in one run.

Each generation is written as ParamLab's writer writes it, one transaction per operation: the job's row,
the run's row (``running``), then for each batch its images (one transaction, as soon as the batch
exists) and each image's findings from the background process (a ≤ 256 px JPEG thumbnail, every
built-in quality figure, flaws, pixel hash: one transaction each, as they come back one at a time),
then the run's totals and the job's end. The findings are real: the background work run once on a
512×768 noise image (the largest thumbnail there is), copied to every image.

SQLite commits with ``synchronous=FULL`` (as ParamLab runs it); the PostgreSQL server is started here
(Debian's binaries, a temporary folder, 127.0.0.1) with its durable defaults (fsync, synchronous commit),
reached over TCP on loopback. Printed: ms per batch (its rows, its images' findings, and its share of
the run's and job's rows), batches/s and images/s.

It proves it wrote: it exits with code 1 when the ledger lacks a job, run, image, thumbnail or figure
row it should hold, or a run is not finished. Timing never sets the exit code.
Run: ``python bench/bench_ledger_insert.py [--jobs N] [--profile] [--sqlite-only]``.
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import pstats
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
for entry in (str(REPO_ROOT), str(REPO_ROOT / "tests" / "support")):
    if entry not in sys.path:
        sys.path.insert(0, entry)

import numpy as np  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from PIL import Image  # noqa: E402

from paramlab.aftercare.tasks import ImageTask  # noqa: E402
from paramlab.aftercare.work import run_task  # noqa: E402
from paramlab.ledger import ImageRecord, Ledger, RunRecord, schema  # noqa: E402
from paramlab.ledger.job_operations import FinishJob, StartJob  # noqa: E402
from paramlab.ledger.operations import AddImages, Findings, FinishRun, Operation, RecordFindings, StartRun  # noqa: E402
from paramlab.ledger.records import JobRecord  # noqa: E402
from paramlab.ledger.urls import resolve_ledger_url  # noqa: E402

BATCHES_PER_RUN = 4
BATCH_SIZE = 4

PROMPT = (
    "masterpiece, best quality, ultra-detailed, 1girl, solo, looking at viewer, (smile:1.2), long hair, "
    "school uniform, cherry blossoms, depth of field, <lora:detail_tweaker:0.6>"
)
NEGATIVE = "lowres, bad anatomy, bad hands, text, error, missing fingers, (worst quality:1.4), watermark"
EXTRA = (
    '{"ADetailer model": "face_yolov8n.pt", "Lora hashes": "detail_tweaker: e4b36f5ff3d1", '
    '"Version": "v1.10.1"}'
)


def sample_findings() -> Findings:
    """What the background process sends back for one 512×768 image: run once, for real."""
    pixels = np.random.default_rng(0).integers(0, 256, (768, 512, 3), dtype=np.uint8)
    findings = run_task(ImageTask("sample", image=Image.fromarray(pixels), thumbnail=True, measure=True,
                                  prompt=PROMPT, flaw_context={"cfg_scale": 7.0, "steps": 28, "sampler": "DPM++ 2M"}))
    assert findings.thumbnail and findings.metrics, f"the background work made no figures: {findings.problems}"
    return findings


def image_record(seed: int, index: int, started: RunRecord) -> ImageRecord:
    infotext = (f"{PROMPT}, v{index}\nNegative prompt: {NEGATIVE}\nSteps: 28, Sampler: DPM++ 2M, "
                f"Schedule type: Karras, CFG scale: 7, Seed: {seed}, Size: 512x768, Model hash: 6ce0161689")
    return ImageRecord(
        index_in_run=index, batch_number=index // BATCH_SIZE, created_at=started.started_at, seed=seed,
        subseed=seed + 7, subseed_strength=0.0, prompt=f"{PROMPT}, v{index}", negative_prompt=NEGATIVE,
        model_name="v1-5-pruned-emaonly", model_hash="6ce0161689", sampler="DPM++ 2M", scheduler="Karras",
        steps=28, cfg_scale=7.0, width=512, height=768, hires_enabled=False, clip_skip=2, infotext=infotext,
        extra_params=EXTRA, cost_seconds=2.31, model_evaluations=56, megapixel_steps=11.01,
    )


def generation(number: int, findings: Findings) -> list[list[Operation]]:
    """One API request's writes, grouped per batch (the job's and run's rows go with the first and last)."""
    job = JobRecord(tab="txt2img", source="api")
    run = RunRecord(tab="txt2img", source="api", batch_count=BATCHES_PER_RUN, batch_size=BATCH_SIZE,
                    model_name="v1-5-pruned-emaonly", model_hash="6ce0161689", webui_version="v1.10.1",
                    paramlab_version="0.1.0", host_name="bench", device_name="NVIDIA GeForce RTX 4090",
                    job_uid=job.job_uid)
    batches: list[list[Operation]] = []
    for batch in range(BATCHES_PER_RUN):
        images = [image_record(1_000_000 + number * 1000 + batch * BATCH_SIZE + slot, batch * BATCH_SIZE + slot, run)
                  for slot in range(BATCH_SIZE)]
        run.images.extend(images)
        operations: list[Operation] = []
        if batch == 0:
            operations += [StartJob(job), StartRun(dataclasses.replace(run, images=[]))]
        operations.append(AddImages(run.run_uid, images))
        operations += [RecordFindings(dataclasses.replace(findings, image_uid=image.image_uid)) for image in images]
        batches.append(operations)
    run.wall_seconds, run.status = 9.2, "ok"
    batches[-1] += [FinishRun(run), FinishJob(job.job_uid, "ok", wall_seconds=9.3)]
    return batches


def write_all(ledger: Ledger, batches: list[list[Operation]]) -> None:
    """One transaction per operation, as the writer thread does when they come one at a time."""
    for operations in batches:
        for operation in operations:
            with ledger.write() as conn:
                operation.apply(conn)


def check(ledger: Ledger, jobs: int, metrics_per_image: int) -> list[str]:
    """What the ledger must hold after the bench; each line is a shortfall."""
    images = jobs * BATCHES_PER_RUN * BATCH_SIZE
    expected = {"jobs": jobs, "runs": jobs, "images": images, "image_thumbnails": images,
                "image_metrics": images * metrics_per_image}
    problems = []
    with ledger.engine.connect() as conn:
        for table, count in expected.items():
            found = conn.execute(sa.select(sa.func.count()).select_from(schema.metadata.tables[table])).scalar_one()
            if found != count:
                problems.append(f"{table}: {found} rows, expected {count}")
        statuses = Counter(conn.execute(sa.select(schema.runs.c.status)).scalars())
        if statuses != Counter({"ok": jobs}):
            problems.append(f"run statuses {dict(statuses)}, expected {jobs} × ok")
    return problems


def measure(url: str, batches: list[list[Operation]], jobs: int, metrics: int, profile: bool,
            problems: list[str], name: str) -> tuple[float, pstats.Stats | None]:
    """Seconds to write every batch into a fresh ledger at ``url``."""
    ledger = Ledger.open(resolve_ledger_url(url, None))
    try:
        profiler = cProfile.Profile() if profile else None
        started = time.perf_counter()
        if profiler is not None:
            profiler.enable()
        write_all(ledger, batches)
        if profiler is not None:
            profiler.disable()
        elapsed = time.perf_counter() - started
        problems += [f"{name}: {line}" for line in check(ledger, jobs, metrics)]
    finally:
        ledger.close()
    return elapsed, pstats.Stats(profiler) if profiler is not None else None


def main() -> int:
    from pg_server import PostgresServer

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=50, help=f"API requests of {BATCHES_PER_RUN} × {BATCH_SIZE} images")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args()
    findings = sample_findings()
    batches = [batch for number in range(args.jobs) for batch in generation(number, findings)]
    transactions = sum(len(batch) for batch in batches)
    print(f"{args.jobs} requests × {BATCHES_PER_RUN} batches × {BATCH_SIZE} images; per image a "
          f"{len(findings.thumbnail or b'')}-byte thumbnail and {len(findings.metrics)} figures; "
          f"{transactions} transactions")
    problems: list[str] = []
    results: dict[str, tuple[float, pstats.Stats | None]] = {}
    with tempfile.TemporaryDirectory(prefix="paramlab-bench-") as temp:
        results["SQLite"] = measure(str(Path(temp) / "ledger.sqlite"), batches, args.jobs, len(findings.metrics),
                                    args.profile, problems, "SQLite")
    if not args.sqlite_only:
        server = PostgresServer(durable=True).start()
        try:
            results["PostgreSQL"] = measure(server.create_empty_database("bench"), batches, args.jobs,
                                            len(findings.metrics), args.profile, problems, "PostgreSQL")
        finally:
            server.stop()
    images = len(batches) * BATCH_SIZE
    for name, (elapsed, stats) in results.items():
        print(f"ledger insert per batch, {name}: {elapsed / len(batches) * 1000:.1f} ms per batch of {BATCH_SIZE} "
              f"with thumbnails and figures = {len(batches) / elapsed:,.1f} batches/s = "
              f"{images / elapsed:,.0f} images/s ({elapsed / transactions * 1000:.2f} ms per transaction)")
        if stats is not None:
            stats.sort_stats("cumulative").print_stats(25)
    if problems:
        print("FAILED: the ledger does not hold what the bench wrote:")
        for line in problems:
            print(f"  {line}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
