"""The reproducibility fingerprint of a run: everything besides the settings that changes pixels.

A1111 decides precision from its command line (``--no-half``, ``--precision``, …) and the
cross-attention setting; Forge ignores those and decides in its own backend, so on Forge the
precision, attention and memory entries come from :mod:`paramlab.webui.forge_backend`.
"""

from __future__ import annotations

from typing import Any

from modules import shared

import paramlab
from paramlab.webui import host_info


def a1111_precision() -> str:
    opts, cmd = shared.opts.data, shared.cmd_opts
    return ", ".join(
        f"{name}={value}" for name, value in (
            ("no_half", getattr(cmd, "no_half", False)),
            ("no_half_vae", getattr(cmd, "no_half_vae", False)),
            ("upcast_sampling", getattr(cmd, "upcast_sampling", False)),
            ("precision", getattr(cmd, "precision", "autocast")),
            ("upcast_attn", opts.get("upcast_attn", False)),
        )
    )


def _host_specific(p: Any) -> dict[str, Any]:
    opts = shared.opts.data
    if host_info.is_forge():
        from paramlab.webui import forge_backend

        sd_model = getattr(p, "sd_model", None) or getattr(shared, "sd_model", None)
        return {
            "rng_source": forge_backend.noise_source(opts),
            "cross_attention": forge_backend.attention(),
            "precision": forge_backend.model_precision(sd_model),
            "memory": forge_backend.memory_settings(),
        }
    return {
        "rng_source": opts.get("randn_source", "GPU"),
        "cross_attention": opts.get("cross_attention_optimization", "Automatic"),
        "precision": a1111_precision(),
    }


def current_fingerprint(p: Any) -> dict[str, Any]:
    """Read at the end of a run (override settings still applied) or for a reproduction."""
    try:
        import torch

        torch_version = torch.__version__
    except ImportError:  # pragma: no cover - the WebUI always has torch
        torch_version = None
    host = host_info.host()
    return {
        **_host_specific(p),
        "eta_noise_seed_delta": shared.opts.data.get("eta_noise_seed_delta", 0),
        "host": host.describe(),
        "webui_version": host.webui_version,
        "torch_version": torch_version,
        "paramlab_version": paramlab.__version__,
        "device": host_info.device_name(),
        "model_hash": getattr(p, "sd_model_hash", None),
        "vae_hash": getattr(p, "sd_vae_hash", None),
        "sampler": getattr(p, "sampler_name", None),
        "scheduler": host_info.schedule_label(getattr(p, "scheduler", None)),
    }
