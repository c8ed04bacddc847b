"""The reproducibility fingerprint: the settings outside the infotext that change the pixels.

It is recorded with every run (``runs.fingerprint``, JSON), so when a reproduced image differs from
the recorded one the panel can say which of these changed since, in words a user recognises.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

# Ordered as they are shown; the labels are what the user reads.
FINGERPRINT_FIELDS: dict[str, str] = {
    "rng_source": "RNG source",
    "eta_noise_seed_delta": "Eta noise seed delta",
    "cross_attention": "Cross-attention optimization",
    "precision": "Precision (half/upcast, or Forge's dtypes)",
    "memory": "Memory management (Forge)",
    "host": "WebUI host and gradio",
    "webui_version": "WebUI version",
    "torch_version": "torch version",
    "paramlab_version": "ParamLab version",
    "device": "Device",
    "model_hash": "Model hash",
    "vae_hash": "VAE hash",
    "sampler": "Sampler",
    "scheduler": "Schedule type",
}


@dataclass(frozen=True)
class FingerprintChange:
    """One field whose value differs between the recorded run and now (None: it had no value)."""

    field: str
    label: str
    recorded: Any
    now: Any

    @property
    def text(self) -> str:
        """``"Sampler: Euler a → DPM++ 2M"``, with "(not recorded)" for a missing side."""
        return f"{self.label}: {_shown(self.recorded)} → {_shown(self.now)}"


def _shown(value: Any) -> str:
    if _missing(value):
        return "(not recorded)"
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return str(value)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == {} or value == []


def _comparable(value: Any) -> Any:
    """Values equal in meaning compare equal: ``0`` and ``0.0``, ``" x"`` and ``"x"``, key order in dicts."""
    if isinstance(value, bool):  # tagged: True == 1 in Python, but a switch is not a number
        return ("bool", value)
    if isinstance(value, (int, float)) and math.isfinite(value):
        return ("number", float(value))
    if isinstance(value, str):
        return ("text", value.strip())
    if isinstance(value, (dict, list)):
        return ("json", json.dumps(value, sort_keys=True, ensure_ascii=False, default=str))
    return ("text", str(value))


def diff_fingerprints(recorded: dict[str, Any], now: dict[str, Any]) -> list[FingerprintChange]:
    """The fields that changed, known fields in display order, then any others by name.

    A field missing on one side counts as changed only when the other side has a value."""
    recorded, now = recorded or {}, now or {}
    extra = sorted((set(recorded) | set(now)) - set(FINGERPRINT_FIELDS))
    changes = []
    for field in [*FINGERPRINT_FIELDS, *extra]:
        before, after = recorded.get(field), now.get(field)
        if _missing(before) and _missing(after):
            continue
        if _missing(before) or _missing(after) or _comparable(before) != _comparable(after):
            changes.append(FingerprintChange(field, FINGERPRINT_FIELDS.get(field, field), before, after))
    return changes


def fingerprint_json(fingerprint: dict[str, Any]) -> str:
    """The text stored in ``runs.fingerprint`` (sorted keys, so equal fingerprints are equal text)."""
    return json.dumps(fingerprint, sort_keys=True, ensure_ascii=False, default=str)


def load_fingerprint(text: Any) -> dict[str, Any]:
    """A stored fingerprint as a dict; None, garbage or a non-object reads as ``{}`` (nothing recorded)."""
    if isinstance(text, dict):
        return dict(text)
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    if not isinstance(text, str) or not text.strip():
        return {}
    try:
        loaded = json.loads(text)
    except ValueError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


__all__ = ["FINGERPRINT_FIELDS", "FingerprintChange", "diff_fingerprints", "fingerprint_json", "load_fingerprint"]
