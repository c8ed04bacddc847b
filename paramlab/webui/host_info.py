"""Facts about the running WebUI and machine (versions, device, scheduler labels), read once and cached."""

from __future__ import annotations

import functools
import logging

from paramlab.cost import gpu

log = logging.getLogger("paramlab")


@functools.lru_cache(maxsize=1)
def webui_version() -> str | None:
    """A1111's own version string (the git tag, as its infotext "Version" shows)."""
    try:
        from modules import launch_utils

        return str(launch_utils.git_tag())
    except Exception as exc:  # noqa: BLE001 - no git, or an older WebUI: the version is just unknown
        log.debug("ParamLab: WebUI version unknown: %s", exc)
        return None


@functools.lru_cache(maxsize=1)
def host_name() -> str:
    return gpu.host_name()


@functools.lru_cache(maxsize=1)
def device_name() -> str:
    return gpu.device_name()


@functools.lru_cache(maxsize=1)
def energy_meter() -> gpu.EnergyMeter | None:
    meter = gpu.EnergyMeter()
    return meter if meter.enabled else None


@functools.lru_cache(maxsize=64)
def schedule_label(scheduler: str | None) -> str | None:
    """The "Schedule type" label the infotext uses ("karras" → "Karras")."""
    if not scheduler:
        return None
    try:
        from modules import sd_schedulers
    except ImportError:  # WebUI before 1.9 has no schedulers
        return scheduler
    found = sd_schedulers.schedulers_map.get(scheduler)
    return found.label if found is not None else scheduler
