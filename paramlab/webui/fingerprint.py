"""The reproducibility fingerprint of a run: everything besides the settings that changes pixels.

A1111 decides precision from its command line (``--no-half``, ``--precision``, …) and the
cross-attention setting; Forge ignores those and decides in its own backend, so on Forge the
precision, attention and memory entries come from :mod:`paramlab.webui.forge_backend`.

Besides: the WebUI's and each enabled extension's commit (:mod:`paramlab.webui.host_commits`, read once per
process), the Compatibility settings that change pixels, and the full SHA-256 of every model file the run
used (:mod:`paramlab.webui.model_files`), taken from the background hasher's cache or recorded as pending.
"""

from __future__ import annotations

from typing import Any

from modules import shared

import paramlab
from paramlab.webui import host_commits, host_info
from paramlab.webui.model_files import model_files

# A1111's Settings → Compatibility (modules/shared_options.py, section "compatibility"), less
# "auto_backcompat", which only decides what pasting an infotext sets.
A1111_COMPAT_OPTIONS = (
    "use_old_emphasis_implementation", "use_old_karras_scheduler_sigmas", "no_dpmpp_sde_batch_determinism",
    "use_old_hires_fix_width_height", "hires_fix_use_firstpass_conds", "use_old_scheduling",
    "use_downcasted_alpha_bar", "refiner_switch_by_sample_steps",
)
# Forge's page has the same options and "Try to reproduce the results from external software"; its backend
# ignores old emphasis (its own text encoder code) and the refiner switch (never read).
FORGE_COMPAT_OPTIONS = (
    "forge_try_reproduce", "use_old_karras_scheduler_sigmas", "no_dpmpp_sde_batch_determinism",
    "use_old_hires_fix_width_height", "hires_fix_use_firstpass_conds", "use_old_scheduling",
    "use_downcasted_alpha_bar",
)


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


def compat_settings() -> dict[str, Any]:
    """The Compatibility settings this host has, with their current value (its default when never set)."""
    opts = shared.opts
    labels = getattr(opts, "data_labels", {}) or {}
    found = {}
    for key in FORGE_COMPAT_OPTIONS if host_info.is_forge() else A1111_COMPAT_OPTIONS:
        if key in opts.data:
            found[key] = opts.data[key]
        elif key in labels:
            found[key] = labels[key].default
    return found


def model_sha256(p: Any) -> dict[str, Any]:
    """Each model file's full SHA-256, or its pending entry while the background hasher works on it."""
    from paramlab.webui import runtime

    hasher = runtime.model_hasher()
    found = {key: hasher.sha256_or_pending(path) for key, path in model_files(p).items()}
    return {key: value for key, value in found.items() if value is not None}


def current_fingerprint(p: Any = None) -> dict[str, Any]:
    """Read at the end of a run (override settings still applied) or for a reproduction; without ``p``, the
    WebUI's current state (its loaded model and VAE, its settings) for ``GET /paramlab/v1/fingerprint``."""
    try:
        import torch

        torch_version = torch.__version__
    except ImportError:  # pragma: no cover - the WebUI always has torch
        torch_version = None
    host = host_info.host()
    commits = host_commits.commits()
    sd_model = getattr(shared, "sd_model", None)
    hashes = model_sha256(p)
    return {
        **_host_specific(p),
        "eta_noise_seed_delta": shared.opts.data.get("eta_noise_seed_delta", 0),
        "host": host.describe(),
        "webui_version": host.webui_version,
        "torch_version": torch_version,
        "paramlab_version": paramlab.__version__,
        "device": host_info.device_name(),
        "model_hash": getattr(p if p is not None else sd_model, "sd_model_hash", None),
        "vae_hash": getattr(p, "sd_vae_hash", None) if p is not None else _short_hash(hashes.get("vae")),
        "sampler": getattr(p, "sampler_name", None),
        "scheduler": host_info.schedule_label(getattr(p, "scheduler", None)),
        "webui_commit": commits.webui,
        "extension_commits": dict(commits.extensions),
        "compat": compat_settings(),
        "model_sha256": hashes,
    }


def _short_hash(sha256: Any) -> str | None:
    """A1111's short VAE hash is the first 10 of the file's SHA-256 (not asked of A1111: its
    ``get_loaded_vae_hash`` hashes the file on the calling thread when its cache lacks it)."""
    return sha256[:10] if isinstance(sha256, str) else None
