"""What the user feels: time per generated image with ParamLab recording beside it, against without.

Runs API txt2img requests through the A1111 stand-in (tests/host), whose sampler here does real torch
work on the generation thread: a small conv net runs at every sampling step, using torch's own thread
pool as a real model does. Each request makes 4 images of 512×512 that are not saved (the API
default), so ParamLab records the rows, makes a thumbnail of each and measures its quality figures.

Two paces, each timed:
- ``back to back``: the next request starts as soon as the last one answered. On a CPU the background
  work waits for a quiet spell (``QUIET_SECONDS`` of an idle host), which such requests never leave, so
  it all runs after the last request: the easy case.
- ``paced``: a pause longer than the quiet spell before each request (``--pause``, default 0.5 s), as a
  person pressing Generate again. The background work starts in the pause and is busy when the next
  request comes: the worst case, and the one the target is about. Only the requests are timed.

Modes, interleaved round by round so drift hits all alike:
- ``without``: the WebUI without ParamLab
- ``with``: ParamLab recording, with thumbnails and quality figures (its background process)
- ``in-process`` (``--compare``): the same work done in a thread of the WebUI process, as before the
  background process existed; shown for comparison only

Each mode's stretch starts with one untimed request, so the first timed one, too, follows a pause with
work waiting; the background process is started once and kept, as in the WebUI. A round's ratio
compares its modes (total time / images) at one pace, so slow drift of the machine cancels out; the
ratio printed is the median over rounds, with the middle half of the rounds' ratios beside it. Also
printed, as they are far less noisy than the ratio on a shared machine: the CPU time ParamLab's threads
and its background process used while requests ran (Linux), how often the background process was
frozen because a request came, and how long after the last request the figures were all in the ledger.
Target: paced with/without ≤ 1.02.

It proves it recorded: after each ``with`` stretch it waits for the ledger and counts what landed. It
exits with code 1 when the ledger holds fewer image rows, thumbnails or images with quality figures than
images were generated (figures skipped for a backlog count as missing). Timing never sets the exit code.
Run: ``.venv/bin/python bench/bench_generation_slowdown.py [--rounds N] [--requests N] [--pause S]
[--paces paced,back-to-back] [--compare]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests" / "host"), str(REPO / "tests" / "support")]

import sqlalchemy as sa  # noqa: E402
import torch  # noqa: E402
from modules import script_callbacks, scripts, shared  # noqa: E402
from modules.api import api  # noqa: E402
from webui_support import LoadedExtension  # noqa: E402

from paramlab.aftercare.runner import QUIET_SECONDS, Aftercare  # noqa: E402
from paramlab.ledger import Ledger, schema  # noqa: E402
from paramlab.ledger.writer import LedgerWriter  # noqa: E402
from paramlab.webui import runtime  # noqa: E402

REQUEST = {"prompt": "a lighthouse at dusk", "steps": 8, "width": 512, "height": 512, "batch_size": 4, "n_iter": 1,
           "sampler_name": "Euler", "scheduler": "Automatic"}
TARGET = 1.02
PACES = ("paced", "back-to-back")
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


@dataclass
class Stretch:
    """One mode's requests at one pace in one round: seconds spent in requests and images made."""

    seconds: float = 0.0
    images: int = 0
    cpu_during: dict[str, float] = field(default_factory=dict)  # ParamLab's CPU seconds while requests ran

    @property
    def per_image(self) -> float:
        return self.seconds / self.images


def cpu_seconds_of_task(path: Path) -> float:
    """CPU time a thread has run (Linux ``schedstat``, nanoseconds); 0 where there is none."""
    try:
        return int(path.read_text().split()[0]) / 1e9
    except (OSError, ValueError, IndexError):
        return 0.0


@dataclass
class CpuSoFar:
    """CPU seconds so far of ParamLab's threads in this (the WebUI's) process, and of its background process."""

    threads: float
    child: float
    child_pid: int | None

    @classmethod
    def now(cls) -> CpuSoFar:
        threads = sum(cpu_seconds_of_task(Path(f"/proc/self/task/{thread.native_id}/schedstat"))
                      for thread in threading.enumerate() if thread.name.startswith("paramlab-"))
        writer = runtime._writer
        pid = writer.aftercare.child_pid if writer is not None else None
        tasks = Path(f"/proc/{pid}/task").glob("*") if pid else []
        child = sum(cpu_seconds_of_task(task / "schedstat") for task in tasks)
        return cls(threads, child, pid)


def run_requests(runner: scripts.ScriptRunner, requests: int, pause: float) -> Stretch:
    """``requests`` API requests, each after ``pause`` seconds of idle host; only the requests are timed."""
    stretch = Stretch()
    for _ in range(requests):
        if pause:
            time.sleep(pause)
        before = CpuSoFar.now()
        start = time.perf_counter()
        result = api.text2imgapi(runner, REQUEST)
        stretch.seconds += time.perf_counter() - start
        after = CpuSoFar.now()
        stretch.images += len(result["images"])
        stretch.cpu_during["threads"] = stretch.cpu_during.get("threads", 0.0) + after.threads - before.threads
        started_during = before.child_pid != after.child_pid  # then all its time was spent during the request
        stretch.cpu_during["child"] = (stretch.cpu_during.get("child", 0.0) + after.child
                                       - (0.0 if started_during else before.child))
    return stretch


_writer_kind: list[str] = []


def use_writer(in_process: bool) -> None:
    """ParamLab's writer as the WebUI runs it (the background process, waiting for an idle host, started
    once and kept), or with the work done at once in a thread of this process (the old way, for
    comparison). Restarted only when the kind changes, so the background process lives on as in the WebUI."""
    kind = "in-process" if in_process else "background process"
    if _writer_kind == [kind] and runtime._writer is not None:
        return
    runtime.shutdown()
    _writer_kind[:] = [kind]
    if not in_process:
        runtime.get_writer()
        return
    url = runtime.ledger_url()
    writer = LedgerWriter(lambda: Ledger.open(url), runtime.data_dir(),
                          aftercare=lambda deliver: Aftercare(deliver, use_child=False,
                                                              work_settings=runtime.work_settings))
    runtime._writer = writer


@dataclass
class Recorded:
    """What the ledger holds: image rows, thumbnails, images with at least one quality figure."""

    rows: int = 0
    thumbnails: int = 0
    figures: int = 0

    @classmethod
    def now(cls) -> Recorded:
        ledger = Ledger.open(runtime.ledger_url())
        try:
            with ledger.engine.connect() as conn:
                def count(query: sa.Select) -> int:
                    return int(conn.execute(query).scalar_one())

                metrics = schema.image_metrics.c
                return cls(
                    rows=count(sa.select(sa.func.count()).select_from(schema.images)),
                    thumbnails=count(sa.select(sa.func.count()).select_from(schema.image_thumbnails)),
                    figures=count(sa.select(sa.func.count(sa.distinct(metrics.image_id)))
                                  .where(metrics.value.is_not(None))),
                )
        finally:
            ledger.close()


@dataclass
class Tally:
    """Per pace and mode: the rounds' stretches, the drain times, and every shortfall of the ledger."""

    stretches: dict[tuple[str, str], list[Stretch]] = field(default_factory=dict)
    drains: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    shortfalls: list[str] = field(default_factory=list)
    freezes: dict[tuple[str, str], int] = field(default_factory=dict)  # background process frozen for a request
    recorded_images: int = 0

    def check(self, label: str, before: Recorded, images: int) -> None:
        """Every image made in this stretch must have its row, thumbnail and figures in the ledger."""
        after = Recorded.now()
        self.recorded_images += images
        for what in ("rows", "thumbnails", "figures"):
            landed = getattr(after, what) - getattr(before, what)
            if landed < images:
                self.shortfalls.append(f"{label}: {images} images made, {landed} {what} in the ledger")


def run_stretch(tally: Tally, label: str, pace: str, mode: str, runner: scripts.ScriptRunner, requests: int,
                pause: float) -> Stretch:
    """One untimed lead-in request (so the first timed one, too, follows a pause with background work
    waiting), then ``requests`` timed ones; for ParamLab's modes, then the wait for its ledger, and the check."""
    before = None
    if mode != "without":
        use_writer(in_process=mode == "in-process")
        before = Recorded.now()
    lead_in = run_requests(runner, 1, pause)
    freezes = runtime.get_writer().aftercare.freezes if before is not None else 0
    stretch = run_requests(runner, requests, pause)
    if before is not None:
        tally.freezes[(pace, mode)] = (tally.freezes.get((pace, mode), 0)
                                       + runtime.get_writer().aftercare.freezes - freezes)
        finished = time.perf_counter()
        if not runtime.get_writer().flush(600):
            tally.shortfalls.append(f"{label}: the ledger writer did not drain within 600 s")
        tally.drains.setdefault((pace, mode), []).append(time.perf_counter() - finished)
        tally.check(label, before, lead_in.images + stretch.images)
    tally.stretches.setdefault((pace, mode), []).append(stretch)
    return stretch


def report(tally: Tally, paces: list[str], modes: list[str]) -> dict[str, float]:
    """Print each pace's figures; returns the median with/without ratio per pace."""
    ratios_with: dict[str, float] = {}
    for pace in paces:
        without = tally.stretches[(pace, "without")]
        print(f"[{pace}] {'without':10s} {statistics.median(s.per_image for s in without) * 1000:8.1f} ms per image")
        for mode in modes[1:]:
            mine = tally.stretches[(pace, mode)]
            ratios = [ours.per_image / theirs.per_image for ours, theirs in zip(mine, without)]
            ratio = statistics.median(ratios)
            low, high = (statistics.quantiles(ratios, n=4)[0::2] if len(ratios) > 1 else (ratio, ratio))
            print(f"[{pace}] {mode:10s} {statistics.median(s.per_image for s in mine) * 1000:8.1f} ms per image   "
                  f"ratio {ratio:5.3f} (middle half of rounds {low:.3f}–{high:.3f})   figures all in the ledger "
                  f"{statistics.median(tally.drains[(pace, mode)]):4.1f} s after the last request")
            cpu = {what: sum(s.cpu_during.get(what, 0.0) for s in mine) / sum(s.images for s in mine) * 1000
                   for what in ("threads", "child")}
            requests = sum(s.images for s in mine) // REQUEST["batch_size"]
            print(f"[{pace}] {'':10s} CPU while requests ran, per image: ParamLab's threads in the WebUI process "
                  f"{cpu['threads']:.1f} ms, its background process {cpu['child']:.1f} ms; "
                  f"background process frozen for {tally.freezes.get((pace, mode), 0)} of {requests} requests")
            if mode == "with":
                ratios_with[pace] = ratio
    return ratios_with


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--requests", type=int, default=5, help="requests per mode, pace and round")
    parser.add_argument("--pause", type=float, default=0.5,
                        help=f"paced: seconds of idle host before each request (> the {QUIET_SECONDS} s quiet spell)")
    parser.add_argument("--paces", default=",".join(PACES), help=f"comma-separated, from {', '.join(PACES)}")
    parser.add_argument("--compare", action="store_true", help="also time the work done inside the WebUI process")
    args = parser.parse_args()
    paces = [pace.strip() for pace in args.paces.split(",") if pace.strip()]
    if not paces or set(paces) - set(PACES):
        parser.error(f"--paces takes {', '.join(PACES)}")
    if "paced" in paces and args.pause <= QUIET_SECONDS:
        parser.error(f"--pause must be longer than the background work's quiet spell ({QUIET_SECONDS} s)")
    extension = LoadedExtension(Path(tempfile.mkdtemp(prefix="paramlab-slowdown-")))
    script_callbacks.on_cfg_denoiser(Denoiser())
    with_paramlab = extension.runner()
    runners = {"without": scripts.build_runner([], is_img2img=False), "with": with_paramlab}
    if args.compare:
        runners["in-process"] = with_paramlab
    modes = list(runners)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; {args.requests} requests × "
          f"{REQUEST['batch_size']} images of {REQUEST['width']}×{REQUEST['height']}, {REQUEST['steps']} steps, "
          f"{args.rounds} rounds, modes interleaved; paces: {', '.join(paces)} (paced: {args.pause} s pause, "
          f"quiet spell {QUIET_SECONDS} s)")
    tally = Tally()
    use_writer(in_process=False)
    before = Recorded.now()
    warm = run_requests(with_paramlab, 1, 0.0)  # warm-up: first conv, model load, background process start
    run_requests(runners["without"], 1, 0.0)
    runtime.get_writer().flush(120)
    tally.check("warm-up", before, warm.images)
    for number in range(args.rounds):
        for pace in paces:
            order = modes if number % 2 == 0 else modes[::-1]
            for mode in order:
                run_stretch(tally, f"round {number + 1}, {pace}, {mode}", pace, mode, runners[mode],
                            args.requests, args.pause if pace == "paced" else 0.0)
    ratios = report(tally, paces, modes)
    for pace, ratio in ratios.items():
        print(f"with/without, {pace}: {ratio:.3f} ({'ok' if ratio <= TARGET else f'OVER the {TARGET} target'})")
    runtime.shutdown()
    extension.close()
    shared.state.reset_to_defaults()
    if tally.shortfalls:
        print(f"FAILED: the ledger is missing what ParamLab should have recorded ({len(tally.shortfalls)} stretches):")
        for line in tally.shortfalls:
            print(f"  {line}")
        return 1
    print(f"recorded: all {tally.recorded_images} images have their row, thumbnail and quality figures")
    return 0


if __name__ == "__main__":
    sys.exit(main())
