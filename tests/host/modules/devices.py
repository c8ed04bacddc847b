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
    """Raised by ``test_for_nans`` (the real class, in ``modules/devices.py``)."""


def test_for_nans(x: torch.Tensor, where: str) -> None:
    """The real check: only the first element is looked at, and the message is A1111's own."""
    from modules import shared

    if shared.cmd_opts.disable_nan_check:
        return
    if not torch.isnan(x[(0,) * len(x.shape)]):
        return
    if where == "unet":
        message = "A tensor with NaNs was produced in Unet."
        if not shared.cmd_opts.no_half:
            message += (" This could be either because there's not enough precision to represent the picture, or "
                        "because your video card does not support half type. Try setting the \"Upcast cross "
                        "attention layer to float32\" option in Settings > Stable Diffusion or using the --no-half "
                        "commandline argument to fix this.")
    elif where == "vae":
        message = "A tensor with NaNs was produced in VAE."
        if not shared.cmd_opts.no_half and not shared.cmd_opts.no_half_vae:
            message += (" This could be because there's not enough precision to represent the picture. Try adding "
                        "--no-half-vae commandline argument to fix this.")
    else:
        message = "A tensor with NaNs was produced."
    message += " Use --disable-nan-check commandline argument to disable this check."
    raise NansException(message)
