"""Stand-in for ``backend/args.py``: Forge's own precision, attention and memory flags.

Real Forge parses ``sys.argv``; the stand-in parses nothing (pytest's argv), and tests set attributes.
"""

from __future__ import annotations

import argparse

parser = argparse.ArgumentParser()
for flag in ("--all-in-fp32", "--all-in-fp16", "--unet-in-bf16", "--unet-in-fp16", "--unet-in-fp8-e4m3fn",
             "--unet-in-fp8-e5m2", "--vae-in-fp16", "--vae-in-fp32", "--vae-in-bf16", "--vae-in-cpu",
             "--clip-in-fp8-e4m3fn", "--clip-in-fp8-e5m2", "--clip-in-fp16", "--clip-in-fp32",
             "--attention-split", "--attention-quad", "--attention-pytorch", "--force-upcast-attention",
             "--disable-attention-upcast", "--disable-xformers", "--always-gpu", "--always-high-vram",
             "--always-normal-vram", "--always-low-vram", "--always-no-vram", "--always-cpu",
             "--always-offload-from-vram", "--pytorch-deterministic", "--pin-shared-memory"):
    parser.add_argument(flag, action="store_true")

args = parser.parse_known_args([])[0]
args.always_cpu = True  # the stand-in runs like the forge-lab: on the CPU

dynamic_args = {"embedding_dir": "./embeddings", "emphasis_name": "original"}
