"""Version 11's tables: what a run needs to be made again, and the canary that checks it still can.

Kept apart from :mod:`paramlab.ledger.schema` (which re-exports them) so neither file grows past reading size;
both declare their tables on :data:`paramlab.ledger.metadata.metadata`.
"""

from __future__ import annotations

import sqlalchemy as sa

from paramlab.ledger.dialect import LedgerString, LedgerText
from paramlab.ledger.metadata import metadata

# Every input image of a run, stored once by the SHA-256 of its PNG bytes: beside a SQLite ledger as a file
# (``stored_path``, relative to the ledger's folder), inside a team ledger's database (``data``).
input_blobs = sa.Table(
    "input_blobs",
    metadata,
    sa.Column("sha256", LedgerString(64), primary_key=True),
    sa.Column("media_type", LedgerString(32), nullable=False),
    sa.Column("width", sa.Integer),
    sa.Column("height", sa.Integer),
    sa.Column("size_bytes", sa.BigInteger, nullable=False),
    sa.Column("data", sa.LargeBinary),
    sa.Column("stored_path", LedgerText),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

# A run's inputs with their role: "init" (img2img), "mask" (inpaint), "control" (a ControlNet unit's image),
# "script" (any other image an always-on script received). ``sha256`` is None when the input was not kept;
# ``not_stored`` then says why (storage off, over the size cap), so a replay can name what is missing.
run_inputs = sa.Table(
    "run_inputs",
    metadata,
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("source", LedgerString(200), primary_key=True),  # "img2img", "ControlNet unit 0", "ADetailer", …
    sa.Column("role", LedgerString(32), primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True),  # its index within its source and role
    sa.Column("arg_path", LedgerString(400)),  # where in the script's arguments it was, e.g. "ControlNet/0/image"
    sa.Column("sha256", LedgerString(64)),
    sa.Column("width", sa.Integer),
    sa.Column("height", sa.Integer),
    sa.Column("not_stored", LedgerText),
)

# Other extensions' arguments flattened to (script, name, value) text, so the filter can search them
# ("ControlNet unit 0 model" = "control_openpose [a1b2c3]"). The full structure is ``runs.replay_args``.
run_extension_values = sa.Table(
    "run_extension_values",
    metadata,
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("script", LedgerString(200), primary_key=True),
    sa.Column("name", LedgerString(200), primary_key=True),
    sa.Column("value", LedgerText),
)

# Full SHA-256 of model files (checkpoint, VAE, LoRA, ControlNet), hashed once in the background and reused
# while the file keeps its size and modification time.
file_hashes = sa.Table(
    "file_hashes",
    metadata,
    sa.Column("path", LedgerString(1000), primary_key=True),
    sa.Column("size_bytes", sa.BigInteger, nullable=False),
    sa.Column("mtime", sa.Float, nullable=False),
    sa.Column("sha256", LedgerString(64), nullable=False),
    sa.Column("hashed_at", sa.DateTime(timezone=True), nullable=False),
)

# The studio's canary set: ledger images re-rendered after every update.
canary_pins = sa.Table(
    "canary_pins",
    metadata,
    sa.Column("image_id", sa.Integer, sa.ForeignKey("images.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("pinned_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("pinned_by", LedgerString(200)),
    sa.Column("note", LedgerText),
)

# One canary run (kept forever: the history), and one result per pinned image. ``status``: running,
# finished, interrupted (a rerun resumes it). ``summary``: JSON totals and the fingerprint changes seen.
canary_reports = sa.Table(
    "canary_reports",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("report_uid", LedgerString(36), nullable=False, unique=True),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True)),
    sa.Column("status", LedgerString(16), nullable=False),
    sa.Column("webui_url", LedgerText),
    sa.Column("ssim_tolerance", sa.Float),
    sa.Column("total", sa.Integer, nullable=False, default=0),
    sa.Column("drifted", sa.Integer, nullable=False, default=0),
    sa.Column("summary", LedgerText),
)

# ``outcome``: identical, within_tolerance, different, failed (the WebUI raised), refused (missing input,
# extension or model: ``message`` names it). ``fingerprint_changes``: JSON list of {field, label, recorded, now}.
canary_results = sa.Table(
    "canary_results",
    metadata,
    sa.Column("report_id", sa.Integer, sa.ForeignKey("canary_reports.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True),  # the image's place in the run's order
    sa.Column("image_id", sa.Integer, sa.ForeignKey("images.id", ondelete="SET NULL")),  # a report outlives it
    sa.Column("image_uid", LedgerString(36), nullable=False),
    sa.Column("outcome", LedgerString(24), nullable=False),
    sa.Column("ssim", sa.Float),
    sa.Column("mean_abs_diff", sa.Float),
    sa.Column("max_abs_diff", sa.Float),
    sa.Column("changed_pixel_share", sa.Float),
    sa.Column("seconds", sa.Float),
    sa.Column("recorded_seconds", sa.Float),
    sa.Column("fingerprint_changes", LedgerText),
    sa.Column("message", LedgerText),
    sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
)

V11_INDEXES = [
    sa.Index("ix_run_inputs_sha256", run_inputs.c.sha256),
    sa.Index("ix_run_extension_values_name", run_extension_values.c.script, run_extension_values.c.name),
    sa.Index("ix_canary_results_image_id", canary_results.c.image_id),
]

__all__ = ["V11_INDEXES", "canary_pins", "canary_reports", "canary_results", "file_hashes", "input_blobs",
           "run_extension_values", "run_inputs"]
