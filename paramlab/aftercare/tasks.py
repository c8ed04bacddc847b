"""One image's background work, and how it travels to the background process and back.

A frame is ``<header length:4><payload length:8><header JSON><payload bytes>``; the payload holds
raw pixels for images that were never saved (the API's default), so nothing is re-encoded on the
WebUI side. JSON, not pickle: the two ends need no trust in each other's objects.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from paramlab.ledger.operations import Findings
from paramlab.ledger.records import ImageRecord

_FRAME = struct.Struct("<IQ")
RAW_MODES = frozenset({"1", "L", "LA", "RGB", "RGBA", "I", "I;16", "F"})


@dataclass
class Pixels:
    """An image as raw bytes (what ``Image.tobytes`` gives), for images with no file on disk."""

    mode: str
    width: int
    height: int
    data: bytes = field(repr=False)

    @classmethod
    def of(cls, image: Any) -> Pixels:
        if image.mode not in RAW_MODES:
            image = image.convert("RGBA" if "transparency" in image.info or "A" in image.mode else "RGB")
        return cls(image.mode, image.width, image.height, image.tobytes())

    def to_image(self) -> Any:
        from PIL import Image

        return Image.frombytes(self.mode, (self.width, self.height), self.data)

    @property
    def size_bytes(self) -> int:
        return len(self.data)


@dataclass
class ImageTask:
    """What to do for one recorded image. Anything left ``None``/False is skipped."""

    image_uid: str
    image_path: str | None = None  # the saved file: hashed, and measured when there are no pixels
    image: Any = field(default=None, repr=False)  # the PIL image itself, until it is sent (never copied before)
    pixels: Pixels | None = None  # the image as bytes, made only when the task is sent
    thumbnail: bool = False  # make a ≤ 256 px preview, kept in the ledger itself
    measure: bool = False  # built-in quality figures and flaw diagnosis
    scorers: dict[str, Any] | None = None  # ScorerConfig fields, when learned scorers are on
    prompt: str | None = None  # for the CLIP score
    # cfg_scale, steps, sampler, is_refinement and converge_steps, for the flaw diagnosis
    flaw_context: dict[str, Any] = field(default_factory=dict)
    skipped_reason: str | None = None  # figures skipped on purpose (e.g. the background work fell behind)

    @property
    def pixel_bytes(self) -> int:
        """Memory the task's pixels hold while it waits."""
        if self.pixels is not None:
            return self.pixels.size_bytes
        if self.image is not None:
            return self.image.width * self.image.height * len(self.image.getbands())
        return 0

    def image_to_send(self) -> None:
        """Turn the image into bytes, as late as possible: on the background thread, when it may run."""
        if self.image is not None:
            self.pixels, self.image = Pixels.of(self.image), None

    def header(self) -> dict[str, Any]:
        data = {key: value for key, value in self.__dict__.items() if key not in ("pixels", "image")}
        if self.pixels is not None:
            data["pixels"] = {"mode": self.pixels.mode, "width": self.pixels.width, "height": self.pixels.height}
        return data

    @classmethod
    def from_frame(cls, header: dict[str, Any], payload: bytes) -> ImageTask:
        header = dict(header)
        shape = header.pop("pixels", None)
        task = cls(**header)
        if shape is not None:
            task.pixels = Pixels(shape["mode"], int(shape["width"]), int(shape["height"]), payload)
        return task


@dataclass
class WorkSettings:
    """What the user asked for (Settings → ParamLab in the WebUI), read when each image is handed over."""

    thumbnails: bool = True  # a ≤ 256 px preview of images that were not saved to disk
    thumbnails_of_saved: bool = False  # also of saved images (a shared ledger: their files are on another machine)
    measure: bool = True  # built-in quality figures and flaw diagnosis
    scorers: dict[str, Any] | None = None  # ScorerConfig fields when learned scorers are on
    converge_steps: Callable[[str | None, str | None], int | None] = field(
        default=lambda sampler, scheduler: None)  # this sampler's steps to converge, for the flaw advice


def task_for_image(image: ImageRecord, settings: WorkSettings) -> ImageTask | None:
    """The background work one recorded image needs (None: nothing to do). Pixels travel only for
    images with no file on disk."""
    needs_pixels = image.pil_image is not None and not image.image_path and bool(
        settings.thumbnails or settings.measure or settings.scorers)
    if not needs_pixels and not image.image_path:
        return None
    return ImageTask(
        image_uid=image.image_uid,
        image_path=image.image_path,
        image=image.pil_image if needs_pixels else None,
        thumbnail=(needs_pixels and settings.thumbnails) or (bool(image.image_path) and settings.thumbnails_of_saved),
        measure=settings.measure and (needs_pixels or bool(image.image_path)),
        scorers=settings.scorers if (needs_pixels or image.image_path) else None,
        prompt=image.prompt,
        flaw_context={
            "cfg_scale": image.cfg_scale, "steps": image.steps, "sampler": image.sampler,
            "is_refinement": image.denoising_strength is not None or bool(image.hires_enabled),
            "converge_steps": settings.converge_steps(image.sampler, image.scheduler),
        },
    )


def frame_head(header: dict[str, Any], payload_length: int) -> bytes:
    """A frame's bytes before its payload."""
    encoded = json.dumps(header, ensure_ascii=False).encode("utf-8")
    return _FRAME.pack(len(encoded), payload_length) + encoded


def write_frame(stream: BinaryIO, header: dict[str, Any], payload: bytes = b"") -> None:
    stream.write(frame_head(header, len(payload)))
    if payload:
        stream.write(payload)
    stream.flush()


def read_frame(stream: BinaryIO) -> tuple[dict[str, Any], bytes] | None:
    """The next frame, or None at the end of the stream (the other side has gone)."""
    head = _read_exactly(stream, _FRAME.size)
    if head is None:
        return None
    header_length, payload_length = _FRAME.unpack(head)
    header = _read_exactly(stream, header_length)
    payload = _read_exactly(stream, payload_length) if payload_length else b""
    if header is None or payload is None:
        return None
    return json.loads(header.decode("utf-8")), payload


def _read_exactly(stream: BinaryIO, count: int) -> bytes | None:
    chunks = []
    while count:
        chunk = stream.read(count)
        if not chunk:
            return None
        chunks.append(chunk)
        count -= len(chunk)
    return b"".join(chunks)


def send_task(stream: BinaryIO, task: ImageTask) -> None:
    task.image_to_send()
    write_frame(stream, task.header(), task.pixels.data if task.pixels is not None else b"")


def send_findings(stream: BinaryIO, findings: Findings) -> None:
    write_frame(stream, findings.to_json())
