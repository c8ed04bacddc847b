"""The per-run view of the ParamLab tab: one press of Generate, its phase split and its images' cost."""

from __future__ import annotations

import altair as alt
import pandas as pd

from paramlab.analysis.frame import format_number
from paramlab.ledger import Ledger
from paramlab.ledger.reads.runs import newest_run_id, run_with_images
from paramlab.tab.chart_style import EMBED_OPTIONS
from paramlab.tab.charts.figures import CHART_WIDTH, empty_chart, inline_data
from paramlab.tab.image_links import image_link

PHASES = (("first_pass_seconds", "First pass"), ("hires_seconds", "Hires"), ("vae_decode_seconds", "VAE decode"))


def run_summary(ledger: Ledger, run_id: int) -> dict:
    """One press of Generate: its phases (first pass / hires / VAE / other) and its images' cost and figures."""
    read = run_with_images(ledger, int(run_id))
    if read is None:
        return {"found": False, "run_id": int(run_id)}
    run, rows, figures = read.run, read.images, read.figures
    phases = {label: float(run[key]) for key, label in PHASES if run[key] is not None}
    wall = run["wall_seconds"]
    if wall is not None and phases:
        phases["Other"] = max(float(wall) - sum(phases.values()), 0.0)
    total_cost = sum(r["cost_seconds"] or 0.0 for r in rows)
    for row in rows:
        cost = row["cost_seconds"]
        row["cost_share"] = cost / total_cost if cost is not None and total_cost > 0 else None
        known = figures is not None and row["id"] in figures.index
        row["figures"] = {str(k): float(v) for k, v in figures.loc[row["id"]].items() if pd.notna(v)} if known else {}
    keys = ("started_at", "finished_at", "tab", "source", "script_name", "status", "model_name", "wall_seconds",
            "peak_vram_bytes", "energy_joules", "batch_count", "batch_size")
    return {"found": True, "run_id": int(run_id), **{k: run[k] for k in keys}, "image_count": len(rows),
            "phases": phases, "images": rows}


def run_chart(ledger: Ledger, run_id: int) -> alt.Chart | None:
    """The run's phase split as one stacked bar, above its images' costs (click an image to open it)."""
    summary = run_summary(ledger, run_id)
    if not summary["found"]:
        return None
    parts: list[alt.Chart] = []
    if summary["phases"]:
        rows = [{"phase": k, "seconds": v, "order": i} for i, (k, v) in enumerate(summary["phases"].items())]
        parts.append(alt.Chart(inline_data(rows)).mark_bar().encode(
            x=alt.X("seconds:Q", stack="zero", title="Seconds (wall time of the run)"),
            color=alt.Color("phase:N", title="Phase", sort=[r["phase"] for r in rows]),
            order=alt.Order("order:Q"),
            tooltip=[alt.Tooltip("phase:N", title="Phase"), alt.Tooltip("seconds:Q", title="Seconds", format=".3~g")],
        ).properties(width=CHART_WIDTH, height=50, title="Where the run's time went"))
    images = [
        {"image": f"#{r['index_in_run']} (id {r['id']})", "cost": r["cost_seconds"],
         "share": r["cost_share"], "seed": r["seed"], "href": image_link(r["id"]),
         "figures": ", ".join(f"{k} {format_number(v)}" for k, v in sorted(r["figures"].items())) or "none"}
        for r in summary["images"] if r["cost_seconds"] is not None
    ]
    if images:
        parts.append(alt.Chart(inline_data(images)).mark_bar(cursor="pointer").encode(
            x=alt.X("image:N", sort=None, title="Image"), y=alt.Y("cost:Q", title="Seconds per image"), href="href:N",
            tooltip=[alt.Tooltip("image:N", title="Image"), alt.Tooltip("cost:Q", title="Seconds", format=".3~g"),
                     alt.Tooltip("share:Q", title="Share of the run", format=".0%"),
                     alt.Tooltip("seed:Q", title="Seed", format="d"), alt.Tooltip("figures:N", title="Figures")],
        ).properties(width=CHART_WIDTH, height=200, title="Each image's share of the cost"))
    if not parts:
        return empty_chart(f"Run {run_id} has no timing recorded (imported images have no cost).", f"Run {run_id}")
    return alt.vconcat(*parts).properties(title=f"Run {run_id}: {summary['image_count']} image(s)",
                                          usermeta=EMBED_OPTIONS)


# newest_run_id is the ledger's read, named here too because the charts view asks this module for it
__all__ = ["PHASES", "newest_run_id", "run_chart", "run_summary"]
