"""Stand-in for ``modules/sd_vae.py``: no VAE file is loaded (VAE keys are then absent from infotext)."""

from __future__ import annotations

import os

vae_dict: dict[str, str] = {}
loaded_vae_file: str | None = None
checkpoint_info = None


def get_loaded_vae_name() -> str | None:
    """Basename of the loaded VAE file, or None."""
    if loaded_vae_file is None:
        return None
    return os.path.basename(loaded_vae_file)


def get_loaded_vae_hash() -> str | None:
    """Short hash of the loaded VAE, or None (the stand-in hashes the path)."""
    if loaded_vae_file is None:
        return None
    import hashlib

    return hashlib.sha256(loaded_vae_file.encode("utf8")).hexdigest()[0:10]


def reload_vae_weights(sd_model: object = None, vae_file: str | None = None) -> None:
    """Nothing to reload."""
