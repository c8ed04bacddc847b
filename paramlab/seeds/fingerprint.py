"""The reproducibility fingerprint: the settings outside the infotext that change the pixels.

It is recorded with every run (``runs.fingerprint``, JSON), so when a reproduced image differs from
the recorded one the panel can say which of these changed since, in words a user recognises.

The dict-valued fields (:data:`NESTED_FIELDS`: extension commits, Compatibility settings, model SHA-256s) are
compared key by key, one change per key ("sd-webui-controlnet commit: a1b2c3 → d4e5f6").

Old fingerprints lack the newer fields. A change only *counts as drift* (:attr:`FingerprintChange.counts_as_drift`)
when the field was recorded on both sides: a field the recorded run never had is "newly recorded", never a
cause, or every image recorded before an update would "drift". Inside a nested field recorded on both sides a
key present on one side only does count (an extension installed or removed, a LoRA file gone), except a model
hash still pending on either side (``{"path", "size", "mtime"}``: not hashed yet), which cannot be compared.
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
    "webui_commit": "WebUI commit",
    "extension_commits": "Extension commits",
    "compat": "Compatibility settings",
    "model_sha256": "Model file SHA-256",
}
NESTED_FIELDS = frozenset({"extension_commits", "compat", "model_sha256"})
_MODEL_KINDS = {"checkpoint": "Checkpoint", "vae": "VAE", "lora": "LoRA", "controlnet": "ControlNet model"}


def nested_label(field: str, key: str) -> str:
    """``"sd-webui-controlnet commit"``, ``"Compatibility: use old emphasis implementation"``,
    ``"ControlNet model control_x SHA-256"``."""
    if field == "extension_commits":
        return f"{key} commit"
    if field == "compat":
        return f"Compatibility: {key.replace('_', ' ')}"
    if field == "model_sha256":
        kind, _, name = key.partition(":")
        return " ".join(filter(None, [_MODEL_KINDS.get(kind, kind), name, "SHA-256"]))
    return f"{FINGERPRINT_FIELDS.get(field, field)}: {key}"


@dataclass(frozen=True)
class FingerprintChange:
    """One field whose value differs between the recorded run and now (None: it had no value)."""

    field: str  # a top-level field, or "<field>.<key>" for one key of a nested field
    label: str
    recorded: Any
    now: Any
    counts_as_drift: bool = True  # False: newly recorded, or a hash still pending (see the module's docstring)

    @property
    def text(self) -> str:
        """``"Sampler: Euler a → DPM++ 2M"``, with "(not recorded)" for a missing side."""
        return f"{self.label}: {_shown(self.recorded)} → {_shown(self.now)}"


def is_pending_hash(value: Any) -> bool:
    """A model file recorded before its background hash was done: ``{"path", "size", "mtime"}``."""
    return isinstance(value, dict) and "path" in value and "sha256" not in value


def _shown(value: Any) -> str:
    if is_pending_hash(value):
        return "(hash pending)"
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
    """The fields that changed, known fields in display order, then any others by name; nested fields one
    change per key.

    A field missing on one side is listed only when the other side has a value, and then does not count as
    drift (see the module's docstring); the canary names only ``counts_as_drift`` changes as causes."""
    recorded, now = recorded or {}, now or {}
    extra = sorted((set(recorded) | set(now)) - set(FINGERPRINT_FIELDS))
    changes = []
    for field in [*FINGERPRINT_FIELDS, *extra]:
        before, after = recorded.get(field), now.get(field)
        if field in NESTED_FIELDS and (isinstance(before, dict) or isinstance(after, dict)):
            both = isinstance(before, dict) and isinstance(after, dict)
            changes.extend(_key_changes(field, before or {}, after or {}, both))
            continue
        if _missing(before) and _missing(after):
            continue
        if _missing(before) or _missing(after) or _comparable(before) != _comparable(after):
            changes.append(FingerprintChange(field, FINGERPRINT_FIELDS.get(field, field), before, after,
                                             counts_as_drift=not (_missing(before) or _missing(after))))
    return changes


def _key_changes(field: str, before: dict[str, Any], after: dict[str, Any], recorded_on_both: bool,
                 ) -> list[FingerprintChange]:
    changes = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        pending = is_pending_hash(old) or is_pending_hash(new)
        if pending and (is_pending_hash(old) or _missing(old)) and (is_pending_hash(new) or _missing(new)):
            continue  # nothing known on either side yet
        if _missing(old) and _missing(new):
            continue
        if not pending and not _missing(old) and not _missing(new) and _comparable(old) == _comparable(new):
            continue
        changes.append(FingerprintChange(f"{field}.{key}", nested_label(field, key), old, new,
                                         counts_as_drift=recorded_on_both and not pending))
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


__all__ = ["FINGERPRINT_FIELDS", "NESTED_FIELDS", "FingerprintChange", "diff_fingerprints", "fingerprint_json",
           "is_pending_hash", "load_fingerprint", "nested_label"]
