"""The ParamLab tab: ledger, jobs, charts, upscale & batch, profiles and series — one builder for the
WebUI tab and for ``python -m paramlab serve``, so both show the very same page.

Each section refreshes when its tab is selected (and the ledger once when the page loads), so an
idle WebUI never queries the ledger. Each section is built through :func:`paramlab.tab.guard.build_part`:
one that fails (say, the charts without ``altair``) is replaced by a note, and the others still work.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gradio as gr

from paramlab.ledger import Ledger
from paramlab.tab.guard import build_part
from paramlab.tab.jobs_view import VIEW_CSS as JOBS_CSS

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


def _sections(ledger_provider: Callable[[], Ledger], catalog_provider: Callable[[], Any],
              send_to: Callable[[Any], None] | None,
              extra_actions: Callable[[Any, Any], None] | None) -> dict[str, Callable[[], Any]]:
    """Each section's builder; imports happen inside, so a section whose module cannot load (the charts
    need ``altair``, which gradio 4 does not bring) fails alone."""

    def ledger() -> Any:
        from paramlab.tab.ledger_view import build_ledger_view

        return build_ledger_view(ledger_provider, send_to=send_to, extra_actions=extra_actions)

    def jobs() -> Any:
        from paramlab.tab.jobs_view import build_jobs_view

        return build_jobs_view(ledger_provider)

    def charts() -> Any:
        from paramlab.tab.charts_view import build_charts_view

        return build_charts_view(ledger_provider)

    def upscale() -> Any:
        from paramlab.tab.upscale_view import build_upscale_view

        return build_upscale_view(ledger_provider)

    def profiles() -> Any:
        from paramlab.tab.managers import build_profiles_manager

        return build_profiles_manager(ledger_provider, catalog_provider)

    def series() -> Any:
        from paramlab.tab.managers import build_series_manager

        return build_series_manager(ledger_provider)

    return {"ledger": ledger, "jobs": jobs, "charts": charts, "upscale": upscale, "profiles": profiles,
            "series": series}


# (key, tab label, tab elem_id, what the one console line calls it, whether select passes the view's inputs)
SECTIONS = (
    ("ledger", "Ledger", "paramlab-tab-ledger", "the ledger view", True),
    ("jobs", "Jobs", "paramlab-tab-jobs", "the jobs view", False),
    ("charts", "Cost / quality", "paramlab-tab-charts", "the Cost / quality charts", True),
    ("upscale", "Upscale & batch", "paramlab-tab-upscale", "the Upscale & batch view", True),
    ("profiles", "Profiles", "paramlab-tab-profiles", "the profiles manager", False),
    ("series", "Series", "paramlab-tab-series", "the series manager", False),
)


def build_tab_contents(ledger_provider: Callable[[], Ledger], *, catalog_provider: Callable[[], Any] = lambda: None,
                       send_to: Callable[[Any], None] | None = None,
                       extra_actions: Callable[[Any, Any], None] | None = None) -> TabContents:
    """Build into the open Blocks. ``send_to`` and ``extra_actions`` are the WebUI's hooks for A1111's
    "Send to" buttons and for actions that need a running WebUI (reproduce). A section that failed to
    build is None."""
    builders = _sections(ledger_provider, catalog_provider, send_to, extra_actions)
    built: dict[str, Any] = {}
    with gr.Tabs(elem_id="paramlab-tab"):
        for key, label, elem_id, part, with_inputs in SECTIONS:
            with gr.Tab(label, elem_id=elem_id) as tab:
                section = build_part(part, builders[key], elem_id=f"paramlab-part-{key}")
            built[key] = section
            if section is not None:
                tab.select(fn=section.refresh, inputs=section.inputs if with_inputs else [], outputs=section.outputs,
                           show_progress=False)
    return TabContents(built["ledger"], built["charts"], built["profiles"], built["series"], built["jobs"],
                       built["upscale"])
