"""Tests for the A1111 v1.10.1 stand-in host in tests/host (hook order, seeds, API, saving)."""

from __future__ import annotations

import base64
import io
import os
import sys
from collections import Counter
from datetime import datetime
from typing import Any

import pytest

HOST = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "host")
if HOST not in sys.path:
    sys.path.insert(0, HOST)

from host_fixture import register_xyz, reset_host  # noqa: E402
from modules import (  # noqa: E402
    _standin_flavour,
    errors,
    images,
    img2img,
    infotext_utils,
    processing,
    script_callbacks,
    scripts,
    shared,
    shared_cmd_options,
    txt2img,
)
from modules._standin_ui import default_script_args, script_args_with  # noqa: E402
from modules.api import api  # noqa: E402
from PIL import Image  # noqa: E402

HOOKS = [
    "setup",
    "before_process",
    "process",
    "before_process_batch",
    "process_batch",
    "after_extra_networks_activate",
    "process_before_every_sampling",
    "before_hr",
    "post_sample",
    "postprocess_batch",
    "postprocess_batch_list",
    "postprocess_image",
    "postprocess_maskoverlay",
    "postprocess_image_after_composite",
    "postprocess",
]


class Recorder(scripts.Script):
    """Always-on script recording every hook call with a snapshot of p."""

    calls: list[tuple[str, dict[str, Any]]] = []
    setup_values: dict[str, Any] = {}
    fail_in: str | None = None
    interrupt_in_batch: int | None = None

    def title(self) -> str:
        return "Recorder Ext"

    def show(self, is_img2img: bool) -> Any:
        return scripts.AlwaysVisible

    def ui(self, is_img2img: bool) -> list:
        import gradio as gr

        return [gr.Checkbox(value=False, label="Enabled"), gr.Number(value=3, label="Amount")]


def _make_hook(name: str) -> Any:
    def hook(self: Recorder, p: Any, *args: Any, **kwargs: Any) -> None:
        Recorder.calls.append((name, {"steps": p.steps, "seed": p.seed, "args": args, "kwargs": set(kwargs)}))
        if name == "setup":
            for k, v in Recorder.setup_values.items():
                setattr(p, k, v)
        if name == Recorder.fail_in:
            raise RuntimeError(f"boom in {name}")
        if name == "process_batch" and kwargs.get("batch_number") == Recorder.interrupt_in_batch:
            shared.state.interrupt()

    return hook


for _h in HOOKS:
    setattr(Recorder, _h, _make_hook(_h))


@pytest.fixture(autouse=True)
def host(tmp_path: Any) -> Any:
    reset_host(tmp_path)
    Recorder.calls = []
    Recorder.setup_values = {}
    Recorder.fail_in = None
    Recorder.interrupt_in_batch = None
    yield tmp_path


def counts() -> Counter:
    return Counter(name for name, _ in Recorder.calls)


def test_hook_counts_txt2img_hires_match_doc() -> None:
    runner = scripts.build_runner([Recorder], is_img2img=False)
    ui = {"prompt": "a cat", "n_iter": 2, "batch_size": 2, "enable_hr": True, "width": 64, "height": 64}
    res = txt2img.run_txt2img_ui(runner, ui)
    expected = {
        "setup": 1,
        "before_process": 1,
        "process": 1,
        "before_process_batch": 2,
        "process_batch": 2,
        "after_extra_networks_activate": 4,
        # Forge (dfdcbab6) calls it twice before its hires pass: 2 batches x (first pass + 2) = 6
        "process_before_every_sampling": 6 if _standin_flavour.FORGE else 4,
        "before_hr": 2,
        "post_sample": 2,
        "postprocess_batch": 2,
        "postprocess_batch_list": 2,
        "postprocess_image": 4,
        "postprocess_image_after_composite": 4,
        "postprocess": 1,
    }
    c = counts()
    assert {k: c[k] for k in expected} == expected
    order = [n for n, _ in Recorder.calls]
    assert order[:5] == [
        "setup",
        "before_process",
        "process",
        "before_process_batch",
        "after_extra_networks_activate",
    ]
    assert order[order.index("before_hr") + 1] == "process_before_every_sampling"
    assert [n for n, _ in Recorder.calls if n == "postprocess_batch"] and order[-1] == "postprocess"
    pb = next(d for n, d in Recorder.calls if n == "postprocess_batch")
    assert pb["kwargs"] == {"images", "batch_number"}
    assert len(res.images) == 5 and res.index_of_first_image == 1
    assert res.images[1].size == (128, 128)
    assert [len(x) for x in (res.all_seeds, res.infotexts)] == [4, 5]
    assert [hr for _, hr, _, _ in processing.sampled_noise_log] == [False, True, False, True]
    assert errors.reported == []


def test_args_slice_and_layout() -> None:
    runner = scripts.build_runner([Recorder], is_img2img=False)
    titles = [(s.title(), s.args_from, s.args_to) for s in runner.scripts]
    assert titles == [("Recorder Ext", 10, 12), ("Sampler", 1, 4), ("Seed", 4, 10)]
    args = script_args_with(runner, {"Recorder Ext": [True, 9]})
    txt2img.run_txt2img_ui(runner, {"prompt": "x", "width": 64, "height": 64}, args)
    assert next(d for n, d in Recorder.calls if n == "process")["args"] == (True, 9)
    assert runner.alwayson_scripts[0].elem_id("amount") == "script_txt2img_recorder_ext_amount"


def test_builtin_setup_runs_after_extension_in_ui_but_not_api() -> None:
    Recorder.setup_values = {"steps": 7, "seed": 123}
    runner = scripts.build_runner([Recorder], is_img2img=False)
    txt2img.run_txt2img_ui(runner, {"prompt": "x", "width": 64, "height": 64})
    bp = next(d for n, d in Recorder.calls if n == "before_process")
    assert (bp["steps"], bp["seed"]) == (
        20,
        -1,
    )  # builtin Sampler/Seed setup overwrote the extension's values
    Recorder.calls = []
    api.text2imgapi(runner, {"prompt": "x", "width": 64, "height": 64, "steps": 5})
    bp = next(d for n, d in Recorder.calls if n == "before_process")
    assert (bp["steps"], bp["seed"]) == (7, 123)


def _image_bytes(res: Any) -> list[bytes]:
    return [im.tobytes() for im in res.images[res.index_of_first_image :]]


def test_same_seed_same_images_and_different_seed_differs() -> None:
    runner = scripts.build_runner([Recorder], is_img2img=False)
    ui = {"prompt": "a dog", "batch_size": 2, "width": 64, "height": 64}
    a = txt2img.run_txt2img_ui(runner, ui, script_args_with(runner, {"Seed": [42]}))
    b = txt2img.run_txt2img_ui(runner, ui, script_args_with(runner, {"Seed": [42]}))
    c = txt2img.run_txt2img_ui(runner, ui, script_args_with(runner, {"Seed": [43]}))
    assert a.all_seeds == [42, 43]
    assert _image_bytes(a) == _image_bytes(b)
    assert _image_bytes(a) != _image_bytes(c)
    assert _image_bytes(c)[0] == _image_bytes(a)[1]  # seed 43 is image 2 of the first run


def test_interrupt_stops_the_loop() -> None:
    Recorder.interrupt_in_batch = 0
    runner = scripts.build_runner([Recorder], is_img2img=False)
    res = txt2img.run_txt2img_ui(runner, {"prompt": "x", "n_iter": 3, "width": 64, "height": 64})
    assert counts()["before_process_batch"] == 1
    assert len(res.images) == 1 and counts()["postprocess"] == 1
    assert not _saved_files(shared.opts.outdir_txt2img_samples)  # interrupted images are not saved


def test_failing_hook_is_reported_not_raised() -> None:
    Recorder.fail_in = "process"
    runner = scripts.build_runner([Recorder], is_img2img=False)
    res = txt2img.run_txt2img_ui(runner, {"prompt": "x", "width": 64, "height": 64})
    assert len(res.images) == 1
    assert any("Error running process" in m for m in errors.reported)


def test_api_unknown_alwayson_key_is_422_and_args_are_positional() -> None:
    runner = scripts.build_runner([Recorder], is_img2img=False)
    with pytest.raises(api.HTTPException) as exc:
        api.text2imgapi(runner, {"prompt": "x", "alwayson_scripts": {"nope": {"args": []}}})
    assert exc.value.status_code == 422
    res = api.text2imgapi(
        runner,
        {"prompt": "x", "width": 64, "height": 64, "alwayson_scripts": {"RECORDER EXT": {"args": [True]}}},
    )
    assert next(d for n, d in Recorder.calls if n == "process")["args"] == (True, 3)
    assert len(res["images"]) == 1 and '"sampler_name": "Euler"' in res["info"]
    assert not _saved_files(shared.opts.outdir_txt2img_samples)  # save_images defaults to False


def test_saved_png_has_parameters_and_fires_image_saved() -> None:
    saved: list[script_callbacks.ImageSaveParams] = []
    script_callbacks.on_image_saved(saved.append)
    runner = scripts.build_runner([Recorder], is_img2img=False)
    res = txt2img.run_txt2img_ui(
        runner, {"prompt": "a, cat", "width": 64, "height": 64}, script_args_with(runner, {"Seed": [7]})
    )
    assert len(saved) == 1
    path = saved[0].filename
    assert os.path.basename(path) == "00000-7.png"
    with Image.open(path) as im:
        text = im.text["parameters"]
    assert text == res.infotexts[0] and "Seed: 7" in text
    params = infotext_utils.parse_generation_parameters(text)
    assert params["Prompt"] == "a, cat" and params["Size-1"] == "64" and params["Clip skip"] == "1"


# piexif 1.1.3's dump({"Exif": {UserComment: UserComment.dump("Seed: 1é", encoding="unicode")}}), as A1111 calls it
PIEXIF_USER_COMMENT = bytes.fromhex(
    "457869660000 4d4d002a00000008 0001 8769 0004 00000001 0000001a 00000000"
    " 0001 9286 0007 00000018 00000028 554e49434f444500 0053006500650064003a0020003100e9")


@pytest.mark.parametrize("samples_format", ["jpg", "webp"])
def test_saved_jpeg_and_webp_carry_the_infotext_as_a1111_writes_it(samples_format: str) -> None:
    """v1.10.1 puts a JPEG's or WebP's infotext in the EXIF UserComment (piexif, UTF-16), and nests
    folders by the directory name pattern."""
    assert images.exif_with_user_comment("Seed: 1é") == PIEXIF_USER_COMMENT
    shared.opts.set("samples_format", samples_format)
    shared.opts.set("directories_filename_pattern", "[date]/[model_name]")
    saved: list[script_callbacks.ImageSaveParams] = []
    script_callbacks.on_image_saved(saved.append)
    runner = scripts.build_runner([Recorder], is_img2img=False)
    res = txt2img.run_txt2img_ui(
        runner, {"prompt": "ein Leuchtturm, 灯台", "width": 64, "height": 64}, script_args_with(runner, {"Seed": [7]})
    )
    path = saved[0].filename
    folder = os.path.join(shared.opts.outdir_txt2img_samples, datetime.now().strftime("%Y-%m-%d"), "standin")
    assert path == os.path.join(folder, f"00000-7.{samples_format}")
    with Image.open(path) as im:
        assert im.format == {"jpg": "JPEG", "webp": "WEBP"}[samples_format] and "parameters" not in im.info
        text, items = images.read_info_from_image(im)
    assert text == res.infotexts[0] and "exif" not in items


def test_xyz_selectable_runs_process_images_per_value() -> None:
    xyz = register_xyz()
    runner = scripts.build_runner([Recorder], is_img2img=False)
    assert [s.title() for s in runner.selectable_scripts] == ["X/Y/Z plot"]
    assert any(d.script_class.__module__ == "xyz_grid.py" for d in scripts.scripts_data)
    s = runner.selectable_scripts[0]
    args = default_script_args(runner)
    args[0] = 1
    steps_index = [o.label for o in s.current_axis_options].index("Steps")
    args[s.args_from : s.args_from + 2] = [steps_index, "3, 5"]
    res = txt2img.run_txt2img_ui(runner, {"prompt": "x", "width": 64, "height": 64}, args)
    assert counts()["before_process"] == 2 and len(res.images) == 3
    assert [d["steps"] for n, d in Recorder.calls if n == "process"] == [3, 5]
    assert xyz.AxisOptionTxt2Img("Foo", int, xyz.apply_field("steps")).is_img2img is False


def test_img2img_steps_and_preload_and_pip() -> None:
    import launch

    runner = scripts.build_runner([Recorder], is_img2img=True)
    init = Image.new("RGB", (64, 64), (200, 10, 10))
    seen: list[int] = []
    script_callbacks.on_cfg_denoiser(lambda prm: seen.append(prm.sampling_step))
    res = img2img.run_img2img_ui(
        runner, {"prompt": "x", "init_images": [init], "width": 64, "height": 64, "denoising_strength": 0.5}
    )
    assert len(seen) == 11 and "Denoising strength: 0.5" in res.info
    shared_cmd_options.load_preload(lambda parser: parser.add_argument("--paramlab-x", type=int, default=3))
    assert shared.cmd_opts.paramlab_x == 3
    launch.run_pip("install foo==1", "foo")
    assert launch.run_pip_calls == [("install foo==1", "foo")]
    b64 = base64.b64encode(_png(init)).decode()
    out = api.img2imgapi(runner, {"prompt": "x", "init_images": [b64], "width": 64, "height": 64})
    assert len(out["images"]) == 1 and "init_images" not in out["parameters"]


def _saved_files(root: str) -> list[str]:
    return [f for _, _, files in os.walk(root) for f in files]


def _png(im: Image.Image) -> bytes:
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    return buf.getvalue()
