"""Blocking time ParamLab adds to the generation thread, per image (target: median ≤ 2 ms).

Runs the real adapter inside the A1111 stand-in (tests/host) and times, with perf_counter, every call
A1111 makes into ParamLab during a generation: each script hook in A1111's order (``setup``,
``before_process``, ``process``, ``before_process_batch``, ``after_extra_networks_activate``,
``process_batch``, ``process_before_every_sampling``, ``before_hr``, ``post_sample``,
``postprocess_batch``, ``postprocess_batch_list``, ``postprocess_image``, ``postprocess_maskoverlay``,
``postprocess_image_after_composite``, ``postprocess``) and every callback ParamLab registered that
fires meanwhile (``on_image_saved`` whole, both of ParamLab's). That is what the generation thread
waits for. The background writer (hashing, thumbnails, database) runs on its own thread and process
and is not counted, but it does compete for the CPU here, as it would in the WebUI.

It proves it timed the work: it exits with code 1 when a hook A1111 must call per run, batch or image
was not called that often, or when the ledger lacks a row (or, for saved images, the file's link) for
an image made. Timing never sets the exit code.
Run: ``.venv/bin/python bench/bench_hook_overhead.py [--runs N]``.
"""

from __future__ import annotations

import argparse
import functools
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests" / "host"), str(REPO / "tests" / "support")]

import sqlalchemy as sa  # noqa: E402
from modules import script_callbacks, scripts, txt2img  # noqa: E402
from modules._standin_ui import script_args_with  # noqa: E402
from modules.api import api  # noqa: E402
from webui_support import LoadedExtension  # noqa: E402

from paramlab.ledger import Ledger, schema  # noqa: E402
from paramlab.webui import runtime  # noqa: E402

# Every Script hook A1111 1.10.1 calls during a generation, in its order (docs: a1111-extension-api.md §3).
HOOKS = ("setup", "before_process", "process", "before_process_batch", "after_extra_networks_activate",
         "process_batch", "process_before_every_sampling", "before_hr", "post_sample", "postprocess_batch",
         "postprocess_batch_list", "postprocess_image", "postprocess_maskoverlay",
         "postprocess_image_after_composite", "postprocess")
PER_RUN = ("setup", "before_process", "process", "postprocess")
PER_BATCH = ("before_process_batch", "process_batch", "postprocess_batch", "postprocess_batch_list")
PER_IMAGE = ("postprocess_image", "postprocess_maskoverlay", "postprocess_image_after_composite")
TARGET_MS = 2.0


class Stopwatch:
    """Seconds spent in ParamLab's code, and how often each entry point was called."""

    def __init__(self) -> None:
        self.spent = 0.0
        self.by_hook: Counter[str] = Counter()
        self.seconds_by_hook: Counter[str] = Counter()

    def wrap(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - start
                self.spent += elapsed
                self.by_hook[name] += 1
                self.seconds_by_hook[name] += elapsed
        return timed


def time_everything(runner: scripts.ScriptRunner, watch: Stopwatch) -> None:
    """Wrap each hook of ParamLab's always-on script, and each callback ParamLab registered."""
    script = runner.title_map["paramlab"]
    for hook in HOOKS:
        setattr(script, hook, watch.wrap(hook, getattr(script, hook)))
    ours = str(REPO / "paramlab")
    for category, callbacks in script_callbacks.callback_map.items():
        for callback in callbacks:
            if str(callback.script).startswith(ours) and not getattr(callback.callback, "bench_timed", False):
                callback.callback = watch.wrap("on_" + category.removeprefix("callbacks_"), callback.callback)
                callback.callback.bench_timed = True


def generate(runner: scripts.ScriptRunner, case: dict[str, Any], args: list[Any]) -> int:
    """One generation as the case says (UI or API); returns the number of images made."""
    if case.get("api"):
        return len(api.text2imgapi(runner, case["ui"])["images"])
    return len(txt2img.run_txt2img_ui(runner, case["ui"], args).all_seeds)


def ledger_counts() -> tuple[int, int]:
    """Image rows, and rows linked to a saved file, once the writer has drained."""
    assert runtime.get_writer().flush(120), "the ledger writer did not drain"
    ledger = Ledger.open(runtime.ledger_url())
    try:
        with ledger.engine.connect() as conn:
            rows = conn.execute(sa.select(sa.func.count()).select_from(schema.images)).scalar_one()
            linked = conn.execute(sa.select(sa.func.count()).select_from(schema.images)
                                  .where(schema.images.c.image_path.is_not(None))).scalar_one()
    finally:
        ledger.close()
    return int(rows), int(linked)


def measure(runner: scripts.ScriptRunner, watch: Stopwatch, case: dict[str, Any], runs: int,
            problems: list[str], label: str) -> list[float]:
    """ms per image of each run, after checking that every hook ran and every image was recorded."""
    args = script_args_with(runner, {"Sampler": [4, "Euler a", "Automatic"]})
    rows_before, linked_before = ledger_counts()
    watch.by_hook.clear()
    watch.seconds_by_hook.clear()
    per_image_ms, images_made = [], 0
    for _ in range(runs):
        watch.spent = 0.0
        images = generate(runner, case, args)
        images_made += images
        per_image_ms.append(watch.spent / images * 1000)
    rows, linked = ledger_counts()
    ui = case["ui"]
    batches = runs * ui.get("n_iter", 1)
    expected = {**dict.fromkeys(PER_RUN, runs), **dict.fromkeys(PER_BATCH, batches),
                **dict.fromkeys(PER_IMAGE, images_made)}
    if ui.get("enable_hr"):
        expected["before_hr"] = batches
    if not case.get("api"):
        expected["on_image_saved"] = images_made  # and grids, which ParamLab looks at and leaves
    for hook, count in expected.items():
        if watch.by_hook[hook] < count:
            problems.append(f"{label}: {hook} ran {watch.by_hook[hook]} times, A1111 calls it {count} times")
    if rows - rows_before != images_made:
        problems.append(f"{label}: {images_made} images made, {rows - rows_before} rows in the ledger")
    if not case.get("api") and linked - linked_before != images_made:
        problems.append(f"{label}: {images_made} images saved, {linked - linked_before} rows linked to their file")
    return per_image_ms


CASES: dict[str, dict[str, Any]] = {
    "txt2img 2×4, saved": {"ui": {"prompt": "bench", "n_iter": 2, "batch_size": 4, "width": 64, "height": 64}},
    "txt2img 1×4 + hires, saved": {"ui": {"prompt": "bench", "batch_size": 4, "enable_hr": True, "hr_scale": 1.5,
                                          "width": 64, "height": 64}},
    "API 1×4, not saved": {"api": True, "ui": {"prompt": "bench", "batch_size": 4, "width": 64, "height": 64,
                                               "steps": 4, "sampler_name": "Euler a", "scheduler": "Automatic"}},
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40, help="timed generations per case")
    args = parser.parse_args()
    problems: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        extension = LoadedExtension(Path(tmp))
        try:
            runner = extension.runner()
            watch = Stopwatch()
            time_everything(runner, watch)
            for label, case in CASES.items():
                measure(runner, watch, case, 3, [], label)  # warm-up: imports, first ledger open
                samples = measure(runner, watch, case, args.runs, problems, label)
                images = watch.by_hook["postprocess_image"] or 1
                heaviest = ", ".join(f"{hook} {seconds / images * 1000:.3f}"
                                     for hook, seconds in watch.seconds_by_hook.most_common(3))
                print(f"hook overhead [{label}]: median {statistics.median(samples):.3f} ms/image, "
                      f"p95 {sorted(samples)[max(0, int(len(samples) * 0.95) - 1)]:.3f} ms, max {max(samples):.3f} ms "
                      f"(target median ≤ {TARGET_MS} ms); heaviest, ms/image: {heaviest}")
                print("  calls timed: " + ", ".join(f"{hook} {count}" for hook, count in watch.by_hook.items()))
        finally:
            runtime.shutdown()
            extension.close()
    if problems:
        print("FAILED: the bench did not time what it says:")
        for line in problems:
            print(f"  {line}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
