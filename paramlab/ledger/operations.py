"""What the ledger writer does, one operation at a time, as the generation goes on.

A run is written in steps so that a crash loses at most the batch in flight: :class:`StartRun`
when sampling is about to begin (status ``running``), :class:`AddImages` for each finished batch,
:class:`FinishRun` at the end. Heavy per-image work (hashes, thumbnails, quality figures) arrives
later as :class:`RecordFindings`. Every operation is idempotent (running it twice changes nothing
more than once), runs in one transaction, and turns into a JSON line for the spill file. Every run
names its job (see :mod:`paramlab.ledger.job_operations`); a run that names none gets a job of its own.
"""

from __future__ import annotations

import base64
import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any, ClassVar

from sqlalchemy.engine import Connection

from paramlab.ledger import job_operations
from paramlab.ledger import statements as sql
from paramlab.ledger.input_records import RecordRunInputs
from paramlab.ledger.records import ImageRecord, RunRecord, as_utc, utc_now
from paramlab.ledger.replay_verdict import refresh_replay_verdict
from paramlab.ledger.rows import (
    count_images,
    ensure_job,
    insert_images,
    is_own_job,
    mirror_run_into_job,
    refresh_job_totals,
    run_id_of,
)
from paramlab.ledger.thumbnails import THUMBNAIL_MEDIA_TYPE, thumbnail_size


def store_thumbnail(conn: Connection, image_id: int, data: bytes) -> None:
    """Keep (or replace) the image's preview in the ledger, so every machine sharing it sees the image."""
    width, height = thumbnail_size(data)
    conn.execute(sql.DELETE_THUMBNAIL, {"image_key": image_id})
    conn.execute(sql.INSERT_THUMBNAIL, {"image_id": image_id, "media_type": THUMBNAIL_MEDIA_TYPE, "width": width,
                                        "height": height, "data": data})


@dataclass
class _CarriesRun:
    """The operations that carry a whole run share one JSON form (for the spill file)."""

    kind: ClassVar[str]
    run: RunRecord

    def to_json(self) -> dict[str, Any]:
        return {"op": self.kind, "run": self.run.to_json()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Any:
        return cls(RunRecord.from_json(data["run"]))


@dataclass
class WriteRun(_CarriesRun):
    """A whole run with its images at once (imports, runs stopped before sampling, older spill files)."""

    kind: ClassVar[str] = "run"

    def apply(self, conn: Connection) -> None:
        job_id = ensure_job(conn, self.run)
        run_id = conn.execute(sql.RUN_ID_BY_UID, {"run_uid": self.run.run_uid}).scalar_one_or_none()
        if run_id is None:
            run_id = conn.execute(sql.INSERT_RUN, dict(self.run.row(), job_id=job_id)).inserted_primary_key[0]
        insert_images(conn, run_id, self.run.images)
        count_images(conn, run_id)
        refresh_replay_verdict(conn, run_id)
        if is_own_job(self.run):
            mirror_run_into_job(conn, job_id, self.run)
        refresh_job_totals(conn, job_id)


@dataclass
class StartRun(_CarriesRun):
    """The run's row, status ``running``, before its first image exists."""

    kind: ClassVar[str] = "start"

    def apply(self, conn: Connection) -> None:
        if conn.execute(sql.RUN_ID_BY_UID, {"run_uid": self.run.run_uid}).first() is None:
            job_id = ensure_job(conn, dataclasses.replace(self.run, status="running"))
            conn.execute(sql.INSERT_RUN, dict(self.run.row(), status="running", image_count=0, job_id=job_id))


@dataclass
class AddImages:
    """One finished batch's images, in their own transaction, as soon as they exist."""

    kind: ClassVar[str] = "images"
    run_uid: str
    images: list[ImageRecord]

    def apply(self, conn: Connection) -> None:
        run_id = run_id_of(conn, self.run_uid)
        insert_images(conn, run_id, self.images)
        count_images(conn, run_id)

    def to_json(self) -> dict[str, Any]:
        return {"op": self.kind, "run_uid": self.run_uid, "images": [image.to_json() for image in self.images]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AddImages:
        return cls(data["run_uid"], [ImageRecord.from_json(image) for image in data["images"]])


@dataclass
class FinishRun(_CarriesRun):
    """The run's totals and status, and what the end of the run knows about each image."""

    kind: ClassVar[str] = "finish"

    def apply(self, conn: Connection) -> None:
        run_id = run_id_of(conn, self.run.run_uid)
        values = self.run.row()
        conn.execute(sql.FINISH_RUN, {"run_key": run_id,
                                      **{f"new_{column}": values[column] for column in sql.FINISH_RUN_COLUMNS}})
        if self.run.images:
            conn.execute(sql.FINISH_IMAGES, [
                {"uid": image.image_uid,
                 **{f"new_{column}": getattr(image, column) for column in sql.FINISH_IMAGE_COLUMNS}}
                for image in self.run.images
            ])
        count_images(conn, run_id)
        refresh_replay_verdict(conn, run_id)
        job_id = conn.execute(sql.JOB_OF_RUN, {"run_key": run_id}).scalar_one()
        if job_id is not None:
            if is_own_job(self.run):
                mirror_run_into_job(conn, job_id, self.run)
            refresh_job_totals(conn, job_id)


@dataclass
class LinkFile:
    """A file saved after its row was written."""

    kind: ClassVar[str] = "link"
    image_uid: str
    path: str

    def apply(self, conn: Connection) -> None:
        conn.execute(sql.LINK_FILE, {"uid": self.image_uid, "path": self.path})

    def to_json(self) -> dict[str, Any]:
        return {"op": self.kind, "image_uid": self.image_uid, "path": self.path}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LinkFile:
        return cls(data["image_uid"], data["path"])


@dataclass
class Findings:
    """What the background work found for one image (see :mod:`paramlab.aftercare`)."""

    image_uid: str
    image_sha256: str | None = None
    thumbnail_path: str | None = None  # a thumbnail file (before version 8; still read from spill files)
    metrics: dict[str, tuple[float | None, str | None]] = field(default_factory=dict)
    metrics_version: str | None = None
    flaws: str | None = None  # JSON list of {"code", "advice"}; None when not diagnosed
    problems: list[str] = field(default_factory=list)  # for the console, not stored
    pixel_sha256: str | None = None  # see paramlab.ledger.pixels
    thumbnail: bytes | None = None  # a ≤ 256 px JPEG, stored in the ledger (``image_thumbnails``)

    def to_json(self) -> dict[str, Any]:
        return {"image_uid": self.image_uid, "image_sha256": self.image_sha256, "thumbnail_path": self.thumbnail_path,
                "metrics": {name: list(pair) for name, pair in self.metrics.items()},
                "metrics_version": self.metrics_version, "flaws": self.flaws, "problems": list(self.problems),
                "pixel_sha256": self.pixel_sha256,
                "thumbnail": base64.b64encode(self.thumbnail).decode("ascii") if self.thumbnail else None}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Findings:
        metrics = {name: (pair[0], pair[1]) for name, pair in (data.get("metrics") or {}).items()}
        thumbnail = data.get("thumbnail")
        return cls(data["image_uid"], data.get("image_sha256"), data.get("thumbnail_path"), metrics,
                   data.get("metrics_version"), data.get("flaws"), list(data.get("problems") or []),
                   data.get("pixel_sha256"), base64.b64decode(thumbnail) if thumbnail else None)


@dataclass
class RecordFindings:
    """Store one image's hash, thumbnail, quality figures and flaws (replacing earlier figures)."""

    kind: ClassVar[str] = "findings"
    findings: Findings

    def apply(self, conn: Connection) -> None:
        found = self.findings
        image_id = conn.execute(sql.IMAGE_ID_BY_UID, {"uid": found.image_uid}).scalar_one_or_none()
        if image_id is None:
            return  # the row was deleted meanwhile: nothing to attach the figures to
        conn.execute(sql.SET_FINDINGS, {"image_key": image_id, "sha": found.image_sha256, "pixels": found.pixel_sha256,
                                        "thumbnail": found.thumbnail_path, "new_flaws": found.flaws})
        if found.thumbnail:
            store_thumbnail(conn, image_id, found.thumbnail)
        if found.metrics:
            conn.execute(sql.DELETE_METRIC, [{"image_key": image_id, "name": name} for name in found.metrics])
            conn.execute(sql.INSERT_METRICS, [
                {"image_id": image_id, "metric": name, "value": value, "not_measured": reason,
                 "metric_version": found.metrics_version or "1"}
                for name, (value, reason) in found.metrics.items()
            ])

    def to_json(self) -> dict[str, Any]:
        return {"op": self.kind, "findings": self.findings.to_json()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RecordFindings:
        return cls(Findings.from_json(data["findings"]))


@dataclass
class RecordFileHash:
    """A model file's full SHA-256, from the background hasher: kept in ``file_hashes`` and filled into the
    runs whose fingerprint recorded it as pending. Through the writer, so it lands after the run it fills."""

    kind: ClassVar[str] = "file_hash"
    path: str
    size_bytes: int
    mtime: float
    sha256: str

    def apply(self, conn: Connection) -> None:
        from paramlab.ledger.edits.file_hashes import apply_file_hash
        from paramlab.ledger.reads.file_hashes import FileHash

        apply_file_hash(conn, FileHash(self.path, self.size_bytes, self.mtime, self.sha256))

    def to_json(self) -> dict[str, Any]:
        return {"op": self.kind, **dataclasses.asdict(self)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RecordFileHash:
        return cls(data["path"], int(data["size_bytes"]), float(data["mtime"]), data["sha256"])


Operation = (WriteRun | StartRun | AddImages | FinishRun | LinkFile | RecordFindings | RecordRunInputs
             | RecordFileHash | job_operations.JobOperation)
_KINDS: dict[str, Any] = {op.kind: op for op in (WriteRun, StartRun, AddImages, FinishRun, LinkFile, RecordFindings,
                                                 RecordRunInputs, RecordFileHash, *job_operations.JOB_OPERATIONS)}


def operation_to_line(operation: Operation) -> str:
    return json.dumps(operation.to_json(), ensure_ascii=False)


def operation_from_json(data: dict[str, Any]) -> Operation:
    """Read a spill-file entry, including the two forms written before operations existed."""
    if "op" not in data:
        if "run" in data:
            return WriteRun(RunRecord.from_json(data["run"]))
        if "link" in data:
            return LinkFile(*data["link"])
        raise ValueError(f"not a ledger operation: {sorted(data)}")
    kind = _KINDS.get(data["op"])
    if kind is None:
        raise ValueError(f"unknown ledger operation {data['op']!r}")
    return kind.from_json(data)


def interrupted_run_values(error: str, finished_at: Any = None) -> dict[str, Any]:
    """How a run that was still ``running`` when its process died is closed."""
    return {"status": "interrupted", "error": error, "finished_at": as_utc(finished_at) or utc_now()}
