"""Stand-in for ``modules/gradio_extensons.py`` (sic; Forge: ``gradio_extensions.py``): fires component
hooks and accepts ``tooltip=``. gradio 3 components derive from ``IOComponent``, gradio 4's from
``Component``; Forge patches the latter the same way."""

from __future__ import annotations

from typing import Any

_applied = False


def apply() -> None:
    """Patch gradio IOComponent/BlockContext __init__ like the real module (idempotent, imports gradio)."""
    global _applied
    if _applied:
        return
    import gradio as gr
    from modules import _standin_flavour, script_callbacks, scripts

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

    component = gr.components.Component if _standin_flavour.FORGE else gr.components.IOComponent
    component.__init__ = _wrap(component.__init__)
    if _standin_flavour.FORGE:  # as Forge does: gradio 4 would write a .pyi beside every webui component class
        import gradio.component_meta

        create_pyi = gradio.component_meta.create_or_modify_pyi

        def skip_webui_classes(component_class: Any, class_name: str, events: Any) -> None:
            if not hasattr(component_class, "webui_do_not_create_gradio_pyi_thank_you"):
                create_pyi(component_class, class_name, events)

        gradio.component_meta.create_or_modify_pyi = skip_webui_classes
    gr.blocks.BlockContext.__init__ = _wrap(gr.blocks.BlockContext.__init__)
    _applied = True
