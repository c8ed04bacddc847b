"""The one place where gradio 3 (A1111 1.x ships 3.41) and gradio 4 differ for ParamLab.

Everything else calls these helpers, so moving to gradio 4 touches this file only. It sits outside
:mod:`paramlab.webui` and imports neither the WebUI's ``modules`` nor the adapter: the tab, the adapter
and the standalone page (``python -m paramlab serve``) all use it.
"""

from __future__ import annotations

from typing import Any

import gradio as gr


def _major_version(version: str) -> int:
    """The leading number of a version string; 0 when it cannot be read (treated as gradio 3)."""
    head = version.split(".", 1)[0]
    return int(head) if head.isdigit() else 0


GRADIO_MAJOR: int = _major_version(getattr(gr, "__version__", "0"))
IS_GRADIO_4: bool = GRADIO_MAJOR >= 4


def js_kwargs(func: str) -> dict[str, str]:
    """Event keyword for client-side JavaScript: ``_js`` on gradio 3, ``js`` on gradio 4."""
    return {"js": func} if IS_GRADIO_4 else {"_js": func}


def update(**props: Any) -> Any:
    """A partial component update (value and/or properties such as ``visible``).

    ``gr.update`` works on both majors (gradio 4 keeps it as a plain dict); funnelling it through here
    leaves one spot to change if a later gradio drops it.
    """
    return gr.update(**props)


def offline_theme() -> Any:
    """The default theme without the Google Fonts import, so a local page makes no outside requests."""
    system_sans = ["ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "Roboto", "sans-serif"]
    system_mono = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"]
    return gr.themes.Default(font=system_sans, font_mono=system_mono)


def text_table(headers: list[str], *, label: str, elem_id: str, height: int | None = None) -> gr.Dataframe:
    """A read-only table whose cells are plain text (datatype ``str``), never markdown or HTML."""
    return gr.Dataframe(
        headers=headers,
        datatype=["str"] * len(headers),
        col_count=(len(headers), "fixed"),
        row_count=(0, "dynamic"),
        interactive=False,
        wrap=True,
        height=height,
        label=label,
        elem_id=elem_id,
    )


def current_blocks() -> Any:
    """The Blocks being built (gradio keeps it in an internal context on both majors)."""
    from gradio.context import Context

    return Context.root_block


def choice_names(component: Any) -> list[str]:
    """A dropdown's or radio's choices as shown: gradio 3 keeps strings, gradio 4 (label, value) pairs."""
    names = []
    for choice in getattr(component, "choices", None) or []:
        names.append(str(choice[0]) if isinstance(choice, (tuple, list)) and choice else str(choice))
    return names


def component_label(component: Any) -> str | None:
    """A component's label, or None for layout and text-only blocks (HTML, Markdown)."""
    if isinstance(component, (gr.HTML, gr.Markdown)):
        return None
    label = getattr(component, "label", None)
    return str(label) if label else None


def is_index_choice(component: Any) -> bool:
    """A dropdown or radio whose value is the index of the choice (``type="index"``)."""
    return getattr(component, "type", None) == "index" and bool(getattr(component, "choices", None))


def on_tab_select(tab: Any, fn: Any, inputs: list[Any], outputs: list[Any]) -> None:
    """Run ``fn`` when the user selects ``tab``, also while the tab is still being built.

    A1111's ``on_after_component`` hook fires at the end of ``BlockContext.__init__``; gradio 3 gives a Tab
    its ``select`` event only after that, so the listener is made here in that case (gradio 4 has it on the
    class)."""
    listener = getattr(tab, "select", None)
    if listener is None:
        from gradio.events import EventListenerMethod

        listener = EventListenerMethod(tab, "select")
    listener(fn=fn, inputs=inputs, outputs=outputs, show_progress=False)
