"""How many steps a sampler needs on the user's own ledger, measured as SSIM to the longest run.

Images that share prompt, negative prompt, seed, sampler, schedule, size and checkpoint but differ
in steps are a step sweep (an X/Y/Z plot over steps makes them). In each sweep every image is
compared with the one at the most steps; a sampler "has converged" at the fewest steps whose
median SSIM over sweeps reaches :data:`CONVERGENCE_SSIM` and stays there at every larger step count
measured.

Ancestral samplers (name ending in `` a``) and SDE samplers add fresh noise at every step, so their
images keep changing and need not converge at all: their steps to converge stays unknown (``None``)
unless the user's data shows them reaching the threshold.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable
from typing import Any

import pandas as pd
import torch
from PIL import Image

from paramlab.quality.flaws import CONVERGENCE_SSIM
from paramlab.quality.measures import image_to_array
from paramlab.quality.ssim import luma_plane, ssim_luma

GROUP_COLUMNS = ("prompt", "negative_prompt", "seed", "sampler", "scheduler", "width", "height", "model_hash")
TABLE_COLUMNS = ["id", "group_key", "sampler", "scheduler", "steps", "max_steps", "ssim"]


def _clean(value: Any) -> Any:
    """A JSON-friendly, NaN-free version of a key field, so missing values group together."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value if isinstance(value, (int, float, str, bool)) else str(value)


def _group_key(row: dict[str, Any]) -> str:
    key = [_clean(row.get(column)) for column in GROUP_COLUMNS]
    return hashlib.sha1(json.dumps(key, ensure_ascii=False, default=str).encode("utf-8")).hexdigest()[:16]


def _name(value: Any) -> str:
    value = _clean(value)
    return "" if value is None else str(value)


def _load_luma(load_image: Callable[[dict], Image.Image | None], row: dict[str, Any]) -> torch.Tensor | None:
    try:
        image = load_image(row)
        if image is None:
            return None
        plane = luma_plane(torch.from_numpy(image_to_array(image)))
    except Exception:  # noqa: BLE001 - a missing, moved or unreadable file only drops that image
        return None
    return plane if bool(torch.isfinite(plane).all()) else None


def convergence_table(rows: pd.DataFrame, load_image: Callable[[dict], Image.Image | None]) -> pd.DataFrame:
    """SSIM of every image in a step sweep to the sweep's most-steps image.

    The reference is the highest step count whose image loads; rows whose image does not load or
    differs in pixel size from the reference are left out, and so are sweeps left with fewer than
    two distinct step counts. The reference row itself is in the table with SSIM 1.0.
    """
    if rows is None or rows.empty or "steps" not in rows.columns:
        return pd.DataFrame(columns=TABLE_COLUMNS)
    records = rows.to_dict(orient="records")
    groups: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        steps = _clean(record.get("steps"))
        if not isinstance(steps, int) or steps <= 0:
            continue
        record["steps"] = steps
        groups.setdefault(_group_key(record), []).append(record)

    out: list[dict[str, Any]] = []
    for key, members in groups.items():
        if len({member["steps"] for member in members}) < 2:
            continue
        members.sort(key=lambda member: (-member["steps"], str(_clean(member.get("id")))))
        reference, reference_row = None, None
        loaded: list[tuple[dict[str, Any], torch.Tensor]] = []
        for member in members:
            plane = _load_luma(load_image, member)
            if plane is None:
                continue
            if reference is None:
                reference, reference_row = plane, member
            loaded.append((member, plane))
        if reference is None or reference_row is None:
            continue
        max_steps = reference_row["steps"]
        scored: list[dict[str, Any]] = []
        for member, plane in loaded:
            if member["steps"] > max_steps or plane.shape != reference.shape:
                continue
            try:
                value = 1.0 if member is reference_row else ssim_luma(plane, reference)
            except ValueError:
                continue
            scored.append({
                "id": _clean(member.get("id")), "group_key": key,
                "sampler": _name(member.get("sampler")), "scheduler": _name(member.get("scheduler")),
                "steps": member["steps"], "max_steps": max_steps, "ssim": value,
            })
        if len({entry["steps"] for entry in scored}) >= 2:
            out.extend(scored)
    table = pd.DataFrame(out, columns=TABLE_COLUMNS)
    return table.sort_values(["sampler", "scheduler", "group_key", "steps"], kind="stable").reset_index(drop=True)


def steps_to_converge(table: pd.DataFrame) -> dict[tuple[str, str], int | None]:
    """Per (sampler, schedule): the fewest steps from which the median SSIM stays ≥ CONVERGENCE_SSIM.

    Only points below their sweep's reference count (the reference is 1.0 by construction). ``None``
    means unknown: no sweep, only reference points, or the threshold never reached (typical of
    ancestral and SDE samplers).
    """
    result: dict[tuple[str, str], int | None] = {}
    if table is None or table.empty:
        return result
    for (sampler, scheduler), part in table.groupby(["sampler", "scheduler"], sort=True, dropna=False):
        name = (_name(sampler), _name(scheduler))
        points = part[(part["steps"] < part["max_steps"]) & part["ssim"].notna()]
        if points.empty:
            result[name] = None
            continue
        medians = points.groupby("steps")["ssim"].median().sort_index()
        converged: int | None = None
        for steps, value in reversed(list(medians.items())):  # walk down from the most steps
            if value < CONVERGENCE_SSIM:
                break
            converged = int(steps)
        result[name] = converged
    return result
