"""Plain records handed from the generation thread to the ledger writer.

They hold only Python values (and, until the writer prepares them, a reference to the PIL image
for its thumbnail), so building one on the generation thread costs microseconds.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping
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


def plain_row(mapping: Mapping[Any, Any]) -> dict[str, Any]:
    """A stored row as a plain dict: ``str`` keys (SQLAlchemy's are a str subclass that orjson, gradio's JSON,
    refuses) and stored times as aware UTC (SQLite keeps no zone, so they come back naive)."""
    return {str(key): value.replace(tzinfo=timezone.utc) if isinstance(value, datetime) and value.tzinfo is None
            else value for key, value in mapping.items()}


def new_uid() -> str:
    return str(uuid.uuid4())


NOT_IMAGE_COLUMNS = ("pil_image", "metrics", "metrics_version", "source_pixels", "source_pixel_sha256",
                     "source_infotext")


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
    source_image_id: int | None = None  # the ledger image it was made from (resolved by the writer)
    pixel_sha256: str | None = None  # see paramlab.ledger.pixels
    upscale: str | None = None  # JSON: how a tile upscale or an Extras operation made it ("method", …)
    # Not columns: the image (for the thumbnail and the quality measures; dropped once prepared),
    # the quality figures, written to the image_metrics table as metric -> (value, not-measured reason),
    # and what finds its source image in the ledger: the source's pixels (hashed by the writer, then
    # dropped), their hash, and its infotext.
    pil_image: Any = field(default=None, repr=False, compare=False)
    metrics: dict[str, tuple[float | None, str | None]] = field(default_factory=dict, repr=False)
    metrics_version: str | None = None
    source_pixels: Any = field(default=None, repr=False, compare=False)
    source_pixel_sha256: str | None = None
    source_infotext: str | None = field(default=None, repr=False)

    def row(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        for not_a_column in NOT_IMAGE_COLUMNS:
            data.pop(not_a_column)
        data["created_at"] = as_utc(self.created_at)
        return data

    def to_json(self) -> dict[str, Any]:
        return _jsonable({**self.row(), "metrics": {k: list(v) for k, v in self.metrics.items()},
                          "metrics_version": self.metrics_version, "source_pixel_sha256": self.source_pixel_sha256,
                          "source_infotext": self.source_infotext})

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ImageRecord:
        image = _parse_times(data)
        image["metrics"] = {k: tuple(v) for k, v in (image.get("metrics") or {}).items()}
        return cls(**image)

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
    role: str = "run"  # see schema.RUN_ROLES
    settings: str | None = None  # JSON: a tile pass's, an Extras operation's or a failed batch's settings
    error_type: str | None = None  # a failed run's exception class (``error`` holds its message)
    profile: str | None = None  # the parameter profile the run applied, if any
    replay_args: str | None = None  # JSON: scripts' arguments, img2img's inputs (see schema.runs)
    replay_verdict: str | None = None  # see schema.REPLAY_VERDICTS
    replay_reason: str | None = None
    job_uid: str | None = None  # not a column: the job it belongs to (None: a job of its own)
    images: list[ImageRecord] = field(default_factory=list)

    def row(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        data.pop("images")
        data.pop("job_uid")
        data["image_count"] = len(self.images)
        data["started_at"], data["finished_at"] = as_utc(self.started_at), as_utc(self.finished_at)
        return data

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe dict (for the spill file that keeps rows when the database is down)."""
        data = _jsonable({**self.row(), "job_uid": self.job_uid})
        data["images"] = [image.to_json() for image in self.images]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunRecord:
        data = dict(data)
        images = [ImageRecord.from_json(image) for image in data.pop("images", [])]
        data.pop("image_count", None)
        if data.get("status") == "error":  # a spill file from before version 10: the same, renamed
            data["status"] = "failed"
        return cls(images=images, **_parse_times(data))


@dataclass
class JobRecord:
    """One press of Generate, one API request, one selectable-script run or one Extras operation."""

    tab: str
    source: str
    kind: str = "generate"  # see schema.JOB_KINDS
    started_at: datetime = field(default_factory=utc_now)
    job_uid: str = field(default_factory=new_uid)
    finished_at: datetime | None = None
    script_name: str | None = None
    script_args: str | None = None  # JSON, by the controls' labels
    status: str = "running"
    error: str | None = None
    wall_seconds: float | None = None
    owner: str | None = None
    error_type: str | None = None  # the exception class, when the job failed

    def row(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        data["started_at"], data["finished_at"] = as_utc(self.started_at), as_utc(self.finished_at)
        return data

    def to_json(self) -> dict[str, Any]:
        return _jsonable(self.row())

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> JobRecord:
        return cls(**_parse_times(data))


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
