"""Stand-in for ``backend/memory_management.py``: how Forge picks devices and dtypes, on the CPU.

Same decisions as the real module for a CPU run: the UNet and VAE in float32 unless a flag says
otherwise, the text encoder in float16 (Forge's default even on the CPU), no VRAM to manage.
"""

from __future__ import annotations

from enum import Enum

import torch

from backend.args import args

cpu = torch.device("cpu")


class VRAMState(Enum):
    DISABLED = 0
    NO_VRAM = 1
    LOW_VRAM = 2
    NORMAL_VRAM = 3
    HIGH_VRAM = 4
    SHARED = 5


class CPUState(Enum):
    GPU = 0
    CPU = 1
    MPS = 2


cpu_state = CPUState.CPU
vram_state = VRAMState.DISABLED
total_vram = 16384.0  # MB: on the CPU real Forge reports the machine's RAM
current_inference_memory = 1024 * 1024 * 1024
PIN_SHARED_MEMORY = False
ALWAYS_VRAM_OFFLOAD = False


def get_torch_device() -> torch.device:
    return cpu


def unet_dtype(device: object = None, model_params: int = 0, supported_dtypes: object = None) -> torch.dtype:
    for flag, dtype in (("unet_in_bf16", torch.bfloat16), ("unet_in_fp16", torch.float16),
                        ("unet_in_fp8_e4m3fn", torch.float8_e4m3fn), ("unet_in_fp8_e5m2", torch.float8_e5m2)):
        if getattr(args, flag):
            return dtype
    return torch.float16 if args.all_in_fp16 else torch.float32


def get_computation_dtype(inference_device: object = None, parameters: int = 0,
                          supported_dtypes: object = None) -> torch.dtype:
    return torch.float16 if args.all_in_fp16 else torch.float32


def text_encoder_dtype(device: object = None) -> torch.dtype:
    for flag, dtype in (("clip_in_fp8_e4m3fn", torch.float8_e4m3fn), ("clip_in_fp8_e5m2", torch.float8_e5m2),
                        ("clip_in_fp16", torch.float16), ("clip_in_fp32", torch.float32)):
        if getattr(args, flag):
            return dtype
    return torch.float16


def vae_dtype(device: object = None, allowed_dtypes: object = ()) -> torch.dtype:
    for flag, dtype in (("vae_in_fp16", torch.float16), ("vae_in_bf16", torch.bfloat16),
                        ("vae_in_fp32", torch.float32)):
        if getattr(args, flag):
            return dtype
    return torch.float32


def soft_empty_cache(force: bool = False) -> None:
    """Nothing to free on the CPU."""
