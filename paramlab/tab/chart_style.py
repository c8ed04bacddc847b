"""How every ParamLab chart is drawn, so the charts agree with each other.

- One colour per sampler in every chart: the same sorted domain and palette for the scatter and the
  steps curves, whatever order the samplers come in.
- Axes padded by :data:`EDGE_PADDING` pixels, so points at the edges of the data are drawn whole
  (the zoomable scatter clips its marks to the plot area).
- Drawn as SVG (vega-embed's ``usermeta.embedOptions``): each point is an element with its own
  accessible label, which screen readers and the browser tests can read; 5,000 points stay quick.
- A missing text value shows as :data:`NONE_TEXT` in tooltips, never as "null".
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import altair as alt
import pandas as pd

EDGE_PADDING = 12  # pixels between the data's extremes and the plot's edges
NONE_TEXT = "(none)"
EMBED_OPTIONS: dict[str, Any] = {"embedOptions": {"renderer": "svg", "actions": False}}
# Vega's "tableau20": 20 distinct colours; more samplers than that reuse them in order.
PALETTE = (
    "#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#eeca3b", "#b279a2", "#ff9da6", "#9d755d", "#bab0ac",
    "#9ecae9", "#ffbf79", "#88d27a", "#ff9d98", "#83bcb6", "#f2cf5b", "#d6a5c9", "#fcbfd2", "#d8b5a5", "#79706e",
)


def category_scale(all_values: Iterable[Any], extra: Iterable[str] = ()) -> alt.Scale:
    """A colour scale for a category (a sampler): its domain is every value of the chart data sorted, so a
    value has the same colour in every chart drawn from that data; ``extra`` labels (e.g. "other (3 more)")
    come last and shift nothing."""
    domain = sorted({str(value) for value in all_values})
    domain += [label for label in extra if label not in domain]
    return alt.Scale(domain=domain, range=[PALETTE[i % len(PALETTE)] for i in range(len(domain))])


def padded(**kwargs: Any) -> alt.Scale:
    """A continuous axis scale whose extremes sit :data:`EDGE_PADDING` pixels inside the plot."""
    return alt.Scale(padding=EDGE_PADDING, **kwargs)


def text_values(values: pd.Series) -> pd.Series:
    """Text for tooltips and legends: missing values become :data:`NONE_TEXT`."""
    return values.map(lambda v: NONE_TEXT if v is None or (isinstance(v, float) and v != v) or v is pd.NA else str(v))
