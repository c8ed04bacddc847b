"""The panel's lists (profiles, character series) read again whenever they may have changed.

gradio keeps a dropdown's choices from the moment the UI was built, so a profile or series made later
(in the ParamLab tab, through the API, in another browser) would be missing until a restart. The lists
are read again when the page loads, when the txt2img / img2img tab is opened, when the panel's
*Profiles* or *Seed lock & series* section is opened, and when a dropdown gets the focus (gradio 3 shows
the new choices from the next opening or keystroke on).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from paramlab.gradio_compat import current_blocks, on_tab_select, update
from paramlab.webui import profile_panel, seed_panel


@dataclass
class PanelLists:
    profile: Any
    series: Any

    @property
    def outputs(self) -> list[Any]:
        return [self.profile, self.series]


# The newest UI build's dropdowns of each tab, until A1111 creates that tab's TabItem.
_pending: dict[str, PanelLists] = {}


def current_lists() -> list[Any]:
    """[profile dropdown, series dropdown] with the choices the ledger holds now; selections stay."""
    return [update(choices=profile_panel.profile_names()), update(choices=seed_panel.series_names())]


def wire_lists(tabname: str, profile: Any, series: Any, sections: list[Any]) -> None:
    """Read the lists on page load and when one of the panel's ``sections`` (its gr.Tab) is opened."""
    lists = PanelLists(profile, series)
    for section in sections:
        on_tab_select(section, current_lists, [], lists.outputs)
    root = current_blocks()
    if root is not None:
        root.load(fn=current_lists, inputs=[], outputs=lists.outputs, show_progress=False)
    _pending[tabname] = lists


def refresh_when_tab_opens(component: Any, **_kwargs: Any) -> None:
    """``on_after_component``: A1111 wraps txt2img / img2img in a TabItem ``tab_<name>``; opening it reads
    that tab's lists again."""
    elem_id = getattr(component, "elem_id", None) or ""
    tabname = elem_id.removeprefix("tab_")
    if not elem_id.startswith("tab_") or tabname not in _pending:
        return
    lists = _pending.pop(tabname)
    on_tab_select(component, current_lists, [], lists.outputs)
