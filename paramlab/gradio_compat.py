"""The one place where gradio 3 (A1111 1.x ships 3.41) and gradio 4 differ for ParamLab.

Everything else calls these helpers, so moving to gradio 4 touches this file only. It sits outside
:mod:`paramlab.webui` and imports neither the WebUI's ``modules`` nor the adapter: the tab, the adapter
and the standalone page (``python -m paramlab serve``) all use it.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
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


# gradio 4.40's front end crashes on a Dataframe whose initial value has no row at all ("Cannot read
# properties of undefined (reading 'slice')"), and takes the WHOLE page with it: Forge stayed on "Loading…".
# gradio 3.41 draws zero rows fine; on gradio 4 an empty table starts with one blank row, as an empty
# DataFrame update ([[]]) renders anyway.
EMPTY_TABLE_ROWS = 1 if IS_GRADIO_4 else 0


def text_table(headers: list[str], *, label: str, elem_id: str, height: int | None = None) -> gr.Dataframe:
    """A read-only table whose cells are plain text (datatype ``str``), never markdown or HTML."""
    return gr.Dataframe(
        headers=headers,
        datatype=["str"] * len(headers),
        col_count=(len(headers), "fixed"),
        row_count=(EMPTY_TABLE_ROWS, "dynamic"),
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


@dataclass(frozen=True)
class EventWiring:
    """One event wired in a Blocks: what triggers it, its function and the component ids it reads and writes."""

    key: int  # how gradio runs it: its index (gradio 3) or its id (gradio 4), see :func:`process_event`
    trigger: str  # "click", "change", "load", …
    targets: tuple[int, ...]  # ids of the components whose event it is (none for a gradio 3 page load)
    fn: Callable[..., Any] | None
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    js: str | None


def event_wiring(blocks: Any) -> list[EventWiring]:
    """Every event wired in ``blocks``, in wiring order, so tests and tools read the wiring the same way on
    both majors: gradio 3 keeps it as dicts in ``blocks.dependencies`` beside ``blocks.fns`` (a list),
    gradio 4 as ``BlockFunction`` objects in ``blocks.fns`` (a dict)."""
    if not IS_GRADIO_4:
        return [EventWiring(index, dependency["trigger"],
                            tuple(t[0] if isinstance(t, (list, tuple)) else t for t in dependency["targets"]),
                            function.fn, tuple(dependency["inputs"]), tuple(dependency["outputs"]),
                            dependency.get("js"))
                for index, (dependency, function) in enumerate(zip(blocks.dependencies, blocks.fns))]
    wiring = []
    for key, function in blocks.fns.items():
        trigger = function.targets[0][1] if function.targets else "load"
        wiring.append(EventWiring(key, trigger, tuple(target for target, _event in function.targets), function.fn,
                                  tuple(block._id for block in function.inputs),
                                  tuple(block._id for block in function.outputs), function.js))
    return wiring


def on_page_load(blocks: Any, fn: Callable[..., Any], *, outputs: list[Any], page_js: str, page_input: Any) -> None:
    """Run ``fn(page_value, request)`` when the page loads, ``page_value`` being what ``page_js`` reads
    from the browser (the page's own URL parameters).

    gradio 3's queued request is the websocket's and carries no page URL, so the browser hands the value
    over through ``page_js`` into ``page_input``. gradio 4's request carries the page as its Referer, and a
    page-load event with no inputs keeps gradio 4.40's client quiet: it warns "Too many arguments provided
    for the endpoint" for every page-load event that has inputs.
    """
    if not IS_GRADIO_4:
        blocks.load(fn, inputs=[page_input], outputs=outputs, **js_kwargs(page_js))
        return

    def from_request(request: gr.Request) -> Any:
        return fn("", request)

    blocks.load(from_request, inputs=None, outputs=outputs)
    # The script still runs in the browser for what else it does there (it installs the in-place image
    # links), as a browser-only event: nothing is sent to the server, so the client has nothing to warn about.
    blocks.load(None, inputs=None, outputs=None, js=f"() => {{ ({page_js})(''); }}")


def initial_values(components: list[Any]) -> list[Any]:
    """The values components start with, for a page-load event that takes no inputs (see above)."""
    return [getattr(component, "value", None) for component in components]


async def process_event(blocks: Any, key: int, inputs: list[Any], request: Any) -> dict[str, Any]:
    """Run one wired event the way gradio's server does (pre- and postprocessing, ``gr.Request``)."""
    if IS_GRADIO_4:
        from gradio.state_holder import SessionState

        return await blocks.process_api(block_fn=key, inputs=inputs, state=SessionState(blocks), request=request)
    return await blocks.process_api(fn_index=key, inputs=inputs, state={}, request=request)


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


def own_files_folder() -> Path:
    """Where gradio keeps the files a page hands out (downloads, uploads) and serves them from under
    ``/file=``: ``GRADIO_TEMP_DIR``, else ``<temp>/gradio``, on both majors (gradio 3's ``DEFAULT_TEMP_DIR``
    and upload folder, gradio 4's ``get_upload_folder()``). Resolved, as a file's real path is compared to it.

    Besides these, gradio 3's ``/file=`` serves every file under the folder the server started from, and
    gradio 4's its cached examples; a page that needs neither can refuse everything outside this folder."""
    folder = os.environ.get("GRADIO_TEMP_DIR") or str(Path(tempfile.gettempdir()) / "gradio")
    return Path(os.path.realpath(os.path.abspath(folder)))
