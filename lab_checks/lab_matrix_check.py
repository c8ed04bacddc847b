"""Issue 13 (matrix half) in the real WebUI (the lab): the seed guide's sailor plot (CFG 5, 7, 9, 11, 15 ×
steps 15, 20, 25, 30, seed 12345, 64×64) and a "[ParamLab] Batch size" plot (1, 2, 4) through the API, each
read back as its matrix, then the matrix opened from the Jobs list in Chromium (screenshot).

Start the lab with this extension and ``--paramlab-db LEDGER`` first, holding the lab's lock, e.g.
``A1111_EXTRA_ARGS="--paramlab-db /tmp/m/ledger.sqlite" flock /work/lab-7860.lock sh -c
'/root/a1111-lab/start.sh . && .venv/bin/python lab_checks/lab_matrix_check.py /tmp/m/ledger.sqlite /tmp/m.png;
/root/a1111-lab/stop.sh'``. Prints every figure and exits 1 when a check fails. ``--reuse`` reads the
plots an earlier run recorded in that ledger instead of generating them again.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from paramlab.analysis.matrix import build_matrix, matrix_csv  # noqa: E402
from paramlab.analysis.matrix_load import load_job_cells  # noqa: E402
from paramlab.ledger import Ledger  # noqa: E402
from paramlab.ledger.urls import resolve_ledger_url  # noqa: E402

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SAILOR = {"prompt": "a sailor", "seed": 12345, "width": 64, "height": 64}
failures: list[str] = []


def call(base: str, path: str, body: dict | None = None) -> Any:
    request = urllib.request.Request(base + path, data=None if body is None else json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=1800) as answer:
        return json.loads(answer.read())


def check(condition: bool, what: str) -> None:
    print(f"{'PASS' if condition else 'FAIL'}: {what}", flush=True)
    if not condition:
        failures.append(what)


def run_plots(base: str) -> tuple[str, str]:
    xyz = next(s for s in call(base, "/sdapi/v1/script-info") if s["name"] == "x/y/z plot" and not s["is_img2img"])
    choices = xyz["args"][0]["choices"]
    check("[ParamLab] Batch size" in choices, "the X/Y/Z plot offers [ParamLab] Batch size")
    index = {name: choices.index(name) for name in ("Nothing", "CFG Scale", "Steps", "[ParamLab] Batch size")}

    def plot(body: dict, x: str, x_values: str, y: str = "Nothing", y_values: str = "") -> str:
        args = [index[x], x_values, [], index[y], y_values, [], index["Nothing"], "", [], True, False, False, False,
                False, False, False, 0, False]
        start = time.perf_counter()
        answer = call(base, "/sdapi/v1/txt2img", {**body, "script_name": "x/y/z plot", "script_args": args})
        job = json.loads(answer["info"])["extra_generation_params"]["ParamLab"]["job"]
        print(f"{x} × {y}: {time.perf_counter() - start:.1f} s wall, job {job}")
        return job

    return (plot(SAILOR, "CFG Scale", "5,7,9,11,15", "Steps", "15,20,25,30"),
            plot({**SAILOR, "steps": 10}, "[ParamLab] Batch size", "1,2,4"))


def wait_for_figures(db: str, seconds: float = 300) -> None:
    deadline = time.time() + seconds
    while True:
        with sqlite3.connect(db) as conn:
            images = conn.execute("SELECT count(*) FROM images").fetchone()[0]
            measured = conn.execute("SELECT count(DISTINCT image_id) FROM image_metrics").fetchone()[0]
            open_jobs = conn.execute("SELECT count(*) FROM jobs WHERE finished_at IS NULL").fetchone()[0]
        if (images and measured >= images and not open_jobs) or time.time() > deadline:
            print(f"images {images}, with quality figures {measured}, open jobs {open_jobs}")
            return
        time.sleep(2)


def check_matrices(db: str, sailor: str, batch: str) -> int:
    ledger = Ledger.open(resolve_ledger_url(Path(db), Path(db).parent))
    try:
        cells = load_job_cells(ledger, sailor)
        matrix = build_matrix(cells.frame, cells.layout)
        print(matrix_csv(matrix))
        print("sentence:", matrix.sentence)
        check(len(matrix.cells) == 20 and cells.layout.axis_names[:2] == ["CFG Scale", "Steps"],
              "the sailor plot is a 5 × 4 matrix of CFG × steps")
        check(matrix.pick is not None and matrix.pick.label in matrix.sentence, "its pick is named")
        batched = load_job_cells(ledger, batch)
        batch_matrix = build_matrix(batched.frame, batched.layout)
        print(matrix_csv(batch_matrix))
        print("sentence:", batch_matrix.sentence)
        with sqlite3.connect(db) as conn:
            runs = conn.execute("SELECT id, batch_size, image_count, wall_seconds FROM runs WHERE job_id = ? "
                                "ORDER BY id", (batched.job_id,)).fetchall()
            costs = dict(conn.execute("SELECT run_id, sum(cost_seconds) FROM images GROUP BY run_id").fetchall())
        for run_id, size, count, wall in runs:
            print(f"run {run_id}: batch size {size}, {count} images, wall {wall:.3f} s, "
                  f"{wall / count:.3f} s/image, images' summed cost {costs[run_id]:.3f} s")
        check([(size, count) for _, size, count, _ in runs] == [(1, 1), (2, 2), (4, 4)],
              "each batch-size cell recorded its batch size and images")
        check(all(abs(costs[run_id] - wall) < 1e-6 * max(wall, 1) for run_id, _, _, wall in runs),
              "each image's cost is its share of its run")
        return cells.job_id
    finally:
        ledger.close()


def check_page(base: str, job_id: int, screenshot: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(base, timeout=120_000)
        page.locator("#tabs > .tab-nav > button", has_text="ParamLab").first.click(timeout=120_000)
        page.locator("#paramlab-tab > .tab-nav > button", has_text="Jobs").first.click()
        page.locator("#paramlab-jobs-refresh").first.click()
        button = page.locator(f"#paramlab-jobs-table tr[data-job-id='{job_id}'] button.paramlab-open-matrix")
        button.wait_for(timeout=60_000)
        button.click()
        matrix = page.locator("#paramlab-matrix").first
        matrix.locator("table.paramlab-matrix").first.wait_for(timeout=60_000)
        sentence = matrix.locator(".paramlab-recommendation").first.inner_text()
        print("page:", sentence)
        check(matrix.locator("td[data-place]").count() == 20 and "s/image" in sentence,
              "the Jobs list's Matrix button shows the 5 × 4 matrix with the pick's sentence")
        page.wait_for_timeout(1500)  # thumbnails
        matrix.screenshot(path=screenshot)
        print("screenshot:", screenshot)
        check(not errors, f"no page errors {errors}")
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db")
    parser.add_argument("screenshot")
    parser.add_argument("--url", default="http://127.0.0.1:7860")
    parser.add_argument("--reuse", action="store_true")
    options = parser.parse_args()
    if options.reuse:
        with sqlite3.connect(options.db) as conn:
            sailor, batch = [row[0] for row in conn.execute(
                "SELECT job_uid FROM jobs WHERE script_name = 'X/Y/Z plot' ORDER BY id").fetchall()[:2]]
    else:
        sailor, batch = run_plots(options.url)
    wait_for_figures(options.db)
    job_id = check_matrices(options.db, sailor, batch)
    check_page(options.url, job_id, options.screenshot)
    print("FAILED: " + "; ".join(failures) if failures else "ALL CHECKS PASSED")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
