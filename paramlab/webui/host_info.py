"""Facts about the running WebUI and machine (host kind, versions, device, scheduler labels), read once
and cached: they do not change while the WebUI runs, and the recorder reads them for every run."""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from importlib import metadata

from paramlab.cost import gpu

log = logging.getLogger("paramlab")

A1111 = "A1111"
FORGE = "Forge"


@dataclass(frozen=True)
class HostFacts:
    """Which WebUI ParamLab runs in, and the versions that decide how it behaves."""

    kind: str  # A1111 or FORGE
    webui_version: str | None  # the WebUI's own version string, as its infotext "Version" shows it
    gradio_version: str | None
    pydantic_version: str | None
    fastapi_version: str | None

    @property
    def is_forge(self) -> bool:
        return self.kind == FORGE

    def describe(self) -> str:
        """One line for the fingerprint and the console, e.g. ``Forge f2.0.1v1.10.1-v1.10.1, gradio 4.40.0``."""
        return f"{self.kind} {self.webui_version or '(version unknown)'}, gradio {self.gradio_version or '?'}"


def _distribution_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _forge_present() -> bool:
    """Forge ships the package ``modules_forge``; A1111 does not (feature test, no git tags)."""
    try:
        import modules_forge  # noqa: F401
    except ImportError:
        return False
    return True


@functools.lru_cache(maxsize=1)
def host() -> HostFacts:
    """Detected once per process."""
    facts = HostFacts(
        kind=FORGE if _forge_present() else A1111,
        webui_version=_webui_version(),
        gradio_version=_distribution_version("gradio"),
        pydantic_version=_distribution_version("pydantic"),
        fastapi_version=_distribution_version("fastapi"),
    )
    log.info("ParamLab: running in %s", facts.describe())
    return facts


def _webui_version() -> str | None:
    try:
        from modules import launch_utils

        return str(launch_utils.git_tag())
    except Exception as exc:  # noqa: BLE001 - no git, or an older WebUI: the version is just unknown
        log.debug("ParamLab: WebUI version unknown: %s", exc)
        return None


def webui_version() -> str | None:
    """The WebUI's own version string (A1111's git tag; Forge's ``f<forge version>-<A1111 tag>``)."""
    return host().webui_version


def is_forge() -> bool:
    return host().is_forge


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
