"""Stand-in for the built-in Lora extension's ``networks`` module (A1111 ``extensions-builtin/Lora``, Forge
``extensions-builtin/sd_forge_lora``), imported by that top-level name: the LoRA files on disk by name.

Loading is not simulated; ``list_available_networks`` scans ``models/Lora`` as the real one does."""

from __future__ import annotations

import os

from modules import shared


class NetworkOnDisk:
    """A LoRA file (real: reads its metadata; its ``sha256`` is the add-net hash of a safetensors' tensors)."""

    def __init__(self, name: str, filename: str) -> None:
        self.name = name
        self.filename = filename
        self.alias = name
        self.is_safetensors = os.path.splitext(filename)[1].lower() == ".safetensors"
        self.sha256: str | None = None
        self.hash: str | None = None


available_networks: dict[str, NetworkOnDisk] = {}
available_network_aliases: dict[str, NetworkOnDisk] = {}
loaded_networks: list = []


def list_available_networks() -> None:
    """Every ``.safetensors``/``.pt``/``.ckpt`` under ``models/Lora``, by file stem."""
    available_networks.clear()
    available_network_aliases.clear()
    folder = os.path.join(shared.models_path, "Lora")
    if not os.path.isdir(folder):
        return
    for filename in sorted(os.listdir(folder)):
        stem, ext = os.path.splitext(filename)
        if ext.lower() in (".safetensors", ".pt", ".ckpt"):
            entry = NetworkOnDisk(stem, os.path.join(folder, filename))
            available_networks[stem] = entry
            available_network_aliases[stem] = entry
