"""The complete fingerprint's dict-valued fields (extension commits, Compatibility settings, model SHA-256s)
are compared key by key, and fields an old fingerprint never had do not make it drift."""

from __future__ import annotations

from paramlab.seeds.fingerprint import FINGERPRINT_FIELDS, diff_fingerprints, nested_label

PENDING = {"path": "/models/Lora/detail.safetensors", "size": 3, "mtime": 1.5}
RECORDED = {
    "rng_source": "GPU", "webui_commit": "82a973c04367123ae98bd9abdf80d9eda9b910e2",
    "extension_commits": {"sd-webui-controlnet": "a1b2c3d4", "adetailer": "36189cbe"},
    "compat": {"use_old_emphasis_implementation": False, "use_old_karras_scheduler_sigmas": False},
    "model_sha256": {"checkpoint": "aa" * 32, "controlnet:control_x": "bb" * 32, "lora:detail": PENDING},
}


def texts(changes: list) -> list[str]:
    return [change.text for change in changes]


def test_the_new_fields_have_labels_and_each_key_its_own() -> None:
    assert FINGERPRINT_FIELDS["webui_commit"] == "WebUI commit"
    assert nested_label("extension_commits", "sd-webui-controlnet") == "sd-webui-controlnet commit"
    assert nested_label("compat", "use_old_emphasis_implementation") == (
        "Compatibility: use old emphasis implementation")
    assert nested_label("model_sha256", "controlnet:control_x") == "ControlNet model control_x SHA-256"
    assert nested_label("model_sha256", "lora:detail") == "LoRA detail SHA-256"
    assert nested_label("model_sha256", "checkpoint") == "Checkpoint SHA-256"
    assert nested_label("model_sha256", "vae") == "VAE SHA-256"


def test_a_canary_reads_one_line_per_changed_key() -> None:
    now = {**RECORDED, "rng_source": "CPU",
           "extension_commits": {"sd-webui-controlnet": "d4e5f6a7", "adetailer": "36189cbe"},
           "compat": {"use_old_emphasis_implementation": True, "use_old_karras_scheduler_sigmas": False},
           "model_sha256": {**RECORDED["model_sha256"], "controlnet:control_x": "cc" * 32}}
    changes = diff_fingerprints(RECORDED, now)
    assert [change.field for change in changes] == [
        "rng_source", "extension_commits.sd-webui-controlnet", "compat.use_old_emphasis_implementation",
        "model_sha256.controlnet:control_x"]
    assert texts(changes)[:3] == ["RNG source: GPU → CPU", "sd-webui-controlnet commit: a1b2c3d4 → d4e5f6a7",
                                  "Compatibility: use old emphasis implementation: False → True"]
    assert all(change.counts_as_drift for change in changes)
    assert diff_fingerprints(RECORDED, dict(RECORDED)) == []


def test_an_old_fingerprint_without_the_fields_does_not_drift() -> None:
    old = {"rng_source": "GPU", "model_hash": "6ce0161689"}
    now = {**RECORDED, "model_hash": "6ce0161689"}
    changes = diff_fingerprints(old, now)
    assert changes and not any(change.counts_as_drift for change in changes)  # all newly recorded
    assert "WebUI commit: (not recorded) → 82a973c04367123ae98bd9abdf80d9eda9b910e2" in texts(changes)
    assert "adetailer commit: (not recorded) → 36189cbe" in texts(changes)
    assert "model_sha256.lora:detail" not in [change.field for change in changes]  # pending on the only side


def test_an_extension_installed_or_removed_since_counts_but_a_pending_hash_does_not() -> None:
    now = {**RECORDED, "extension_commits": {"sd-webui-controlnet": "a1b2c3d4", "dynamic-prompts": "0f0f0f0f"},
           "model_sha256": {**RECORDED["model_sha256"], "checkpoint": {**PENDING, "path": "/ckpt"},
                            "lora:detail": "dd" * 32}}
    changes = {change.field: change for change in diff_fingerprints(RECORDED, now)}
    assert changes["extension_commits.adetailer"].counts_as_drift
    assert changes["extension_commits.adetailer"].text == "adetailer commit: 36189cbe → (not recorded)"
    assert changes["extension_commits.dynamic-prompts"].counts_as_drift
    assert not changes["model_sha256.checkpoint"].counts_as_drift
    assert changes["model_sha256.checkpoint"].text == f"Checkpoint SHA-256: {'aa' * 32} → (hash pending)"
    assert not changes["model_sha256.lora:detail"].counts_as_drift
