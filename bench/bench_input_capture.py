"""Time the input capture costs the generation thread (issue 20): an img2img inpaint run with a 1024² init image,
a 1024² mask and 2 ControlNet units with 1024² control images.

Runs the real capture (:func:`paramlab.webui.run_inputs.capture_run_inputs`, in ParamLab's ``before_process``,
and :meth:`CapturedInputs.operation`, right after the run's ``StartRun``) on a ``p`` of the A1111 stand-in
(tests/host) with its stand-in ControlNet, in the two forms ControlNet's units arrive in: posted through the API
(dicts with base64 PNG strings, decoded lazily: PIL reads their headers only) and from the UI (``ControlNetUnit``
objects holding numpy arrays, kept by reference). Prints µs per run (median and 90th percentile).

It proves it captured: it exits with code 1 unless each form yields the 4 inputs (init, mask, 2 controls) whose
PNG encodings give back the pixels handed in. Timing never sets the exit code.
Run: ``.venv/bin/python bench/bench_input_capture.py [--runs N]``.
"""

from __future__ import annotations

import argparse
import base64
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests" / "host"), str(REPO / "tests" / "support")]

import numpy as np  # noqa: E402
from host_fixture import register_controlnet  # noqa: E402
from modules import processing  # noqa: E402
from modules._standin_ui import script_args_with  # noqa: E402
from PIL import Image  # noqa: E402
from webui_support import LoadedExtension  # noqa: E402

from paramlab.ledger.input_records import encode_input  # noqa: E402
from paramlab.webui.run_inputs import capture_run_inputs  # noqa: E402

SIDE = 1024
MODEL = "control_v11p_sd15_openpose [cab727d4]"


def picture(seed: int, channels: int = 3) -> np.ndarray:
    shape = (SIDE, SIDE, channels) if channels > 1 else (SIDE, SIDE)
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def png_base64(array: np.ndarray) -> str:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG", compress_level=1)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def make_p(runner: Any, units: list[Any], init: Image.Image, mask: Image.Image) -> Any:
    p = processing.StableDiffusionProcessingImg2Img(prompt="a dancer", init_images=[init], mask=mask,
                                                    width=SIDE, height=SIDE, denoising_strength=0.6)
    p.scripts = runner
    p.script_args = tuple(script_args_with(runner, {"ControlNet": units}))
    return p


def timed(p: Any, runs: int) -> tuple[list[float], Any]:
    spent, captured = [], None
    for _ in range(runs):
        start = time.perf_counter()
        captured = capture_run_inputs(p)
        operation = captured.operation(p, "bench-run") if captured is not None else None
        spent.append((time.perf_counter() - start) * 1e6)
    return spent, operation


def check(operation: Any, expected: list[np.ndarray]) -> list[str]:
    """What is wrong with the capture: the inputs' count, roles and pixels once encoded as the writer does."""
    if operation is None:
        return ["nothing was captured"]
    roles = [(item.source, item.role) for item in operation.inputs]
    wanted = [("img2img", "init"), ("img2img", "mask"), ("ControlNet unit 0", "control"),
              ("ControlNet unit 1", "control")]
    problems = [f"inputs {roles}, expected {wanted}"] if roles != wanted else []
    for item, pixels in zip(operation.inputs, expected):
        encode_input(item)
        if item.png is None or not np.array_equal(np.array(Image.open(io.BytesIO(item.png))), pixels):
            problems.append(f"{item.source} {item.role}: the stored PNG does not give back the pixels")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=200)
    options = parser.parse_args()
    extension = LoadedExtension(Path(tempfile.mkdtemp(prefix="paramlab-bench-capture-")))
    try:
        controlnet = register_controlnet()
        runner = extension.runner(is_img2img=True)
        init, mask = picture(1), picture(2, channels=1)
        controls = [picture(3), picture(4)]
        forms = {
            "API (base64 PNG units)": [{"enabled": True, "model": MODEL, "image": png_base64(array)}
                                       for array in controls],
            "UI (ControlNetUnit, numpy)": [controlnet.ControlNetUnit(enabled=True, model=MODEL, image=array)
                                           for array in controls],
        }
        failures = []
        for name, units in forms.items():
            p = make_p(runner, units, Image.fromarray(init), Image.fromarray(mask))
            spent, operation = timed(p, options.runs)
            spent.sort()
            print(f"{name}: {statistics.median(spent):8.1f} µs per run median, "
                  f"{spent[int(len(spent) * 0.9)]:8.1f} µs 90th percentile ({options.runs} runs; "
                  f"{SIDE}² init + mask + 2 ControlNet units)")
            problems = check(operation, [init, mask, *controls])
            failures.extend(f"{name}: {problem}" for problem in problems)
        for failure in failures:
            print("FAILED:", failure)
        return 1 if failures else 0
    finally:
        extension.close()


if __name__ == "__main__":
    sys.exit(main())
