"""The ledger writer's SQL, built once with bound parameters.

SQLAlchemy derives a cache key from every statement object it executes; building a new ``select()``
or ``update()`` per row made that the largest part of the writer's Python time, which shares the
interpreter lock with the WebUI's request thread. Built once here, each key is computed once.
"""

from __future__ import annotations

import sqlalchemy as sa

from paramlab.ledger import schema

runs, images, metrics, jobs = schema.runs, schema.images, schema.image_metrics, schema.jobs
thumbnails = schema.image_thumbnails

RUN_ID_BY_UID = sa.select(runs.c.id).where(runs.c.run_uid == sa.bindparam("run_uid"))
INSERT_RUN = runs.insert()
EXISTING_IMAGE_UIDS = sa.select(images.c.image_uid).where(images.c.image_uid.in_(sa.bindparam("uids", expanding=True)))
INSERT_IMAGES = images.insert()
INSERT_IMAGES_RETURNING_IDS = images.insert().returning(images.c.id, sort_by_parameter_order=True)
INSERT_METRICS = metrics.insert()
COUNT_IMAGES = runs.update().where(runs.c.id == sa.bindparam("run_key")).values(
    image_count=sa.select(sa.func.count()).select_from(images)
    .where(images.c.run_id == sa.bindparam("run_key")).scalar_subquery())

FINISH_RUN_COLUMNS = tuple(
    column.name for column in runs.columns
    if column.name not in ("id", "run_uid", "started_at", "image_count", "owner", "output_dir", "planned_seeds",
                           "job_id", "role", "replay_args", "replay_verdict", "replay_reason")
)
"""``replay_args`` and the replay verdict are written by their own operations (the run's inputs, its verdict)."""
FINISH_RUN = runs.update().where(runs.c.id == sa.bindparam("run_key")).values(
    {column: sa.bindparam(f"new_{column}") for column in FINISH_RUN_COLUMNS})

FINISH_IMAGE_COLUMNS = ("status", "infotext", "extra_params", "cost_seconds", "energy_joules", "model_name",
                        "model_hash")
"""What only the end of the run knows about each image: its infotext (A1111 builds it per image, but the
API gets it only in the result) and its share of the run's cost."""
FINISH_IMAGES = images.update().where(images.c.image_uid == sa.bindparam("uid")).values(
    {column: sa.bindparam(f"new_{column}") for column in FINISH_IMAGE_COLUMNS})

LINK_FILE = images.update().where(images.c.image_uid == sa.bindparam("uid")).values(
    image_path=sa.bindparam("path"))

IMAGE_ID_BY_UID = sa.select(images.c.id).where(images.c.image_uid == sa.bindparam("uid"))
SET_FINDINGS = images.update().where(images.c.id == sa.bindparam("image_key")).values(
    image_sha256=sa.func.coalesce(sa.bindparam("sha"), images.c.image_sha256),
    thumbnail_path=sa.func.coalesce(sa.bindparam("thumbnail"), images.c.thumbnail_path),
    flaws=sa.func.coalesce(sa.bindparam("new_flaws"), images.c.flaws),
    pixel_sha256=sa.func.coalesce(sa.bindparam("pixels"), images.c.pixel_sha256),
)
DELETE_METRIC = metrics.delete().where(metrics.c.image_id == sa.bindparam("image_key"),
                                       metrics.c.metric == sa.bindparam("name"))

JOB_ID_BY_UID = sa.select(jobs.c.id).where(jobs.c.job_uid == sa.bindparam("job_uid"))
JOB_OF_RUN = sa.select(runs.c.job_id).where(runs.c.id == sa.bindparam("run_key"))
INSERT_JOB = jobs.insert()
_JOB_IMAGES = (sa.select(images.c.cost_seconds, images.c.model_evaluations)
               .select_from(images.join(runs, images.c.run_id == runs.c.id))
               .where(runs.c.job_id == sa.bindparam("job_key")).subquery())
JOB_IMAGE_TOTALS = sa.select(sa.func.count(), sa.func.sum(_JOB_IMAGES.c.cost_seconds),
                             sa.func.sum(_JOB_IMAGES.c.model_evaluations))
JOB_RUN_COUNT = sa.select(sa.func.count()).select_from(runs).where(runs.c.job_id == sa.bindparam("job_key"))
SET_JOB_TOTALS = jobs.update().where(jobs.c.id == sa.bindparam("job_key")).values(
    run_count=sa.bindparam("new_run_count"), image_count=sa.bindparam("new_image_count"),
    cost_seconds=sa.bindparam("new_cost_seconds"), model_evaluations=sa.bindparam("new_model_evaluations"))
MIRROR_RUN_INTO_JOB = jobs.update().where(jobs.c.id == sa.bindparam("job_key")).values(
    finished_at=sa.bindparam("new_finished_at"), status=sa.bindparam("new_status"), error=sa.bindparam("new_error"),
    error_type=sa.bindparam("new_error_type"), wall_seconds=sa.bindparam("new_wall_seconds"))
DELETE_THUMBNAIL = thumbnails.delete().where(thumbnails.c.image_id == sa.bindparam("image_key"))
INSERT_THUMBNAIL = thumbnails.insert()
