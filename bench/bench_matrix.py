"""Time to build and render the X/Y/Z matrix of a 10 × 10 × 3 plot with 4 seeds per cell (1,200 images).

Fills a fresh SQLite ledger with such a job (as the WebUI adapter writes it), then times, over several
repeats, reading the job's cells from the ledger, building the matrix (medians, IQR, the pick) and
rendering its HTML; prints the median and the slowest repeat. Target: ≤ 1 s. Plain script, asserts
nothing. Run: ``.venv/bin/python bench/bench_matrix.py [--repeats N]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests" / "support")]

from matrix_ledger import fill_xyz_job  # noqa: E402

from paramlab.analysis.matrix import build_matrix, matrix_csv  # noqa: E402
from paramlab.analysis.matrix_load import load_job_cells  # noqa: E402
from paramlab.ledger import Ledger  # noqa: E402
from paramlab.ledger.urls import resolve_ledger_url  # noqa: E402
from paramlab.tab.matrix.render import matrix_html  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        ledger = Ledger.open(resolve_ledger_url(Path(folder) / "ledger.sqlite", Path(folder)))
        try:
            job = fill_xyz_job(ledger, [float(c) for c in range(3, 13)], list(range(10, 55, 5)) + [60],
                               ["Euler", "DPM++ 2M", "UniPC"], seeds=4)
            times, parts = [], []
            for _ in range(options.repeats):
                start = time.perf_counter()
                cells = load_job_cells(ledger, job)
                loaded = time.perf_counter()
                matrix = build_matrix(cells.frame, cells.layout)
                built = time.perf_counter()
                html = matrix_html(matrix)
                end = time.perf_counter()
                times.append(end - start)
                parts.append((loaded - start, built - loaded, end - built))
            csv_lines = matrix_csv(matrix).count("\n") - 1
        finally:
            ledger.close()
    load, build, render = (statistics.median(p[i] for p in parts) for i in range(3))
    print(f"matrix of a 10 x 10 x 3 plot, 4 seeds per cell ({len(cells.frame)} images, {len(matrix.cells)} cells, "
          f"{len(html) / 1024:.0f} KiB of HTML, {csv_lines} CSV lines)")
    print(f"build and render: median {statistics.median(times):.3f} s, slowest {max(times):.3f} s over "
          f"{options.repeats} repeats (read {load:.3f} s, build {build:.3f} s, render {render:.3f} s); target <= 1 s")
    print(f"pick: {matrix.sentence}")


if __name__ == "__main__":
    main()
