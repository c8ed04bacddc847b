"""Stand-in for ``modules/ui_components.py``; classes are built lazily so gradio loads only when used."""

from __future__ import annotations

from typing import Any

_cache: dict[str, Any] = {}


def _build() -> dict[str, Any]:
    import gradio as gr

    class FormComponent:
        webui_do_not_create_gradio_pyi_thank_you = True  # Forge: no .pyi files in the WebUI's folders

        def get_expected_parent(self) -> Any:
            return gr.components.Form

    class ToolButton(FormComponent, gr.Button):
        """Small button with a single emoji as text, fits inside gradio forms."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            classes = kwargs.pop("elem_classes", [])
            super().__init__(*args, elem_classes=["tool", *classes], **kwargs)

        def get_block_name(self) -> str:
            return "button"

    class FormRow(FormComponent, gr.Row):
        """Same as gr.Row but fits inside gradio forms."""

        def get_block_name(self) -> str:
            return "row"

    class FormColumn(FormComponent, gr.Column):
        """Same as gr.Column but fits inside gradio forms."""

        def get_block_name(self) -> str:
            return "column"

    class FormGroup(FormComponent, gr.Group):
        """Same as gr.Group but fits inside gradio forms."""

        def get_block_name(self) -> str:
            return "group"

    class FormHTML(FormComponent, gr.HTML):
        """Same as gr.HTML but fits inside gradio forms."""

        def get_block_name(self) -> str:
            return "html"

    class ResizeHandleRow(gr.Row):
        """Same as gr.Row but with a resize handle."""

        webui_do_not_create_gradio_pyi_thank_you = True

        def get_block_name(self) -> str:
            return "row"

    class DropdownMulti(FormComponent, gr.Dropdown):
        """Same as gr.Dropdown but always multiselect."""

        def __init__(self, **kwargs: Any) -> None:
            super().__init__(multiselect=True, **kwargs)

        def get_block_name(self) -> str:
            return "dropdown"

    class DropdownEditable(FormComponent, gr.Dropdown):
        """Same as gr.Dropdown but allows editing value."""

        def __init__(self, **kwargs: Any) -> None:
            super().__init__(allow_custom_value=True, **kwargs)

        def get_block_name(self) -> str:
            return "dropdown"

    class InputAccordion(gr.Checkbox):
        """A gr.Accordion whose open state is a checkbox value, as in A1111 (a Checkbox subclass)."""

        global_index = 0
        webui_do_not_create_gradio_pyi_thank_you = True

        def __init__(self, value: bool, **kwargs: Any) -> None:
            self.accordion_id = kwargs.get("elem_id")
            if self.accordion_id is None:
                self.accordion_id = f"input-accordion-{InputAccordion.global_index}"
                InputAccordion.global_index += 1
            kwargs_checkbox = {**kwargs, "elem_id": f"{self.accordion_id}-checkbox", "visible": False}
            super().__init__(value, **kwargs_checkbox)
            kwargs_accordion = {
                **kwargs,
                "elem_id": self.accordion_id,
                "label": kwargs.get("label", "Accordion"),
                "elem_classes": ["input-accordion"],
                "open": value,
            }
            kwargs_accordion.pop("tooltip", None)
            self.accordion = gr.Accordion(**kwargs_accordion)

        def extra(self) -> Any:
            return gr.Column(
                elem_id=self.accordion_id + "-extra", elem_classes="input-accordion-extra", min_width=0
            )

        def __enter__(self) -> InputAccordion:
            self.accordion.__enter__()
            return self

        def __exit__(self, exc_type: Any, exc_val: Any, exc_tb: Any) -> None:
            self.accordion.__exit__(exc_type, exc_val, exc_tb)

        def get_block_name(self) -> str:
            return "checkbox"

    built = {k: v for k, v in locals().items() if isinstance(v, type)}
    from modules import _standin_flavour

    if _standin_flavour.FORGE:  # Forge: InputAccordion is a factory, so isinstance(x, InputAccordion) fails

        def input_accordion(value: bool, **kwargs: Any) -> Any:
            return InputAccordion(value, **kwargs)

        built["InputAccordionImpl"] = built.pop("InputAccordion")
        built["InputAccordion"] = input_accordion
    return built


def __getattr__(name: str) -> Any:
    """Build the gradio-based classes on first access."""
    if not _cache:
        from modules import gradio_extensons

        gradio_extensons.apply()
        _cache.update(_build())
    if name in _cache:  # classes (and Forge's InputAccordion factory)
        return _cache[name]
    raise AttributeError(name)
