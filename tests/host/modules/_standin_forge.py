"""Stand-in only: Forge's model objects, as far as extensions read them (Forge flavour only).

Forge's loader stores the dtypes it chose on the model (``unet.model.storage_dtype`` and
``computation_dtype``, the text encoder's parameters, ``vae.vae_dtype``); ``process_images`` resets
``sd_model.forge_objects`` from ``forge_objects_after_applying_lora`` right before every sampling.
"""

from __future__ import annotations

from types import SimpleNamespace

import torch


class ForgeObjects:
    def __init__(self, unet: object, clip: object, vae: object, clipvision: object = None) -> None:
        self.unet, self.clip, self.vae, self.clipvision = unet, clip, vae, clipvision

    def shallow_copy(self) -> ForgeObjects:
        return ForgeObjects(self.unet, self.clip, self.vae, self.clipvision)


def build_forge_objects() -> ForgeObjects:
    """What backend/loader.py builds for an SD1.5 checkpoint, with the dtypes memory management picks."""
    from backend import memory_management as mm

    unet = SimpleNamespace(model=SimpleNamespace(storage_dtype=mm.unet_dtype(),
                                                 computation_dtype=mm.get_computation_dtype(mm.get_torch_device())))
    clip = SimpleNamespace(cond_stage_model=torch.nn.Linear(1, 1).to(mm.text_encoder_dtype()))
    vae = SimpleNamespace(vae_dtype=mm.vae_dtype())
    return ForgeObjects(unet, clip, vae)


def attach(model: object) -> None:
    """Give a stand-in model Forge's three object sets."""
    objects = build_forge_objects()
    model.forge_objects = objects
    model.forge_objects_original = objects.shallow_copy()
    model.forge_objects_after_applying_lora = objects.shallow_copy()
    model.use_distilled_cfg_scale = False
