"""``python -m paramlab migrate`` of a 100,000-image SQLite ledger into PostgreSQL, then once more.

Builds the SQLite ledger (1,000 runs × 100 images, two quality figures each, a thumbnail in the ledger
for every 10th image), starts a PostgreSQL server here (Debian's binaries, a temporary folder,
127.0.0.1, durable defaults) and runs the real command in a subprocess. Prints the time, rows/s, the
command's verified counts, and the time of the second run (which must copy nothing).
Run: ``python bench/bench_migrate.py [--images N]``.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
for entry in (str(REPO_ROOT), str(REPO_ROOT / "tests" / "support")):
    if entry not in sys.path:
        sys.path.insert(0, entry)

from bench_ledger_insert import make_runs  # noqa: E402

from paramlab.ledger import Ledger, schema  # noqa: E402
from paramlab.ledger.operations import store_thumbnail  # noqa: E402
from paramlab.ledger.urls import resolve_ledger_url  # noqa: E402

PER_RUN = 100


def build(path: Path, images: int) -> None:
    ledger = Ledger.open(resolve_ledger_url(path, path.parent))
    try:
        start = datetime(2024, 6, 1, tzinfo=timezone.utc)
        template = make_runs(start)  # 200 runs × 100 images; reused with fresh uids
        from dataclasses import replace
        from uuid import uuid4

        for batch in range(0, images // PER_RUN, 10):
            runs = []
            for offset, run in enumerate(template[:10]):
                stamp = start + timedelta(hours=batch + offset)
                copied = replace(run, run_uid=str(uuid4()), started_at=stamp, images=[
                    replace(image, image_uid=str(uuid4()), image_sha256=None,
                            metrics={"sharpness": (100.0 + i, None), "noise": (2.5, None)})
                    for i, image in enumerate(run.images)])
                runs.append(copied)
            ledger.write_runs(runs)
        with ledger.write() as conn:
            ids = [row.id for row in conn.execute(schema.images.select().with_only_columns(schema.images.c.id)
                                                  .where(schema.images.c.id % 10 == 0))]
            for image_id in ids:
                store_thumbnail(conn, image_id, b"\xff\xd8" + bytes(6000))  # a JPEG-sized blob
        assert ledger.counts()["images"] == images
    finally:
        ledger.close()


def main(images: int) -> None:
    from pg_server import PostgresServer

    with tempfile.TemporaryDirectory(prefix="paramlab-bench-migrate-") as temp:
        source = Path(temp) / "ledger.sqlite"
        started = time.perf_counter()
        build(source, images)
        print(f"built an SQLite ledger of {images:,} images in {time.perf_counter() - started:.1f} s "
              f"({source.stat().st_size / 1e6:.0f} MB)")
        digest = hashlib.sha256(source.read_bytes()).hexdigest()
        server = PostgresServer(durable=True).start()
        try:
            target = server.create_empty_database("team")
            env = dict(os.environ, PYTHONIOENCODING="utf-8")
            for attempt in ("first", "second"):
                started = time.perf_counter()
                result = subprocess.run([sys.executable, "-m", "paramlab", "migrate", "--from", str(source),
                                         "--to", target, "--quiet"], cwd=REPO_ROOT, env=env, capture_output=True,
                                        text=True, encoding="utf-8", check=False)
                elapsed = time.perf_counter() - started
                print(f"migrate ({attempt} run): exit {result.returncode}, {elapsed:.1f} s")
                print("  " + "\n  ".join(result.stderr.strip().splitlines()))
                if attempt == "first":
                    rows = images * 3 + images // PER_RUN + images // 10  # images + 2 figures each, runs, thumbnails
                    print(f"  ≈ {rows / elapsed:,.0f} rows/s ({images / elapsed:,.0f} images/s with their rows)")
        finally:
            server.stop()
        print("source unchanged:", hashlib.sha256(source.read_bytes()).hexdigest() == digest)


if __name__ == "__main__":
    count = int(sys.argv[sys.argv.index("--images") + 1]) if "--images" in sys.argv else 100_000
    main(count)
