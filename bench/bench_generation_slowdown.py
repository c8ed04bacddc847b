"""What the user feels: time per generated image with ParamLab recording beside it, against without.

Runs API txt2img requests back to back (no idle time between them, the worst case for background
work) through the A1111 stand-in (tests/host), whose sampler here does real torch work on the
generation thread: a small conv net runs at every sampling step, using torch's own thread pool as
a real model does. Each request makes 4 images of 512×512 that are not saved (the API default), so
ParamLab records the rows, makes a thumbnail of each and measures its quality figures.

Modes, interleaved round by round so drift hits all alike:
- ``without``: the WebUI without ParamLab
- ``with``: ParamLab recording, with thumbnails and quality figures (its background process)
- ``in-process`` (``--compare``): the same work done in a thread of the WebUI process, as before the
  background process existed; shown for comparison only

Each round times every mode once (order alternating), and a round's ratio compares its modes with
each other, so slow drift of the machine cancels out; the ratio printed is the median over rounds,
with the middle half of the rounds' ratios beside it (this VM's noise is about ±2 %). Also printed:
the median time per image of each mode, and how long after the last request the figures were all
in the ledger (what the user waits for them). Target: with/without ≤ 1.02. Plain script, asserts
nothing. Run: ``.venv/bin/python bench/bench_generation_slowdown.py [--rounds N] [--compare]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests" / "host"), str(REPO / "tests")]

import torch  # noqa: E402
from modules import script_callbacks, scripts, shared  # noqa: E402
from modules.api import api  # noqa: E402
from webui_support import LoadedExtension  # noqa: E402

from paramlab.aftercare.runner import Aftercare  # noqa: E402
from paramlab.ledger import Ledger  # noqa: E402
from paramlab.ledger.operations import RecordFindings  # noqa: E402
from paramlab.ledger.writer import LedgerWriter  # noqa: E402
from paramlab.webui import runtime  # noqa: E402

REQUEST = {"prompt": "a lighthouse at dusk", "steps": 8, "width": 512, "height": 512, "batch_size": 4, "n_iter": 1,
           "sampler_name": "Euler", "scheduler": "Automatic"}
REQUESTS_PER_ROUND = 5


CHANNELS, LAYERS = 48, 4


class Denoiser:
    """The model's share of each sampling step: a few 3×3 convolutions on a 64×64 latent-sized tensor."""

    def __init__(self) -> None:
        torch.manual_seed(0)
        self.net = torch.nn.Sequential(*[torch.nn.Conv2d(CHANNELS, CHANNELS, 3, padding=1)
                                         for _ in range(LAYERS)]).eval()
        self.x = torch.randn(REQUEST["batch_size"], CHANNELS, 64, 64)
        self(None)  # fails here, loudly, rather than inside the sampler where the host only logs it

    def __call__(self, _params: object) -> None:
        with torch.no_grad():
            self.net(self.x)


def per_image_seconds(runner: scripts.ScriptRunner, requests: int) -> list[float]:
    times = []
    for _ in range(requests):
        start = time.perf_counter()
        result = api.text2imgapi(runner, REQUEST)
        times.append((time.perf_counter() - start) / len(result["images"]))
    return times


def use_writer(in_process: bool) -> None:
    """Start ParamLab's writer: as the WebUI does (the background process, waiting for an idle host), or
    with the work done at once in a thread of this process (the old way, for comparison)."""
    runtime.shutdown()
    if not in_process:
        runtime.get_writer()
        return
    url = runtime.ledger_url()
    writer = LedgerWriter(lambda: Ledger.open(url), runtime.data_dir(), work_settings=runtime.work_settings,
                          aftercare=Aftercare(lambda found: writer.submit(RecordFindings(found)), use_child=False))
    runtime._writer = writer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--compare", action="store_true", help="also time the work done inside the WebUI process")
    args = parser.parse_args()
    extension = LoadedExtension(Path(tempfile.mkdtemp(prefix="paramlab-slowdown-")))
    script_callbacks.on_cfg_denoiser(Denoiser())
    with_paramlab = extension.runner()
    without_paramlab = scripts.build_runner([], is_img2img=False)
    modes = {"without": without_paramlab, "with": with_paramlab}
    if args.compare:
        modes["in-process"] = with_paramlab
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; {REQUESTS_PER_ROUND} requests × "
          f"{REQUEST['batch_size']} images of {REQUEST['width']}×{REQUEST['height']}, {REQUEST['steps']} steps, "
          f"{args.rounds} rounds, modes interleaved")
    use_writer(in_process=False)
    for runner in (without_paramlab, with_paramlab):
        per_image_seconds(runner, 1)  # warm-up: first conv, model load, background process start
    runtime.get_writer().flush(120)
    samples: dict[str, list[float]] = {mode: [] for mode in modes}
    round_ratios: dict[str, list[float]] = {mode: [] for mode in modes if mode != "without"}
    drain: dict[str, list[float]] = {mode: [] for mode in modes if mode != "without"}
    for number in range(args.rounds):
        order = list(modes.items()) if number % 2 == 0 else list(reversed(modes.items()))
        this_round: dict[str, float] = {}
        for mode, runner in order:
            if mode != "without":
                use_writer(in_process=mode == "in-process")
                runtime.get_writer().flush(60)  # started, as it is long before any request in the WebUI
            times = per_image_seconds(runner, REQUESTS_PER_ROUND)
            samples[mode] += times
            this_round[mode] = statistics.median(times)
            if mode != "without":
                finished = time.perf_counter()
                runtime.get_writer().flush(300)
                drain[mode].append(time.perf_counter() - finished)
        for mode in round_ratios:
            round_ratios[mode].append(this_round[mode] / this_round["without"])
    print(f"{'without':10s} {statistics.median(samples['without']) * 1000:8.1f} ms per image")
    for mode, ratios in round_ratios.items():
        low, _middle, high = statistics.quantiles(ratios, n=4)
        per_image = statistics.median(samples[mode]) * 1000
        print(f"{mode:10s} {per_image:8.1f} ms per image   ratio {statistics.median(ratios):5.3f} "
              f"(middle half of rounds {low:.3f}–{high:.3f})   figures all in the ledger "
              f"{statistics.median(drain[mode]):4.1f} s after the last request")
    ratio = statistics.median(round_ratios["with"])
    print(f"with/without: {ratio:.3f} ({'ok' if ratio <= 1.02 else 'OVER the 1.02 target'})")
    extension.close()
    shared.state.reset_to_defaults()


if __name__ == "__main__":
    main()
