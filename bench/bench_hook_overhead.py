"""Blocking time ParamLab adds to the generation thread, per image (target: median ≤ 2 ms).

Runs the real adapter inside the A1111 stand-in (tests/host) and times every ParamLab hook call
with perf_counter: what the generation thread waits for. The background writer (hashing,
thumbnails, database) runs on its own thread and is not counted, but it does compete for the CPU
here, as it would in the WebUI.
"""

from __future__ import annotations

import functools
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests" / "host"), str(REPO / "tests")]

from modules import txt2img  # noqa: E402
from modules._standin_ui import script_args_with  # noqa: E402
from webui_support import LoadedExtension  # noqa: E402

from paramlab.webui import recorder, runtime  # noqa: E402

HOOKS = ("before_process", "before_process_batch", "after_extra_networks_activate", "before_hr",
         "process_before_every_sampling", "post_sample", "postprocess_batch",
         "postprocess_image_after_composite", "postprocess")
spent = [0.0]


def timed(function):
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - start
    return wrapper


def measure(extension: LoadedExtension, ui: dict, runs: int) -> list[float]:
    runner = extension.runner()
    script = runner.title_map["paramlab"]
    for hook in HOOKS:
        setattr(script, hook, timed(getattr(script, hook)))
    recorder.RunRecorder.link_saved = timed(recorder.RunRecorder.link_saved)  # on_image_saved's work
    args = script_args_with(runner, {"Sampler": [4, "Euler a", "Automatic"]})
    per_image_ms = []
    for _ in range(runs):
        spent[0] = 0.0
        processed = txt2img.run_txt2img_ui(runner, ui, args)
        images = len(processed.all_seeds)
        per_image_ms.append(spent[0] / images * 1000)
    runtime.get_writer().flush(60)
    return per_image_ms


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        extension = LoadedExtension(Path(tmp))
        try:
            cases = {
                "txt2img 2×4, saved": {"prompt": "bench", "n_iter": 2, "batch_size": 4, "width": 64, "height": 64},
                "txt2img 1×4 + hires, saved": {"prompt": "bench", "batch_size": 4, "enable_hr": True,
                                               "hr_scale": 1.5, "width": 64, "height": 64},
            }
            for label, ui in cases.items():
                measure(extension, ui, 3)  # warm-up: imports, first ledger open
                samples = measure(extension, ui, 40)
                print(f"hook overhead [{label}]: median {statistics.median(samples):.3f} ms/image, "
                      f"p95 {sorted(samples)[int(len(samples) * 0.95) - 1]:.3f} ms, max {max(samples):.3f} ms "
                      f"(target median ≤ 2 ms)")
        finally:
            extension.close()


if __name__ == "__main__":
    main()
