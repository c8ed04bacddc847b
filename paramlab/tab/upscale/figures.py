"""What upscaling and batching buy: two charts of the ParamLab tab, each with its sentence.

*Upscale methods* — for one output size, the cost per output megapixel and a quality figure of latent
hires, pixel-upscaler hires, tiled SD upscale and Extras. An upscale's cost includes the image it came
from when the ledger knows it (an Extras upscale of a draft costs the draft plus the upscale), so every
method is priced for the whole way to that output. *Batch size* — seconds per image by batch size,
per model and size: where a larger batch stops paying. Pure (no gradio).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from paramlab.analysis.frame import COMPOSITE, LOWER_IS_BETTER, composite_quality, format_number
from paramlab.ledger import Ledger
from paramlab.ledger.reads.runs import batch_costs
from paramlab.ledger.reads.upscales import NEWEST_UPSCALES, upscaled_images
from paramlab.tab.charts.figures import CHART_HEIGHT, CHART_WIDTH, empty_chart, inline_data, quality_label

MAX_ROWS = NEWEST_UPSCALES
MIN_SAMPLES = 3
METHODS = ("Latent hires", "Pixel-upscaler hires", "Tiled SD upscale", "Extras")


@dataclass
class UpscaleData:
    frame: pd.DataFrame  # one row per upscaled image: method, size, cost per output megapixel, figures
    total: int
    note: str


def method_of(hires_enabled: Any, hires_upscaler: Any, upscale: Any) -> str | None:
    """Which of the four ways made an upscaled image (None: not upscaled)."""
    method = None
    if isinstance(upscale, str) and upscale:
        try:
            method = (json.loads(upscale) or {}).get("method")
        except ValueError:
            method = None
    if method == "tiled":
        return "Tiled SD upscale"
    if method == "extras":
        return "Extras"
    if hires_enabled:
        return "Latent hires" if str(hires_upscaler or "Latent").startswith("Latent") else "Pixel-upscaler hires"
    return None


def upscale_data(ledger: Ledger) -> UpscaleData:
    """The newest upscaled images by method and output size, with their cost per output megapixel."""
    read = upscaled_images(ledger, MAX_ROWS)
    rows, metrics, total = read.rows, read.figures, read.total
    if rows.empty:
        return UpscaleData(rows.assign(method=pd.Series(dtype="object")), 0, "No upscaled images in the ledger yet.")
    rows["method"] = [method_of(*values) for values in zip(rows["hires_enabled"], rows["hires_upscaler"],
                                                           rows["upscale"])]
    for name in ("width", "height", "cost_seconds", "source_cost", "rating"):
        rows[name] = pd.to_numeric(rows[name], errors="coerce")
    rows["size"] = [f"{int(w)}×{int(h)}" if pd.notna(w) and pd.notna(h) else "?"
                    for w, h in zip(rows["width"], rows["height"])]
    pipeline = rows["cost_seconds"] + rows["source_cost"].fillna(0.0)
    rows["cost_per_mp"] = pipeline / (rows["width"] * rows["height"] / 1_000_000)
    if metrics is not None and not metrics.empty:
        aligned = metrics.reindex(rows["id"].to_numpy(dtype=np.int64))
        for name in aligned.columns:
            rows[str(name)] = pd.to_numeric(aligned[name], errors="coerce").to_numpy(dtype=np.float64)
    rows[COMPOSITE] = composite_quality(rows).to_numpy(dtype=np.float64)
    shown = len(rows)
    note = (f"{shown:,} upscaled images" if shown == total
            else f"The newest {shown:,} of {total:,} upscaled images")
    return UpscaleData(rows[rows["method"].notna()].reset_index(drop=True), total, note + ".")


def size_choices(data: UpscaleData) -> list[str]:
    """Output sizes, the most common first."""
    if data.frame.empty:
        return []
    return list(data.frame["size"].value_counts().index)


def method_table(data: UpscaleData, size: str, quality: str) -> pd.DataFrame:
    """Per method at one output size: images, median cost per output megapixel, mean quality."""
    frame = data.frame[data.frame["size"] == size]
    values = pd.to_numeric(frame[quality], errors="coerce") if quality in frame.columns else \
        pd.Series(np.nan, index=frame.index)
    table = pd.DataFrame({"method": frame["method"], "cost": frame["cost_per_mp"], "quality": values})
    grouped = table.groupby("method").agg(n=("cost", "size"), cost=("cost", "median"), quality=("quality", "mean"),
                                         rated=("quality", "count"))
    return grouped.reindex([m for m in METHODS if m in grouped.index]).reset_index()


def upscale_chart(data: UpscaleData, size: str | None, quality: str = COMPOSITE) -> alt.Chart:
    title = "Upscale methods: cost per output megapixel against quality"
    if data.frame.empty or not size:
        return empty_chart(data.note if data.frame.empty else "Pick an output size.", title)
    table = method_table(data, size, quality)
    label = quality_label(quality)
    points = table.assign(cost=table["cost"].astype(float), quality=table["quality"].astype(float))
    drawable = points[points["cost"].notna()]
    if drawable.empty:
        return empty_chart(f"No upscaled image at {size} has a cost.", title)
    base = alt.Chart(inline_data(drawable.to_dict("records"))).encode(
        x=alt.X("cost:Q", title="Seconds per output megapixel (the whole way to it)", scale=alt.Scale(zero=False)),
        y=alt.Y("quality:Q", title=label, scale=alt.Scale(zero=False)),
        color=alt.Color("method:N", title="Method", sort=list(METHODS)),
        tooltip=[alt.Tooltip("method:N", title="Method"), alt.Tooltip("n:Q", title="Images"),
                 alt.Tooltip("cost:Q", title="Median s / output MP", format=".3~g"),
                 alt.Tooltip("quality:Q", title=f"Mean {label.lower()}", format=".3~g")],
    )
    chart = alt.layer(base.mark_circle(opacity=0.85).encode(size=alt.Size("n:Q", title="Images")),
                      base.mark_text(dx=12, align="left").encode(text="method:N"))
    subtitle = [f"Output size {size}. {data.note}", "An upscale's cost includes its source image when known."]
    return chart.properties(width=CHART_WIDTH, height=CHART_HEIGHT, title=alt.TitleParams(title, subtitle=subtitle))


def upscale_recommendation(data: UpscaleData, size: str | None, quality: str = COMPOSITE,
                           percent: float = 5.0) -> str:
    """The cheapest method within ``percent`` % of the best quality at this size, in plain words."""
    if data.frame.empty or not size:
        return f"Not enough data: {data.note}"
    table = method_table(data, size, quality)
    usable = table[(table["rated"] >= MIN_SAMPLES) & table["cost"].notna()]
    label = quality_label(quality).lower()
    counts = ", ".join(f"{row.method} {int(row.n)}" for row in table.itertuples()) or "none"
    if len(usable) < 2:
        return (f"Not enough data at {size}: compare needs ≥ {MIN_SAMPLES} images with a {label} for at least two "
                f"methods (images per method: {counts}).")
    lower_better = quality in LOWER_IS_BETTER
    best = usable["quality"].min() if lower_better else usable["quality"].max()
    margin = abs(best) * percent / 100
    good = usable[usable["quality"] <= best + margin] if lower_better else usable[usable["quality"] >= best - margin]
    pick = good.sort_values("cost").iloc[0]
    top = usable.sort_values("quality", ascending=lower_better).iloc[0]
    parts = "; ".join(f"{row.method} {format_number(row.cost)} s/MP at {format_number(row.quality)} (n={int(row.n)})"
                      for row in usable.itertuples())
    if pick["method"] == top["method"]:
        verdict = f"{pick['method']} is both the best and the cheapest good-enough choice"
    else:
        saving = 1 - pick["cost"] / top["cost"] if top["cost"] else 0
        verdict = (f"{pick['method']} is the cheapest within {format_number(percent)} % of the best {label} "
                   f"({top['method']}), at {saving:.0%} less cost per megapixel")
    return f"At {size}: {verdict}. Medians per method: {parts}."


# -- seconds per image by batch size --------------------------------------------------------------


def batch_frame(ledger: Ledger) -> pd.DataFrame:
    """Median seconds per image for each model, size and batch size (ordinary runs only)."""
    frame = batch_costs(ledger)
    if frame.empty:
        return frame.assign(group=pd.Series(dtype="object"))
    frame["group"] = [f"{m or 'unknown model'} · {int(w)}×{int(h)}" for m, w, h in
                      zip(frame["model"], frame["width"], frame["height"])]
    return frame.sort_values(["group", "batch_size"]).reset_index(drop=True)


def batch_chart(frame: pd.DataFrame) -> alt.Chart:
    title = "Seconds per image by batch size, per model and size"
    if frame.empty:
        return empty_chart("No timed runs yet.", title)
    base = alt.Chart(inline_data(frame[["group", "batch_size", "n", "seconds"]].to_dict("records"))).encode(
        x=alt.X("batch_size:Q", title="Batch size"), y=alt.Y("seconds:Q", title="Seconds per image (mean)"),
        color=alt.Color("group:N", title="Model · size"),
        tooltip=[alt.Tooltip("group:N", title="Model · size"), alt.Tooltip("batch_size:Q", title="Batch size"),
                 alt.Tooltip("seconds:Q", title="Seconds per image", format=".3~g"),
                 alt.Tooltip("n:Q", title="Images")],
    )
    return alt.layer(base.mark_line(), base.mark_circle(size=60)).properties(
        width=CHART_WIDTH, height=CHART_HEIGHT, title=alt.TitleParams(title, subtitle=["Point tooltips give counts."]))


def batch_recommendation(frame: pd.DataFrame, percent: float = 5.0) -> str:
    """Where a larger batch stops paying, in the group with the most images."""
    if frame.empty:
        return "Not enough data: no timed runs in the ledger."
    sizes = frame.groupby("group")["batch_size"].nunique()
    groups = [g for g in frame.groupby("group")["n"].sum().sort_values(ascending=False).index if sizes[g] >= 2]
    if not groups:
        return "Not enough data: every model and size was run at one batch size only; try another batch size."
    group = groups[0]
    rows = frame[frame["group"] == group].sort_values("batch_size")
    stop = None
    previous = rows.iloc[0]
    for row in rows.iloc[1:].itertuples():
        gain = 1 - row.seconds / previous["seconds"] if previous["seconds"] else 0
        if gain < percent / 100:
            stop = (previous, row, gain)
            break
        previous = rows[rows["batch_size"] == row.batch_size].iloc[0]
    first, last = rows.iloc[0], rows.iloc[-1]
    trend = (f"{group}: {format_number(first['seconds'])} s per image at batch {int(first['batch_size'])}, "
             f"{format_number(last['seconds'])} s at batch {int(last['batch_size'])}")
    if stop is None:
        return f"{trend}. Every larger batch still saved ≥ {format_number(percent)} % per image."
    before, after, gain = stop
    return (f"{trend}. A larger batch stops paying after {int(before['batch_size'])}: batch {int(after.batch_size)} "
            f"saves only {gain:.0%} per image.")
