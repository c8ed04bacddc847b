"""Reproduce a ledger image: generate it again from the ledger alone, through A1111's own API handlers in
process, compare the pixels with the recorded file, and when they differ, name the fingerprint fields (RNG source,
precision, versions, hashes…) that changed since.

The request (:mod:`paramlab.replay.request`) is the one the canary posts over HTTP: txt2img, img2img and inpaint
with their stored inputs, hires fix, and every always-on script's recorded arguments (ControlNet, ADetailer…).
What the host lacks (a checkpoint, an extension, a ControlNet model) refuses the replay before sampling.
"""

from __future__ import annotations

import base64
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from modules import call_queue, scripts
from PIL import Image

from paramlab.ledger.reads.replay import replay_row
from paramlab.ledger.thumbnails import thumbnail_as_recorded
from paramlab.replay.request import ReplayRefused, ReplayRequest, build_replay_request, missing_on_host
from paramlab.seeds import ImageComparison, compare_images, diff_fingerprints, load_fingerprint
from paramlab.seeds.fingerprint import FingerprintChange
from paramlab.webui import runtime
from paramlab.webui.fingerprint import current_fingerprint
from paramlab.webui.host_inventory import host_inventory

_APIS: dict[tuple[int, int], Any] = {}  # A1111's API handlers, built once per set of script runners


class ReproduceError(ValueError):
    """The row cannot be replayed; the message says why."""

    http_status = 422


class MissingOnHost(ReproduceError):
    """The WebUI lacks what the replay needs (checkpoint, extension, model): refused before sampling."""

    http_status = 409


@dataclass
class ReproduceResult:
    image_id: int
    comparison: ImageComparison
    compared_against: str  # "file" or "thumbnail"
    fingerprint_changes: list[FingerprintChange] = field(default_factory=list)
    image: Any = None
    endpoint: str = "txt2img"
    verdict: str | None = None
    verdict_reason: str | None = None

    def summary(self) -> str:
        if self.comparison.identical:
            return f"Image {self.image_id} reproduced exactly (compared with the recorded {self.compared_against})."
        text = (f"Image {self.image_id} differs: mean pixel difference {self.comparison.mean_abs_diff:.2f}/255, "
                f"{self.comparison.changed_pixel_share:.1%} of pixels changed (vs the recorded "
                f"{self.compared_against}).")
        if self.verdict == "approximate":
            text = f"{text} Its verdict was approximate: {self.verdict_reason}."
        if self.fingerprint_changes:
            changes = "; ".join(f"{c.label}: {c.recorded} → {c.now}" for c in self.fingerprint_changes)
            return f"{text} Changed since: {changes}."
        return f"{text} No fingerprint field changed: suspect non-deterministic kernels or other extensions."

    def to_json(self) -> dict[str, Any]:
        return {
            "image_id": self.image_id, "identical": self.comparison.identical,
            "mean_abs_diff": self.comparison.mean_abs_diff, "max_abs_diff": self.comparison.max_abs_diff,
            "changed_pixel_share": self.comparison.changed_pixel_share, "psnr_db": self.comparison.psnr_db,
            "compared_against": self.compared_against, "summary": self.summary(),
            "fingerprint_changes": [change.__dict__ for change in self.fingerprint_changes],
            "endpoint": self.endpoint, "verdict": self.verdict, "verdict_reason": self.verdict_reason,
        }


def load_row(image_id: int) -> dict[str, Any]:
    """The image's row with its run's fingerprint and the thumbnail kept in the ledger."""
    row = replay_row(runtime.get_ledger(), image_id)
    if row is None:
        raise ReproduceError(f"ParamLab: there is no image {image_id} in the ledger.")
    return row


def replay_request(image_id: int) -> ReplayRequest:
    """The image's replay, refused (naming what is missing) when the ledger or this WebUI lacks something."""
    try:
        request = build_replay_request(runtime.get_ledger(), image_id)
    except ReplayRefused as exc:
        raise ReproduceError(str(exc)) from exc
    missing = missing_on_host(request, host_inventory())
    if missing:
        raise MissingOnHost(f"ParamLab: image {image_id} cannot be replayed on this WebUI: {'; '.join(missing)}.")
    return request


def webui_api() -> Any:
    """A1111's own ``Api`` on a throw-away FastAPI app (its routes are never served), sharing the queue lock, so
    a replay runs exactly as ``POST /sdapi/v1/txt2img`` would. Building it calls every script's ``ui()`` again
    for the default arguments (as ``--api`` does at start): once, and again only after the scripts reload."""
    key = (id(scripts.scripts_txt2img), id(scripts.scripts_img2img))
    if key not in _APIS:
        from fastapi import FastAPI
        from modules.api.api import Api

        _APIS.clear()
        _APIS[key] = Api(FastAPI(), call_queue.queue_lock)
    return _APIS[key]


def render(request: ReplayRequest) -> tuple[Image.Image, dict[str, Any]]:
    """The first image the API answers with (ControlNet may append its detected maps) and the run's ``info``."""
    from modules.api import api as api_module
    from modules.api import models

    payload = request.payload  # ParamLab's own argument in it: not recorded, torch's random state restored
    handlers = webui_api()
    try:
        if request.endpoint == "img2img":
            response = handlers.img2imgapi(models.StableDiffusionImg2ImgProcessingAPI(**payload))
        else:
            response = handlers.text2imgapi(models.StableDiffusionTxt2ImgProcessingAPI(**payload))
    except api_module.HTTPException as exc:
        raise ReproduceError(f"ParamLab: the WebUI refused the replay: {exc.detail}") from exc
    info = json.loads(response.info) if response.info else {}
    if not response.images:
        raise ReproduceError("ParamLab: the reproduction produced no image (interrupted?).")
    first = response.images[int(info.get("index_of_first_image") or 0)]
    with Image.open(io.BytesIO(base64.b64decode(first))) as image:
        return image.convert("RGB"), info


def reproduce(image_id: int) -> ReproduceResult:
    """Runs a generation through A1111's API handlers, which hold its queue lock (no overlap with the UI or API)."""
    row = load_row(image_id)
    reference, against = _reference_image(row)
    request = replay_request(image_id)
    new_image, info = render(request)
    candidate = thumbnail_as_recorded(new_image) if against == "thumbnail" else new_image
    comparison = compare_images(reference, candidate)
    changes = [] if comparison.identical else diff_fingerprints(load_fingerprint(row.get("fingerprint")),
                                                                current_fingerprint(_as_run(request, info)))
    return ReproduceResult(image_id, comparison, against, changes, new_image, request.endpoint, request.verdict,
                           request.verdict_reason)


def _as_run(request: ReplayRequest, info: dict[str, Any]) -> Any:
    """What the fingerprint reads from a ``p``, from the API's ``info`` (the run's model and VAE, as used)."""
    extra = info.get("extra_generation_params") or {}
    return SimpleNamespace(sd_model_hash=info.get("sd_model_hash"), sd_vae_hash=info.get("sd_vae_hash"),
                           sampler_name=info.get("sampler_name") or request.payload.get("sampler_name"),
                           scheduler=extra.get("Schedule type") or request.payload.get("scheduler"))


def _reference_image(row: dict[str, Any]) -> tuple[Image.Image, str]:
    """The recorded file; else the thumbnail kept in the ledger (or, before version 8, its file)."""
    path = row.get("image_path")
    if path and Path(path).is_file():
        with Image.open(path) as image:
            return image.convert("RGB"), "file"
    if row.get("stored_thumbnail") is not None:
        with Image.open(io.BytesIO(row["stored_thumbnail"][0])) as image:
            return image.convert("RGB"), "thumbnail"
    path = row.get("thumbnail_path")
    if path and Path(path).is_file():
        with Image.open(path) as image:
            return image.convert("RGB"), "thumbnail"
    raise ReproduceError("ParamLab: the recorded image file and thumbnail are both missing; nothing to compare.")
