"""Links that open one image in the ledger view in place: ``#paramlab-image=<id>``.

Chart points, run-view bars and run-view rows link to a fragment, never to another page: following
it changes no page, so in the WebUI the txt2img prompt, size, script and seed lock stay as they are.
:data:`OPEN_IMAGE_JS` (``links.js``), run by the ledger view's page-load event, follows such links:
it brings the ParamLab tab and its Ledger section to the front and selects the image. The page's own
``?image=<id>`` (a bookmark) still opens that image when the page loads.
"""

from __future__ import annotations

from pathlib import Path

IMAGE_LINK_PREFIX = "#paramlab-image="


def _function_source(path: Path) -> str:
    """The file's function without its leading comment lines (gradio wraps it as ``(<js>)(...args)``)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return "\n".join(lines[next(i for i, line in enumerate(lines) if not line.startswith("//")):])


OPEN_IMAGE_JS = _function_source(Path(__file__).with_name("links.js"))


def image_link(image_id: int) -> str:
    """The link that opens image ``image_id`` in the ledger view of this page."""
    return f"{IMAGE_LINK_PREFIX}{int(image_id)}"
