"""Seed lock, batch seed policies and series in the A1111 stand-in: the seeds that really made the noise."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch
from modules import processing, rng, shared, txt2img
from modules._standin_ui import script_args_with
from modules.api import api
from webui_support import LoadedExtension

from paramlab.webui import runtime

SMALL = {"width": 64, "height": 64}


@pytest.fixture
def extension(tmp_path: Path, ledger_location: str):
    """The extension recording into a fresh ledger, on SQLite and on PostgreSQL."""
    loaded = LoadedExtension(tmp_path, ledger=ledger_location)
    yield loaded
    loaded.close()


def generate(extension: LoadedExtension, seed_lock: dict[str, Any] | None, **payload: Any) -> dict[str, Any]:
    runner = extension.runner()
    body = {"prompt": "kaito", "seed": 77, "n_iter": 2, "batch_size": 2, **SMALL, **payload,
            "alwayson_scripts": {"ParamLab": {"args": [{"seed_lock": seed_lock}]}}}
    processing.sampled_noise_log.clear()
    return api.text2imgapi(runner, body)


def first_pass_noise() -> list[tuple[list[int], torch.Tensor]]:
    return [(seeds, noise) for _, is_hr, seeds, noise in processing.sampled_noise_log if not is_hr]


def expected_noise(shape: tuple, seed: int, subseed: int | None = None, strength: float = 0.0) -> torch.Tensor:
    generator = rng.ImageRNG(shape, [seed], subseeds=[subseed] if subseed is not None else None,
                             subseed_strength=strength)
    return generator.next()[0]


@pytest.mark.parametrize(
    ("seed_lock", "expected"),
    [
        ({"seed": 1234, "policy": "same"}, [1234, 1234, 1234, 1234]),
        ({"seed": 1234, "policy": "increment"}, [1234, 1235, 1236, 1237]),
        ({"seed": 1234, "policy": "stride", "stride": 10}, [1234, 1244, 1254, 1264]),
        ({"seed": 4294967295, "policy": "increment"}, [4294967295, 0, 1, 2]),
        ({"policy": "list", "seeds": [5, 9, 11]}, [5, 9, 11, 5]),
        ({"policy": "same"}, [77, 77, 77, 77]),  # no seed given: the request's own seed, kept for all
    ],
    ids=["same", "increment", "stride", "wraps", "list", "same-run-seed"],
)
def test_every_policy_sets_the_seeds_the_noise_is_made_from(extension: LoadedExtension, seed_lock: dict,
                                                            expected: list[int]) -> None:
    out = generate(extension, seed_lock, enable_hr=True, hr_scale=1.5, denoising_strength=0.5)
    info = json.loads(out["info"])
    assert info["all_seeds"] == expected
    batches = first_pass_noise()
    assert [seed for seeds, _ in batches for seed in seeds] == expected
    for seeds, noise in batches:
        for index, seed in enumerate(seeds):
            assert torch.equal(noise[index], expected_noise(tuple(noise.shape[1:]), seed))
    hires_seeds = [seed for _, is_hr, seeds, _ in processing.sampled_noise_log if is_hr for seed in seeds]
    assert hires_seeds == expected
    assert [row["seed"] for row in extension.rows()] == expected


def test_same_seed_policy_gives_identical_images(extension: LoadedExtension) -> None:
    out = generate(extension, {"seed": 4242, "policy": "same"})
    assert len(out["images"]) == 4 and len(set(out["images"])) == 1


def test_ui_lock_beats_a_seed_field_of_minus_one(extension: LoadedExtension) -> None:
    runner = extension.runner()
    args = script_args_with(runner, {"Seed": [-1], "ParamLab": [{"seed_lock": {"seed": 31337, "policy": "same"}}]})
    processed = txt2img.run_txt2img_ui(runner, {"prompt": "x", "batch_size": 3, **SMALL}, args)
    assert processed.all_seeds == [31337] * 3
    assert "Seed policy: same" in processed.infotexts[-1]


def test_variation_sweep_gives_each_image_its_own_strength(extension: LoadedExtension) -> None:
    out = generate(extension, {"seed": 500, "policy": "variation", "variation_seed": 900,
                               "variation_strengths": [0.0, 0.6]})
    info = json.loads(out["info"])
    assert info["all_seeds"] == [500] * 4 and info["all_subseeds"] == [900] * 4
    strengths = [0.0, 0.2, 0.4, 0.6]
    flat = [(noise[i], None) for _, noise in first_pass_noise() for i in range(noise.shape[0])]
    for (noise, _), strength in zip(flat, strengths):
        assert torch.allclose(noise, expected_noise(tuple(noise.shape), 500, 900, strength))
    infotexts = info["infotexts"][info["index_of_first_image"]:]
    assert "Variation seed strength" not in infotexts[0]
    assert [f"Variation seed strength: {s}" in text for text, s in zip(infotexts[1:], strengths[1:])] == [True] * 3
    assert [row["subseed_strength"] for row in extension.rows()] == strengths


def test_series_locks_its_seed_tags_the_ledger_and_round_trips_through_infotext(extension: LoadedExtension) -> None:
    from paramlab.seeds import Series

    runtime.series_store().create(Series(name="Kaito", seed=2024, profile="Final render",
                                         prompt_fragment="kaito, blue hair", notes="hero"))
    out = generate(extension, {"series": "kaito", "policy": "same"}, prompt="on a rooftop", steps=7)
    info = json.loads(out["info"])
    assert info["all_seeds"] == [2024] * 4
    text = info["infotexts"][info["index_of_first_image"]]
    assert "Seed series: Kaito" in text and "ParamLab profile" not in text  # its profile is only suggested
    assert text.startswith("on a rooftop, kaito, blue hair")
    rows = extension.rows()
    assert {(row["series"], row["profile"], row["steps"]) for row in rows} == {("Kaito", None, 7)}

    from modules import infotext_utils
    from modules._standin_tab import build_tab

    tab = build_tab([extension.script_class])
    series_dropdown = tab.runner.title_map["paramlab"].infotext_fields[1][0]
    fields = infotext_utils.paste_fields["txt2img"]["fields"]
    index = next(i for i, entry in enumerate(fields) if entry[0] is series_dropdown)
    assert infotext_utils.paste_values("txt2img", text)[index]["value"] == "Kaito"


@pytest.mark.parametrize(
    ("seed_lock", "fragment"),
    [
        ({"seed": 4294967296}, "4294967295"),
        ({"seed": -5}, "seed"),
        ({"seed": 1, "policy": "stride", "stride": 0}, "stride"),
        ({"policy": "list", "seeds": []}, "seeds"),
        ({"policy": "list", "seeds": [1, "two"]}, "seeds"),
        ({"series": "Nobody"}, "Nobody"),
        ({"seed": 1, "policy": "zigzag"}, "policy"),
    ],
)
def test_bad_seed_input_stops_the_run_before_sampling(extension: LoadedExtension, seed_lock: dict,
                                                      fragment: str) -> None:
    out = generate(extension, seed_lock)
    assert out["images"] == [] and processing.sampled_noise_log == []
    assert fragment in out["info"]
    [run] = extension.runs()
    assert run["status"] == "interrupted" and fragment in run["error"]


def test_runs_record_a_reproducibility_fingerprint(extension: LoadedExtension) -> None:
    generate(extension, None, n_iter=1, batch_size=1)
    [run] = extension.runs()
    fingerprint = json.loads(run["fingerprint"])
    assert fingerprint["rng_source"] == "GPU" and fingerprint["sampler"] == "Euler"
    assert fingerprint["torch_version"] == torch.__version__ and fingerprint["model_hash"]


def test_reproduce_is_identical_then_names_what_drifted(extension: LoadedExtension) -> None:
    from paramlab.webui.reproduce import reproduce

    generate(extension, {"seed": 99, "policy": "same"}, n_iter=1, batch_size=1, save_images=True)
    [row] = extension.rows()
    result = reproduce(row["id"])
    assert result.comparison.identical and result.compared_against == "file"

    from PIL import Image

    with Image.open(row["image_path"]) as original:
        altered = original.convert("RGB").point(lambda value: 255 - value)
    altered.save(row["image_path"])
    shared.opts.set("randn_source", "CPU")
    drifted = reproduce(row["id"])
    assert not drifted.comparison.identical and drifted.comparison.mean_abs_diff > 0
    assert "RNG source" in [change.label for change in drifted.fingerprint_changes]
    assert "RNG source: GPU → CPU" in drifted.summary()


def test_reproduce_against_a_thumbnail_for_unsaved_api_images(extension: LoadedExtension) -> None:
    from paramlab.webui.reproduce import reproduce

    generate(extension, {"seed": 7, "policy": "same"}, n_iter=1, batch_size=1)
    [row] = extension.rows()
    result = reproduce(row["id"])
    assert result.compared_against == "thumbnail" and result.comparison.identical


def test_a_short_seed_list_is_repeated_and_the_console_says_so(extension: LoadedExtension, caplog) -> None:
    import logging

    caplog.set_level(logging.WARNING, logger="paramlab")
    generate(extension, {"policy": "list", "seeds": [5, 9, 11]})
    assert any("shorter than the batch" in record.getMessage() for record in caplog.records)


def test_same_seed_policy_in_img2img_ui(extension: LoadedExtension) -> None:
    from modules import img2img
    from PIL import Image

    runner = extension.runner(is_img2img=True)
    args = script_args_with(runner, {"ParamLab": [{"seed_lock": {"seed": 2468, "policy": "same"}}]})
    processing.sampled_noise_log.clear()
    processed = img2img.run_img2img_ui(
        runner, {"prompt": "x", "init_images": [Image.new("RGB", (64, 64), "teal")], "n_iter": 2, "batch_size": 2,
                 "denoising_strength": 0.6, **SMALL}, args)
    assert processed.all_seeds == [2468] * 4
    noises = [noise[i] for _, noise in first_pass_noise() for i in range(noise.shape[0])]
    assert len(noises) == 4 and all(torch.equal(noises[0], other) for other in noises[1:])
    # The pictures are not byte-identical, in A1111 either: img2img's VAE encode samples each batch item from
    # torch's global generator (DiagonalGaussianDistribution.sample), which no seed controls.
    assert len(processed.images[processed.index_of_first_image:]) == 4
