"""What the canary asks a WebUI before it replays: ``GET /paramlab/v1/fingerprint``, its reproducibility
fingerprint now (its loaded model and VAE, its settings, versions and commits), which each recorded run's
fingerprint is compared with; and ``GET /paramlab/v1/inventory``, the checkpoints, always-on scripts and
extension models it has, read as its own reproduce reads them (Forge's ControlNet list rescanned: its
``/controlnet/model_list`` is only the list scanned at start)."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, HTTPException

from paramlab.web.route_services import HostServices, route_host


def current_fingerprint(host: HostServices = Depends(route_host)) -> dict[str, Any]:
    """Model files not hashed yet read ``{"path", "size", "mtime"}`` in ``model_sha256`` (hashing has been
    queued in the background: ask again later)."""
    if host.current_fingerprint is None:  # the route is registered only where the host offers it
        raise HTTPException(status_code=404, detail="ParamLab: this server cannot read a WebUI's fingerprint.")
    return host.current_fingerprint()


def host_inventory(host: HostServices = Depends(route_host)) -> dict[str, Any]:
    """``{"checkpoints": [...], "extensions": [...], "extension_models": {script: [...]}}``."""
    if host.inventory is None:  # the route is registered only where the host offers it
        raise HTTPException(status_code=404, detail="ParamLab: this server cannot read a WebUI's inventory.")
    return host.inventory()
