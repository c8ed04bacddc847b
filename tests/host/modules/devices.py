"""Stand-in for ``modules/devices.py``: CPU only, so tests run anywhere."""

from __future__ import annotations

import contextlib

import torch

cpu: torch.device = torch.device("cpu")
device: torch.device = cpu
device_interrogate = device_gfpgan = device_esrgan = device_codeformer = cpu
dtype: torch.dtype = torch.float32
dtype_vae: torch.dtype = torch.float32
dtype_unet: torch.dtype = torch.float32
dtype_inference: torch.dtype = torch.float32
unet_needs_upcast = False
fp8 = False

torch_gc_calls: list[int] = []
"""Test helper (not in A1111): one entry per torch_gc() call."""


def torch_gc() -> None:
    """Real one empties the CUDA cache; here it only counts calls."""
    torch_gc_calls.append(1)


def autocast(disable: bool = False) -> contextlib.AbstractContextManager:
    """No autocast on CPU float32."""
    return contextlib.nullcontext()


def without_autocast(disable: bool = False) -> contextlib.AbstractContextManager:
    """No autocast on CPU float32."""
    return contextlib.nullcontext()


def get_optimal_device() -> torch.device:
    """Always CPU in the stand-in."""
    return cpu


def get_optimal_device_name() -> str:
    """Always ``cpu`` in the stand-in."""
    return "cpu"


def cond_cast_unet(x: torch.Tensor) -> torch.Tensor:
    """Identity: no half precision in the stand-in."""
    return x


def cond_cast_float(x: torch.Tensor) -> torch.Tensor:
    """Identity: no half precision in the stand-in."""
    return x


class NansException(Exception):
    """Raised by the real host when the UNet/VAE produces NaNs."""


def test_for_nans(x: torch.Tensor, where: str) -> None:
    """Raise NansException if ``x`` is all NaN, like the real check."""
    if torch.all(torch.isnan(x)).item():
        raise NansException(f"A tensor with all NaNs was produced in {where}.")
