"""Time the built-in quality measures on 512×512 images (target: ≤ 15 ms per image on a 2-core CPU).

Run: ``python bench/bench_measures.py [runs]``. Plain script, not a test. Prints the median of
``runs`` timed runs after a warm-up, per image, for tensors batched by 4 and by 1 (what
``postprocess_batch`` hands over) and for PIL images (including the conversion to a tensor).
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
import torch  # noqa: E402
from PIL import Image  # noqa: E402

from paramlab.quality.measures import measure_images, measure_tensor_batch  # noqa: E402

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
    generator = torch.Generator().manual_seed(0)
    batch = torch.rand(4, 3, SIZE, SIZE, generator=generator)
    pictures = [
        Image.fromarray((image.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)) for image in batch
    ]
    device = torch.device("cpu")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, device cpu, {SIZE}×{SIZE}, median of {runs}")
    figures = {
        "tensor, batch of 4": _median_ms_per_image(lambda: measure_tensor_batch(batch), 4, runs),
        "tensor, batch of 1": _median_ms_per_image(lambda: measure_tensor_batch(batch[:1]), 1, runs),
        "PIL, batch of 4": _median_ms_per_image(lambda: measure_images(pictures, device, 4), 4, runs),
        "PIL, batch of 1": _median_ms_per_image(lambda: measure_images(pictures[:1], device, 1), 1, runs),
    }
    for name, value in figures.items():
        verdict = "ok" if value <= TARGET_MS else f"OVER the {TARGET_MS:g} ms target"
        print(f"{name:20s} {value:7.2f} ms per image  {verdict}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
