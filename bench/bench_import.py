"""Time ``import_folder`` on 1,000 small PNGs with realistic A1111 infotext.

Run: ``python bench/bench_import.py [count]``. Plain script, not a test.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from PIL import Image  # noqa: E402
from PIL.PngImagePlugin import PngInfo  # noqa: E402

from paramlab.ledger import Ledger  # noqa: E402
from paramlab.ledger.importer import import_folder  # noqa: E402
from paramlab.ledger.urls import resolve_ledger_url  # noqa: E402

PROMPT = (
    "masterpiece, best quality, ultra-detailed, 1girl, solo, looking at viewer, (smile:1.2), long hair, "
    "school uniform, cherry blossoms, depth of field, <lora:detail_tweaker:0.6>"
)
NEGATIVE = "lowres, bad anatomy, bad hands, text, error, missing fingers, (worst quality:1.4), watermark"


def infotext(index: int) -> str:
    return (
        f"{PROMPT}, variation {index}\nNegative prompt: {NEGATIVE}\n"
        f"Steps: {20 + index % 10}, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 7, "
        f"Seed: {1_000_000 + index}, Size: 512x768, Model hash: 6ce0161689, Model: v1-5-pruned-emaonly, "
        "Denoising strength: 0.45, Clip skip: 2, ADetailer model: face_yolov8n.pt, "
        "ADetailer prompt: \"smiling face, blue eyes\", Hires upscale: 2, Hires steps: 15, "
        "Hires upscaler: R-ESRGAN 4x+, Lora hashes: \"detail_tweaker: e4b36f5ff3d1\", Version: v1.10.1"
    )


def make_pngs(folder: Path, count: int) -> None:
    folder.mkdir(parents=True)
    for index in range(count):
        info = PngInfo()
        info.add_text("parameters", infotext(index))
        colour = (index % 256, (index // 256) % 256, 128)
        Image.new("RGB", (64, 64), colour).save(folder / f"{index:05d}-{1_000_000 + index}.png", pnginfo=info)


def main(count: int = 1_000) -> None:
    with tempfile.TemporaryDirectory(prefix="paramlab-bench-") as temp:
        folder = Path(temp) / "outputs" / "txt2img-images" / "2024-06-01"
        make_pngs(folder, count)
        ledger = Ledger.open(resolve_ledger_url(Path(temp) / "ledger.sqlite", Path(temp)))
        try:
            started = time.perf_counter()
            report = import_folder(ledger, Path(temp) / "outputs", progress=False)
            elapsed = time.perf_counter() - started
        finally:
            ledger.close()
    if not report.ok or report.imported != count:
        raise SystemExit(f"unexpected result: {report.summary()}")
    print(f"import: {report.imported} images in {elapsed:.2f} s = {report.imported / elapsed:,.0f} images/s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000)
