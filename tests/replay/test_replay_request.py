"""The replay request built from the ledger alone: settings, the image's own seed, inputs inlined as PNG, other
extensions' arguments; refusals naming what is missing; what a host lacks, named before sampling."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image

from paramlab.ledger import ImageRecord, Ledger, RunRecord, schema
from paramlab.ledger.input_records import InputRecord, RecordRunInputs
from paramlab.ledger.input_store import InputStorage
from paramlab.ledger.operations import WriteRun
from paramlab.replay.request import HostInventory, ReplayRefused, build_replay_request, missing_on_host

CPU = json.dumps({"device": "cpu", "rng_source": "GPU", "cross_attention": "Automatic"})


def picture(colour: tuple[int, int, int], size: tuple[int, int] = (16, 16), mode: str = "RGB") -> Image.Image:
    image = Image.new(mode, size, colour if mode == "RGB" else colour[0])
    image.putpixel((1, 1), (1, 2, 3) if mode == "RGB" else 255)
    return image


def decoded(text: str) -> Image.Image:
    return Image.open(io.BytesIO(base64.b64decode(text)))


def write_run(ledger: Ledger, tab: str, images: list[ImageRecord], inputs: list[InputRecord] = (),
              replay_args: dict | None = None, storage: InputStorage | None = None, **run) -> list[int]:
    record = RunRecord(tab=tab, source="api", status="ok", fingerprint=CPU, batch_size=len(images), images=images,
                       **run)
    with ledger.write() as conn:
        WriteRun(record).apply(conn)
    if inputs or replay_args:
        operation = RecordRunInputs(record.run_uid, list(inputs), replay_args or {}, [])
        operation.prepare(storage or InputStorage())
        with ledger.write() as conn:
            operation.apply(conn)
    with ledger.engine.connect() as conn:
        return list(conn.execute(sa.select(schema.images.c.id).join(schema.runs)
                                 .where(schema.runs.c.run_uid == record.run_uid)
                                 .order_by(schema.images.c.index_in_run)).scalars())


def image(index: int = 0, **fields) -> ImageRecord:
    return ImageRecord(index_in_run=index, seed=100 + index, subseed=7, subseed_strength=0.0, prompt="kaito",
                       negative_prompt="blur", sampler="Euler a", scheduler="Karras", steps=4, cfg_scale=6.5,
                       width=64, height=48, clip_skip=2, model_name="tiny", model_hash="abcdef1234", **fields)


CONTROLNET_ARGS = {"scripts": {
    "ControlNet": {"args": [{"enabled": True, "image": {"paramlab_input": 0}, "module": "none",
                             "model": "control_pose [a1b2c3d4]", "weight": 0.8},
                            {"enabled": False, "image": None, "model": "None"}]},
    "ADetailer": {"args": [True, False, {"ad_model": "face_yolov8n.pt", "ad_prompt": "smile"},
                           {"ad_model": "None"}]},
    "Refiner": {"args": [False, "", 0.8]},
}}


def test_a_txt2img_image_of_a_batch_replays_alone_with_its_own_seed_and_its_extensions(ledger: Ledger) -> None:
    pose = picture((10, 200, 30))
    ids = write_run(ledger, "txt2img", [image(0), image(1)],
                    [InputRecord("ControlNet unit 0", "control", 0, "ControlNet/args/0/image", image=pose.copy())],
                    CONTROLNET_ARGS)
    request = build_replay_request(ledger, ids[1])
    payload = request.payload
    assert request.endpoint == "txt2img" and request.image_id == ids[1]
    assert (payload["seed"], payload["subseed"], payload["batch_size"], payload["n_iter"]) == (101, 7, 1, 1)
    assert {key: payload[key] for key in ("prompt", "negative_prompt", "sampler_name", "scheduler", "steps",
                                          "cfg_scale", "width", "height")} == {
        "prompt": "kaito", "negative_prompt": "blur", "sampler_name": "Euler a", "scheduler": "Karras", "steps": 4,
        "cfg_scale": 6.5, "width": 64, "height": 48}
    assert payload["override_settings"] == {"CLIP_stop_at_last_layers": 2, "sd_model_checkpoint": "abcdef1234"}
    assert (payload["send_images"], payload["save_images"]) == (True, False)
    assert "enable_hr" not in payload and "init_images" not in payload
    scripts = payload["alwayson_scripts"]
    assert sorted(scripts) == ["ADetailer", "ControlNet", "ParamLab"]  # the Refiner, switched off, is left to the host
    assert scripts["ParamLab"] == {"args": [{"record": False}]}  # a replay is no new ledger run
    unit = scripts["ControlNet"]["args"][0]
    assert decoded(unit["image"]).convert("RGB").tobytes() == pose.tobytes()
    assert scripts["ControlNet"]["args"][1] == {"enabled": False, "image": None, "model": "None"}
    assert scripts["ADetailer"]["args"][2] == {"ad_model": "face_yolov8n.pt", "ad_prompt": "smile"}
    assert request.needs.checkpoint == "tiny [abcdef1234]"
    assert request.needs.extensions == ["ADetailer", "ControlNet"]
    assert request.needs.extension_models == {"ControlNet": ["control_pose [a1b2c3d4]"],
                                              "ADetailer": ["face_yolov8n.pt"]}
    assert (request.verdict, request.verdict_reason) == ("exact", None)


def test_an_inpaint_image_replays_with_its_init_image_mask_and_settings(ledger: Ledger) -> None:
    init, mask = picture((90, 90, 200)), picture((0, 0, 0), mode="L")
    settings = {"resize_mode": 1, "mask_blur": 6, "inpainting_fill": 1, "inpaint_full_res": False,
                "inpaint_full_res_padding": 32, "inpainting_mask_invert": 0, "denoising_strength": 0.75,
                "image_cfg_scale": None, "initial_noise_multiplier": 1.0, "mask_round": True,
                "init_images": [{"paramlab_input": 0}], "mask": {"paramlab_input": 1}}
    [image_id] = write_run(ledger, "img2img", [image(0, denoising_strength=0.6)],
                           [InputRecord("img2img", "init", 0, "img2img/init_images/0", image=init.copy()),
                            InputRecord("img2img", "mask", 0, "img2img/mask", image=mask.copy())],
                           {"img2img": settings, "scripts": {}})
    request = build_replay_request(ledger, image_id)
    payload = request.payload
    assert request.endpoint == "img2img"
    assert [decoded(text).convert("RGB").tobytes() for text in payload["init_images"]] == [init.tobytes()]
    assert decoded(payload["mask"]).convert("L").tobytes() == mask.tobytes()
    assert payload["denoising_strength"] == 0.6  # the image's own, as recorded on its row
    assert {key: payload[key] for key in ("resize_mode", "mask_blur", "inpainting_fill", "inpaint_full_res",
                                          "inpaint_full_res_padding", "inpainting_mask_invert", "mask_round",
                                          "initial_noise_multiplier")} == {
        "resize_mode": 1, "mask_blur": 6, "inpainting_fill": 1, "inpaint_full_res": False,
        "inpaint_full_res_padding": 32, "inpainting_mask_invert": 0, "mask_round": True,
        "initial_noise_multiplier": 1.0}
    assert "image_cfg_scale" not in payload
    assert payload["alwayson_scripts"] == {"ParamLab": {"args": [{"record": False}]}}


def test_an_image_made_from_the_kth_of_several_init_images_replays_with_that_one(ledger: Ledger) -> None:
    first, second = picture((200, 0, 0)), picture((0, 200, 0))
    ids = write_run(ledger, "img2img", [image(0), image(1)],
                    [InputRecord("img2img", "init", 0, None, image=first.copy()),
                     InputRecord("img2img", "init", 1, None, image=second.copy())], {"img2img": {}})
    payload = build_replay_request(ledger, ids[1]).payload
    assert [decoded(text).convert("RGB").tobytes() for text in payload["init_images"]] == [second.tobytes()]


def test_a_hires_image_replays_with_its_hires_settings(ledger: Ledger) -> None:
    extra = json.dumps({"Hires sampler": "DPM++ 2M", "Hires prompt": "sharp", "Lora hashes": "x",
                        "Refiner": "refiner [0123456789]", "Refiner switch at": 0.8})
    [image_id] = write_run(ledger, "txt2img", [image(0, hires_enabled=True, hires_upscaler="Latent", hires_scale=1.5,
                                                     hires_steps=3, hires_denoising=0.55, extra_params=extra)])
    payload = build_replay_request(ledger, image_id).payload
    assert {key: payload[key] for key in ("enable_hr", "hr_upscaler", "hr_scale", "hr_second_pass_steps",
                                          "hr_resize_x", "hr_resize_y", "denoising_strength", "hr_sampler_name",
                                          "hr_prompt")} == {
        "enable_hr": True, "hr_upscaler": "Latent", "hr_scale": 1.5, "hr_second_pass_steps": 3, "hr_resize_x": 0,
        "hr_resize_y": 0, "denoising_strength": 0.55, "hr_sampler_name": "DPM++ 2M", "hr_prompt": "sharp"}
    assert (payload["width"], payload["height"]) == (64, 48)  # the first pass's size, as A1111 takes it
    assert (payload["refiner_checkpoint"], payload["refiner_switch_at"]) == ("refiner [0123456789]", 0.8)


def test_an_input_not_stored_or_gone_from_the_store_refuses_the_replay_naming_it(ledger: Ledger) -> None:
    pose = picture((10, 200, 30))
    control = [InputRecord("ControlNet unit 0", "control", 0, "ControlNet/args/0/image", image=pose.copy())]
    [off] = write_run(ledger, "txt2img", [image(0)], control, CONTROLNET_ARGS, storage=InputStorage(enabled=False))
    with pytest.raises(ReplayRefused, match=r"the ControlNet unit 0 control image was not stored \(input storage"):
        build_replay_request(ledger, off)
    fresh = [InputRecord("ControlNet unit 0", "control", 0, "ControlNet/args/0/image", image=pose.copy())]
    [gone] = write_run(ledger, "txt2img", [image(0)], fresh, CONTROLNET_ARGS)
    with ledger.engine.connect() as conn:
        stored_path = conn.execute(sa.select(schema.input_blobs.c.stored_path)).scalar_one()
    if stored_path:  # beside SQLite: the file deleted, its row kept
        (Path(ledger.engine.url.database).parent / stored_path).unlink()
        with pytest.raises(ReplayRefused, match="the ControlNet unit 0 control image is missing from the input store"):
            build_replay_request(ledger, gone)
    with ledger.write() as conn:
        conn.execute(schema.input_blobs.delete())
    with pytest.raises(ReplayRefused, match="the ControlNet unit 0 control image is no longer in the input store"):
        build_replay_request(ledger, gone)


def test_what_cannot_be_replayed_is_refused_with_the_reason(ledger: Ledger) -> None:
    with pytest.raises(ReplayRefused, match="there is no image 999"):
        build_replay_request(ledger, 999)
    [imported] = write_run(ledger, "txt2img", [ImageRecord(index_in_run=0, prompt="x")])
    with pytest.raises(ReplayRefused, match="imported without seed or steps"):
        build_replay_request(ledger, imported)
    [old_img2img] = write_run(ledger, "img2img", [image(0)])
    with pytest.raises(ReplayRefused, match="the init image was not recorded"):
        build_replay_request(ledger, old_img2img)


def test_missing_on_host_names_each_missing_checkpoint_extension_and_model(ledger: Ledger) -> None:
    pose = picture((10, 200, 30))
    [image_id] = write_run(ledger, "txt2img", [image(0)],
                           [InputRecord("ControlNet unit 0", "control", 0, None, image=pose.copy())], CONTROLNET_ARGS)
    request = build_replay_request(ledger, image_id)
    complete = HostInventory(checkpoints=["tiny.safetensors [abcdef1234]"], extensions=["controlnet", "ADetailer"],
                             extension_models={"ControlNet": ["control_pose [a1b2c3d4]"],
                                               "ADetailer": ["face_yolov8n.pt"]})
    assert missing_on_host(request, complete) == []
    by_hash = HostInventory(checkpoints=["renamed.ckpt [abcdef1234]"], extensions=["ControlNet", "adetailer"],
                            extension_models={"ControlNet": ["control_pose [a1b2c3d4]"]})  # ADetailer's list unknown
    assert missing_on_host(request, by_hash) == []
    other_file = HostInventory(checkpoints=["tiny.safetensors [abcdef1234]"], extensions=["ControlNet", "ADetailer"],
                               extension_models={"ControlNet": ["control_pose [99999999]"]})  # ControlNet won't find it
    assert missing_on_host(request, other_file) == ["ControlNet model control_pose [a1b2c3d4] is not installed"]
    same_name = HostInventory(checkpoints=["tiny.safetensors [0000000000]"], extensions=["ControlNet", "ADetailer"])
    assert missing_on_host(request, same_name) == ["checkpoint tiny [abcdef1234] is not installed"]
    assert missing_on_host(request, HostInventory(checkpoints=["other [1111111111]"], extensions=["ControlNet"],
                                                  extension_models={"ControlNet": ["control_depth [a1b2c3d4]"]})) == [
        "checkpoint tiny [abcdef1234] is not installed",
        "extension ADetailer is not installed (no always-on script of that name)",
        "ControlNet model control_pose [a1b2c3d4] is not installed",
    ]


def test_a_controlnet_unit_from_the_ui_replays_as_image_and_mask_image(ledger: Ledger) -> None:
    """The UI's unit holds {"image", "mask"} in ``image``: Forge's API skips that form silently; both hosts take
    ``image`` with ``mask_image``."""
    pose, mask = picture((10, 200, 30)), picture((255, 0, 0), mode="L")
    args = {"scripts": {"ControlNet": {"args": [{"enabled": True, "model": "control_pose [a1b2c3d4]",
                                                 "image": {"image": {"paramlab_input": 0},
                                                           "mask": {"paramlab_input": 1}}}]}}}
    [image_id] = write_run(ledger, "txt2img", [image(0)],
                           [InputRecord("ControlNet unit 0", "control", 0, None, image=pose.copy()),
                            InputRecord("ControlNet unit 0", "mask", 0, None, image=mask.copy())], args)
    [unit] = build_replay_request(ledger, image_id).payload["alwayson_scripts"]["ControlNet"]["args"]
    assert decoded(unit["image"]).convert("RGB").tobytes() == pose.tobytes()
    assert decoded(unit["mask_image"]).convert("L").tobytes() == mask.tobytes()
