"""Stand-in for the builtin ``ScriptSampler`` (steps, sampler, scheduler controls)."""

from __future__ import annotations

from typing import Any

from modules import scripts, sd_samplers, sd_schedulers, shared
from modules.infotext_utils import PasteField


class ScriptSampler(scripts.ScriptBuiltinUI):
    """Writes p.steps/sampler_name/scheduler from the UI in setup() (skipped for API requests)."""

    section = "sampler"

    def __init__(self) -> None:
        self.steps: Any = None
        self.sampler_name: Any = None
        self.scheduler: Any = None

    def title(self) -> str:
        """Builtin title."""
        return "Sampler"

    def ui(self, is_img2img: bool) -> Any:
        """Returns (steps, sampler_name, scheduler) in that order, as the real script does."""
        import gradio as gr
        from modules.ui_components import FormGroup, FormRow

        sampler_names = [x.name for x in sd_samplers.visible_samplers()]
        scheduler_names = [x.label for x in sd_schedulers.schedulers]
        if shared.opts.samplers_in_dropdown:
            with FormRow(elem_id=f"sampler_selection_{self.tabname}"):
                self.sampler_name = gr.Dropdown(
                    label="Sampling method",
                    elem_id=f"{self.tabname}_sampling",
                    choices=sampler_names,
                    value=sampler_names[0],
                )
                self.scheduler = gr.Dropdown(
                    label="Schedule type",
                    elem_id=f"{self.tabname}_scheduler",
                    choices=scheduler_names,
                    value=scheduler_names[0],
                )
                self.steps = gr.Slider(
                    minimum=1,
                    maximum=150,
                    step=1,
                    elem_id=f"{self.tabname}_steps",
                    label="Sampling steps",
                    value=20,
                )
        else:
            with FormGroup(elem_id=f"sampler_selection_{self.tabname}"):
                self.steps = gr.Slider(
                    minimum=1,
                    maximum=150,
                    step=1,
                    elem_id=f"{self.tabname}_steps",
                    label="Sampling steps",
                    value=20,
                )
                self.sampler_name = gr.Radio(
                    label="Sampling method",
                    elem_id=f"{self.tabname}_sampling",
                    choices=sampler_names,
                    value=sampler_names[0],
                )
                self.scheduler = gr.Dropdown(
                    label="Schedule type",
                    elem_id=f"{self.tabname}_scheduler",
                    choices=scheduler_names,
                    value=scheduler_names[0],
                )
        self.infotext_fields = [
            PasteField(self.steps, "Steps", api="steps"),
            PasteField(self.sampler_name, sd_samplers.get_sampler_from_infotext, api="sampler_name"),
            PasteField(self.scheduler, sd_samplers.get_scheduler_from_infotext, api="scheduler"),
        ]
        return self.steps, self.sampler_name, self.scheduler

    def setup(self, p: Any, steps: int, sampler_name: str, scheduler: str) -> None:
        """Overwrites what extension setup() wrote (runs after them)."""
        p.steps = steps
        p.sampler_name = sampler_name
        p.scheduler = scheduler
