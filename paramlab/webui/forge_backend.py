"""What Forge really generates with: the dtypes its backend chose and its memory settings.

Forge ignores A1111's ``--no-half``/``--precision``/``--upcast-sampling``. Its ``backend/memory_management.py``
picks the UNet's storage dtype (``--unet-in-*``, ``--all-in-*``, the device, the "Diffusion in Low Bits"
option) and computation dtype, the text encoder's (``--clip-in-*``) and the VAE's (``--vae-in-*``), the
attention function and its upcast, and how the GPU is shared between weights and computation
("GPU Weights", swap method and location). The loader stores the chosen dtypes on the model, so they
are read there: the fingerprint says what ran, not what was asked for.

Only the adapter calls this, and only on Forge (``backend`` does not exist in A1111).
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger("paramlab")


def dtype_name(value: Any) -> str:
    """``torch.float16`` → ``float16``; Forge's quantised formats stay as named (``nf4``, ``gguf``)."""
    if value is None:
        return "?"
    return str(value).removeprefix("torch.")


def _first_parameter_dtype(module: Any) -> Any:
    try:
        return next(iter(module.parameters())).dtype
    except (AttributeError, StopIteration, TypeError):
        return None


def model_precision(sd_model: Any) -> str:
    """``unet=float16 (computes in float32), text encoder=float16, vae=float32``."""
    objects = getattr(sd_model, "forge_objects", None)
    unet = getattr(getattr(objects, "unet", None), "model", None)
    storage = getattr(unet, "storage_dtype", None)
    compute = getattr(unet, "computation_dtype", None)
    unet_text = f"unet={dtype_name(storage)}"
    if compute is not None and compute != storage:
        unet_text += f" (computes in {dtype_name(compute)})"
    clip = getattr(getattr(objects, "clip", None), "cond_stage_model", None)
    vae = getattr(objects, "vae", None)
    parts = [unet_text, f"text encoder={dtype_name(_first_parameter_dtype(clip))}",
             f"vae={dtype_name(getattr(vae, 'vae_dtype', None))}"]
    return ", ".join(parts)


def attention() -> str:
    """The attention function Forge's backend picked, and its upcast: ``pytorch (upcast float32)``."""
    try:
        from backend import attention as backend_attention

        name = getattr(backend_attention.attention_function, "__name__", "?").removeprefix("attention_")
        upcast = backend_attention.get_attn_precision()
    except Exception as exc:  # noqa: BLE001 - a changed backend only costs this part of the fingerprint
        log.debug("ParamLab: Forge attention unknown: %s", exc)
        return "?"
    return f"{name} (upcast {dtype_name(upcast) if upcast is not None else 'off'})"


def memory_settings() -> str:
    """``device=cpu, vram state=DISABLED, gpu weights=… MB, inference memory=1024 MB, swap=Queue to CPU``."""
    try:
        from backend import memory_management as mm
    except ImportError as exc:
        log.debug("ParamLab: Forge memory management unavailable: %s", exc)
        return "?"
    device = getattr(_call(mm.get_torch_device), "type", "?")
    total_mb = float(getattr(mm, "total_vram", 0) or 0)
    inference_mb = float(getattr(mm, "current_inference_memory", 0) or 0) / (1024 * 1024)
    parts = [f"device={device}", f"vram state={getattr(getattr(mm, 'vram_state', None), 'name', '?')}"]
    if device != "cpu":
        parts.append(f"gpu weights={max(total_mb - inference_mb, 0):.0f} MB")
    parts.append(f"inference memory={inference_mb:.0f} MB")
    parts.append(f"swap={'Async' if _stream_activated() else 'Queue'} to "
                 f"{'Shared' if getattr(mm, 'PIN_SHARED_MEMORY', False) else 'CPU'}")
    if getattr(mm, "ALWAYS_VRAM_OFFLOAD", False):
        parts.append("always offload")
    return ", ".join(parts)


def _stream_activated() -> bool:
    try:
        from backend import stream
    except ImportError:
        return False
    return bool(getattr(stream, "stream_activated", False))


def _call(function: Any) -> Any:
    try:
        return function()
    except Exception as exc:  # noqa: BLE001 - e.g. no CUDA device: only this value is unknown
        log.debug("ParamLab: %s failed: %s", getattr(function, "__name__", function), exc)
        return None


def noise_source(opts: dict[str, Any]) -> str:
    """Forge draws noise on the CPU when "Try to reproduce" is ComfyUI or DrawThings, whatever the RNG setting."""
    try:
        from modules import rng

        source = str(rng.get_noise_source_type())
    except Exception:  # noqa: BLE001 - older Forge: fall back to the setting itself
        source = str(opts.get("randn_source", "GPU"))
    reproduce = opts.get("forge_try_reproduce", "None")
    return source if reproduce in (None, "None") else f"{source} (try to reproduce: {reproduce})"
