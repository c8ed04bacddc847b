"""Stand-in for ``modules/gradio_extensons.py`` (sic): fires component hooks, accepts ``tooltip=``."""

from __future__ import annotations

from typing import Any

_applied = False


def apply() -> None:
    """Patch gradio IOComponent/BlockContext __init__ like the real module (idempotent, imports gradio)."""
    global _applied
    if _applied:
        return
    import gradio as gr
    from modules import script_callbacks, scripts

    def _wrap(original: Any) -> Any:
        def init(self: Any, *args: Any, **kwargs: Any) -> Any:
            self.webui_tooltip = kwargs.pop("tooltip", None)
            if scripts.scripts_current is not None:
                scripts.scripts_current.before_component(self, **kwargs)
            script_callbacks.before_component_callback(self, **kwargs)
            res = original(self, *args, **kwargs)
            script_callbacks.after_component_callback(self, **kwargs)
            if scripts.scripts_current is not None:
                scripts.scripts_current.after_component(self, **kwargs)
            return res

        return init

    gr.components.IOComponent.__init__ = _wrap(gr.components.IOComponent.__init__)
    gr.blocks.BlockContext.__init__ = _wrap(gr.blocks.BlockContext.__init__)
    _applied = True
