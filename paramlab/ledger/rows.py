"""Row helpers shared by the writer's operations and start-up recovery: inserting images (and finding the
ledger image each was made from), and the job every run belongs to, with its totals. The SQL that runs
for every run or batch is prebuilt in :mod:`paramlab.ledger.statements`."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from paramlab.infotext import InfotextError, parse_infotext
from paramlab.ledger import schema
from paramlab.ledger import statements as sql
from paramlab.ledger.records import ImageRecord, RunRecord


class UnknownRun(LookupError):
    """An operation names a run the ledger does not have (its start was lost, e.g. rejected)."""


def run_id_of(conn: Connection, run_uid: str) -> int:
    run_id = conn.execute(sql.RUN_ID_BY_UID, {"run_uid": run_uid}).scalar_one_or_none()
    if run_id is None:
        raise UnknownRun(f"ParamLab: no run {run_uid} in the ledger")
    return int(run_id)


def insert_images(conn: Connection, run_id: int, images: list[ImageRecord]) -> None:
    """Insert the images (and their figures, when already measured) that are not in the ledger yet."""
    uids = [image.image_uid for image in images]
    known = set(conn.execute(sql.EXISTING_IMAGE_UIDS, {"uids": uids}).scalars()) if uids else set()
    new = [image for image in images if image.image_uid not in known]
    if not new:
        return
    for image in new:
        if image.source_image_id is None and (image.source_pixel_sha256 or image.source_infotext):
            image.source_image_id = find_source_image(conn, image.source_pixel_sha256, image.source_infotext)
    rows = [dict(image.row(), run_id=run_id) for image in new]
    if not any(image.metrics for image in new):
        conn.execute(sql.INSERT_IMAGES, rows)
        return
    inserted = conn.execute(sql.INSERT_IMAGES_RETURNING_IDS, rows).scalars().all()
    metric_rows = [metric for image, image_id in zip(new, inserted) for metric in image.metric_rows(image_id)]
    if metric_rows:
        conn.execute(sql.INSERT_METRICS, metric_rows)


def find_source_image(conn: Connection, pixel_sha256: str | None, infotext: str | None) -> int | None:
    """The newest ledger image with these pixels, else the newest with this exact infotext (found by its
    seed, which is indexed); None when the ledger has neither."""
    images = schema.images
    if pixel_sha256:
        found = conn.execute(sa.select(images.c.id).where(images.c.pixel_sha256 == pixel_sha256)
                             .order_by(images.c.id.desc()).limit(1)).scalar_one_or_none()
        if found is not None:
            return int(found)
    if not infotext or not infotext.strip():
        return None
    try:
        seed = int(parse_infotext(infotext).get("Seed", ""))
    except (InfotextError, ValueError):
        return None
    candidates = conn.execute(sa.select(images.c.id, images.c.infotext).where(images.c.seed == seed)
                              .order_by(images.c.id.desc()).limit(200))
    wanted = infotext.strip()
    return next((int(row.id) for row in candidates if (row.infotext or "").strip() == wanted), None)


def count_images(conn: Connection, run_id: int) -> None:
    conn.execute(sql.COUNT_IMAGES, {"run_key": run_id})


def job_id_of(conn: Connection, job_uid: str) -> int | None:
    found = conn.execute(sql.JOB_ID_BY_UID, {"job_uid": job_uid}).scalar_one_or_none()
    return None if found is None else int(found)


def ensure_job(conn: Connection, run: RunRecord) -> int:
    """The id of the run's job; a run that names none (an import, an older spill file) gets a job of its
    own, under the run's uid, and so does one whose job row was lost (it is rebuilt from the run)."""
    job_uid = run.job_uid or run.run_uid
    found = job_id_of(conn, job_uid)
    if found is not None:
        return found
    kind = "import" if run.source == "import" else ("script" if run.script_name else "generate")
    values = {"job_uid": job_uid, "started_at": run.row()["started_at"], "finished_at": run.row()["finished_at"],
              "tab": run.tab, "source": run.source, "kind": kind, "script_name": run.script_name,
              "status": run.status, "error": run.error, "error_type": run.error_type,
              "wall_seconds": run.wall_seconds, "owner": run.owner, "run_count": 0, "image_count": 0}
    return int(conn.execute(sql.INSERT_JOB, values).inserted_primary_key[0])


def is_own_job(run: RunRecord) -> bool:
    """A run without a job of its own making (imports, older spill files): its job mirrors the run."""
    return run.job_uid is None or run.job_uid == run.run_uid


def mirror_run_into_job(conn: Connection, job_id: int, run: RunRecord) -> None:
    """A job of one run takes the run's end, status and wall time."""
    values = run.row()
    conn.execute(sql.MIRROR_RUN_INTO_JOB, {"job_key": job_id, "new_finished_at": values["finished_at"],
                                           "new_status": values["status"], "new_error": values["error"],
                                           "new_error_type": values["error_type"],
                                           "new_wall_seconds": values["wall_seconds"]})


def refresh_job_totals(conn: Connection, job_id: int) -> None:
    """Runs, images, summed image cost and model evaluations, counted from the rows themselves."""
    count, cost, evaluations = conn.execute(sql.JOB_IMAGE_TOTALS, {"job_key": job_id}).one()
    run_count = conn.execute(sql.JOB_RUN_COUNT, {"job_key": job_id}).scalar_one()
    conn.execute(sql.SET_JOB_TOTALS, {
        "job_key": job_id, "new_run_count": int(run_count), "new_image_count": int(count), "new_cost_seconds": cost,
        "new_model_evaluations": None if evaluations is None else int(evaluations)})
