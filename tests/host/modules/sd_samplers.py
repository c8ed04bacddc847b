"""Stand-in for ``modules/sd_samplers.py``: the v1.10.1 sampler list, aliases and lookups."""

from __future__ import annotations

import logging
from typing import Any

from modules import _standin_flavour, sd_schedulers, shared
from modules.sd_samplers_common import SamplerData


class StandInSampler:
    """What create_sampler returns; the actual fake sampling lives in processing."""

    def __init__(self, funcname: str, model: Any) -> None:
        self.funcname = funcname
        self.model = model
        self.config: SamplerData | None = None
        self.eta: float | None = None
        self.sampler_noises: Any = None


def _constructor(funcname: str) -> Any:
    return lambda model: StandInSampler(funcname, model)


_k = [
    ("DPM++ 2M", "sample_dpmpp_2m", ["k_dpmpp_2m"], {"scheduler": "karras"}),
    (
        "DPM++ SDE",
        "sample_dpmpp_sde",
        ["k_dpmpp_sde"],
        {"scheduler": "karras", "second_order": True, "brownian_noise": True},
    ),
    (
        "DPM++ 2M SDE",
        "sample_dpmpp_2m_sde",
        ["k_dpmpp_2m_sde"],
        {"scheduler": "exponential", "brownian_noise": True},
    ),
    (
        "DPM++ 2M SDE Heun",
        "sample_dpmpp_2m_sde",
        ["k_dpmpp_2m_sde_heun"],
        {"scheduler": "exponential", "brownian_noise": True, "solver_type": "heun"},
    ),
    (
        "DPM++ 2S a",
        "sample_dpmpp_2s_ancestral",
        ["k_dpmpp_2s_a"],
        {"scheduler": "karras", "uses_ensd": True, "second_order": True},
    ),
    (
        "DPM++ 3M SDE",
        "sample_dpmpp_3m_sde",
        ["k_dpmpp_3m_sde"],
        {"scheduler": "exponential", "discard_next_to_last_sigma": True, "brownian_noise": True},
    ),
    ("Euler a", "sample_euler_ancestral", ["k_euler_a", "k_euler_ancestral"], {"uses_ensd": True}),
    ("Euler", "sample_euler", ["k_euler"], {}),
    ("LMS", "sample_lms", ["k_lms"], {}),
    ("Heun", "sample_heun", ["k_heun"], {"second_order": True}),
    ("DPM2", "sample_dpm_2", ["k_dpm_2"], {"discard_next_to_last_sigma": True, "second_order": True}),
    (
        "DPM2 a",
        "sample_dpm_2_ancestral",
        ["k_dpm_2_a"],
        {"discard_next_to_last_sigma": True, "uses_ensd": True, "second_order": True},
    ),
    ("DPM fast", "sample_dpm_fast", ["k_dpm_fast"], {"uses_ensd": True}),
    ("DPM adaptive", "sample_dpm_adaptive", ["k_dpm_ad"], {"uses_ensd": True}),
    ("Restart", "restart_sampler", ["restart"], {"scheduler": "karras", "second_order": True}),
]
if _standin_flavour.FORGE:  # Forge's extra k-diffusion samplers (and DDPM, below)
    _k += [("HeunPP2", "sample_heunpp2", ["heunpp2"], {}), ("IPNDM", "sample_ipndm", ["ipndm"], {}),
           ("IPNDM_V", "sample_ipndm_v", ["ipndm_v"], {}), ("DEIS", "sample_deis", ["deis"], {})]
_timesteps = [
    ("DDIM", "ddim", ["ddim"], {}),
    ("DDIM CFG++", "ddim_cfgpp", ["ddim_cfgpp"], {}),
    ("PLMS", "plms", ["plms"], {}),
    ("UniPC", "unipc", ["unipc"], {}),
]
_lcm = [("LCM", "sample_lcm", ["k_lcm"], {})]
if _standin_flavour.FORGE:
    _lcm += [("DDPM", "sample_ddpm", ["ddpm"], {})]

samplers_data_k_diffusion = [SamplerData(n, _constructor(f), a, o) for n, f, a, o in _k]
samplers_data_timesteps = [SamplerData(n, _constructor(f), a, o) for n, f, a, o in _timesteps]
samplers_data_lcm = [SamplerData(n, _constructor(f), a, o) for n, f, a, o in _lcm]
k_diffusion_sampler_names: set[str] = {x.name for x in samplers_data_k_diffusion}
"""Stand-in helper: samplers that use the scheduler (timesteps samplers and LCM ignore it)."""
timestep_sampler_names: set[str] = {x.name for x in samplers_data_timesteps}
"""Stand-in helper: the samplers of ``sd_samplers_timesteps`` (their schedule is a list of timesteps)."""

all_samplers: list[SamplerData] = [*samplers_data_k_diffusion, *samplers_data_timesteps, *samplers_data_lcm]
all_samplers_map: dict[str, SamplerData] = {x.name: x for x in all_samplers}
samplers: list[SamplerData] = all_samplers
samplers_for_img2img: list[SamplerData] = all_samplers
samplers_map: dict[str, str] = {}
samplers_hidden: set[str] = set()


def find_sampler_config(name: str | None) -> SamplerData | None:
    """Config by exact name; None name means the first sampler."""
    if name is not None:
        return all_samplers_map.get(name)
    return all_samplers[0]


def create_sampler(name: str, model: Any) -> StandInSampler:
    """Sampler object for ``name``; asserts on unknown names like real."""
    config = find_sampler_config(name)
    assert config is not None, f"bad sampler name: {name}"
    sampler = config.constructor(model)
    sampler.config = config
    return sampler


def set_samplers() -> None:
    """Rebuild ``samplers_map`` (lower-case names and aliases → name) and the hidden set."""
    global samplers_hidden
    samplers_hidden = set(shared.opts.hide_samplers)
    samplers_map.clear()
    for sampler in all_samplers:
        samplers_map[sampler.name.lower()] = sampler.name
        for alias in sampler.aliases:
            samplers_map[alias.lower()] = sampler.name


def visible_samplers() -> list[SamplerData]:
    """Samplers not hidden by ``opts.hide_samplers``."""
    return [x for x in all_samplers if x.name not in shared.opts.hide_samplers]


def visible_sampler_names() -> list[str]:
    """Names of visible samplers."""
    return [x.name for x in visible_samplers()]


def get_sampler_and_scheduler(
    sampler_name: str | None, scheduler_name: str | None, *, convert_automatic: bool = True
) -> tuple[str, str]:
    """Resolve (sampler, scheduler label), splitting legacy names such as "DPM++ 2M Karras"."""
    default_sampler = samplers[0]
    found_scheduler = sd_schedulers.schedulers_map.get(scheduler_name, sd_schedulers.schedulers[0])
    name = sampler_name or default_sampler.name
    for scheduler in sd_schedulers.schedulers:
        name_options = [scheduler.label, scheduler.name, *(scheduler.aliases or [])]
        for name_option in name_options:
            if name.endswith(" " + name_option):
                found_scheduler = scheduler
                name = name[0 : -(len(name_option) + 1)]
                break
    sampler = all_samplers_map.get(name, default_sampler)
    if convert_automatic and sampler.options.get("scheduler", None) == found_scheduler.name:
        found_scheduler = sd_schedulers.schedulers[0]
    return sampler.name, found_scheduler.label


def get_sampler_from_infotext(d: dict) -> str:
    """Sampler name from parsed infotext."""
    return get_sampler_and_scheduler(d.get("Sampler"), d.get("Schedule type"))[0]


def get_scheduler_from_infotext(d: dict) -> str:
    """Scheduler label from parsed infotext."""
    return get_sampler_and_scheduler(d.get("Sampler"), d.get("Schedule type"))[1]


def get_hr_sampler_and_scheduler(d: dict) -> tuple[str, str]:
    """Hires sampler/scheduler from parsed infotext."""
    hr_sampler = d.get("Hires sampler", "Use same sampler")
    sampler = d.get("Sampler") if hr_sampler == "Use same sampler" else hr_sampler
    hr_scheduler = d.get("Hires schedule type", "Use same scheduler")
    scheduler = d.get("Schedule type") if hr_scheduler == "Use same scheduler" else hr_scheduler
    sampler, scheduler = get_sampler_and_scheduler(sampler, scheduler)
    sampler = sampler if sampler != d.get("Sampler") else "Use same sampler"
    scheduler = scheduler if scheduler != d.get("Schedule type") else "Use same scheduler"
    return sampler, scheduler


def fix_p_invalid_sampler_and_scheduler(p: Any) -> None:
    """Normalise ``p.sampler_name``/``p.scheduler`` in place (keeps "Automatic")."""
    i_sampler_name, i_scheduler = p.sampler_name, p.scheduler
    p.sampler_name, p.scheduler = get_sampler_and_scheduler(
        p.sampler_name, p.scheduler, convert_automatic=False
    )
    if p.sampler_name != i_sampler_name or i_scheduler != p.scheduler:
        logging.warning(
            f'Sampler Scheduler autocorrection: "{i_sampler_name}" -> "{p.sampler_name}", '
            f'"{i_scheduler}" -> "{p.scheduler}"'
        )


set_samplers()
