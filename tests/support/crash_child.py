"""A WebUI stand-in process that records into a real ledger (SQLite file or PostgreSQL URL) and dies the
hard way on cue.

``python tests/support/crash_child.py DATA_DIR LEDGER N_ITER KILL_AT [STEP_DELAY] [RUNS] [--OPTION=VALUE...]`` runs
RUNS (default 1) API txt2img requests (batch size 2, saving images) through the real ParamLab script, with
each ``--OPTION=VALUE`` set in A1111's settings first (e.g. ``--samples_format=jpg``), and SIGKILLs itself
at KILL_AT:

- ``step:B:S``   at sampling step S of batch B (mid-batch)
- ``saved:K``    right after the K-th image file was written (before its batch's rows)
- ``tile:K``     at the first step of the K-th tile pass of an Ultimate SD upscale (img2img API, 4 tiles),
                 instead of the txt2img requests
- ``none``       never (the parent kills it at a moment of its choosing)

A trailing ``!`` (e.g. ``saved:5!``) kills without first letting the ledger writer catch up, so the
kill can land while a write is in flight. It prints ``started`` when sampling begins and
``finished`` if the run completes.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
for entry in (str(TESTS.parent), str(TESTS / "host"), str(TESTS)):
    if entry not in sys.path:
        sys.path.insert(0, entry)

from modules import script_callbacks, shared  # noqa: E402
from modules.api import api  # noqa: E402
from webui_support import LoadedExtension  # noqa: E402


def main() -> None:
    arguments = [argument for argument in sys.argv[1:] if not argument.startswith("--")]
    settings = dict(argument[2:].split("=", 1) for argument in sys.argv[1:] if argument.startswith("--"))
    data_dir, ledger, n_iter, kill_at = Path(arguments[0]), arguments[1], int(arguments[2]), arguments[3]
    step_delay = float(arguments[4]) if len(arguments) > 4 else 0.0
    runs = int(arguments[5]) if len(arguments) > 5 else 1
    extension = LoadedExtension(data_dir)
    shared.cmd_opts.paramlab_db = ledger
    for name, value in settings.items():
        shared.opts.set(name, value)
    runner = extension.runner()
    wait_for_writer = not kill_at.endswith("!")
    kind, _, where = kill_at.rstrip("!").partition(":")
    saved = 0
    announced = False

    def die() -> None:
        if wait_for_writer:
            from paramlab.webui import runtime

            runtime.get_writer().flush(10, background=False)
        os.kill(os.getpid(), signal.SIGKILL)

    def on_step(params) -> None:  # type: ignore[no-untyped-def]
        nonlocal announced
        if not announced:
            announced = True
            print("started", flush=True)
        if step_delay:
            time.sleep(step_delay)
        if kind == "step":
            batch, step = (int(part) for part in where.split(":"))
            if shared.state.job_no == batch and params.sampling_step == step:
                die()

    def on_saved(params) -> None:  # type: ignore[no-untyped-def]
        nonlocal saved
        saved += 1
        if kind == "saved" and saved == int(where):
            die()

    passes = 0

    def on_tile_pass(params) -> None:  # type: ignore[no-untyped-def]
        nonlocal passes
        if params.sampling_step == 0 and params.total_sampling_steps and shared.state.sampling_step == 0:
            passes += 1
            if passes == int(where):
                die()

    if kind == "tile":
        run_tile_upscale(extension, on_tile_pass)
        return
    script_callbacks.on_cfg_denoiser(on_step)
    script_callbacks.on_image_saved(on_saved)
    for number in range(runs):
        api.text2imgapi(runner, {
            "prompt": "a lighthouse", "steps": 4, "width": 64, "height": 64, "seed": 1000 + 1000 * number,
            "batch_size": 2, "n_iter": n_iter, "save_images": True,
        })
    from paramlab.webui import runtime

    # Let the idle-priority background work (hashes, figures) finish even on a busy machine; the WebUI's own
    # shutdown waits only briefly and spills the rest, which is not what this check is about.
    runtime.get_writer().flush(180)
    extension.close()
    print("finished", flush=True)


def run_tile_upscale(extension: LoadedExtension, on_pass) -> None:  # type: ignore[no-untyped-def]
    """One Ultimate SD upscale of a 64 px image to 128 px in 64 px tiles (4 passes) through the img2img API."""
    from host_fixture import register_ultimate_upscale
    from PIL import Image

    register_ultimate_upscale()
    runner = extension.runner(is_img2img=True)
    script_callbacks.on_cfg_denoiser(on_pass)
    usdu = runner.title_map["ultimate sd upscale"]
    args = [None, 64, 0, 8, 0, 64, 0.35, 16, 1, True, 0, False, 4, 0, 2, 2048, 2048, 2]
    assert len(args) == usdu.args_to - usdu.args_from
    api.img2imgapi(runner, {"prompt": "a lighthouse", "steps": 4, "width": 64, "height": 64, "seed": 5,
                            "denoising_strength": 0.5, "init_images": [api.encode_pil_to_base64(
                                Image.new("RGB", (64, 64), (40, 90, 140)))],
                            "script_name": "Ultimate SD upscale", "script_args": args, "save_images": True})
    extension.close()
    print("finished", flush=True)


if __name__ == "__main__":
    main()
