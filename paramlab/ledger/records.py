"""Plain records handed from the generation thread to the ledger writer.

They hold only Python values (and, until the writer prepares them, a reference to the PIL image
for its thumbnail), so building one on the generation thread costs microseconds.
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def as_utc(value: datetime | None) -> datetime | None:
    """Stored times are UTC: SQLite keeps no zone, so an aware time is converted before it is written."""
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(timezone.utc)


def new_uid() -> str:
    return str(uuid.uuid4())


@dataclass
class ImageRecord:
    """One output image (never a grid)."""

    index_in_run: int
    created_at: datetime = field(default_factory=utc_now)
    image_uid: str = field(default_factory=new_uid)
    batch_number: int | None = None
    status: str = "ok"
    seed: int | None = None
    subseed: int | None = None
    subseed_strength: float | None = None
    prompt: str | None = None
    negative_prompt: str | None = None
    model_name: str | None = None
    model_hash: str | None = None
    sampler: str | None = None
    scheduler: str | None = None
    steps: int | None = None
    cfg_scale: float | None = None
    width: int | None = None
    height: int | None = None
    hires_enabled: bool = False
    hires_upscaler: str | None = None
    hires_scale: float | None = None
    hires_resize_x: int | None = None
    hires_resize_y: int | None = None
    hires_steps: int | None = None
    hires_denoising: float | None = None
    denoising_strength: float | None = None
    clip_skip: int | None = None
    infotext: str | None = None
    extra_params: str | None = None
    image_path: str | None = None
    image_sha256: str | None = None
    thumbnail_path: str | None = None
    cost_seconds: float | None = None
    model_evaluations: int | None = None
    megapixel_steps: float | None = None
    energy_joules: float | None = None
    profile: str | None = None  # name of the parameter profile applied, if any
    series: str | None = None  # name of the character series it belongs to, if any
    rating: int | None = None
    flaws: str | None = None  # JSON list of {"code", "advice"}
    # Not columns: the image (for the thumbnail and the quality measures; dropped once prepared) and
    # the quality figures, written to the image_metrics table as metric -> (value, not-measured reason).
    pil_image: Any = field(default=None, repr=False, compare=False)
    metrics: dict[str, tuple[float | None, str | None]] = field(default_factory=dict, repr=False)
    metrics_version: str | None = None

    def row(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        for not_a_column in ("pil_image", "metrics", "metrics_version"):
            data.pop(not_a_column)
        data["created_at"] = as_utc(self.created_at)
        return data

    def metric_rows(self, image_id: int) -> list[dict[str, Any]]:
        return [
            {"image_id": image_id, "metric": name, "value": value, "not_measured": reason,
             "metric_version": self.metrics_version or "1"}
            for name, (value, reason) in self.metrics.items()
        ]


@dataclass
class RunRecord:
    """One ``process_images`` call and its images."""

    tab: str
    source: str
    started_at: datetime = field(default_factory=utc_now)
    run_uid: str = field(default_factory=new_uid)
    finished_at: datetime | None = None
    script_name: str | None = None
    batch_count: int | None = None
    batch_size: int | None = None
    image_count: int = 0
    wall_seconds: float | None = None
    first_pass_seconds: float | None = None
    hires_seconds: float | None = None
    vae_decode_seconds: float | None = None
    peak_vram_bytes: int | None = None
    peak_vram_method: str | None = None
    model_name: str | None = None
    model_hash: str | None = None
    vae_name: str | None = None
    vae_hash: str | None = None
    webui_version: str | None = None
    paramlab_version: str | None = None
    host_name: str | None = None
    device_name: str | None = None
    status: str = "ok"
    error: str | None = None
    energy_joules: float | None = None
    fingerprint: str | None = None  # JSON text, see paramlab.seeds.fingerprint
    owner: str | None = None  # the process writing it ("host/pid/start"), for crash recovery
    output_dir: str | None = None  # where the run saves its images (A1111's outpath_samples)
    planned_seeds: str | None = None  # JSON list of the seeds it will use, to recognise its files
    images: list[ImageRecord] = field(default_factory=list)

    def row(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        data.pop("images")
        data["image_count"] = len(self.images)
        data["started_at"], data["finished_at"] = as_utc(self.started_at), as_utc(self.finished_at)
        return data

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe dict (for the spill file that keeps rows when the database is down)."""
        data = self.row()
        data["images"] = [
            {**image.row(), "metrics": {k: list(v) for k, v in image.metrics.items()},
             "metrics_version": image.metrics_version}
            for image in self.images
        ]
        return _jsonable(data)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunRecord:
        data = dict(data)
        images = []
        for image in data.pop("images", []):
            image = _parse_times(image)
            image["metrics"] = {k: tuple(v) for k, v in (image.get("metrics") or {}).items()}
            images.append(ImageRecord(**image))
        data.pop("image_count", None)
        return cls(images=images, **_parse_times(data))


_TIME_FIELDS = ("started_at", "finished_at", "created_at")


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, datetime):
            out[key] = value.isoformat()
        elif isinstance(value, list):
            out[key] = [_jsonable(v) if isinstance(v, dict) else v for v in value]
        else:
            out[key] = value
    return out


def _parse_times(data: dict[str, Any]) -> dict[str, Any]:
    data = dict(data)
    for key in _TIME_FIELDS:
        if isinstance(data.get(key), str):
            data[key] = datetime.fromisoformat(data[key])
    return data
