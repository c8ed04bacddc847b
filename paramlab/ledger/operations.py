"""What the ledger writer does, one operation at a time, as the generation goes on.

A run is written in steps so that a crash loses at most the batch in flight: :class:`StartRun`
when sampling is about to begin (status ``running``), :class:`AddImages` for each finished batch,
:class:`FinishRun` at the end. Heavy per-image work (hashes, thumbnails, quality figures) arrives
later as :class:`RecordFindings`. Every operation is idempotent (running it twice changes nothing
more than once), runs in one transaction, and turns into a JSON line for the spill file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from paramlab.ledger import schema
from paramlab.ledger.records import ImageRecord, RunRecord, as_utc, utc_now


class UnknownRun(LookupError):
    """An operation names a run the ledger does not have (its start was lost, e.g. rejected)."""


def _run_id(conn: Connection, run_uid: str) -> int:
    run_id = conn.execute(sa.select(schema.runs.c.id).where(schema.runs.c.run_uid == run_uid)).scalar_one_or_none()
    if run_id is None:
        raise UnknownRun(f"ParamLab: no run {run_uid} in the ledger")
    return int(run_id)


def _existing_image_uids(conn: Connection, uids: list[str]) -> set[str]:
    if not uids:
        return set()
    column = schema.images.c.image_uid
    return set(conn.execute(sa.select(column).where(column.in_(uids))).scalars())


def insert_images(conn: Connection, run_id: int, images: list[ImageRecord]) -> None:
    """Insert the images (and their figures, when already measured) that are not in the ledger yet."""
    known = _existing_image_uids(conn, [image.image_uid for image in images])
    new = [image for image in images if image.image_uid not in known]
    if not new:
        return
    rows = [dict(image.row(), run_id=run_id) for image in new]
    if not any(image.metrics for image in new):
        conn.execute(schema.images.insert(), rows)
        return
    inserted = conn.execute(
        schema.images.insert().returning(schema.images.c.id, sort_by_parameter_order=True), rows
    ).scalars().all()
    metric_rows = [metric for image, image_id in zip(new, inserted) for metric in image.metric_rows(image_id)]
    if metric_rows:
        conn.execute(schema.image_metrics.insert(), metric_rows)


def _count_images(conn: Connection, run_id: int) -> None:
    count = sa.select(sa.func.count()).select_from(schema.images).where(schema.images.c.run_id == run_id)
    conn.execute(schema.runs.update().where(schema.runs.c.id == run_id).values(image_count=count.scalar_subquery()))


@dataclass
class WriteRun:
    """A whole run with its images at once (imports, runs stopped before sampling, older spill files)."""

    kind: ClassVar[str] = "run"
    run: RunRecord

    def apply(self, conn: Connection) -> None:
        runs = schema.runs
        run_id = conn.execute(sa.select(runs.c.id).where(runs.c.run_uid == self.run.run_uid)).scalar_one_or_none()
        if run_id is None:
            run_id = conn.execute(runs.insert().values(**self.run.row())).inserted_primary_key[0]
        insert_images(conn, run_id, self.run.images)
        _count_images(conn, run_id)

    def to_json(self) -> dict[str, Any]:
        return {"op": self.kind, "run": self.run.to_json()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> WriteRun:
        return cls(RunRecord.from_json(data["run"]))


@dataclass
class StartRun:
    """The run's row, status ``running``, before its first image exists."""

    kind: ClassVar[str] = "start"
    run: RunRecord

    def apply(self, conn: Connection) -> None:
        runs = schema.runs
        if conn.execute(sa.select(runs.c.id).where(runs.c.run_uid == self.run.run_uid)).first() is None:
            conn.execute(runs.insert().values(**dict(self.run.row(), status="running", image_count=0)))

    def to_json(self) -> dict[str, Any]:
        return {"op": self.kind, "run": self.run.to_json()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StartRun:
        return cls(RunRecord.from_json(data["run"]))


@dataclass
class AddImages:
    """One finished batch's images, in their own transaction, as soon as they exist."""

    kind: ClassVar[str] = "images"
    run_uid: str
    images: list[ImageRecord]

    def apply(self, conn: Connection) -> None:
        run_id = _run_id(conn, self.run_uid)
        insert_images(conn, run_id, self.images)
        _count_images(conn, run_id)

    def to_json(self) -> dict[str, Any]:
        probe = RunRecord(tab="", source="", images=self.images).to_json()
        return {"op": self.kind, "run_uid": self.run_uid, "images": probe["images"]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AddImages:
        probe = RunRecord.from_json({"tab": "", "source": "", "images": data["images"]})
        return cls(data["run_uid"], probe.images)


FINISH_IMAGE_COLUMNS = ("status", "infotext", "extra_params", "cost_seconds", "energy_joules", "model_name",
                        "model_hash")
"""What only the end of the run knows about each image: its infotext (A1111 builds it per image, but the
API gets it only in the result) and its share of the run's cost."""


@dataclass
class FinishRun:
    """The run's totals and status, and what the end of the run knows about each image."""

    kind: ClassVar[str] = "finish"
    run: RunRecord  # the finished run; its images carry the per-image values to update

    def apply(self, conn: Connection) -> None:
        run_id = _run_id(conn, self.run.run_uid)
        values = self.run.row()
        for key in ("run_uid", "started_at", "image_count", "owner", "output_dir", "planned_seeds"):
            values.pop(key, None)
        conn.execute(schema.runs.update().where(schema.runs.c.id == run_id).values(**values))
        if self.run.images:
            images = schema.images
            statement = images.update().where(images.c.image_uid == sa.bindparam("uid")).values(
                {column: sa.bindparam(f"new_{column}") for column in FINISH_IMAGE_COLUMNS})
            conn.execute(statement, [
                {"uid": image.image_uid, **{f"new_{column}": getattr(image, column) for column in FINISH_IMAGE_COLUMNS}}
                for image in self.run.images
            ])
        _count_images(conn, run_id)

    def to_json(self) -> dict[str, Any]:
        return {"op": self.kind, "run": self.run.to_json()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FinishRun:
        return cls(RunRecord.from_json(data["run"]))


@dataclass
class LinkFile:
    """A file saved after its row was written."""

    kind: ClassVar[str] = "link"
    image_uid: str
    path: str

    def apply(self, conn: Connection) -> None:
        images = schema.images
        conn.execute(images.update().where(images.c.image_uid == self.image_uid).values(image_path=self.path))

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
    thumbnail_path: str | None = None
    metrics: dict[str, tuple[float | None, str | None]] = field(default_factory=dict)
    metrics_version: str | None = None
    flaws: str | None = None  # JSON list of {"code", "advice"}; None when not diagnosed
    problems: list[str] = field(default_factory=list)  # for the console, not stored

    def to_json(self) -> dict[str, Any]:
        return {"image_uid": self.image_uid, "image_sha256": self.image_sha256, "thumbnail_path": self.thumbnail_path,
                "metrics": {name: list(pair) for name, pair in self.metrics.items()},
                "metrics_version": self.metrics_version, "flaws": self.flaws, "problems": list(self.problems)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Findings:
        metrics = {name: (pair[0], pair[1]) for name, pair in (data.get("metrics") or {}).items()}
        return cls(data["image_uid"], data.get("image_sha256"), data.get("thumbnail_path"), metrics,
                   data.get("metrics_version"), data.get("flaws"), list(data.get("problems") or []))


# Built once: the same statements for every image keep SQLAlchemy's per-statement work small.
_IMAGE_ID_BY_UID = sa.select(schema.images.c.id).where(schema.images.c.image_uid == sa.bindparam("uid"))
_SET_FINDINGS = schema.images.update().where(schema.images.c.id == sa.bindparam("image_id")).values(
    image_sha256=sa.func.coalesce(sa.bindparam("sha"), schema.images.c.image_sha256),
    thumbnail_path=sa.func.coalesce(sa.bindparam("thumbnail"), schema.images.c.thumbnail_path),
    flaws=sa.func.coalesce(sa.bindparam("flaws"), schema.images.c.flaws),
)
_DELETE_METRIC = schema.image_metrics.delete().where(
    schema.image_metrics.c.image_id == sa.bindparam("image_id"), schema.image_metrics.c.metric == sa.bindparam("name"))


@dataclass
class RecordFindings:
    """Store one image's hash, thumbnail, quality figures and flaws (replacing earlier figures)."""

    kind: ClassVar[str] = "findings"
    findings: Findings

    def apply(self, conn: Connection) -> None:
        found = self.findings
        image_id = conn.execute(_IMAGE_ID_BY_UID, {"uid": found.image_uid}).scalar_one_or_none()
        if image_id is None:
            return  # the row was deleted meanwhile: nothing to attach the figures to
        conn.execute(_SET_FINDINGS, {"image_id": image_id, "sha": found.image_sha256,
                                     "thumbnail": found.thumbnail_path, "flaws": found.flaws})
        if found.metrics:
            conn.execute(_DELETE_METRIC, [{"image_id": image_id, "name": name} for name in found.metrics])
            conn.execute(schema.image_metrics.insert(), [
                {"image_id": image_id, "metric": name, "value": value, "not_measured": reason,
                 "metric_version": found.metrics_version or "1"}
                for name, (value, reason) in found.metrics.items()
            ])

    def to_json(self) -> dict[str, Any]:
        return {"op": self.kind, "findings": self.findings.to_json()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RecordFindings:
        return cls(Findings.from_json(data["findings"]))


Operation = WriteRun | StartRun | AddImages | FinishRun | LinkFile | RecordFindings
_KINDS: dict[str, Any] = {op.kind: op for op in (WriteRun, StartRun, AddImages, FinishRun, LinkFile, RecordFindings)}


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
