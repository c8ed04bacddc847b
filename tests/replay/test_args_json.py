"""Script arguments as JSON with their images taken out: every shape A1111, Forge, ControlNet and ADetailer hand
over (LAB_FINDINGS.md), and nothing ever raises."""

from __future__ import annotations

import base64
import dataclasses
import enum
import io
import json
from typing import Any

import numpy as np
import pytest
from PIL import Image

from paramlab.ledger.input_store import encode_input
from paramlab.replay.args_json import PLACEHOLDER, UNKNOWN, ArgsJson, held_image
from paramlab.replay.extension_values import image_source

try:
    from pydantic.v1 import BaseModel
except ImportError:  # pydantic 1 (gradio 3's venv)
    from pydantic import BaseModel


class ResizeMode(enum.Enum):
    INNER_FIT = "Crop and Resize"


class ControlMode(enum.Enum):
    BALANCED = "Balanced"


class ControlNetUnit(BaseModel):
    """sd-webui-controlnet 1.1.455's unit as the lab found it: a pydantic v1 model, str-valued enums."""

    class Config:
        arbitrary_types_allowed = True

    enabled: bool = False
    module: str = "none"
    model: str = "None"
    weight: float = 1.0
    image: Any | None = None
    resize_mode: ResizeMode = ResizeMode.INNER_FIT
    processor_res: int = -1
    control_mode: ControlMode = ControlMode.BALANCED
    effective_region_mask: np.ndarray | None = None
    mask: Any | None = None


@dataclasses.dataclass
class ForgeUnit:
    """Forge's built-in ControlNet unit: a dataclass."""

    enabled: bool = True
    model: str = "control_depth [abcd1234]"
    image: Any = None


def png_base64(image: Image.Image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def walk(value: Any, title: str = "ControlNet") -> tuple[Any, ArgsJson]:
    walker = ArgsJson()
    result = walker.convert(value, f"{title}/args", lambda path: image_source(title, path))
    json.dumps(result)  # always JSON
    return result, walker


def test_plain_values_stay_as_they_are() -> None:
    value = {"a": [1, 2.5, "x", None, True], "b": (3, "y"), 4: {"nested": False}}
    result, walker = walk(value)
    assert result == {"a": [1, 2.5, "x", None, True], "b": [3, "y"], "4": {"nested": False}}
    assert walker.inputs == []


def test_a_raw_api_unit_with_a_base64_image_keeps_the_image_as_an_input() -> None:
    pose = Image.new("RGB", (48, 32), (10, 200, 30))
    unit = {"enabled": True, "image": png_base64(pose), "module": "none", "model": "control_x [a1b2c3d4]",
            "weight": 1.0}
    result, walker = walk([unit, {"enabled": False}])
    assert result[0]["image"] == {PLACEHOLDER: 0} and result[0]["model"] == "control_x [a1b2c3d4]"
    [item] = walker.inputs
    assert (item.source, item.role, item.position, item.arg_path) == ("ControlNet unit 0", "control", 0,
                                                                      "ControlNet/args/0/image")
    assert (item.width, item.height) == (48, 32) and item.png is None
    assert np.array_equal(np.array(item.image.convert("RGB")), np.array(pose))  # decoded lazily, same pixels


def test_a_data_url_and_an_image_mask_dict_give_two_inputs() -> None:
    picture, mask = Image.new("RGB", (16, 16), "red"), Image.new("L", (16, 16), 255)
    unit = {"enabled": True, "image": {"image": "data:image/png;base64," + png_base64(picture),
                                       "mask": png_base64(mask)}}
    result, walker = walk([{"enabled": False}, unit])
    assert result[1]["image"] == {"image": {PLACEHOLDER: 0}, "mask": {PLACEHOLDER: 1}}
    assert [(i.source, i.role, i.arg_path) for i in walker.inputs] == [
        ("ControlNet unit 1", "control", "ControlNet/args/1/image/image"),
        ("ControlNet unit 1", "mask", "ControlNet/args/1/image/mask")]


def test_the_pydantic_unit_as_the_lab_found_it() -> None:
    array = np.zeros((24, 40, 3), np.uint8)
    region = np.full((24, 40), 255, np.uint8)
    units = [ControlNetUnit(enabled=True, model="control_pose [cab727d4]", image={"image": array, "mask": array},
                            effective_region_mask=region), ControlNetUnit()]
    result, walker = walk(units)
    first = result[0]
    assert first["resize_mode"] == "Crop and Resize" and first["control_mode"] == "Balanced"
    assert first["image"] == {"image": {PLACEHOLDER: 0}, "mask": {PLACEHOLDER: 1}}
    assert first["effective_region_mask"] == {PLACEHOLDER: 2}
    assert result[1] == {"enabled": False, "module": "none", "model": "None", "weight": 1.0, "image": None,
                         "resize_mode": "Crop and Resize", "processor_res": -1, "control_mode": "Balanced",
                         "effective_region_mask": None, "mask": None}
    assert walker.inputs[0].image.array is array  # a reference: nothing copied on the generation thread
    assert (walker.inputs[0].width, walker.inputs[0].height) == (40, 24)
    assert [(i.role, i.position) for i in walker.inputs] == [("control", 0), ("mask", 0), ("mask", 1)]


def test_a_dataclass_unit_and_an_image_mask_list() -> None:
    picture = Image.new("RGB", (8, 8))
    result, walker = walk([ForgeUnit(image=[picture, picture])])
    assert result == [{"enabled": True, "model": "control_depth [abcd1234]",
                       "image": [{PLACEHOLDER: 0}, {PLACEHOLDER: 1}]}]
    assert walker.inputs[0].image is picture and walker.inputs[1].position == 1


def test_numpy_scalars_enums_and_odd_floats() -> None:
    class Colour(enum.Enum):
        RED = 1

    result, _walker = walk([np.float32(0.5), np.int64(3), np.bool_(True), Colour.RED, float("nan")])
    assert result[:4] == [0.5, 3, True, 1]
    assert result[4][UNKNOWN] == "float" and result[4]["repr"] == "nan"


def test_arrays_that_are_not_images_are_summarised_or_kept_when_small() -> None:
    weights = np.linspace(0, 1, 13)
    big = np.zeros((300, 300), np.float32)
    result, walker = walk({"weights": weights, "big": big, "thin": np.zeros((1, 500), np.uint8)})
    assert result["weights"] == pytest.approx(list(weights))
    assert result["big"][UNKNOWN] == "numpy.ndarray" and result["big"]["shape"] == [300, 300]
    assert result["big"]["dtype"] == "float32" and result["thin"][UNKNOWN] == "numpy.ndarray"
    assert walker.inputs == []


def test_image_arrays_of_every_layout_become_pngs_on_the_writer_thread() -> None:
    for shape, mode in [((10, 12), "L"), ((10, 12, 1), "L"), ((10, 12, 3), "RGB"), ((10, 12, 4), "RGBA")]:
        array = np.full(shape, 7, np.uint8)
        walker = ArgsJson()
        walker.convert({"image": array}, "X/args", lambda path: ("X", "script"))
        [item] = walker.inputs
        assert (item.width, item.height) == (12, 10)
        encode_input(item)
        decoded = Image.open(io.BytesIO(item.png))
        assert (decoded.mode, decoded.size, decoded.getpixel((0, 0)) in (7, (7, 7, 7), (7, 7, 7, 7))) == (
            mode, (12, 10), True)
    assert held_image(np.zeros((10, 12, 2), np.uint8)) is None
    assert held_image(np.zeros((10, 12, 3), np.float32)) is None


def test_strings_that_are_not_images_stay_text() -> None:
    text = "iVBORw0KGgo but not really a picture at all, just a prompt"
    result, walker = walk(["a prompt", text, "/9j/" + "A" * 60, "x" * 70000])
    assert result[:3] == ["a prompt", text, "/9j/" + "A" * 60]
    assert result[3][UNKNOWN] == "str" and walker.inputs == []


def test_unknown_objects_become_their_repr_and_nothing_raises() -> None:
    class Odd:
        def __repr__(self) -> str:
            return "<odd thing>"

    class Broken:
        @property
        def __dict__(self) -> Any:
            raise RuntimeError("no")

        def __repr__(self) -> str:
            raise RuntimeError("no repr either")

    result, _walker = walk([Odd(), b"\x00\x01", {1, 2}])
    assert result[0] == {UNKNOWN: f"{__name__}.{Odd.__qualname__}", "repr": "<odd thing>"}
    assert result[1] == {UNKNOWN: "bytes", "repr": "2 bytes"} and result[2] == [1, 2]
    broken, _walker = walk(Broken())
    assert broken[UNKNOWN].endswith("Broken")


def test_a_deeply_nested_value_is_cut() -> None:
    value: Any = "leaf"
    for _ in range(40):
        value = [value]
    result, _walker = walk(value)
    assert "nested too deep" in json.dumps(result)


def test_other_scripts_images_are_script_inputs_and_positions_count_per_source() -> None:
    picture = Image.new("RGB", (4, 4))
    result, walker = walk([picture, {"reference": picture}], title="Reference only")
    assert result == [{PLACEHOLDER: 0}, {"reference": {PLACEHOLDER: 1}}]
    assert [(i.source, i.role, i.position) for i in walker.inputs] == [("Reference only", "script", 0),
                                                                        ("Reference only", "script", 1)]
