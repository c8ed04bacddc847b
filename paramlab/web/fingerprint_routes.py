"""``GET /paramlab/v1/fingerprint``: the WebUI's reproducibility fingerprint now (its loaded model and VAE,
its settings, versions and commits), what the canary compares each recorded run's fingerprint with."""

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
