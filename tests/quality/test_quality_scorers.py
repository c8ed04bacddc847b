"""The learned scorers run their real loading and scoring code on a tiny random CLIP built here.

Nothing is downloaded: the hub is switched off and every model is a local folder in a temp dir. Random
weights mean the scores carry no meaning, so the tests check what does not depend on the weights:
finite values, determinism, batch invariance, and that every bad input becomes a reason, not a crash.
"""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

import pytest  # noqa: E402

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from paramlab.quality.scorers import (  # noqa: E402
    HUB_CLIP_MODEL,
    REASON_NO_AESTHETIC_HEAD,
    REASON_NO_CLIP_FOLDER,
    REASON_NO_TRANSFORMERS,
    AestheticScorer,
    ClipScorer,
    ScorerConfig,
    ScorerUnavailable,
    clean_prompt,
    clear_scorer_cache,
    load_scorers,
)
from paramlab.quality.scorers.clip_score import load_clip_backbone  # noqa: E402

PROJECTION_DIM = 16
PROMPTS = ["a red cat on the sand", "the dog and the tree", "blue sky, sun, clouds"]


def _write_tokenizer(folder: Path) -> None:
    """A byte-level BPE vocabulary over ASCII letters, digits and a little punctuation, with CLIP's two
    special tokens last (CLIP pools at the highest token id, which must be ``<|endoftext|>``)."""
    symbols = list("abcdefghijklmnopqrstuvwxyz0123456789,.!?'-")
    tokens = symbols + [symbol + "</w>" for symbol in symbols]
    merges = [("t", "h"), ("th", "e</w>"), ("a", "n"), ("an", "d</w>")]
    tokens += ["".join(pair) for pair in merges]
    tokens += ["<|startoftext|>", "<|endoftext|>"]
    vocab_file, merges_file = folder / "vocab.json", folder / "merges.txt"
    vocab_file.write_text(json.dumps({token: index for index, token in enumerate(tokens)}), encoding="utf-8")
    merges_file.write_text("#version: 0.2\n" + "\n".join(" ".join(pair) for pair in merges) + "\n", encoding="utf-8")
    tokenizer = transformers.CLIPTokenizer(str(vocab_file), str(merges_file))
    tokenizer.save_pretrained(str(folder))


def _build_tiny_clip(folder: Path) -> None:
    torch.manual_seed(0)
    config = transformers.CLIPConfig(
        text_config={
            "vocab_size": 100,
            "hidden_size": 32,
            "intermediate_size": 37,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "max_position_embeddings": 16,
        },
        vision_config={
            "hidden_size": 32,
            "intermediate_size": 37,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "image_size": 32,
            "patch_size": 8,
        },
        projection_dim=PROJECTION_DIM,
    )
    transformers.CLIPModel(config).save_pretrained(str(folder))
    _write_tokenizer(folder)
    processor = transformers.CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    processor.save_pretrained(str(folder))


def _head_state(in_features: int, seed: int = 1) -> dict[str, torch.Tensor]:
    """The improved-aesthetic-predictor layout, shrunk: Linear layers at 0, 2, 4, 6, 7."""
    torch.manual_seed(seed)
    sizes = [(in_features, 32), (32, 8), (8, 4), (4, 2), (2, 1)]
    state = {}
    for index, (fan_in, fan_out) in zip((0, 2, 4, 6, 7), sizes):
        layer = torch.nn.Linear(fan_in, fan_out)
        state[f"layers.{index}.weight"] = layer.weight.detach().clone()
        state[f"layers.{index}.bias"] = layer.bias.detach().clone()
    return state


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("scorers")
    clip_dir = root / "tiny-clip"
    clip_dir.mkdir()
    _build_tiny_clip(clip_dir)
    head = root / "head.pth"
    torch.save(_head_state(PROJECTION_DIM), head)
    wrong_head = root / "head-768.pth"
    torch.save(_head_state(768), wrong_head)
    corrupt = root / "corrupt.pth"
    corrupt.write_bytes(np.random.RandomState(7).bytes(4096))
    return {"root": root, "clip": clip_dir, "head": head, "wrong_head": wrong_head, "corrupt": corrupt}


@pytest.fixture(autouse=True)
def _fresh_cache():
    clear_scorer_cache()
    yield
    clear_scorer_cache()


def _images(count: int = 3) -> list[Image.Image]:
    rng = np.random.RandomState(3)
    sizes = [(40, 48), (32, 32), (64, 40), (50, 50)]
    images = []
    for index in range(count):
        width, height = sizes[index % len(sizes)]
        images.append(Image.fromarray(rng.randint(0, 256, (height, width, 3), dtype=np.uint8)))
    images[-1] = images[-1].convert("RGBA")  # WebUI outputs are not always RGB
    return images


def _values(results) -> list[float]:
    assert all(result.not_measured is None for result in results), results
    return [result.value for result in results]


def test_load_scorers_builds_both_from_local_files(models) -> None:
    config = ScorerConfig(str(models["clip"]), str(models["head"]), device="cpu")
    scorers, reasons = load_scorers(config)
    assert reasons == {}
    assert [scorer.name for scorer in scorers] == ["clip_score", "aesthetic"]
    assert [scorer.needs_prompt for scorer in scorers] == [True, False]
    assert all(scorer.version.startswith("1+") for scorer in scorers)
    # one CLIP in memory, shared by both scorers
    assert scorers[0].backbone is scorers[1].backbone
    # cached per config: the same objects come back without reading the files again
    again, _ = load_scorers(config)
    assert [id(scorer) for scorer in again] == [id(scorer) for scorer in scorers]


def test_clip_score_is_finite_deterministic_and_batch_invariant(models) -> None:
    backbone = load_clip_backbone(str(models["clip"]), device="cpu")
    scorer = ClipScorer(str(models["clip"]), backbone=backbone)
    images = _images()
    first = _values(scorer.score(images, PROMPTS))
    assert len(first) == 3
    assert all(math.isfinite(value) and 0.0 <= value <= 100.0 for value in first)
    assert _values(scorer.score(images, PROMPTS)) == first
    one_by_one = ClipScorer("", backbone=backbone, batch_size=1)
    singles = _values(one_by_one.score(images, PROMPTS))
    assert singles == pytest.approx(first, abs=1e-4)


def test_clip_score_cuts_prompts_longer_than_the_context(models) -> None:
    scorer = ClipScorer(str(models["clip"]), device="cpu")
    long_prompt = " ".join(["the cat and the dog"] * 40)
    [result] = scorer.score(_images(1), [long_prompt])
    assert result.not_measured is None and math.isfinite(result.value)


def test_clip_score_without_prompts_is_not_measured(models) -> None:
    scorer = ClipScorer(str(models["clip"]), device="cpu")
    images = _images()
    for prompts in ([], None):
        results = scorer.score(images, prompts)
        assert len(results) == 3
        assert all(result.value is None and "no prompt" in result.not_measured for result in results)
    mismatched = scorer.score(images, PROMPTS[:2])
    assert all("2 prompts for 3 images" in result.not_measured for result in mismatched)
    mixed = scorer.score(images, ["", "the cat", "<lora:x:1>"])
    assert [result.not_measured for result in mixed] == ["empty prompt", None, "empty prompt"]


def test_a_failed_forward_pass_costs_only_the_scores(models, monkeypatch) -> None:
    scorer = ClipScorer(str(models["clip"]), device="cpu")

    def out_of_memory(*args, **kwargs):
        raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB\nmore details")

    monkeypatch.setattr(scorer.backbone.model, "get_image_features", out_of_memory)
    results = scorer.score(_images(), PROMPTS)
    assert [result.not_measured for result in results] == [
        "scoring failed: RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB"
    ] * 3


def test_aesthetic_is_finite_deterministic_and_batch_invariant(models) -> None:
    backbone = load_clip_backbone(str(models["clip"]), device="cpu")
    scorer = AestheticScorer(str(models["clip"]), str(models["head"]), backbone=backbone)
    images = _images()
    first = _values(scorer.score(images, None))
    assert len(first) == 3 and all(math.isfinite(value) for value in first)
    assert _values(scorer.score(images, PROMPTS)) == first  # the prompt is ignored
    singles = _values(AestheticScorer("", str(models["head"]), backbone=backbone, batch_size=1).score(images))
    assert singles == pytest.approx(first, abs=1e-5)
    assert scorer.score([], None) == []


def test_aesthetic_reads_safetensors_and_bare_sequential_keys(models) -> None:
    from safetensors.torch import save_file

    reference = AestheticScorer(str(models["clip"]), str(models["head"]), device="cpu")
    expected = _values(reference.score(_images()))
    as_safetensors = models["root"] / "head.safetensors"
    save_file(_head_state(PROJECTION_DIM), str(as_safetensors))
    bare = models["root"] / "bare.pth"
    torch.save({key.removeprefix("layers."): value for key, value in _head_state(PROJECTION_DIM).items()}, bare)
    for path in (as_safetensors, bare):
        scorer = AestheticScorer("", str(path), backbone=reference.backbone)
        assert _values(scorer.score(_images())) == pytest.approx(expected, abs=1e-6)


def test_missing_paths_give_the_settings_hint(models) -> None:
    scorers, reasons = load_scorers(ScorerConfig(device="cpu"))
    assert scorers == []
    assert reasons == {"clip_score": REASON_NO_CLIP_FOLDER, "aesthetic": REASON_NO_AESTHETIC_HEAD}
    missing = models["root"] / "nowhere"
    scorers, reasons = load_scorers(ScorerConfig(str(missing), str(models["head"]), device="cpu"))
    assert scorers == []
    assert reasons["clip_score"] == f"CLIP model folder not found: {missing}"
    assert reasons["aesthetic"].startswith("needs the CLIP model: CLIP model folder not found")
    scorers, reasons = load_scorers(ScorerConfig(str(models["clip"]), str(missing / "head.pth"), device="cpu"))
    assert [scorer.name for scorer in scorers] == ["clip_score"]
    assert reasons == {"aesthetic": f"aesthetic head file not found: {missing / 'head.pth'}"}


def test_corrupt_head_is_not_measured_with_the_reason(models) -> None:
    with pytest.raises(ScorerUnavailable, match=r"^cannot read .*corrupt\.pth: "):
        AestheticScorer(str(models["clip"]), str(models["corrupt"]), device="cpu")
    scorers, reasons = load_scorers(ScorerConfig(str(models["clip"]), str(models["corrupt"]), device="cpu"))
    assert [scorer.name for scorer in scorers] == ["clip_score"]
    assert reasons["aesthetic"].startswith(f"cannot read {models['corrupt']}: ")


def test_head_with_missing_layers_is_rejected(models) -> None:
    state = _head_state(PROJECTION_DIM)
    del state["layers.7.weight"]
    broken = models["root"] / "no-last-layer.pth"
    torch.save(state, broken)
    with pytest.raises(ScorerUnavailable, match="not an aesthetic head .*layers.7.weight"):
        AestheticScorer(str(models["clip"]), str(broken), device="cpu")


def test_head_for_another_clip_width_names_both_sizes(models) -> None:
    with pytest.raises(ScorerUnavailable) as caught:
        AestheticScorer(str(models["clip"]), str(models["wrong_head"]), device="cpu")
    assert "768-d" in str(caught.value) and f"{PROJECTION_DIM}-d" in str(caught.value)


def test_corrupt_clip_folder_is_not_measured(models) -> None:
    broken = models["root"] / "broken-clip"
    broken.mkdir()
    (broken / "config.json").write_text("{ not json", encoding="utf-8")
    scorers, reasons = load_scorers(ScorerConfig(str(broken), str(models["head"]), device="cpu"))
    assert scorers == []
    assert reasons["clip_score"].startswith(f"cannot read {broken}: ")
    empty = models["root"] / "empty-folder"
    empty.mkdir()
    _, reasons = load_scorers(ScorerConfig(str(empty), device="cpu"))
    assert "no config.json" in reasons["clip_score"]


def test_a_replaced_file_is_read_again(models) -> None:
    head = models["root"] / "replaced.pth"
    head.write_bytes(b"not yet")
    config = ScorerConfig(str(models["clip"]), str(head), device="cpu")
    _, reasons = load_scorers(config)
    assert "aesthetic" in reasons
    torch.save(_head_state(PROJECTION_DIM), head)
    os.utime(head, ns=(1, 1))  # a different mtime even on coarse file systems
    scorers, reasons = load_scorers(config)
    assert reasons == {} and len(scorers) == 2


def test_without_transformers_every_scorer_says_so(models, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "transformers", None)  # import now raises ImportError
    scorers, reasons = load_scorers(ScorerConfig(str(models["clip"]), str(models["head"]), device="cpu"))
    assert scorers == []
    assert reasons == {"clip_score": REASON_NO_TRANSFORMERS, "aesthetic": REASON_NO_TRANSFORMERS}


def test_unknown_device_is_a_reason(models) -> None:
    _, reasons = load_scorers(ScorerConfig(str(models["clip"]), device="tpu9"))
    assert "tpu9" in reasons["clip_score"]


def test_downloads_only_when_allowed_and_only_the_hub_clip(models, monkeypatch) -> None:
    calls = []

    def fake_from_pretrained(source, **kwargs):
        calls.append((source, kwargs))
        raise OSError("offline in tests")

    monkeypatch.setattr(transformers.CLIPModel, "from_pretrained", fake_from_pretrained)
    _, reasons = load_scorers(ScorerConfig(device="cpu"))
    assert calls == [] and reasons["clip_score"] == REASON_NO_CLIP_FOLDER
    _, reasons = load_scorers(ScorerConfig(allow_download=True, device="cpu"))
    assert calls == [(HUB_CLIP_MODEL, {"local_files_only": False})]
    assert reasons["clip_score"] == f"cannot download {HUB_CLIP_MODEL}: OSError: offline in tests"
    calls.clear()
    load_scorers(ScorerConfig(str(models["clip"]), allow_download=True, device="cpu"))
    assert calls == [(str(models["clip"]), {"local_files_only": True})]  # a set folder is never swapped for the hub


@pytest.mark.parametrize(
    ("prompt", "cleaned"),
    [
        ("(masterpiece:1.2), a cat, [blurry] <lora:detail:0.8>", "masterpiece, a cat, blurry"),
        ("a dog BREAK a tree", "a dog a tree"),
        ("a cat, <lora:x:1>, ((sharp:1.1)) , dog", "a cat, sharp, dog"),
        (r"a \(literal\) word", "a (literal) word"),
        ("<lora:only:1>", ""),
    ],
)
def test_clean_prompt_drops_webui_syntax(prompt: str, cleaned: str) -> None:
    assert clean_prompt(prompt) == cleaned
