"""What the running WebUI offers (samplers, schedulers, upscalers, checkpoints, VAEs), for validation."""

from __future__ import annotations

from modules import sd_models, sd_samplers, shared

from paramlab.profiles import HostCatalog
from paramlab.webui.host_info import is_forge


def host_catalog() -> HostCatalog:
    """Read fresh each time: checkpoints and VAEs can be refreshed while the WebUI runs."""
    try:
        from modules import sd_schedulers

        schedulers = [scheduler.label for scheduler in sd_schedulers.schedulers]
    except ImportError:  # WebUI before 1.9: the scheduler is part of the sampler name
        schedulers = []
    checkpoints: list[str] = []
    for info in sd_models.checkpoints_list.values():
        checkpoints += [info.title, info.model_name]
    try:
        from modules import sd_vae

        vaes = ["Automatic", "None", *sd_vae.vae_dict]
    except ImportError:
        vaes = ["Automatic", "None"]
    return HostCatalog(
        samplers=[sampler.name for sampler in sd_samplers.all_samplers],
        schedulers=schedulers,
        upscalers=[*shared.latent_upscale_modes, *[upscaler.name for upscaler in shared.sd_upscalers]],
        checkpoints=list(dict.fromkeys(checkpoints)),
        vaes=list(dict.fromkeys(vaes)),
        forge=is_forge(),
    )
