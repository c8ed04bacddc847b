"""TEST HELPER (not in A1111): a txt2img/img2img tab built the way ``modules/ui.py::create_ui`` does.

Order as in v1.10.1: core components (with the real elem_ids and component types), the scripts'
UIs, then ``add_paste_fields(tab, None, [PasteField(..., api=...)...] + runner.infotext_fields,
override_settings)``, then the extra-networks UI (more components created inside the same tab).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from modules import _standin_flavour, infotext_utils, scripts, shared
from modules.infotext_utils import PasteField

CORE_FIELDS = ("prompt", "negative_prompt", "width", "height", "cfg_scale", "distilled_cfg_scale",
               "denoising_strength", "enable_hr", "hr_upscaler", "hr_second_pass_steps", "hr_scale", "hr_resize_x",
               "hr_resize_y", "hr_cfg", "hr_distilled_cfg", "n_iter", "batch_size", "steps", "sampler_name",
               "scheduler")


@dataclass
class StandinTab:
    blocks: Any
    runner: scripts.ScriptRunner
    tabname: str
    components: dict[str, Any] = field(default_factory=dict)
    override_settings: Any = None


def build_tab(script_classes: list[type], is_img2img: bool = False) -> StandinTab:
    import gradio as gr
    from modules import gradio_extensons

    gradio_extensons.apply()
    with gr.Blocks(analytics_enabled=False) as blocks:
        built = build_tab_contents(script_classes, is_img2img)
    built.blocks = blocks
    return built


def build_tab_contents(script_classes: list[type], is_img2img: bool = False) -> StandinTab:
    """The tab's components, built into the open Blocks (``create_ui`` builds each tab in its own Blocks)."""
    import gradio as gr

    tab = "img2img" if is_img2img else "txt2img"
    c: dict[str, Any] = {}
    c["prompt"] = gr.Textbox(label="Prompt", elem_id=f"{tab}_prompt")
    c["negative_prompt"] = gr.Textbox(label="Negative prompt", elem_id=f"{tab}_neg_prompt")
    c["width"] = gr.Slider(64, 2048, value=512, step=8, label="Width", elem_id=f"{tab}_width")
    c["height"] = gr.Slider(64, 2048, value=512, step=8, label="Height", elem_id=f"{tab}_height")
    c["cfg_scale"] = gr.Slider(1.0, 30.0, value=7.0, step=0.5, label="CFG Scale", elem_id=f"{tab}_cfg_scale")
    if _standin_flavour.FORGE:
        c["distilled_cfg_scale"] = gr.Slider(0.0, 30.0, value=3.5, step=0.1, label="Distilled CFG Scale",
                                             elem_id=f"{tab}_distilled_cfg_scale")
    c["denoising_strength"] = gr.Slider(0.0, 1.0, value=0.7, step=0.01, label="Denoising strength",
                                        elem_id=f"{tab}_denoising_strength")
    if not is_img2img:
        c["enable_hr"] = gr.Checkbox(value=False, label="Hires. fix", elem_id=f"{tab}_hr-checkbox")
        c["hr_upscaler"] = gr.Dropdown(
            choices=[*shared.latent_upscale_modes, *[x.name for x in shared.sd_upscalers]],
            value="Latent", label="Upscaler", elem_id=f"{tab}_hr_upscaler")
        c["hr_second_pass_steps"] = gr.Slider(0, 150, value=0, step=1, label="Hires steps",
                                              elem_id=f"{tab}_hires_steps")
        c["hr_scale"] = gr.Slider(1.0, 4.0, value=2.0, step=0.05, label="Upscale by", elem_id=f"{tab}_hr_scale")
        c["hr_resize_x"] = gr.Slider(0, 2048, value=0, step=8, label="Resize width to",
                                     elem_id=f"{tab}_hr_resize_x")
        c["hr_resize_y"] = gr.Slider(0, 2048, value=0, step=8, label="Resize height to",
                                     elem_id=f"{tab}_hr_resize_y")
        if _standin_flavour.FORGE:
            c["hr_cfg"] = gr.Slider(1.0, 30.0, value=7.0, step=0.1, label="Hires CFG Scale", elem_id=f"{tab}_hr_cfg")
            c["hr_distilled_cfg"] = gr.Slider(0.0, 30.0, value=3.5, step=0.1, label="Hires Distilled CFG Scale",
                                              elem_id=f"{tab}_hr_distilled_cfg")
    c["n_iter"] = gr.Slider(1, 100, value=1, step=1, label="Batch count", elem_id=f"{tab}_batch_count")
    c["batch_size"] = gr.Slider(1, 8, value=1, step=1, label="Batch size", elem_id=f"{tab}_batch_size")
    override = gr.Dropdown(value=[], choices=[], multiselect=True, visible=False, label="Override settings",
                           elem_id=f"{tab}_override_settings")
    runner = scripts.build_runner(script_classes, is_img2img=is_img2img)
    sampler = runner.title_map["sampler"]
    c["steps"], c["sampler_name"], c["scheduler"] = sampler.steps, sampler.sampler_name, sampler.scheduler
    # Generate reads the core fields (and so makes them editable, as in A1111, whatever the scripts wire).
    c["generate"] = gr.Button("Generate", elem_id=f"{tab}_generate")
    c["generate"].click(fn=lambda *_values: None, inputs=[c[key] for key in CORE_FIELDS if key in c], outputs=[])

    fields = [
        PasteField(c["prompt"], "Prompt", api="prompt"),
        PasteField(c["negative_prompt"], "Negative prompt", api="negative_prompt"),
        PasteField(c["cfg_scale"], "CFG scale", api="cfg_scale"),
        PasteField(c["width"], "Size-1", api="width"),
        PasteField(c["height"], "Size-2", api="height"),
        PasteField(c["batch_size"], "Batch size", api="batch_size"),
        PasteField(c["denoising_strength"], "Denoising strength", api="denoising_strength"),
    ]
    if not is_img2img:
        fields += [
            PasteField(c["enable_hr"], lambda d: "Denoising strength" in d and (
                "Hires upscale" in d or "Hires upscaler" in d or "Hires resize-1" in d), api="enable_hr"),
            PasteField(c["hr_scale"], "Hires upscale", api="hr_scale"),
            PasteField(c["hr_upscaler"], "Hires upscaler", api="hr_upscaler"),
            PasteField(c["hr_second_pass_steps"], "Hires steps", api="hr_second_pass_steps"),
            PasteField(c["hr_resize_x"], "Hires resize-1", api="hr_resize_x"),
            PasteField(c["hr_resize_y"], "Hires resize-2", api="hr_resize_y"),
        ]
    if _standin_flavour.FORGE:
        fields.append(PasteField(c["distilled_cfg_scale"], "Distilled CFG Scale", api="distilled_cfg_scale"))
        if not is_img2img:
            fields += [PasteField(c["hr_cfg"], "Hires CFG Scale", api="hr_cfg"),
                       PasteField(c["hr_distilled_cfg"], "Hires Distilled CFG Scale", api="hr_distilled_cfg")]
    infotext_utils.add_paste_fields(tab, None, [*fields, *runner.infotext_fields], override)
    # The extra-networks UI comes after the paste fields, still inside the tab (as in create_ui).
    with gr.Tabs(elem_id=f"{tab}_extra_tabs"):
        gr.Textbox(label="Search", elem_id=f"{tab}_extra_search")
    return StandinTab(blocks=None, runner=runner, tabname=tab, components=c, override_settings=override)
