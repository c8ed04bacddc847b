"""The ParamLab tab: ledger, charts, profiles and series — one builder for the WebUI tab and for
``python -m paramlab serve``, so both show the very same page.

Each section refreshes when its tab is selected (and the ledger once when the page loads), so an
idle WebUI never queries the ledger.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gradio as gr

from paramlab.ledger import Ledger
from paramlab.tab.charts_view import build_charts_view
from paramlab.tab.jobs_view import VIEW_CSS as JOBS_CSS
from paramlab.tab.jobs_view import build_jobs_view
from paramlab.tab.ledger_view import build_ledger_view
from paramlab.tab.managers import build_profiles_manager, build_series_manager
from paramlab.tab.upscale_view import build_upscale_view

TAB_CSS = """
#paramlab-tab .paramlab-table td { vertical-align: top; }
""" + JOBS_CSS


@dataclass
class TabContents:
    ledger: Any
    charts: Any
    profiles: Any
    series: Any
    jobs: Any = None
    upscale: Any = None


def build_tab_contents(ledger_provider: Callable[[], Ledger], *, catalog_provider: Callable[[], Any] = lambda: None,
                       send_to: Callable[[Any], None] | None = None,
                       extra_actions: Callable[[Any, Any], None] | None = None) -> TabContents:
    """Build into the open Blocks. ``send_to`` and ``extra_actions`` are the WebUI's hooks for A1111's
    "Send to" buttons and for actions that need a running WebUI (reproduce)."""
    with gr.Tabs(elem_id="paramlab-tab"):
        with gr.Tab("Ledger", elem_id="paramlab-tab-ledger") as ledger_tab:
            ledger = build_ledger_view(ledger_provider, send_to=send_to, extra_actions=extra_actions)
        with gr.Tab("Jobs", elem_id="paramlab-tab-jobs") as jobs_tab:
            jobs = build_jobs_view(ledger_provider)
        with gr.Tab("Cost / quality", elem_id="paramlab-tab-charts") as charts_tab:
            charts = build_charts_view(ledger_provider)
        with gr.Tab("Upscale & batch", elem_id="paramlab-tab-upscale") as upscale_tab:
            upscale = build_upscale_view(ledger_provider)
        with gr.Tab("Profiles", elem_id="paramlab-tab-profiles") as profiles_tab:
            profiles = build_profiles_manager(ledger_provider, catalog_provider)
        with gr.Tab("Series", elem_id="paramlab-tab-series") as series_tab:
            series = build_series_manager(ledger_provider)
    ledger_tab.select(fn=ledger.refresh, inputs=ledger.inputs, outputs=ledger.outputs, show_progress=False)
    jobs_tab.select(fn=jobs.refresh, inputs=[], outputs=jobs.outputs, show_progress=False)
    charts_tab.select(fn=charts.refresh, inputs=charts.inputs, outputs=charts.outputs, show_progress=False)
    upscale_tab.select(fn=upscale.refresh, inputs=upscale.inputs, outputs=upscale.outputs, show_progress=False)
    profiles_tab.select(fn=profiles.refresh, inputs=[], outputs=profiles.outputs, show_progress=False)
    series_tab.select(fn=series.refresh, inputs=[], outputs=series.outputs, show_progress=False)
    return TabContents(ledger, charts, profiles, series, jobs, upscale)
