"""The ParamLab tab: ledger, charts, profiles and series — one builder for the WebUI tab and for
``python -m paramlab serve``, so both show the very same page.

Each section refreshes when its tab is selected, the ledger also when the page loads, and — through
:attr:`TabContents.refresh_open` — whenever the host shows the whole tab again (the WebUI wires it to
its own "ParamLab" tab): then the ledger and the section on view are read again, so nothing shows
stale rows. An idle WebUI never queries the ledger.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import gradio as gr

from paramlab.gradio_compat import update
from paramlab.ledger import Ledger
from paramlab.tab.charts_view import build_charts_view
from paramlab.tab.jobs_view import VIEW_CSS as JOBS_CSS
from paramlab.tab.jobs_view import build_jobs_view
from paramlab.tab.ledger_view import build_ledger_view
from paramlab.tab.managers import build_profiles_manager, build_series_manager
from paramlab.tab.page_style import build_style
from paramlab.tab.upscale_view import build_upscale_view

SECTIONS = ("ledger", "jobs", "charts", "upscale", "profiles", "series")


@dataclass
class TabContents:
    ledger: Any
    charts: Any
    profiles: Any
    series: Any
    jobs: Any = None
    upscale: Any = None
    open_section: Any = None  # gr.State: which section is on view ("ledger", "charts", …)
    open_inputs: list[Any] = field(default_factory=list)
    open_outputs: list[Any] = field(default_factory=list)

    def refresh_open(self, section: Any, *values: Any) -> list[Any]:
        """The whole tab came into view: the ledger (the first thing seen) and the section on view.

        ``values`` are the ledger's, the charts' and the upscale view's inputs; sections not on view keep
        what they show."""
        ledger_count, charts_count = len(self.ledger.inputs), len(self.charts.inputs)
        ledger_values = values[:ledger_count]
        chart_values = values[ledger_count:ledger_count + charts_count]
        upscale_values = values[ledger_count + charts_count:]

        def keep(outputs: list[Any]) -> list[Any]:
            return [update() for _ in outputs]

        return [
            *self.ledger.refresh(*ledger_values),
            *(self.jobs.refresh() if section == "jobs" else keep(self.jobs.outputs)),
            *(self.charts.refresh(*chart_values) if section == "charts" else keep(self.charts.outputs)),
            *(self.upscale.refresh(*upscale_values) if section == "upscale" else keep(self.upscale.outputs)),
            *(self.profiles.refresh() if section == "profiles" else keep(self.profiles.outputs)),
            *(self.series.refresh() if section == "series" else keep(self.series.outputs)),
        ]


def build_tab_contents(ledger_provider: Callable[[], Ledger], *, catalog_provider: Callable[[], Any] = lambda: None,
                       send_to: Callable[[Any], None] | None = None,
                       extra_actions: Callable[[Any, Any], None] | None = None) -> TabContents:
    """Build into the open Blocks. ``send_to`` and ``extra_actions`` are the WebUI's hooks for A1111's
    "Send to" buttons and for actions that need a running WebUI (reproduce, lock the seed in txt2img)."""
    build_style(JOBS_CSS)
    open_section = gr.State("ledger")
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

    def shown(section: str, refresh: Callable[..., list[Any]]) -> Callable[..., list[Any]]:
        return lambda *values: [section, *refresh(*values)]

    ledger_tab.select(fn=shown("ledger", ledger.refresh), inputs=ledger.inputs,
                      outputs=[open_section, *ledger.outputs], show_progress=False)
    jobs_tab.select(fn=shown("jobs", jobs.refresh), inputs=[], outputs=[open_section, *jobs.outputs],
                    show_progress=False)
    charts_tab.select(fn=shown("charts", charts.refresh), inputs=charts.inputs,
                      outputs=[open_section, *charts.outputs], show_progress=False)
    upscale_tab.select(fn=shown("upscale", upscale.refresh), inputs=upscale.inputs,
                       outputs=[open_section, *upscale.outputs], show_progress=False)
    profiles_tab.select(fn=shown("profiles", profiles.refresh), inputs=[],
                        outputs=[open_section, *profiles.outputs], show_progress=False)
    series_tab.select(fn=shown("series", series.refresh), inputs=[], outputs=[open_section, *series.outputs],
                      show_progress=False)
    return TabContents(
        ledger, charts, profiles, series, jobs, upscale, open_section=open_section,
        open_inputs=[open_section, *ledger.inputs, *charts.inputs, *upscale.inputs],
        open_outputs=[*ledger.outputs, *jobs.outputs, *charts.outputs, *upscale.outputs, *profiles.outputs,
                      *series.outputs],
    )
