"""Time the built-in quality measures on 512×512 images (target: ≤ 15 ms per image on one core).

Run: ``python bench/bench_measures.py [runs]``. Plain script, not a test. Prints the median of
``runs`` timed runs after a warm-up, per image: from a 3×H×W float array, and from a PIL image
(including its conversion). The measures are numpy, single-threaded: they run in ParamLab's
low-priority background process, one image at a time.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from paramlab.quality.measures import measure_images, measure_pixel_batch  # noqa: E402

SIZE = 512
TARGET_MS = 15.0


def _median_ms_per_image(run: Callable[[], object], images: int, runs: int) -> float:
    for _ in range(3):
        run()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000 / images


def main(runs: int = 20) -> None:
    rng = np.random.default_rng(0)
    batch = rng.random((4, 3, SIZE, SIZE), dtype=np.float32)
    pictures = [Image.fromarray((image.transpose(1, 2, 0) * 255).round().astype(np.uint8)) for image in batch]
    print(f"numpy {np.__version__}, one thread, {SIZE}×{SIZE}, median of {runs}")
    figures = {
        "array": _median_ms_per_image(lambda: measure_pixel_batch(batch), 4, runs),
        "PIL image": _median_ms_per_image(lambda: measure_images(pictures), 4, runs),
    }
    for name, value in figures.items():
        verdict = "ok" if value <= TARGET_MS else f"OVER the {TARGET_MS:g} ms target"
        print(f"{name:12s} {value:7.2f} ms per image  {verdict}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
