"""Measured figures shown beside each profile, from the images and runs the ledger recorded with it."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from paramlab.ledger import Ledger
from paramlab.ledger.failures import FAILED, causes_summary, failure_cause
from paramlab.ledger.reads.profiles import profile_image_costs, profile_run_outcomes


@dataclass(frozen=True)
class ProfileFigures:
    """What a profile has cost so far. ``mean_quality`` stays None until quality measures exist (issue 5).

    ``runs`` counts its ``process_images`` calls, ``failed_runs`` those that raised, and ``failure_causes``
    names why ("NaN in Unet", or "NaN in Unet (2), out of memory (1)")."""

    generations: int
    median_seconds_per_image: float | None
    peak_vram_bytes: int | None
    mean_quality: float | None = None
    runs: int = 0
    failed_runs: int = 0
    failure_causes: str | None = None

    def failures_text(self) -> str | None:
        """"3 of 40 runs failed: NaN in Unet", or None when none failed."""
        if not self.failed_runs:
            return None
        runs = "run" if self.runs == 1 else "runs"
        return f"{self.failed_runs} of {self.runs} {runs} failed: {self.failure_causes}"


def _or_none(value: float) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def _key(names: pd.Series) -> pd.Series:
    return names.str.strip().str.lower()


def profile_figures(ledger: Ledger) -> dict[str, ProfileFigures]:
    """Figures per profile, keyed by the lowercased profile name (the name as recorded on each image
    and, since version 10, on each run).

    One read of the images that carry a profile and one of the runs that do (a failed run may have no
    image); grouping happens in pandas so names are folded the same way as in Python (SQLite's ``lower()``
    folds ASCII only). A profile's runs are those recorded with its name or holding an image that is.
    """
    frame = profile_image_costs(ledger)
    run_frame = profile_run_outcomes(ledger)
    if frame.empty and run_frame.empty:
        return {}
    frame["key"] = _key(frame["profile"])
    run_frame["key"] = _key(run_frame["profile"])
    frame["cost_seconds"] = pd.to_numeric(frame["cost_seconds"], errors="coerce")
    frame["peak_vram_bytes"] = pd.to_numeric(frame["peak_vram_bytes"], errors="coerce")
    grouped = frame.groupby("key", sort=False).agg(
        generations=("profile", "size"),
        median_seconds=("cost_seconds", "median"),
        peak_vram=("peak_vram_bytes", "max"),
    )
    run_ids: dict[str, set[int]] = {str(key): set(ids) for key, ids in frame.groupby("key")["run_id"]}
    for key, ids in run_frame.groupby("key")["run_id"]:
        run_ids.setdefault(str(key), set()).update(ids)
    failed = run_frame[run_frame["status"] == FAILED]
    figures: dict[str, ProfileFigures] = {}
    for key, ids in run_ids.items():
        row = grouped.loc[key] if key in grouped.index else None
        peak = _or_none(row["peak_vram"]) if row is not None else None
        failures = failed[failed["key"] == key]
        causes = [failure_cause(kind, text) for kind, text in zip(failures["error_type"], failures["error"])]
        figures[key] = ProfileFigures(
            generations=int(row["generations"]) if row is not None else 0,
            median_seconds_per_image=_or_none(row["median_seconds"]) if row is not None else None,
            peak_vram_bytes=int(peak) if peak is not None else None,
            runs=len(ids),
            failed_runs=len(causes),
            failure_causes=causes_summary(causes) if causes else None,
        )
    return figures
