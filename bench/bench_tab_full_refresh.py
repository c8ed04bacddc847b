"""Whole ParamLab tab refresh: filter + first table page + dropdown options + both charts + the
recommendation, on ledgers of 100,000 and 1,000,000 images with quality figures.

Targets (issue 6): ≤ 1 s at 100,000 rows, ≤ 3 s at 1,000,000 rows. Reuses the ledgers that
bench_tab_charts.py builds under /tmp/paramlab-bench-charts/ (building 1M takes several minutes once).
"""

from __future__ import annotations

import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "bench")]

from bench_tab_charts import FOLDER, build  # noqa: E402

from paramlab.ledger import Ledger  # noqa: E402
from paramlab.ledger.filters import ImageFilter  # noqa: E402
from paramlab.ledger.reads.images import image_page  # noqa: E402
from paramlab.ledger.urls import resolve_ledger_url  # noqa: E402
from paramlab.tab.charts.figures import chart_data, cost_quality_chart, recommendation_text, steps_quality_chart  # noqa: E402
from paramlab.tab.ledger_view.query import filter_options  # noqa: E402

TARGETS = {100_000: 1.0, 1_000_000: 3.0}


def refresh(ledger: Ledger, filt: ImageFilter) -> str:
    page = image_page(ledger, filt)
    filter_options(ledger)
    data = chart_data(ledger, replace(filt, status=("ok",)))  # the charts: finished images only
    cost_quality_chart(data, "cost_seconds", "composite", "sampler").to_json()
    steps_quality_chart(data, "composite").to_json()
    recommendation_text(data, "cost_seconds", "composite")
    return f"{page.total:,} matching, {data.note}"


def main() -> None:
    for rows, target in TARGETS.items():
        path = build(rows)
        ledger = Ledger.open(resolve_ledger_url(path, FOLDER))
        try:
            for label, filt in (("no filter", ImageFilter()),
                                ("sampler + prompt words", ImageFilter(sampler="DPM++ 2M", text="oil painting"))):
                refresh(ledger, filt)  # warm-up: imports, page cache
                samples = []
                for _ in range(5):
                    start = time.perf_counter()
                    note = refresh(ledger, filt)
                    samples.append(time.perf_counter() - start)
                seconds = statistics.median(samples)
                verdict = "OK" if seconds <= target else "SLOW"
                print(f"tab refresh, {rows:,} rows, {label}: {seconds:.2f} s (target ≤ {target:.0f} s) {verdict}"
                      f" — {note}")
        finally:
            ledger.close()


if __name__ == "__main__":
    main()
