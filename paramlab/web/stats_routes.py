"""``/paramlab/v1/stats/pareto`` (what each setting costs and buys) and ``/paramlab/v1/images/{id}/rating``."""

from __future__ import annotations

from typing import Any

from fastapi import Body, Depends, HTTPException, Query

from paramlab.ledger import Ledger, LedgerError
from paramlab.ledger.filters import ImageFilter
from paramlab.web.route_services import HostServices, ledger_failure, route_host, route_ledger

COSTS = ("cost_seconds", "model_evaluations", "energy_joules")


def pareto(
    cost: str = Query("cost_seconds", description="cost_seconds | model_evaluations | energy_joules"),
    quality: str = Query("composite", description="a quality measure, 'rating' or 'composite'"),
    percent: float = Query(5.0, ge=0.0, le=100.0, description="'cheapest within X % of the best quality'"),
    model_hash: str | None = None,
    width: int | None = None,
    height: int | None = None,
    sampler: str | None = None,
    profile: str | None = None,
    series: str | None = None,
    min_samples: int = Query(3, ge=1, le=1000),
    ledger: Ledger = Depends(route_ledger),
) -> dict[str, Any]:
    """Pareto front, knee and recommendation per comparable group (same model and size)."""
    from paramlab.analysis import analyse, load_frame
    from paramlab.analysis.load import DEFAULT_STATUS

    if cost not in COSTS:
        raise HTTPException(status_code=422, detail=f"ParamLab: cost must be one of {', '.join(COSTS)}.")
    filt = ImageFilter(model=model_hash or None, sampler=sampler or None, profile=profile or None,
                       series=series or None, status=DEFAULT_STATUS)
    try:
        frame = load_frame(ledger, filt)
    except LedgerError as exc:
        raise ledger_failure(exc) from exc
    if quality not in frame.columns and quality != "composite":
        known = sorted(c for c in frame.columns if c not in ("id", "prompt"))
        raise HTTPException(status_code=422, detail=f"ParamLab: unknown quality {quality!r}; use one of {known}.")
    group = {key: value for key, value in (("model_hash", model_hash), ("width", width), ("height", height))
             if value is not None} or None
    try:
        report = analyse(frame, cost=cost, quality=quality, percent=percent, group=group, min_samples=min_samples)
    except ValueError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    answer = report.to_json()
    if quality == "composite":
        from paramlab.analysis.frame import COMPOSITE_VERSION

        answer["composite_version"] = COMPOSITE_VERSION
    if not answer.get("groups"):
        answer["status"] = "not enough data"
        answer["message"] = ("Not enough data: no recorded images with both a cost and a quality figure match "
                             "these filters yet.")
    return answer


def set_rating(image_id: int, body: dict[str, Any] = Body(...),
               ledger: Ledger = Depends(route_ledger)) -> dict[str, Any]:
    """Body: {"rating": 1..5} or {"rating": null} to clear."""
    if not isinstance(body, dict) or set(body) != {"rating"}:
        raise HTTPException(status_code=422, detail='ParamLab: the body is {"rating": 1..5} or {"rating": null}.')
    try:
        found = ledger.set_rating(image_id, body["rating"])
    except ValueError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    except LedgerError as exc:
        raise ledger_failure(exc) from exc
    if not found:
        raise HTTPException(status_code=404, detail=f"ParamLab: there is no image {image_id} in the ledger.")
    return {"image_id": image_id, "rating": body["rating"]}


def convergence(ledger: Ledger = Depends(route_ledger), host: HostServices = Depends(route_host)) -> dict[str, Any]:
    """Per sampler and schedule: the fewest steps whose images reach SSIM ≥ 0.95 against the most-steps
    image of the same prompt/seed/size/model, from the user's own step sweeps; "unknown" otherwise."""
    from paramlab.quality.flaws import CONVERGENCE_SSIM
    from paramlab.quality.ledger_convergence import ledger_convergence

    try:
        table, steps = ledger_convergence(ledger)
    except LedgerError as exc:
        raise ledger_failure(exc) from exc
    if host.remember_convergence is not None:
        host.remember_convergence(steps)
    return {
        "threshold_ssim": CONVERGENCE_SSIM,
        "sweeps": int(table["group_key"].nunique()) if not table.empty else 0,
        "samplers": [
            {"sampler": sampler, "scheduler": scheduler, "steps_to_converge": value if value is not None else "unknown"}
            for (sampler, scheduler), value in sorted(steps.items())
        ],
    }
