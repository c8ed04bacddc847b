"""Charts of the ParamLab tab: cost against quality with its Pareto front, steps against quality,
one run's cost split, and the recommendation in plain words.

Pure (no gradio): the view in :mod:`paramlab.tab.charts.view` only places these charts. Big ledgers
are counted and sampled in SQL, so a chart never loads more than ``max_points`` rows, and every
chart says how many images it shows out of how many.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from paramlab.analysis.frame import (
    COMPOSITE,
    LEARNED_MEASURES,
    MEASURE_COLUMNS,
    RATING,
    composite_quality,
    describe_setting,
    empty_frame,
    format_number,
    quality_label,
)
from paramlab.analysis.load import FINISHED_IMAGES, IMAGE_COLUMNS, shape_frame
from paramlab.analysis.pareto import SettingSummary, analyse
from paramlab.ledger.filters import ImageFilter
from paramlab.ledger.reads.frames import sampled_rows
from paramlab.tab.chart_style import EMBED_OPTIONS, category_scale, padded, text_values
from paramlab.tab.charts.notes import few_images_hint, group_label
from paramlab.tab.image_links import image_link

X_CHOICES = {
    "cost_seconds": "Seconds per image", "model_evaluations": "Model evaluations", "energy_joules": "Energy (J)",
}
COLOUR_CHOICES = {
    "sampler": "Sampler", "profile": "Profile", "series": "Series", "model_name": "Model", "cfg_scale": "CFG",
}
EXTRA_COLUMNS = ("run_id", "series")  # loaded beside the analysis frame's columns, for colour and the run view
MAX_COLOURS = 20  # more legend entries than this are unreadable; the rest become "other"
MAX_FRONTS = 3  # with this many comparable groups or fewer, each gets its front; else the largest only
PROMPT_CHARS = 120
# A fixed width: "container" renders 0 px wide when the chart is drawn inside a hidden tab.
CHART_WIDTH, CHART_HEIGHT = 640, 360


@dataclass
class ChartData:
    """The rows a chart draws, and the honest counts behind them."""

    frame: pd.DataFrame
    total_rows: int  # images matching the filters
    shown_rows: int  # rows in ``frame`` (at most max_points)
    sampled: bool
    note: str


# -- data ------------------------------------------------------------------------------------------


def chart_data(ledger: Any, filt: ImageFilter | None = None, max_points: int = 5000, seed: int = 0) -> ChartData:
    """The images to chart (default: the finished ones): all that match when they fit in ``max_points``, else a
    deterministic sample drawn in SQL (:func:`paramlab.ledger.reads.frames.sampled_rows`). ``filt`` is the
    ledger's one filter, so the charts can follow the same query as the table; its order and paging do not apply.
    """
    names = [*IMAGE_COLUMNS, RATING, *EXTRA_COLUMNS]
    found = sampled_rows(ledger, FINISHED_IMAGES if filt is None else filt, names, max_points, seed, PROMPT_CHARS)
    rows = found.rows
    extra = {name: rows.pop(name) for name in EXTRA_COLUMNS}
    frame = shape_frame(rows, found.metrics) if len(rows) else empty_frame()
    for name, values in extra.items():
        frame[name] = values.to_numpy() if len(rows) else pd.Series(dtype="object")
    frame[COMPOSITE] = composite_quality(frame).to_numpy(dtype=np.float64) if len(frame) else np.nan
    return ChartData(frame, found.total, len(frame), found.sampled, _count_note(found.total, len(frame), found.sampled))


def _count_note(total: int, shown: int, sampled: bool) -> str:
    if total == 0:
        return "No images match the filters."
    if sampled:
        return f"Showing a random sample of {shown:,} of {total:,} images (sampled in SQL)."
    return f"Showing all {total:,} image{'s' if total != 1 else ''}."


def quality_choices(frame: pd.DataFrame) -> dict[str, str]:
    """Quality figures that have at least one value here, then the rating and the composite."""
    known = (*MEASURE_COLUMNS, *LEARNED_MEASURES)
    skip = {"id", "seed", "width", "height", "steps", "run_id", RATING, COMPOSITE}
    extra = [c for c in frame.columns if c not in known and c not in skip and pd.api.types.is_float_dtype(frame[c])]
    extra = [c for c in extra if c not in X_CHOICES and c not in ("cfg_scale", "hires_scale")]
    choices = {}
    for name in (*known, *sorted(extra)):
        if name in frame.columns and pd.to_numeric(frame[name], errors="coerce").notna().any():
            choices[name] = quality_label(name)
    choices[RATING], choices[COMPOSITE] = quality_label(RATING), quality_label(COMPOSITE)
    return choices


def _numbers(frame: pd.DataFrame, name: str) -> pd.Series:
    if name not in frame.columns:
        return pd.Series(np.nan, index=frame.index, dtype="float64")
    return pd.to_numeric(frame[name], errors="coerce").astype("float64")


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def inline_data(rows: pd.DataFrame | list[dict[str, Any]]) -> alt.Data:
    """Rows as ONE inline JSON string (Vega-Lite parses it by ``format``): Altair then neither walks,
    copies nor validates 5,000 records (2 s → 10 ms), and its 5,000-row guard never applies."""
    if isinstance(rows, pd.DataFrame):  # pandas' C writer: NaN and NA become null
        text = rows.to_json(orient="records", force_ascii=False, double_precision=10)
    else:
        text = json.dumps(rows, default=_json_default, ensure_ascii=False, allow_nan=False)
    return alt.Data(values=text, format=alt.DataFormat(type="json"))


def chart_rows(data_spec: dict) -> list[dict[str, Any]]:
    """The rows of a chart's ``data`` entry in its spec (what :func:`inline_data` wrote), for tests and tools."""
    values = data_spec["values"]
    return json.loads(values) if isinstance(values, str) else values


def empty_chart(message: str, title: str = "") -> alt.Chart:
    """A chart holding only a message: what every chart shows when it has nothing to draw."""
    return alt.Chart(inline_data([{"message": message}])).mark_text(size=14, color="#666").encode(
        text="message:N"
    ).properties(width=CHART_WIDTH, height=120, title=title or message, usermeta=EMBED_OPTIONS)


# -- the cost/quality scatter ---------------------------------------------------------------------------


def _hires_text(enabled: Any, scale: Any) -> str:
    if not enabled:
        return "off"
    return f"{format_number(scale)}×" if scale is not None and not pd.isna(scale) else "on"


def _colour_values(frame: pd.DataFrame, colour: str) -> tuple[pd.Series, list[str]]:
    """Colour labels (the MAX_COLOURS most frequent, the rest "other") and their legend order."""
    raw = frame[colour] if colour in frame.columns else pd.Series(None, index=frame.index, dtype="object")
    if colour == "cfg_scale":
        numbers = pd.to_numeric(raw, errors="coerce")
        labels = numbers.map(lambda v: "(none)" if pd.isna(v) else format_number(v))
        order = [format_number(v) for v in sorted(numbers.dropna().unique())]
    else:
        labels = text_values(raw)
        order = list(labels.value_counts().index)
    counts = labels.value_counts()
    if len(counts) > MAX_COLOURS:
        keep = set(counts.index[:MAX_COLOURS - 1])
        labels = labels.where(labels.isin(keep), f"other ({len(counts) - MAX_COLOURS + 1} more)")
    present = set(labels)
    order = [v for v in order if v in present] + sorted(v for v in present if v not in order)
    return labels, order


def _plot_frame(frame: pd.DataFrame, x: str, y: str, colour: str) -> tuple[pd.DataFrame, list[str]]:
    size = [f"{w}×{h}" if pd.notna(w) and pd.notna(h) else "?" for w, h in zip(frame["width"], frame["height"])]
    prompt = frame["prompt"].map(lambda p: p if not isinstance(p, str) or len(p) <= PROMPT_CHARS
                                 else p[:PROMPT_CHARS - 1] + "…")
    colour_labels, order = _colour_values(frame, colour)
    series = frame["series"] if "series" in frame.columns else pd.Series(None, index=frame.index, dtype="object")
    out = pd.DataFrame({
        "id": frame["id"], "x": _numbers(frame, x), "y": _numbers(frame, y), "colour": colour_labels,
        "prompt": prompt, "model": text_values(frame["model_name"]), "sampler": text_values(frame["sampler"]),
        "schedule": text_values(frame["scheduler"]), "steps": frame["steps"], "cfg": frame["cfg_scale"], "size": size,
        "hires": [_hires_text(e, s) for e, s in zip(frame["hires_enabled"], frame["hires_scale"])],
        "profile": text_values(frame["profile"]), "series": text_values(series), "seed": frame["seed"],
        "href": [image_link(i) for i in frame["id"]],
    })
    return out, order


def _front_of(frame: pd.DataFrame, x: str, y: str) -> tuple[list[SettingSummary], str]:
    """Fronts of setting means: per comparable group when there are few, else the largest group's.

    Only groups that compare 2 or more settings (of 3+ images each) have a front; the note says why
    when none does, and says so when one setting alone is the front (cheapest and best at once)."""
    report = analyse(frame, x, y, min_samples=3, bootstrap=0)
    compared = [g for g in report.groups if len(g.summaries) >= 2 and g.front]
    groups = sorted(compared, key=lambda g: -sum(s.count for s in g.summaries))
    if not groups:
        return [], ("No Pareto front: that needs 2 or more settings with 3 or more images each in one "
                    f"model/size group.{few_images_hint(frame)}")
    if len(groups) > MAX_FRONTS:
        groups = groups[:1]
        note = f"Pareto front of setting means in the largest group, {group_label(groups[0].group)}."
    else:
        note = "Pareto front of setting means per model/size group."
    alone = [g.front[0] for g in groups if len(g.front) == 1]
    if alone:
        note += (f" {describe_setting(alone[0].setting)} is both the cheapest and the best of its group, so it "
                 "alone is the front.")
    return [s for g in groups for s in g.front], note


def cost_quality_chart(data: ChartData, x: str, y: str, colour: str, front: list | None = None) -> alt.Chart:
    """Each image as a point (click opens its detail view), with the Pareto front of setting means."""
    if x not in X_CHOICES:
        raise ValueError(f"unknown cost {x!r}: use one of {', '.join(X_CHOICES)}")
    if colour not in COLOUR_CHOICES:
        raise ValueError(f"unknown colour {colour!r}: use one of {', '.join(COLOUR_CHOICES)}")
    x_title, y_title = X_CHOICES[x], quality_label(y)
    title = f"{y_title} against {x_title.lower()}"
    frame = data.frame
    if frame.empty:
        return empty_chart(f"No images to chart. {data.note}", title)
    points, order = _plot_frame(frame, x, y, colour)
    drawable = points[points["x"].notna() & points["y"].notna()]
    missing = len(points) - len(drawable)
    subtitle = [data.note]
    if missing:
        subtitle.append(f"{missing:,} of them lack a {x_title.lower()} or {y_title.lower()} value and are not drawn.")
    if drawable.empty:
        return empty_chart(f"No image here has both a {x_title.lower()} and a {y_title.lower()} value.", title)
    if front is None:
        front, front_note = _front_of(frame, x, y)
    else:
        front_note = "Pareto front of setting means."
    subtitle.append(front_note)
    tooltip = [
        alt.Tooltip("prompt:N", title="Prompt"), alt.Tooltip("model:N", title="Model"),
        alt.Tooltip("sampler:N", title="Sampler"), alt.Tooltip("schedule:N", title="Schedule type"),
        alt.Tooltip("steps:Q", title="Steps"), alt.Tooltip("cfg:Q", title="CFG"), alt.Tooltip("size:N", title="Size"),
        alt.Tooltip("hires:N", title="Hires"), alt.Tooltip("profile:N", title="Profile"),
        alt.Tooltip("series:N", title="Series"), alt.Tooltip("seed:Q", title="Seed", format="d"),
        alt.Tooltip("x:Q", title=x_title, format=".4~g"), alt.Tooltip("y:Q", title=y_title, format=".4~g"),
        alt.Tooltip("id:Q", title="Image id", format="d"),
    ]
    if colour == "cfg_scale":
        colour_scale = alt.Scale(scheme="viridis")
    elif colour == "sampler":  # the steps chart colours its samplers with the very same scale
        colour_scale = category_scale(text_values(frame["sampler"]), extra=order)
    else:
        colour_scale = alt.Undefined
    scatter = alt.Chart(inline_data(drawable)).mark_circle(size=36, opacity=0.7, cursor="pointer").encode(
        x=alt.X("x:Q", title=x_title, scale=padded(zero=False)),
        y=alt.Y("y:Q", title=y_title, scale=padded(zero=False)),
        color=alt.Color("colour:O" if colour == "cfg_scale" else "colour:N", title=COLOUR_CHOICES[colour],
                        sort=alt.Undefined if colour == "sampler" else order, scale=colour_scale),
        tooltip=tooltip, href="href:N",
    ).interactive()
    layers: list[alt.Chart] = [scatter]
    if front:
        rows = [{
            "setting": describe_setting(s.setting), "group": group_label(s.group), "n": s.count,
            "x": s.cost_median, "y": s.quality_mean,
        } for s in front]
        base = alt.Chart(inline_data(rows)).encode(
            x="x:Q", y="y:Q", detail="group:N",
            tooltip=[alt.Tooltip("setting:N", title="Pareto setting"), alt.Tooltip("group:N", title="Group"),
                     alt.Tooltip("n:Q", title="Images"), alt.Tooltip("x:Q", title=f"Median {x_title.lower()}",
                                                                    format=".4~g"),
                     alt.Tooltip("y:Q", title=f"Mean {y_title.lower()}", format=".4~g")],
        )
        layers += [base.mark_line(color="black", strokeWidth=2), base.mark_point(color="black", shape="diamond",
                                                                                 size=90, filled=True)]
    # The front first: the points (each opens its image) are drawn on top, so no diamond hides one from a click.
    return alt.layer(*layers[1:], layers[0]).properties(width=CHART_WIDTH, height=CHART_HEIGHT, usermeta=EMBED_OPTIONS,
                                         title=alt.TitleParams(title, subtitle=subtitle))


# -- steps against quality -------------------------------------------------------------------------------


def steps_quality_chart(data: ChartData, y: str) -> alt.Chart:
    """The median quality at each step count, one line per sampler: where more steps stop paying."""
    y_title = quality_label(y)
    title = f"Median {y_title.lower()} by steps, per sampler"
    frame = data.frame
    if frame.empty:
        return empty_chart(f"No images to chart. {data.note}", title)
    values = pd.DataFrame({"sampler": text_values(frame["sampler"]), "steps": _numbers(frame, "steps"),
                           "y": _numbers(frame, y)}).dropna()
    if values.empty:
        return empty_chart(f"No image here has both a step count and a {y_title.lower()} value.", title)
    table = values.groupby(["sampler", "steps"], as_index=False).agg(median=("y", "median"), n=("y", "size"))
    subtitle = [data.note, f"{len(values):,} images; point size is the number of images. All models and sizes shown "
                "are pooled: filter by model for a like-for-like curve."]
    base = alt.Chart(inline_data(table)).encode(
        x=alt.X("steps:Q", title="Steps", scale=padded()),
        y=alt.Y("median:Q", title=f"Median {y_title.lower()}", scale=padded(zero=False)),
        color=alt.Color("sampler:N", title="Sampler", scale=category_scale(text_values(frame["sampler"]))),
        tooltip=[alt.Tooltip("sampler:N", title="Sampler"), alt.Tooltip("steps:Q", title="Steps"),
                 alt.Tooltip("median:Q", title=f"Median {y_title.lower()}", format=".4~g"),
                 alt.Tooltip("n:Q", title="Images")],
    )
    chart = alt.layer(base.mark_line(), base.mark_circle().encode(size=alt.Size("n:Q", title="Images")))
    return chart.properties(width=CHART_WIDTH, height=CHART_HEIGHT, usermeta=EMBED_OPTIONS,
                            title=alt.TitleParams(title, subtitle=subtitle))


# -- the recommendation -----------------------------------------------------------------------------------


def recommendation_text(data: ChartData, x: str, y: str, percent: float = 5.0) -> str:
    """The analysis module's answer for the biggest comparable group, in plain words, with its counts."""
    frame = data.frame
    if frame.empty:
        return f"Not enough data: no images match the filters (0 of {data.total_rows:,} images)."
    x_title, y_title = X_CHOICES.get(x, x).lower(), quality_label(y).lower()
    usable = int((_numbers(frame, x).notna() & (_numbers(frame, y).notna() if y != COMPOSITE
                                                  else frame[COMPOSITE].notna())).sum())
    report = analyse(frame, x, y, percent=percent, min_samples=3, seed=0)
    sample = f" Based on a random sample of {data.shown_rows:,} of {data.total_rows:,} images." if data.sampled else ""
    ranked = sorted(report.groups, key=lambda g: -g.recommendation.samples)
    answered = [g for g in ranked if g.recommendation.status == "ok"]
    if not answered:
        reason = ranked[0].recommendation.message.removeprefix("Not enough data: ") if ranked else ""
        where = f" In the largest group, {group_label(ranked[0].group)}: {reason}" if ranked else ""
        return (f"Not enough data: {usable:,} of {data.shown_rows:,} images have both a {x_title} and a {y_title} "
                f"value.{where}{few_images_hint(frame)}{sample}")
    chosen = answered[0]
    others = len(answered) - 1
    more = (f" {others} other model/size group{'s have' if others != 1 else ' has'} an answer too; filter by model "
            "to see it.") if others else ""
    return f"Within {group_label(chosen.group)}: {chosen.recommendation.message}{more}{sample}"
