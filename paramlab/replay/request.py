"""The replay of one ledger image as a WebUI API request (``/sdapi/v1/txt2img`` or ``img2img``).

One request serves the WebUI's own reproduce action (in process) and the canary (over HTTP), so both replay
the same thing: the image's settings, its stored inputs inlined as base64 PNG, and every always-on script's
recorded arguments under ``alwayson_scripts``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class ReplayRefused(ValueError):
    """The image cannot be replayed; the message names what is missing (an input, an extension, a model)."""


@dataclass
class ReplayNeeds:
    """What the host must have before sampling starts."""

    checkpoint: str | None = None  # the recorded model name or hash
    extensions: list[str] = field(default_factory=list)  # always-on script titles, as recorded
    extension_models: dict[str, list[str]] = field(default_factory=dict)  # e.g. {"ControlNet": ["control_x [a1b2]"]}


@dataclass
class ReplayRequest:
    image_id: int
    endpoint: str  # "txt2img" or "img2img": the /sdapi/v1/ route
    payload: dict[str, Any]  # the JSON body
    needs: ReplayNeeds
    recorded_seconds: float | None = None  # the image's recorded cost, for the canary's speed check
    device: str | None = None  # where it was recorded


@dataclass
class HostInventory:
    """What a WebUI has (read over its API or in process), to refuse a replay before sampling."""

    checkpoints: list[str] = field(default_factory=list)  # titles "name [hash]" and hashes
    extensions: list[str] = field(default_factory=list)  # always-on script titles
    extension_models: dict[str, list[str]] = field(default_factory=dict)


def build_replay_request(ledger: Any, image_id: int) -> ReplayRequest:
    """Raises :class:`ReplayRefused` when the ledger lacks what the replay needs (e.g. an input not stored)."""
    raise NotImplementedError("issue 20: being built")


def missing_on_host(request: ReplayRequest, inventory: HostInventory) -> list[str]:
    """What the host lacks, one sentence each ("ControlNet model control_x [a1b2] is not installed")."""
    raise NotImplementedError("issue 20: being built")
