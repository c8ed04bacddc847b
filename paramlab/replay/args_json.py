"""Any script argument as JSON, with its images taken out as the run's inputs.

An always-on script's arguments are whatever its UI or an API caller gave it: dicts, lists, ControlNet's
``ControlNetUnit`` (a pydantic model), dataclasses, enums, numpy values, PIL images, numpy image arrays,
base64 PNGs. A replay needs them as JSON the WebUI's API accepts again, so each image becomes
``{"paramlab_input": <index into the inputs>}`` (the writer later puts its SHA-256 there) and is kept as an
:class:`~paramlab.ledger.input_records.InputRecord` holding only a reference: this runs on the generation
thread, so nothing is encoded, hashed or copied here. What cannot be JSON (an unknown object, a big
non-image array, a huge text) is summarised as ``{"paramlab_unknown": "<type>", "repr": "…"}``. Nothing
here raises.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import enum
import io
import math
from collections.abc import Callable
from typing import Any

import numpy as np
from PIL import Image

from paramlab.ledger.input_records import InputRecord

PLACEHOLDER = "paramlab_input"
UNKNOWN = "paramlab_unknown"
MAX_TEXT = 65536  # a longer string that is no image is summarised (an embedded tensor, a file's bytes)
MAX_ITEMS = 1000  # per list or dict
MAX_DEPTH = 24
SMALL_ARRAY = 64  # a non-image array up to this many values is kept as a list
REPR_CHARS = 300
# base64 of the first bytes of PNG, JPEG, WebP and GIF files: a string starting so may be an image
IMAGE_BASE64_STARTS = ("iVBORw0KGgo", "/9j/", "UklGR", "R0lGOD")

ImageLabel = Callable[[str], tuple[str, str]]
"""An image's argument path → (source, role) of its input, e.g. ("ControlNet unit 0", "control")."""


class ArgsJson:
    """Turns argument values into JSON; the images met on the way collect in :attr:`inputs`."""

    def __init__(self) -> None:
        self.inputs: list[InputRecord] = []

    def convert(self, value: Any, path: str, label: ImageLabel) -> Any:
        """``value`` as JSON; ``path`` names where it is ("ControlNet/args/0"), for the inputs' ``arg_path``."""
        try:
            return self._convert(value, path, label, 0)
        except Exception as exc:  # noqa: BLE001 - an odd value must never fail the generation
            return unknown(value, f"could not be read: {type(exc).__name__}")

    def add_image(self, image: Any, path: str, source: str, role: str) -> dict[str, int]:
        """Keep ``image`` (a PIL image or a numpy array, by reference) as the next input; its placeholder."""
        if isinstance(image, np.ndarray):
            image = ArrayImage(image)
        width, height = image_size(image)
        position = sum(1 for item in self.inputs if item.source == source and item.role == role)
        self.inputs.append(InputRecord(source=source, role=role, position=position, arg_path=path, image=image,
                                       width=width, height=height))
        return {PLACEHOLDER: len(self.inputs) - 1}

    def _convert(self, value: Any, path: str, label: ImageLabel, depth: int) -> Any:
        if value is None or isinstance(value, (bool, int)):
            return value
        if isinstance(value, float):
            return value if math.isfinite(value) else unknown(value, repr(value))
        if depth > MAX_DEPTH:
            return unknown(value, "nested too deep")
        image = held_image(value)
        if image is not None:
            source, role = label(path)
            return self.add_image(image, path, source, role)
        if isinstance(value, str):
            return value if len(value) <= MAX_TEXT else unknown(value, f"{len(value)} characters: {value[:80]}…")
        if isinstance(value, enum.Enum):
            return self._convert(value.value, path, label, depth + 1)
        if isinstance(value, np.generic):
            return self._convert(value.item(), path, label, depth + 1)
        if isinstance(value, dict):
            items = list(value.items())[:MAX_ITEMS]
            return {str(key): self._convert(item, f"{path}/{key}", label, depth + 1) for key, item in items}
        if isinstance(value, (list, tuple)):
            return [self._convert(item, f"{path}/{index}", label, depth + 1)
                    for index, item in enumerate(value[:MAX_ITEMS])]
        fields = model_fields(value)
        if fields is not None:
            return {name: self._convert(getattr(value, name, None), f"{path}/{name}", label, depth + 1)
                    for name in fields}
        if isinstance(value, np.ndarray) and value.size <= SMALL_ARRAY:
            return self._convert(value.tolist(), path, label, depth + 1)
        if hasattr(value, "shape") and hasattr(value, "dtype"):  # a big array or a tensor: its shape only
            marker = unknown(value, f"array of shape {tuple(value.shape)}, {value.dtype}")
            marker.update(shape=[int(side) for side in value.shape], dtype=str(value.dtype))
            return marker
        if isinstance(value, (bytes, bytearray)):
            return unknown(value, f"{len(value)} bytes")
        if isinstance(value, (set, frozenset)):
            return self._convert(sorted(value, key=repr), path, label, depth + 1)
        return unknown(value, repr(value))


def unknown(value: Any, text: str) -> dict[str, Any]:
    """What stands for a value that is not JSON: its type and a short text."""
    kind = type(value)
    name = kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
    return {UNKNOWN: name, "repr": text[:REPR_CHARS]}


def model_fields(value: Any) -> list[str] | None:
    """The field names of a dataclass or pydantic model (v1 ``__fields__``, v2 ``model_fields``), read one by
    one (``dataclasses.asdict`` and ``.dict()`` would copy every array)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [item.name for item in dataclasses.fields(value)]
    kind = type(value)
    fields = getattr(kind, "model_fields", None)
    if not isinstance(fields, dict):
        fields = getattr(kind, "__fields__", None)
    return list(fields) if isinstance(fields, dict) and hasattr(value, "__dict__") else None


class ArrayImage:
    """A numpy image array held by reference, with the two things of a PIL image the ledger writer uses (``size``
    and ``save``): it becomes a PIL image only there, on the writer thread."""

    def __init__(self, array: np.ndarray) -> None:
        self.array = array

    @property
    def size(self) -> tuple[int, int]:
        return int(self.array.shape[1]), int(self.array.shape[0])

    def save(self, target: Any, **options: Any) -> None:
        array = self.array[:, :, 0] if self.array.ndim == 3 and self.array.shape[2] == 1 else self.array
        Image.fromarray(np.ascontiguousarray(array)).save(target, **options)


def held_image(value: Any) -> Any:
    """The image ``value`` is, to hold by reference (a PIL image or an :class:`ArrayImage`), or None if it is none.

    A base64 string (bare or a ``data:image/…`` URL) is decoded and opened lazily: PIL reads only its header
    here, its pixels on the writer thread."""
    if isinstance(value, Image.Image):
        return value
    if isinstance(value, np.ndarray):
        return ArrayImage(value) if is_image_array(value) else None
    if isinstance(value, str):
        return decoded_image(value)
    return None


def is_image_array(array: np.ndarray) -> bool:
    """uint8 H×W, H×W×1, H×W×3 or H×W×4 (what ControlNet's UI and A1111's masks hand over)."""
    if array.dtype != np.uint8 or array.ndim not in (2, 3) or min(array.shape[:2]) < 2:
        return False
    return array.ndim == 2 or array.shape[2] in (1, 3, 4)


def decoded_image(text: str) -> Image.Image | None:
    """A base64 image string opened lazily, or None when the string is no image."""
    if text.startswith("data:image/"):
        text = text.partition(",")[2]
    if len(text) < 32 or not text.startswith(IMAGE_BASE64_STARTS):
        return None
    try:
        image = Image.open(io.BytesIO(base64.b64decode(text)))
    except (binascii.Error, ValueError, OSError):
        return None
    return image


def image_size(image: Any) -> tuple[int | None, int | None]:
    """(width, height) of a PIL image or an image array."""
    if isinstance(image, np.ndarray):
        image = ArrayImage(image)
    width, height = getattr(image, "size", (None, None))
    return width, height
