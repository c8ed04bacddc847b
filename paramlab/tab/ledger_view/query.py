"""What the ledger view shows of the ledger's reads: one image's detail with its file, fingerprint and X/Y/Z job
added, and the dropdown choices with the flaw codes.

The reads and the filter themselves live in the ledger (:mod:`paramlab.ledger.reads.images`,
:mod:`paramlab.ledger.filters`).
"""

from __future__ import annotations

from typing import Any

from paramlab.analysis.matrix_load import cell_place
from paramlab.ledger import Ledger
from paramlab.ledger.reads.image_files import locate_recorded
from paramlab.ledger.reads.images import filter_choices, image_record
from paramlab.ledger.reads.inputs import image_replay_detail
from paramlab.seeds.fingerprint import load_fingerprint


def image_detail(ledger: Ledger, image_id: Any) -> dict[str, Any] | None:
    """Everything the detail panel shows: the row, its quality figures, flaws, fingerprint, cost, where its file
    is, the X/Y/Z job it was a cell of, and its run's replay (verdict, inputs, other extensions' settings)."""
    detail = image_record(ledger, image_id)
    if detail is None:
        return None
    if detail.get("image_path"):  # a shared ledger: the file may be on another machine
        detail["file_note"] = locate_recorded(ledger, detail["id"], "image").note
    detail["fingerprint"] = load_fingerprint(detail.get("fingerprint"))
    detail["xyz_job"] = detail.get("job_id") if cell_place(detail.pop("run_settings", None)) else None
    detail["replay"] = image_replay_detail(ledger, detail["id"])
    return detail


def filter_options(ledger: Ledger) -> dict[str, list[str]]:
    """The values each dropdown offers: models (by name), profiles, series, samplers, schedule types, flaw codes."""
    from paramlab.quality.flaws import FLAW_CODES  # torch comes with it; only load when the view is used

    return {**filter_choices(ledger), "flaws": list(FLAW_CODES)}


__all__ = ["filter_options", "image_detail"]
