"""One extension for both hosts: the stand-in imitates A1111 1.10.1 under gradio 3 and Forge under gradio 4
(see ``modules/_standin_flavour.py``), and CI runs this file in both venvs.

What differs and is checked here: the host ParamLab detects (once), the fingerprint's precision (A1111's
flags there, the dtypes Forge's backend really chose here) and memory settings, Forge's own profile
keys, and the seed lock where Forge calls ``process_before_every_sampling`` twice before its hires pass.
"""

from __future__ import annotations

import json
from importlib import metadata

import gradio as gr
import pytest
import torch
from modules import _standin_flavour, processing, rng, shared
from modules.api import api
from webui_support import LoadedExtension

from paramlab.seeds.fingerprint import load_fingerprint
from paramlab.webui import host_info

FORGE = _standin_flavour.FORGE
SMALL = {"width": 64, "height": 64}


def fingerprint_of_one_run(extension: LoadedExtension, **payload: object) -> dict:
    api.text2imgapi(extension.runner(), {"prompt": "x", "steps": 3, **SMALL, **payload})
    [run] = extension.runs()[-1:]
    return load_fingerprint(run["fingerprint"])


def test_the_host_and_its_versions_are_detected_once(extension: LoadedExtension) -> None:
    facts = host_info.host()
    assert facts is host_info.host()  # cached: detected once per process
    assert facts.kind == ("Forge" if FORGE else "A1111")
    assert facts.gradio_version == gr.__version__ == metadata.version("gradio")
    assert facts.pydantic_version == metadata.version("pydantic")
    assert facts.fastapi_version == metadata.version("fastapi")
    assert facts.webui_version == ("f2.0.1v1.10.1-v1.10.1" if FORGE else "v1.10.1")
    assert host_info.webui_version() == facts.webui_version
    assert int(gr.__version__.split(".")[0]) == (4 if FORGE else 3)


def test_the_fingerprint_records_the_precision_the_host_really_used(extension: LoadedExtension) -> None:
    fingerprint = fingerprint_of_one_run(extension)
    assert fingerprint["host"].startswith("Forge f2.0.1v1.10.1" if FORGE else "A1111 v1.10.1")
    assert f"gradio {gr.__version__}" in fingerprint["host"]
    if FORGE:
        # Forge's CPU run: UNet and VAE in float32, its text encoder in float16 (its default even on CPU)
        assert fingerprint["precision"] == "unet=float32, text encoder=float16, vae=float32"
        assert fingerprint["cross_attention"] == "sub_quad (upcast float32)"
        assert fingerprint["memory"].startswith("device=cpu, vram state=DISABLED, inference memory=1024 MB")
        assert "swap=Queue to CPU" in fingerprint["memory"]
        assert fingerprint["rng_source"] == "GPU"
    else:
        assert fingerprint["precision"].startswith("no_half=False, no_half_vae=False")
        assert fingerprint["cross_attention"] == "Automatic"
        assert "memory" not in fingerprint


@pytest.mark.skipif(not FORGE, reason="Forge's own precision flags")
def test_forge_flags_and_settings_change_the_fingerprint(extension: LoadedExtension,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from backend import args as backend_args
    from backend import attention, memory_management, stream

    monkeypatch.setattr(backend_args.args, "unet_in_fp16", True)
    monkeypatch.setattr(backend_args.args, "force_upcast_attention", True)
    monkeypatch.setattr(backend_args.args, "attention_split", True)
    monkeypatch.setattr(memory_management, "PIN_SHARED_MEMORY", True)
    monkeypatch.setattr(stream, "stream_activated", True)
    monkeypatch.setattr(attention, "attention_function", attention.attention_function)
    attention.select()
    shared.sd_model = shared.StandInModel()  # the loader picks dtypes when the model loads
    shared.opts.data["forge_try_reproduce"] = "ComfyUI"
    fingerprint = fingerprint_of_one_run(extension)
    assert fingerprint["precision"].startswith("unet=float16 (computes in float32)")
    assert fingerprint["cross_attention"] == "split (upcast float32)"
    assert fingerprint["memory"].endswith("swap=Async to Shared")
    assert fingerprint["rng_source"] == "CPU (try to reproduce: ComfyUI)"


def test_forge_profile_keys_apply_on_forge_only(extension: LoadedExtension) -> None:
    from paramlab.profiles import Profile, ProfileError
    from paramlab.webui import catalog, runtime

    profile = Profile(name="Flux-ish", settings={"Hires CFG Scale": 4.5, "Distilled CFG Scale": 3.0,
                                                 "Hires upscale": 1.5})
    if not FORGE:
        with pytest.raises(ProfileError, match="Forge-only"):
            runtime.profile_store().create(profile, catalog=catalog.host_catalog())
        return
    runtime.profile_store().create(profile, catalog=catalog.host_catalog())
    out = api.text2imgapi(extension.runner(), {
        "prompt": "x", "steps": 3, "denoising_strength": 0.5, **SMALL,
        "alwayson_scripts": {"ParamLab": {"args": [{"profile": "Flux-ish"}]}}})
    info = json.loads(out["info"])
    assert "Hires CFG Scale: 4.5" in info["infotexts"][0] and "ParamLab profile: Flux-ish" in info["infotexts"][0]


@pytest.mark.skipif(not FORGE, reason="Forge's sampler and scheduler names")
def test_forge_sampler_and_scheduler_names_are_valid_in_profiles(extension: LoadedExtension) -> None:
    from paramlab.profiles import Profile
    from paramlab.webui import catalog, runtime

    saved = runtime.profile_store().create(
        Profile(name="Forge names", settings={"Sampler": "heunpp2", "Schedule type": "align your steps gits"}),
        catalog=catalog.host_catalog())
    assert saved.settings == {"Sampler": "HeunPP2", "Schedule type": "Align Your Steps GITS"}
    api.text2imgapi(extension.runner(), {"prompt": "x", "steps": 4, **SMALL,
                                         "alwayson_scripts": {"ParamLab": {"args": [{"profile": "Forge names"}]}}})
    [row] = extension.rows()
    assert (row["sampler"], row["scheduler"], row["model_evaluations"]) == ("HeunPP2", "Align Your Steps GITS", 9)


def test_a_variation_sweep_gives_each_hires_image_its_own_strength(extension: LoadedExtension) -> None:
    """The hires noise is drawn before ``before_hr``; ParamLab refills it per image, once, although Forge
    calls ``process_before_every_sampling`` twice there (a second refill would take the next noise)."""
    processing.sampled_noise_log.clear()
    api.text2imgapi(extension.runner(), {
        "prompt": "kaito", "steps": 3, "batch_size": 2, "enable_hr": True, "hr_scale": 1.5,
        "denoising_strength": 0.5, **SMALL,
        "alwayson_scripts": {"ParamLab": {"args": [{"seed_lock": {
            "seed": 500, "policy": "variation", "variation_seed": 900, "variation_strengths": [0.0, 0.6]}}]}}})
    [(_, _, seeds, noise)] = [entry for entry in processing.sampled_noise_log if entry[1]]
    assert seeds == [500, 500]
    for index, strength in enumerate([0.0, 0.6]):
        expected = rng.ImageRNG(tuple(noise.shape[1:]), [500], subseeds=[900], subseed_strength=strength).next()[0]
        assert torch.allclose(noise[index], expected)
    assert [row["subseed_strength"] for row in extension.rows()] == [0.0, 0.6]
