"""The ParamLab tab: ledger, jobs, charts, upscale & batch, profiles and series — one builder for the
WebUI tab and for ``python -m paramlab serve``, so both show the very same page.

Each section refreshes when its tab is selected, the ledger also when the page loads, and — through
:attr:`TabContents.refresh_open` — whenever the host shows the whole tab again (the WebUI wires it to
its own "ParamLab" tab): then the ledger and the section on view are read again, so nothing shows
stale rows. An idle WebUI never queries the ledger. Each section is built through
:func:`paramlab.tab.guard.build_part`: one that fails (say, the charts without ``altair``) is replaced
by a note, and the others still work.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import gradio as gr

from paramlab.gradio_compat import update
from paramlab.ledger import Ledger
from paramlab.tab.abtest.render import VIEW_CSS as AB_CSS
from paramlab.tab.guard import build_part
from paramlab.tab.jobs.view import VIEW_CSS as JOBS_CSS
from paramlab.tab.matrix.render import MATRIX_CSS
from paramlab.tab.page_style import build_style


@dataclass
class TabContents:
    ledger: Any
    charts: Any
    profiles: Any
    series: Any
    jobs: Any = None
    upscale: Any = None
    matrix: Any = None
    abtests: Any = None
    canary: Any = None
    open_section: Any = None  # gr.State: which section is on view ("ledger", "charts", …)
    open_inputs: list[Any] = field(default_factory=list)
    open_outputs: list[Any] = field(default_factory=list)

    def refresh_open(self, section: Any, *values: Any) -> list[Any]:
        """The whole tab came into view: the ledger (the first thing seen) and the section on view.

        ``values`` are the ledger's, the charts' and the upscale view's inputs (see ``open_inputs``);
        sections not on view keep what they show, and a section that failed to build has no outputs."""
        remaining = list(values)
        answer: list[Any] = []
        for key, *_ in SECTIONS:
            built = getattr(self, key)
            if built is None:
                continue
            own_values = []
            if key in _OPEN_INPUTS:
                own_values, remaining = remaining[:len(built.inputs)], remaining[len(built.inputs):]
            if key == "ledger" or key == section:
                answer.extend(built.refresh(*own_values))
            else:
                answer.extend(update() for _ in built.outputs)
        return answer


def _sections(ledger_provider: Callable[[], Ledger], catalog_provider: Callable[[], Any],
              send_to: Callable[[Any], None] | None,
              extra_actions: Callable[[Any, Any], None] | None) -> dict[str, Callable[[], Any]]:
    """Each section's builder; imports happen inside, so a section whose module cannot load (the charts
    need ``altair``, which gradio 4 does not bring) fails alone."""

    def ledger() -> Any:
        from paramlab.tab.ledger_view.view import build_ledger_view

        return build_ledger_view(ledger_provider, send_to=send_to, extra_actions=extra_actions)

    def jobs() -> Any:
        from paramlab.tab.jobs.view import build_jobs_view

        return build_jobs_view(ledger_provider)

    def matrix() -> Any:
        from paramlab.tab.matrix.view import build_matrix_view

        return build_matrix_view(ledger_provider)

    def charts() -> Any:
        from paramlab.tab.charts.view import build_charts_view

        return build_charts_view(ledger_provider)

    def upscale() -> Any:
        from paramlab.tab.upscale.view import build_upscale_view

        return build_upscale_view(ledger_provider)

    def abtests() -> Any:
        from paramlab.tab.abtest.view import build_abtest_view

        return build_abtest_view(ledger_provider)

    def canary() -> Any:
        from paramlab.tab.canary.view import build_canary_view

        return build_canary_view(ledger_provider)

    def profiles() -> Any:
        from paramlab.tab.managers.sections import build_profiles_manager

        return build_profiles_manager(ledger_provider, catalog_provider)

    def series() -> Any:
        from paramlab.tab.managers.sections import build_series_manager

        return build_series_manager(ledger_provider)

    return {"ledger": ledger, "jobs": jobs, "matrix": matrix, "charts": charts, "upscale": upscale,
            "abtests": abtests, "canary": canary,
            "profiles": profiles, "series": series}


# (key, tab label, tab elem_id, what the one console line calls it, whether select passes the view's inputs)
SECTIONS = (
    ("ledger", "Ledger", "paramlab-tab-ledger", "the ledger view", True),
    ("jobs", "Jobs", "paramlab-tab-jobs", "the jobs view", True),
    ("matrix", "X/Y/Z matrix", "paramlab-tab-matrix", "the X/Y/Z matrix", True),
    ("charts", "Cost / quality", "paramlab-tab-charts", "the Cost / quality charts", True),
    ("upscale", "Upscale & batch", "paramlab-tab-upscale", "the Upscale & batch view", True),
    ("abtests", "A/B tests", "paramlab-tab-abtests", "the A/B tests", True),
    ("canary", "Canary", "paramlab-tab-canary", "the canary", False),
    ("profiles", "Profiles", "paramlab-tab-profiles", "the profiles manager", False),
    ("series", "Series", "paramlab-tab-series", "the series manager", False),
)
_OPEN_INPUTS = tuple(key for key, *_, with_inputs in SECTIONS if with_inputs)  # refresh reads the page's inputs


def build_tab_contents(ledger_provider: Callable[[], Ledger], *, catalog_provider: Callable[[], Any] = lambda: None,
                       send_to: Callable[[Any], None] | None = None,
                       extra_actions: Callable[[Any, Any], None] | None = None) -> TabContents:
    """Build into the open Blocks. ``send_to`` and ``extra_actions`` are the WebUI's hooks for A1111's
    "Send to" buttons and for actions that need a running WebUI (reproduce, lock the seed in txt2img).
    A section that failed to build is None."""
    build_style(JOBS_CSS, MATRIX_CSS, AB_CSS)
    open_section = gr.State("ledger")
    builders = _sections(ledger_provider, catalog_provider, send_to, extra_actions)
    built: dict[str, Any] = {}
    with gr.Tabs(elem_id="paramlab-tab"):
        for key, label, elem_id, part, with_inputs in SECTIONS:
            with gr.Tab(label, elem_id=elem_id) as tab:
                section = build_part(part, builders[key], elem_id=f"paramlab-part-{key}")
            built[key] = section
            if section is not None:
                tab.select(fn=_shown(key, section.refresh), inputs=section.inputs if with_inputs else [],
                           outputs=[open_section, *section.outputs], show_progress=False)
    sections = [built[key] for key, *_ in SECTIONS if built[key] is not None]
    return TabContents(
        built["ledger"], built["charts"], built["profiles"], built["series"], built["jobs"], built["upscale"],
        built["matrix"], built["abtests"], built["canary"],
        open_section=open_section,
        open_inputs=[open_section, *(value for key in _OPEN_INPUTS if built[key] is not None
                                     for value in built[key].inputs)],
        open_outputs=[output for section in sections for output in section.outputs],
    )


def _shown(section: str, refresh: Callable[..., list[Any]]) -> Callable[..., list[Any]]:
    """A section's refresh that also notes it is the one on view (for :meth:`TabContents.refresh_open`)."""
    return lambda *values: [section, *refresh(*values)]
