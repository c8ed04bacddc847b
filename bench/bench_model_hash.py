"""A 200 MB model file hashed in the background beside a stand-in generation: does the generation slow down?

The stand-in (tests/host) samples with real torch work on the generation thread (the conv net of
bench_generation_slowdown.py at every step). Each round, interleaved so drift hits both alike:
- ``quiet``: requests with nothing to hash;
- ``hashing``: the 200 MB checkpoint was just rewritten (new mtime), so the run before asked for its hash and
  the hasher is at it when the timed requests start.
Two host kinds, as :func:`paramlab.webui.runtime.background_may_run` decides: ``cpu`` (the hasher pauses between
its 1 MiB reads while a job runs) and ``gpu`` (it never pauses: only its idle priority keeps it out of the
way; here the "GPU" sampler is this CPU, so that is the harsh case). The ratio printed is the median over
rounds of hashing/quiet seconds per image, with the middle half of the rounds beside it.

It proves the hash landed: at the end it waits for the hasher and the writer, then checks ``file_hashes``
holds the file's true SHA-256 and that no run's fingerprint still has it pending; exit 1 otherwise (timing
never sets the exit code). Run: ``.venv/bin/python bench/bench_model_hash.py [--rounds N] [--requests N]``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests" / "host"), str(REPO / "tests" / "support"), str(REPO / "bench")]

import sqlalchemy as sa  # noqa: E402
from bench_generation_slowdown import Denoiser  # noqa: E402
from host_fixture import write_model_file  # noqa: E402
from modules import script_callbacks, shared  # noqa: E402
from modules.api import api  # noqa: E402
from webui_support import LoadedExtension  # noqa: E402

from paramlab.aftercare.runner import QUIET_SECONDS  # noqa: E402
from paramlab.ledger import Ledger, schema  # noqa: E402
from paramlab.webui import runtime  # noqa: E402

REQUEST = {"prompt": "a lighthouse at dusk", "steps": 8, "width": 512, "height": 512, "batch_size": 4, "n_iter": 1,
           "sampler_name": "Euler", "scheduler": "Automatic"}
MODEL_BYTES = 200 * 1024 * 1024


def per_image(runner: object, requests: int) -> float:
    seconds, images = 0.0, 0
    for _ in range(requests):
        start = time.perf_counter()
        result = api.text2imgapi(runner, REQUEST)
        seconds += time.perf_counter() - start
        images += len(result["images"])
    return seconds / images


def ask_for_a_new_hash(checkpoint: str, runner: object) -> None:
    """The file changes; one untimed run records it pending and queues it; the hasher starts after the quiet spell."""
    os.utime(checkpoint, None)
    api.text2imgapi(runner, {**REQUEST, "steps": 1, "batch_size": 1})
    time.sleep(QUIET_SECONDS + 0.2)


def check_the_hash_landed(checkpoint: str) -> list[str]:
    assert runtime.model_hasher().flush(600) and runtime.get_writer().flush(600)
    digest = hashlib.sha256()
    with open(checkpoint, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    ledger = Ledger.open(runtime.ledger_url())
    try:
        with ledger.engine.connect() as conn:
            stored = conn.execute(sa.select(schema.file_hashes.c.sha256).where(
                schema.file_hashes.c.path == os.path.abspath(checkpoint))).scalar_one_or_none()
            fingerprints = [json.loads(text) for text in conn.execute(sa.select(schema.runs.c.fingerprint)).scalars()]
    finally:
        ledger.close()
    problems = []
    if stored != digest.hexdigest():
        problems.append(f"file_hashes holds {stored!r}, the file's SHA-256 is {digest.hexdigest()}")
    latest = fingerprints[-1]["model_sha256"].get("checkpoint")
    if latest != digest.hexdigest():
        problems.append(f"the last run's checkpoint hash is {latest!r}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=3, help="timed requests per mode and round")
    args = parser.parse_args()
    extension = LoadedExtension(Path(tempfile.mkdtemp(prefix="paramlab-model-hash-")))
    script_callbacks.on_cfg_denoiser(Denoiser())
    runner = extension.runner()
    checkpoint = write_model_file(shared.sd_model.sd_checkpoint_info.filename, size=MODEL_BYTES)
    hasher = runtime.model_hasher()
    real_may_run = hasher.watch.may_run
    print(f"model file: {MODEL_BYTES // 2**20} MB; hasher thread priority: ", end="")
    api.text2imgapi(runner, {**REQUEST, "steps": 1, "batch_size": 1})  # warm up; the first hash
    assert hasher.flush(600)
    print(hasher.priority)
    problems: list[str] = []
    for host in ("cpu", "gpu"):
        hasher.watch.may_run = real_may_run if host == "cpu" else (lambda: True)
        ratios, overlaps = [], []
        for _ in range(args.rounds):
            assert hasher.flush(600)
            quiet = per_image(runner, args.requests)
            hashed_before = len(hasher.hashed)
            ask_for_a_new_hash(checkpoint, runner)
            start = time.perf_counter()
            busy = per_image(runner, args.requests)
            took = time.perf_counter() - start
            still_hashing = len(hasher.hashed) == hashed_before
            overlaps.append(took if still_hashing else None)
            ratios.append(busy / quiet)
        ratios.sort()
        quarter = len(ratios) // 4
        print(f"{host} host: hashing/quiet per image = {statistics.median(ratios):.3f} "
              f"(middle half {ratios[quarter]:.3f}-{ratios[-1 - quarter]:.3f}); hash still running at the end of "
              f"{sum(1 for o in overlaps if o is not None)}/{len(overlaps)} timed stretches; "
              f"hasher paused {hasher.pauses} times so far")
        problems += check_the_hash_landed(checkpoint)
    runtime.shutdown()
    for problem in problems:
        print("FAILED:", problem)
    if not problems:
        print("the 200 MB file's SHA-256 is in file_hashes and filled into the runs that waited for it")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
