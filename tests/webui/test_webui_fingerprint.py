"""The complete fingerprint on a stand-in run: WebUI and extension commits, Compatibility settings, and full
SHA-256s of the model files, hashed off the generation thread, once per file, pending then filled in."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from host_fixture import write_model_file
from modules import _standin_flavour, extensions, launch_utils, script_callbacks, scripts, sd_vae, shared
from modules.api import api
from webui_support import LoadedExtension

from paramlab.seeds.fingerprint import diff_fingerprints
from paramlab.webui import host_commits, runtime


@pytest.fixture
def extension(tmp_path: Path, ledger_location: str, monkeypatch: pytest.MonkeyPatch):
    """The extension recording into a fresh ledger (SQLite and PostgreSQL), in a WebUI that is a git checkout."""
    loaded = LoadedExtension(tmp_path, ledger=ledger_location)
    monkeypatch.setattr(launch_utils, "script_path", str(git_repository(tmp_path / "webui")))
    host_commits.forget()
    yield loaded
    loaded.close()
    host_commits.forget()


def git_repository(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "README.md").write_text(folder.name, encoding="utf-8")
    for command in (["init", "-q"], ["add", "README.md"],
                    ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "first"]):
        subprocess.run(["git", "-C", str(folder), *command], check=True, capture_output=True)
    return folder


def head_of(folder: Path) -> str:
    return subprocess.check_output(["git", "-C", str(folder), "rev-parse", "HEAD"], encoding="utf8").strip()


def sha256(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def generate(extension: LoadedExtension, prompt: str = "kaito") -> dict[str, Any]:
    return api.text2imgapi(extension.runner(), {"prompt": prompt, "seed": 7, "width": 64, "height": 64})


def last_fingerprint(extension: LoadedExtension) -> dict[str, Any]:
    return json.loads(extension.runs()[-1]["fingerprint"])


def settle() -> None:
    """The hasher done, and its ledger edits written."""
    assert runtime.model_hasher().flush(60)
    assert runtime.get_writer().flush(60)


def test_a_run_records_commits_and_compatibility_settings(extension: LoadedExtension, tmp_path: Path) -> None:
    controlnet = git_repository(tmp_path / "extensions" / "sd-webui-controlnet")
    (tmp_path / "extensions" / "from-a-zip").mkdir()
    (tmp_path / "extensions" / "switched-off").mkdir()
    extensions.list_extensions()
    next(e for e in extensions.extensions if e.name == "switched-off").enabled = False
    shared.opts.set("use_old_emphasis_implementation", True)

    generate(extension)

    fingerprint = last_fingerprint(extension)
    assert fingerprint["webui_commit"] == head_of(Path(launch_utils.script_path)) == launch_utils.commit_hash()
    assert fingerprint["extension_commits"] == {"sd-webui-controlnet": head_of(controlnet)[:8], "from-a-zip": "unknown"}
    shared_by_both = {"use_old_karras_scheduler_sigmas": False, "no_dpmpp_sde_batch_determinism": False,
                      "use_old_hires_fix_width_height": False, "hires_fix_use_firstpass_conds": False,
                      "use_old_scheduling": False, "use_downcasted_alpha_bar": False}
    if _standin_flavour.FORGE:  # Forge's backend ignores old emphasis and the refiner switch; it can mimic others
        assert fingerprint["compat"] == {**shared_by_both, "forge_try_reproduce": "None"}
    else:
        assert fingerprint["compat"] == {**shared_by_both, "use_old_emphasis_implementation": True,
                                         "refiner_switch_by_sample_steps": False}


def test_commits_are_read_once_per_process_and_the_warm_up_runs_git(extension: LoadedExtension,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = launch_utils.commit_hash
    monkeypatch.setattr(launch_utils, "commit_hash", lambda: calls.append(threading.current_thread().name) or real())
    host_commits.warm_up().join(30)
    generate(extension)
    generate(extension)
    assert calls == ["paramlab-commits"]  # git ran once, on the warm-up's thread, never on a generation's
    assert last_fingerprint(extension)["webui_commit"] == real()


def test_model_files_are_hashed_in_the_background_once_and_filled_into_the_run(
        extension: LoadedExtension, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import networks

    host_idle = threading.Event()  # the host stays "busy" for the hasher until the test saw the pending entries
    monkeypatch.setattr(runtime.model_hasher().watch, "may_run", host_idle.is_set)

    lora = write_model_file(str(tmp_path / "models" / "Lora" / "detail.safetensors"), size=3 * 1024 * 1024)
    vae = write_model_file(str(tmp_path / "models" / "VAE" / "soft.vae.safetensors"))
    networks.list_available_networks()
    sd_vae.loaded_vae_file = vae
    checkpoint = shared.sd_model.sd_checkpoint_info.filename

    generate(extension, "kaito <lora:detail:0.8>")
    first = extension.runs()[-1]["run_uid"]
    recorded = last_fingerprint(extension)["model_sha256"]
    assert set(recorded) == {"checkpoint", "vae", "lora:detail"}
    for key, path in {"checkpoint": checkpoint, "vae": vae, "lora:detail": lora}.items():
        assert recorded[key] == {"path": str(Path(path).absolute()), "size": Path(path).stat().st_size,
                                 "mtime": Path(path).stat().st_mtime}
    assert runtime.model_hasher().hashed == []

    host_idle.set()
    settle()
    filled = {run["run_uid"]: json.loads(run["fingerprint"]) for run in extension.runs()}[first]["model_sha256"]
    assert filled == {"checkpoint": sha256(checkpoint), "vae": sha256(vae), "lora:detail": sha256(lora)}
    hasher = runtime.model_hasher()
    assert sorted(path for path, _ in hasher.hashed) == sorted(str(Path(p).absolute()) for p in (checkpoint, vae, lora))
    assert {thread for _, thread in hasher.hashed} == {"paramlab-model-hashes"}  # never the generation's thread
    assert threading.current_thread().name != "paramlab-model-hashes"

    generate(extension, "kaito <lora:detail:0.8>")
    assert last_fingerprint(extension)["model_sha256"] == filled  # straight from the cache
    settle()
    assert len(hasher.hashed) == 3  # nothing hashed twice


def test_a_changed_file_is_hashed_again_and_a_restart_reuses_the_ledger(extension: LoadedExtension) -> None:
    checkpoint = shared.sd_model.sd_checkpoint_info.filename
    generate(extension)
    settle()
    runtime.shutdown()  # a restart: the hasher reads what the ledger kept
    generate(extension)
    assert last_fingerprint(extension)["model_sha256"]["checkpoint"] == sha256(checkpoint)
    settle()
    assert runtime.model_hasher().hashed == []

    before = sha256(checkpoint)
    write_model_file(checkpoint, seed=b"retrained")
    generate(extension)
    settle()
    assert last_fingerprint(extension)["model_sha256"]["checkpoint"] == sha256(checkpoint) != before
    assert [path for path, _ in runtime.model_hasher().hashed] == [str(Path(checkpoint).absolute())]


def test_the_fingerprint_route_gives_the_webui_now(extension: LoadedExtension) -> None:
    app = FastAPI()
    script_callbacks.app_started_callback(None, app)
    client = TestClient(app)
    generate(extension)
    settle()
    shared.opts.set("randn_source", "CPU")
    answer = client.get("/paramlab/v1/fingerprint")
    assert answer.status_code == 200
    now = answer.json()
    assert now["rng_source"] == "CPU" and now["sampler"] is None
    assert now["model_sha256"] == {"checkpoint": sha256(shared.sd_model.sd_checkpoint_info.filename)}
    assert now["webui_commit"] == launch_utils.commit_hash()
    changes = diff_fingerprints(last_fingerprint(extension), now)
    assert "RNG source: GPU → CPU" in [change.text for change in changes if change.counts_as_drift]


def test_serve_has_no_fingerprint_or_inventory_route() -> None:
    from paramlab.web.route_services import HostServices
    from paramlab.web.routes import route_table

    paths = [path for path, _, _ in route_table(HostServices())]
    assert "/fingerprint" not in paths and "/inventory" not in paths


def test_the_route_is_behind_the_webui_login(extension: LoadedExtension) -> None:
    shared.cmd_opts.api_auth = "ann:secret"
    app = FastAPI()
    script_callbacks.app_started_callback(None, app)
    client = TestClient(app)
    for path in ("/paramlab/v1/fingerprint", "/paramlab/v1/inventory"):
        assert client.get(path).status_code == 401
        assert client.get(path, auth=("ann", "secret")).status_code == 200


def test_the_inventory_route_lists_what_a_replay_needs(extension: LoadedExtension,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scripts, "scripts_txt2img", extension.runner())
    app = FastAPI()
    script_callbacks.app_started_callback(None, app)
    inventory = TestClient(app).get("/paramlab/v1/inventory").json()
    assert shared.sd_model.sd_checkpoint_info.title in inventory["checkpoints"]
    assert "ParamLab" in inventory["extensions"] and isinstance(inventory["extension_models"], dict)


class ControlNetScript:
    """Where ControlNet's units sit in ``p.script_args`` (the capture engineer's stand-in script has more)."""

    args_from, args_to = 1, 4

    def title(self) -> str:
        return "ControlNet"


def controlnet_p(units: list[Any]) -> Any:
    from types import SimpleNamespace

    return SimpleNamespace(scripts=SimpleNamespace(alwayson_scripts=[ControlNetScript()]),
                           script_args=(0, *units), sd_model=None, extra_network_data=None)


def test_enabled_controlnet_units_name_their_model_files(monkeypatch: pytest.MonkeyPatch) -> None:
    """sd-webui-controlnet: posted dicts or unit objects, ``cn_models`` by "name [hash]"."""
    from types import ModuleType, SimpleNamespace

    from paramlab.webui.model_files import controlnet_files

    state = ModuleType("scripts.global_state")
    state.cn_models = {"control_openpose [cab727d4]": "/m/ControlNet/control_openpose.pth",  # type: ignore[attr-defined]
                       "control_depth [0123abcd]": "/m/ControlNet/control_depth.safetensors"}
    state.cn_models_names = {"control_openpose": "control_openpose [cab727d4]",  # type: ignore[attr-defined]
                             "control_depth": "control_depth [0123abcd]"}
    monkeypatch.setitem(sys.modules, "scripts.global_state", state)
    units = [{"enabled": True, "model": "control_openpose [cab727d4]"},
             SimpleNamespace(enabled=True, model="control_depth"),  # the name alone, as a UI unit may hold it
             SimpleNamespace(enabled=False, model="control_depth [0123abcd]")]
    assert controlnet_files(controlnet_p(units)) == [
        ("control_openpose", "/m/ControlNet/control_openpose.pth"),
        ("control_depth", "/m/ControlNet/control_depth.safetensors")]
    no_model = [{"enabled": True, "model": "None"}, {"enabled": True, "model": "gone"}]
    assert controlnet_files(controlnet_p(no_model)) == []


def test_forge_controlnet_models_come_from_its_filename_dict(monkeypatch: pytest.MonkeyPatch) -> None:
    from types import ModuleType

    from paramlab.webui.model_files import controlnet_files

    monkeypatch.delitem(sys.modules, "scripts.global_state", raising=False)
    state = ModuleType("lib_controlnet.global_state")
    state.controlnet_filename_dict = {"None": "model.safetensors",  # type: ignore[attr-defined]
                                      "control_x": "/m/ControlNet/control_x.safetensors"}
    monkeypatch.setitem(sys.modules, "lib_controlnet.global_state", state)
    assert controlnet_files(controlnet_p([{"enabled": True, "model": "control_x"}])) == [
        ("control_x", "/m/ControlNet/control_x.safetensors")]


def test_head_commits_are_read_from_the_git_files(tmp_path: Path) -> None:
    """A loose branch, a packed one, a detached HEAD and a worktree's ``gitdir:`` file, without a git process."""
    repository = git_repository(tmp_path / "ext")
    assert host_commits.head_commit(repository) == head_of(repository)
    subprocess.run(["git", "-C", str(repository), "pack-refs", "--all"], check=True)
    assert host_commits.head_commit(repository) == head_of(repository)
    worktree = tmp_path / "ext-worktree"
    subprocess.run(["git", "-C", str(repository), "worktree", "add", "-q", "--detach", str(worktree)], check=True)
    assert host_commits.head_commit(worktree) == head_of(repository)
    subprocess.run(["git", "-C", str(worktree), "switch", "-q", "-c", "other"], check=True)
    assert host_commits.head_commit(worktree) == head_of(repository)
    assert host_commits.head_commit(tmp_path) is None
