"""The reproducibility fingerprint of a run: everything besides the settings that changes pixels."""

from __future__ import annotations

from typing import Any

from modules import shared

import paramlab
from paramlab.webui import host_info


def current_fingerprint(p: Any) -> dict[str, Any]:
    """Read at the end of a run (override settings still applied) or for a reproduction."""
    opts, cmd = shared.opts.data, shared.cmd_opts
    precision = ", ".join(
        f"{name}={value}" for name, value in (
            ("no_half", getattr(cmd, "no_half", False)),
            ("no_half_vae", getattr(cmd, "no_half_vae", False)),
            ("upcast_sampling", getattr(cmd, "upcast_sampling", False)),
            ("precision", getattr(cmd, "precision", "autocast")),
            ("upcast_attn", opts.get("upcast_attn", False)),
        )
    )
    try:
        import torch

        torch_version = torch.__version__
    except ImportError:  # pragma: no cover - the WebUI always has torch
        torch_version = None
    return {
        "rng_source": opts.get("randn_source", "GPU"),
        "eta_noise_seed_delta": opts.get("eta_noise_seed_delta", 0),
        "cross_attention": opts.get("cross_attention_optimization", "Automatic"),
        "precision": precision,
        "webui_version": host_info.webui_version(),
        "torch_version": torch_version,
        "paramlab_version": paramlab.__version__,
        "device": host_info.device_name(),
        "model_hash": getattr(p, "sd_model_hash", None),
        "vae_hash": getattr(p, "sd_vae_hash", None),
        "sampler": getattr(p, "sampler_name", None),
        "scheduler": host_info.schedule_label(getattr(p, "scheduler", None)),
    }
