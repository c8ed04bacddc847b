"""The reproducibility verdict: the rule on its own, and written for real recorded runs."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from paramlab.ledger import ImageRecord, Ledger, RunRecord, schema
from paramlab.ledger.operations import FinishRun, StartRun, WriteRun
from paramlab.ledger.replay_verdict import is_noisy_sampler, refresh_replay_verdict, replay_verdict

CPU = {"device": "cpu", "rng_source": "GPU", "cross_attention": "xformers"}
GPU = {"device": "NVIDIA GeForce RTX 4090", "rng_source": "CPU", "cross_attention": "sdp-no-mem - scaled dot "
       "product without memory efficient attention"}


def txt2img(sampler: str = "Euler", **run) -> dict:
    return {"tab": "txt2img", "role": None, "images": [{"seed": 1, "steps": 20, "sampler": sampler}], **run}


def stored(source: str, role: str, position: int = 0) -> dict:
    return {"source": source, "role": role, "position": position, "sha256": "a" * 64, "stored": True}


@pytest.mark.parametrize("sampler, noisy", [
    ("Euler a", True), ("DPM2 a", True), ("DPM++ 2S a Karras", True), ("DPM++ SDE", True), ("DPM++ 2M SDE", True),
    ("DDPM", True), ("LCM", True), ("Restart", True), ("Euler", False), ("DPM++ 2M", False), ("DDIM", False),
    ("UniPC", False), (None, False),
])
def test_samplers_that_add_noise_at_every_step(sampler, noisy) -> None:
    assert is_noisy_sampler(sampler) is noisy


def test_a_cpu_run_is_exact_whatever_its_attention_and_rng_setting() -> None:
    assert replay_verdict(txt2img("Euler a"), CPU, None, []) == ("exact", None)


def test_deterministic_attention_and_cpu_noise_on_a_gpu_are_exact() -> None:
    assert replay_verdict(txt2img("Euler a"), GPU, {"scripts": {}}, []) == ("exact", None)


@pytest.mark.parametrize("attention", ["xformers", "sdp - scaled dot product", "Automatic", "pytorch (upcast off)"])
def test_non_deterministic_attention_with_an_ancestral_sampler_is_approximate(attention) -> None:
    verdict, reason = replay_verdict(txt2img("Euler a"), {**GPU, "cross_attention": attention}, None, [])
    assert verdict == "approximate"
    assert reason == f"{attention} attention with an ancestral or SDE sampler (Euler a)"


def test_non_deterministic_attention_with_a_deterministic_sampler_stays_exact() -> None:
    assert replay_verdict(txt2img("DPM++ 2M"), {**GPU, "cross_attention": "xformers"}, None, []) == ("exact", None)


def test_gpu_noise_on_a_gpu_is_identical_only_on_the_same_gpu_model() -> None:
    verdict, reason = replay_verdict(txt2img(), {**GPU, "rng_source": "GPU"}, None, [])
    assert (verdict, reason) == ("approximate",
                                 "GPU noise: identical only on the same GPU model (NVIDIA GeForce RTX 4090)")
    assert replay_verdict(txt2img(), {**GPU, "rng_source": "NV"}, None, [])[0] == "exact"
    forge = {**GPU, "rng_source": "GPU (try to reproduce: ComfyUI)"}
    assert replay_verdict(txt2img(), forge, None, [])[0] == "exact"


def test_reasons_add_up() -> None:
    fingerprint = {**GPU, "rng_source": "GPU", "cross_attention": "xformers"}
    verdict, reason = replay_verdict(txt2img("DPM++ SDE"), fingerprint, None, [])
    assert verdict == "approximate"
    assert reason.startswith("xformers attention with an ancestral or SDE sampler (DPM++ SDE); GPU noise")


def test_known_extensions_are_deterministic_and_an_unknown_one_with_arguments_is_not() -> None:
    known = {"scripts": {"ControlNet": {"args": [{"enabled": True}]}, "ADetailer": {"args": [True, False, {}]},
                         "Seed": {"args": [-1, False]}}}
    assert replay_verdict(txt2img(), CPU, known, []) == ("exact", None)
    unknown = {"scripts": {**known["scripts"], "Regional Prompter": {"args": [True, "Matrix"]}}}
    assert replay_verdict(txt2img(), CPU, unknown, []) == ("approximate", "Regional Prompter may not be deterministic")
    switched_off = {"scripts": {"Regional Prompter": {"args": [False, "Matrix"]}, "Empty": {"args": []}}}
    assert replay_verdict(txt2img(), CPU, switched_off, []) == ("exact", None)


def test_dynamic_prompts_random_mode_is_approximate_and_combinatorial_is_exact() -> None:
    random_mode = {"scripts": {"Dynamic Prompts v2.17.1": {"args": [True, False, 1]}}}
    assert replay_verdict(txt2img(), CPU, random_mode, []) == ("approximate", "Dynamic Prompts in random mode")
    combinatorial = {"scripts": {"Dynamic Prompts v2.17.1": {"args": [True, True, 1]}}}
    assert replay_verdict(txt2img(), CPU, combinatorial, []) == ("exact", None)
    by_values = {"scripts": {"Dynamic Prompts": {"args": [], "values": {"enabled": "True",
                                                                          "combinatorial generation": "False"}}}}
    assert replay_verdict(txt2img(), CPU, by_values, [])[0] == "approximate"


def test_an_input_not_stored_makes_the_run_not_replayable_and_is_named() -> None:
    img2img = {**txt2img(), "tab": "img2img"}
    inputs = [stored("img2img", "init"), {"source": "img2img", "role": "mask", "position": 0, "sha256": None,
                                          "not_stored": "input storage is off"}]
    assert replay_verdict(img2img, CPU, None, inputs) == (
        "not_replayable", "the inpaint mask was not stored (input storage is off)")
    control = [stored("img2img", "init"), {**stored("ControlNet unit 0", "control"), "stored": False}]
    assert replay_verdict(img2img, CPU, None, control) == (
        "not_replayable", "the ControlNet unit 0 control image is no longer in the input store")
    recorded = {"torch_rng_state": {"cpu": "AAAA"}}
    assert replay_verdict(img2img, CPU, recorded, [stored("img2img", "init"), stored("img2img", "mask")]) == (
        "exact", None)


def test_an_img2img_run_without_torch_s_random_state_is_approximate() -> None:
    img2img = {**txt2img(), "tab": "img2img"}
    assert replay_verdict(img2img, CPU, {"img2img": {}}, [stored("img2img", "init")]) == (
        "approximate", "img2img's VAE encode samples torch's global random state, not recorded for this run")


def test_an_img2img_run_without_its_init_image_recorded_is_not_replayable() -> None:
    verdict, reason = replay_verdict({**txt2img(), "tab": "img2img"}, CPU, None, [])
    assert (verdict, reason) == ("not_replayable", "the init image was not recorded (the run predates input storage)")


def test_imports_without_seed_or_steps_extras_and_tile_upscales_are_not_replayable() -> None:
    imported = {"tab": "txt2img", "source": "import", "images": [{"seed": None, "steps": 20}]}
    assert replay_verdict(imported, CPU, None, []) == ("not_replayable", "imported without seed or steps")
    assert replay_verdict({"tab": "extras", "images": [{}]}, CPU, None, [])[1].startswith("tab extras")
    tiled = {"tab": "img2img", "role": "output", "script_name": "SD upscale",
             "images": [{"seed": 1, "steps": 20, "upscale": "{}"}]}
    verdict, reason = replay_verdict(tiled, CPU, None, [stored("img2img", "init")])
    assert verdict == "not_replayable"
    assert "tiled upscale (SD upscale)" in reason and "tiles' passes replay" in reason


def _verdict(ledger: Ledger, run_uid: str) -> tuple[str, str | None]:
    with ledger.engine.connect() as conn:
        row = conn.execute(sa.select(schema.runs.c.replay_verdict, schema.runs.c.replay_reason)
                           .where(schema.runs.c.run_uid == run_uid)).one()
    return row.replay_verdict, row.replay_reason


def test_finishing_a_run_writes_its_verdict(ledger: Ledger) -> None:
    fingerprint = json.dumps({**GPU, "rng_source": "GPU"})
    run = RunRecord(tab="txt2img", source="api", status="ok", fingerprint=fingerprint,
                    images=[ImageRecord(index_in_run=0, seed=5, steps=4, sampler="Euler")])
    with ledger.write() as conn:
        StartRun(RunRecord(**{**run.__dict__, "images": []})).apply(conn)
    with ledger.write() as conn:
        FinishRun(run).apply(conn)
    assert _verdict(ledger, run.run_uid) == (
        "approximate", "GPU noise: identical only on the same GPU model (NVIDIA GeForce RTX 4090)")


def test_an_imported_run_is_written_not_replayable_and_a_refresh_follows_its_inputs(ledger: Ledger) -> None:
    imported = RunRecord(tab="txt2img", source="import", status="ok",
                         images=[ImageRecord(index_in_run=0, seed=None, steps=None, prompt="x")])
    with ledger.write() as conn:
        WriteRun(imported).apply(conn)
    assert _verdict(ledger, imported.run_uid) == ("not_replayable", "imported without seed or steps")
    run = RunRecord(tab="img2img", source="api", status="ok", fingerprint=json.dumps(CPU),
                    replay_args=json.dumps({"torch_rng_state": {"cpu": "AAAA"}}),
                    images=[ImageRecord(index_in_run=0, seed=5, steps=4, sampler="Euler")])
    with ledger.write() as conn:
        WriteRun(run).apply(conn)
    assert _verdict(ledger, run.run_uid)[0] == "not_replayable"
    with ledger.write() as conn:
        run_id = conn.execute(sa.select(schema.runs.c.id).where(schema.runs.c.run_uid == run.run_uid)).scalar_one()
        conn.execute(schema.run_inputs.insert().values(run_id=run_id, source="img2img", role="init", position=0,
                                                       sha256="b" * 64))
        refresh_replay_verdict(conn, run_id)
    assert _verdict(ledger, run.run_uid) == ("not_replayable", "the init image is no longer in the input store")
    with ledger.write() as conn:
        conn.execute(schema.input_blobs.insert().values(sha256="b" * 64, media_type="image/png", size_bytes=3,
                                                        data=b"png", created_at=sa.func.now()))
        refresh_replay_verdict(conn, run_id)
        refresh_replay_verdict(conn, run_id + 1000)  # no such run: nothing happens
    assert _verdict(ledger, run.run_uid) == ("exact", None)


def test_a_batch_s_vae_encode_makes_its_later_images_approximate() -> None:
    """The replay restores torch's global state as the run started; a VAE encode that drew for several images
    leaves only the first of them exact."""
    state = {"torch_rng_state": {"cpu": "AAAA"}}
    batch = {**txt2img(), "tab": "img2img", "batch_size": 2}
    init = [stored("img2img", "init")]
    verdict, reason = replay_verdict(batch, CPU, state, init)
    assert verdict == "approximate" and reason.startswith("img2img in batches of 2: the VAE encode drew")
    assert replay_verdict({**batch, "position": 2}, CPU, state, init) == ("exact", None)  # first of its batch
    assert replay_verdict({**batch, "position": 3}, CPU, state, init)[0] == "approximate"

    def hires(upscaler: str | None) -> dict:
        return {"seed": 1, "steps": 20, "sampler": "Euler", "hires_enabled": True, "hires_upscaler": upscaler}

    two = {"tab": "txt2img", "role": None, "images": [hires("R-ESRGAN 4x+"), hires("R-ESRGAN 4x+")]}
    assert replay_verdict(two, CPU, state, [])[1] == (
        "hires fix through R-ESRGAN 4x+ in a run of 2 images: its VAE encode draws from torch's global random state "
        "batch after batch (the run's first image replays exact)")
    assert replay_verdict({**two, "images": [hires("R-ESRGAN 4x+")], "position": 0}, CPU, state, []) == ("exact", None)
    assert replay_verdict({**two, "images": [hires("R-ESRGAN 4x+")]}, CPU, {}, [])[1].endswith(
        "not recorded for this run")
    latent = {**two, "images": [hires("Latent (nearest)"), hires(None)]}
    assert replay_verdict(latent, CPU, {}, []) == ("exact", None)  # a latent upscale encodes nothing
