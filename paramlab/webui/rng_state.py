"""torch's global random state, which a run samples from outside A1111's seeded noise.

A1111 seeds its noise per image, but img2img's VAE encode (and a hires pass through a non-latent upscaler)
samples the latent distribution from torch's *global* generator, which the previous request left wherever it
left it: the same img2img request gives other pixels after other work. ParamLab keeps the state such a run
started from (read in the ``process`` hook, before ``p.init`` encodes) and a replay restores it there, through
ParamLab's own script argument ``torch_rng_state``.
"""

from __future__ import annotations

import base64
from typing import Any

import torch

RESTORED_MARK = "_paramlab_rng_restored"  # set on p: a copy of p (ADetailer's re-run hooks) must not restore again


def samples_global_rng(p: Any) -> bool:
    """img2img (its init images are VAE-encoded) or a txt2img with hires fix."""
    return bool(getattr(p, "init_images", None)) or bool(getattr(p, "enable_hr", False))


def read_state() -> dict[str, str]:
    """The CPU generator's state, and the current CUDA device's when CUDA is in use (base64 bytes)."""
    state = {"cpu": _encoded(torch.get_rng_state())}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = _encoded(torch.cuda.get_rng_state())
    return state


def restore_state(p: Any, state: dict[str, str]) -> None:
    """Put the generators back as the recorded run had them; once per run, never on a copy of its p."""
    if getattr(p, RESTORED_MARK, False):
        return
    setattr(p, RESTORED_MARK, True)
    if "cpu" in state:
        torch.set_rng_state(_decoded(state["cpu"]))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state(_decoded(state["cuda"]))


def _encoded(tensor: torch.Tensor) -> str:
    return base64.b64encode(tensor.cpu().numpy().tobytes()).decode("ascii")


def _decoded(text: str) -> torch.Tensor:
    return torch.frombuffer(bytearray(base64.b64decode(text, validate=True)), dtype=torch.uint8)
