"""The ledger's tables at the newest schema version (SQLAlchemy Core, SQLite and PostgreSQL alike).

Text columns are :class:`~paramlab.ledger.dialect.LedgerText`: plain text that also keeps NUL characters
on PostgreSQL. Older versions are rebuilt step by step in :mod:`paramlab.ledger.migrations`; a test checks
that a migrated database has every column declared here.
"""

from __future__ import annotations

import sqlalchemy as sa

from paramlab.ledger.dialect import LedgerString, LedgerText
from paramlab.ledger.metadata import metadata

SCHEMA_VERSION = 11


meta = sa.Table(
    "paramlab_meta",
    metadata,
    sa.Column("key", LedgerString(64), primary_key=True),
    sa.Column("value", LedgerText, nullable=False),
)

# v7: one press of Generate, one API request, one selectable-script run (X/Y/Z plot, tile upscale) or
# one Extras operation. Every run belongs to one job; older and imported runs got one job each.
jobs = sa.Table(
    "jobs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("job_uid", LedgerString(36), nullable=False, unique=True),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True)),
    sa.Column("tab", LedgerString(16), nullable=False),  # txt2img, img2img, extras
    sa.Column("source", LedgerString(16), nullable=False),  # ui, api, import (and "script" for older rows)
    sa.Column("kind", LedgerString(16), nullable=False),  # see JOB_KINDS
    sa.Column("script_name", LedgerString(200)),
    sa.Column("script_args", LedgerText),  # JSON: the selectable script's arguments, by their labels
    sa.Column("status", LedgerString(16), nullable=False),
    sa.Column("error", LedgerText),
    sa.Column("wall_seconds", sa.Float),
    sa.Column("run_count", sa.Integer, nullable=False, default=0),
    sa.Column("image_count", sa.Integer, nullable=False, default=0),
    sa.Column("cost_seconds", sa.Float),  # the sum of its images' cost
    sa.Column("model_evaluations", sa.BigInteger),  # the sum of its images' model evaluations
    sa.Column("owner", LedgerString(255)),  # the process writing it, for crash recovery (as for runs)
    # v10: the exception's class name when the job failed (NansException, OutOfMemoryError, …); ``error``
    # holds its message, as A1111 shows it.
    sa.Column("error_type", LedgerString(200)),
)

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_uid", LedgerString(36), nullable=False, unique=True),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True)),
    sa.Column("tab", LedgerString(16), nullable=False),
    sa.Column("source", LedgerString(16), nullable=False),
    sa.Column("script_name", LedgerString(200)),
    sa.Column("batch_count", sa.Integer),
    sa.Column("batch_size", sa.Integer),
    sa.Column("image_count", sa.Integer, nullable=False, default=0),
    sa.Column("wall_seconds", sa.Float),
    sa.Column("first_pass_seconds", sa.Float),
    sa.Column("hires_seconds", sa.Float),
    sa.Column("vae_decode_seconds", sa.Float),
    sa.Column("peak_vram_bytes", sa.BigInteger),
    sa.Column("peak_vram_method", LedgerString(16)),
    sa.Column("model_name", LedgerString(400)),
    sa.Column("model_hash", LedgerString(64)),
    sa.Column("vae_name", LedgerString(400)),
    sa.Column("vae_hash", LedgerString(64)),
    sa.Column("webui_version", LedgerString(64)),
    sa.Column("paramlab_version", LedgerString(32)),
    sa.Column("host_name", LedgerString(255)),
    sa.Column("device_name", LedgerString(255)),
    sa.Column("status", LedgerString(16), nullable=False),
    sa.Column("error", LedgerText),
    # v2
    sa.Column("energy_joules", sa.Float),
    # v4: the reproducibility fingerprint (JSON; see paramlab.seeds.fingerprint)
    sa.Column("fingerprint", LedgerText),
    # v6: crash recovery. A run is written when it starts (status "running"); ``owner`` names the
    # process ("host/pid/start"), so a later start can tell a dead run from one still going, and
    # ``output_dir`` and ``planned_seeds`` (JSON list) let it find the images the run saved.
    sa.Column("owner", LedgerString(255)),
    sa.Column("output_dir", LedgerText),
    sa.Column("planned_seeds", LedgerText),
    # v7: the job it belongs to, what it is within the job (RUN_ROLES) and, for a tile pass or an Extras
    # operation, its settings as JSON (a tile pass's images are not ledger images, so they live here).
    sa.Column("job_id", sa.Integer, sa.ForeignKey("jobs.id", ondelete="CASCADE")),
    sa.Column("role", LedgerString(16)),
    sa.Column("settings", LedgerText),
    # v10: a failed run's exception class (``error`` holds its message; ``settings`` what its batch was
    # making), and the profile the run applied, so a profile's figures count its failed runs too (a run
    # that failed has no images to carry the name).
    sa.Column("error_type", LedgerString(200)),
    sa.Column("profile", LedgerString(100)),
    # v11: what a replay needs beyond the image row (JSON: ``{"scripts": {title: {"args": [...], "values": {...}}},
    # "img2img": {resize_mode, mask_blur, inpainting_fill, ...}}``, stored input images replaced by
    # ``{"paramlab_input": sha256}``; see paramlab.ledger.replay_schema) and whether the run can be made again:
    # ``replay_verdict`` is one of REPLAY_VERDICTS, ``replay_reason`` says why it is not exact.
    sa.Column("replay_args", LedgerText),
    sa.Column("replay_verdict", LedgerString(16)),
    sa.Column("replay_reason", LedgerText),
)

images = sa.Table(
    "images",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("image_uid", LedgerString(36), nullable=False, unique=True),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    sa.Column("index_in_run", sa.Integer, nullable=False),
    sa.Column("batch_number", sa.Integer),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("status", LedgerString(16), nullable=False, default="ok"),
    sa.Column("seed", sa.BigInteger),
    sa.Column("subseed", sa.BigInteger),
    sa.Column("subseed_strength", sa.Float),
    sa.Column("prompt", LedgerText),
    sa.Column("negative_prompt", LedgerText),
    sa.Column("model_name", LedgerString(400)),
    sa.Column("model_hash", LedgerString(64)),
    sa.Column("sampler", LedgerString(64)),
    sa.Column("scheduler", LedgerString(64)),
    sa.Column("steps", sa.Integer),
    sa.Column("cfg_scale", sa.Float),
    sa.Column("width", sa.Integer),
    sa.Column("height", sa.Integer),
    sa.Column("hires_enabled", sa.Boolean, nullable=False, default=False),
    sa.Column("hires_upscaler", LedgerString(200)),
    sa.Column("hires_scale", sa.Float),
    sa.Column("hires_resize_x", sa.Integer),
    sa.Column("hires_resize_y", sa.Integer),
    sa.Column("hires_steps", sa.Integer),
    sa.Column("hires_denoising", sa.Float),
    sa.Column("denoising_strength", sa.Float),
    sa.Column("clip_skip", sa.Integer),
    sa.Column("infotext", LedgerText),
    sa.Column("extra_params", LedgerText),
    sa.Column("image_path", LedgerText),
    sa.Column("image_sha256", LedgerString(64)),
    sa.Column("cost_seconds", sa.Float),
    # v2
    sa.Column("thumbnail_path", LedgerText),
    sa.Column("model_evaluations", sa.Integer),
    sa.Column("megapixel_steps", sa.Float),
    sa.Column("energy_joules", sa.Float),
    # v3: the parameter profile applied to this generation (its name at the time)
    sa.Column("profile", LedgerString(100)),
    # v4: the character series this generation belongs to (its name at the time)
    sa.Column("series", LedgerString(100)),
    # v5
    sa.Column("rating", sa.Integer),
    sa.Column("flaws", LedgerText),
    # v7: the ledger image this one was made from (an upscale's draft), a hash of its decoded pixels
    # (finds that draft again when only pixels travel), and how it was upscaled (JSON, see UPSCALE_KEYS).
    sa.Column("source_image_id", sa.Integer, sa.ForeignKey("images.id", ondelete="SET NULL")),
    sa.Column("pixel_sha256", LedgerString(64)),
    sa.Column("upscale", LedgerText),
)

IMAGE_TEXT_LENGTHS: dict[str, int] = {
    column.name: column.type.length for column in images.c if getattr(column.type, "length", None)
}
"""The longest text each length-limited image column holds (what :func:`paramlab.infotext.image_fields` checks)."""

# Named parameter profiles (issue 3). Starter profiles live in code and are never stored here.
profiles = sa.Table(
    "profiles",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", LedgerString(100), nullable=False, unique=True),
    # lowercased name: names are unique case-insensitively on SQLite and PostgreSQL alike
    sa.Column("name_key", LedgerString(100), nullable=False, unique=True),
    sa.Column("description", LedgerText, nullable=False, default=""),
    sa.Column("model_scope", LedgerString(300)),
    sa.Column("settings_json", LedgerText, nullable=False),
    sa.Column("unusable_reason", LedgerText),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    # v8: the studio's style guide. ``profile_uid`` stays the same across renames and ledgers (history and
    # ``migrate`` follow it); ``version`` counts changes (each kept in ``profile_versions``); an approved
    # profile is listed first and badged; a locked one changes only through the CLI or an allowed user.
    sa.Column("profile_uid", LedgerString(36)),  # unique: see V8_INDEXES
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    sa.Column("approved", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("approved_by", LedgerString(200)),
    sa.Column("approved_at", sa.DateTime(timezone=True)),
    sa.Column("locked", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("updated_by", LedgerString(200)),
)

# v8: every change of a stored profile, kept with who made it and when (deleted profiles keep theirs).
profile_versions = sa.Table(
    "profile_versions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("profile_uid", LedgerString(36), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("action", LedgerString(32), nullable=False),  # see PROFILE_ACTIONS
    sa.Column("name", LedgerString(100), nullable=False),
    sa.Column("description", LedgerText, nullable=False, default=""),
    sa.Column("model_scope", LedgerString(300)),
    sa.Column("settings_json", LedgerText, nullable=False),
    sa.Column("approved", sa.Boolean, nullable=False, default=False),
    sa.Column("locked", sa.Boolean, nullable=False, default=False),
    sa.Column("changed_by", LedgerString(200)),
    sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("profile_uid", "version", name="uq_profile_versions_uid_version"),
)

# Named character series (issue 4): a locked seed, an optional variation, profile and prompt fragment.
series = sa.Table(
    "series",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", LedgerString(100), nullable=False, unique=True),
    # lowercased name, as for profiles: unique case-insensitively on SQLite and PostgreSQL alike
    sa.Column("name_key", LedgerString(100), nullable=False, unique=True),
    sa.Column("seed", sa.BigInteger, nullable=False),
    sa.Column("variation_seed", sa.BigInteger),
    sa.Column("variation_strength", sa.Float),
    sa.Column("profile", LedgerString(100)),
    sa.Column("prompt_fragment", LedgerText),
    sa.Column("notes", LedgerText, nullable=False, default=""),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

# Indexes for the tab's queries: time, model, sampler, file hash (import de-duplication).
# v5: quality figures as a long table, so a new measure or scorer never needs a schema change.
image_metrics = sa.Table(
    "image_metrics",
    metadata,
    sa.Column("image_id", sa.Integer, sa.ForeignKey("images.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("metric", LedgerString(64), primary_key=True),
    sa.Column("value", sa.Float),
    sa.Column("not_measured", LedgerText),
    sa.Column("metric_version", LedgerString(32), nullable=False),
)

# v8: a small preview of each image kept in the ledger itself, so every machine sharing the ledger sees it
# (image paths are paths on the machine that made the image). A table of its own keeps ``images`` rows small.
image_thumbnails = sa.Table(
    "image_thumbnails",
    metadata,
    sa.Column("image_id", sa.Integer, sa.ForeignKey("images.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("media_type", LedgerString(32), nullable=False),
    sa.Column("width", sa.Integer),
    sa.Column("height", sa.Integer),
    sa.Column("data", sa.LargeBinary, nullable=False),
)

# v9: blind A/B votes. A test is named by the user (its jobs share the name, a rerun resumes it); each vote
# keeps both images, the variants as they were shown left and right, the choice, the judge and when.
ab_votes = sa.Table(
    "ab_votes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("vote_uid", LedgerString(36), nullable=False, unique=True),  # identifies it in any ledger
    sa.Column("test_name", LedgerString(200), nullable=False),
    sa.Column("left_image_id", sa.Integer, sa.ForeignKey("images.id", ondelete="CASCADE"), nullable=False),
    sa.Column("right_image_id", sa.Integer, sa.ForeignKey("images.id", ondelete="CASCADE"), nullable=False),
    sa.Column("left_variant", LedgerString(100), nullable=False),
    sa.Column("right_variant", LedgerString(100), nullable=False),
    sa.Column("prompt", LedgerText),
    sa.Column("seed", sa.BigInteger),
    sa.Column("choice", LedgerString(8), nullable=False),  # see VOTE_CHOICES
    sa.Column("judge", LedgerString(200)),  # the WebUI user name when logged in
    sa.Column("voted_at", sa.DateTime(timezone=True), nullable=False),
)

# Prompt text search uses FTS5 on SQLite and a GIN index on PostgreSQL (see migrations).
INDEXES = [
    sa.Index("ix_runs_started_at", runs.c.started_at),
    sa.Index("ix_images_created_at", images.c.created_at),
    sa.Index("ix_images_run_id", images.c.run_id),
    sa.Index("ix_images_model_hash", images.c.model_hash),
    sa.Index("ix_images_model_name", images.c.model_name),
    sa.Index("ix_images_sampler", images.c.sampler, images.c.scheduler),
    sa.Index("ix_images_sha256", images.c.image_sha256),
]

# Added by version 3 (kept apart: the version 2 step creates INDEXES before this column exists).
V3_INDEXES = [
    sa.Index("ix_images_profile", images.c.profile),
]

# Added by version 4 (kept apart for the same reason).
V4_INDEXES = [
    sa.Index("ix_images_series", images.c.series),
]

# Added by version 5.
V5_INDEXES = [
    sa.Index("ix_images_rating", images.c.rating),
    sa.Index("ix_image_metrics_metric", image_metrics.c.metric, image_metrics.c.value),
]

# Added by version 6: start-up recovery looks for runs still "running".
V6_INDEXES = [
    sa.Index("ix_runs_status", runs.c.status),
]

# Added by version 7: jobs and their runs, and finding an upscale's source image.
V7_INDEXES = [
    sa.Index("ix_jobs_started_at", jobs.c.started_at),
    sa.Index("ix_jobs_status", jobs.c.status),
    sa.Index("ix_runs_job_id", runs.c.job_id),
    sa.Index("ix_images_pixel_sha256", images.c.pixel_sha256),
    sa.Index("ix_images_seed", images.c.seed),
    sa.Index("ix_images_source_image_id", images.c.source_image_id),
]

# Added by version 8.
V8_INDEXES = [
    sa.Index("ix_profiles_profile_uid", profiles.c.profile_uid, unique=True),
    sa.Index("ix_profile_versions_changed_at", profile_versions.c.changed_at),
]

# Added by version 9.
V9_INDEXES = [
    sa.Index("ix_ab_votes_test_name", ab_votes.c.test_name),
]

# Added by version 10: a profile's runs, failed ones included.
V10_INDEXES = [
    sa.Index("ix_runs_profile", runs.c.profile),
]

RUN_STATUSES = ("running", "ok", "interrupted", "skipped", "failed")
"""``failed``: ``process_images`` raised (NaN in the UNet, out of memory, …). Before version 10 such runs were
written as ``error``; the migration renamed them."""
JOB_STATUSES = RUN_STATUSES
"""A job's status is its worst run's: failed, then interrupted, skipped, ok (``running`` until it ends)."""
JOB_KINDS = ("generate", "script", "tile_upscale", "extras", "import")
RUN_ROLES = ("run", "tile", "output", "extras")
"""``run``: an ordinary process_images call; ``tile``: one pass of a tile upscale (a part of its job, not an
image); ``output``: the combined image a tile-upscale script saved; ``extras``: one Extras operation."""
IMAGE_STATUSES = ("ok", "interrupted", "skipped")
SOURCES = ("ui", "api", "script", "import")
PROFILE_ACTIONS = ("created", "updated", "imported", "approved", "unapproved", "locked", "unlocked", "deleted",
                   "recorded")
"""What a profile version records; "recorded" is the first version of a profile made before versions were kept."""
VOTE_CHOICES = ("left", "right", "tie", "skip")
REPLAY_VERDICTS = ("exact", "approximate", "not_replayable")

# Added by version 11 (v11's tables declare theirs in replay_schema).
V11_RUN_INDEXES = [
    sa.Index("ix_runs_replay_verdict", runs.c.replay_verdict),
]

# v11's tables (inputs, extension arguments, file hashes, the canary), declared on the same metadata.
from paramlab.ledger.replay_schema import (  # noqa: E402,F401  (re-exported)
    V11_INDEXES,
    canary_pins,
    canary_reports,
    canary_results,
    file_hashes,
    input_blobs,
    run_extension_values,
    run_inputs,
)
