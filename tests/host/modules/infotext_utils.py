"""Stand-in for ``modules/infotext_utils.py``: infotext parsing and paste-field registries (v1.10.1)."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from typing import Any

from modules import _standin_flavour, script_callbacks, shared

sys.modules["modules.generation_parameters_copypaste"] = sys.modules[__name__]  # alias for old name, as real

re_param_code = r'\s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)'
re_param = re.compile(re_param_code)
re_imagesize = re.compile(r"^(\d+)x(\d+)$")
re_hypernet_hash = re.compile(r"\(([0-9a-f]+)\)$")


class ParamBinding:
    """A "Send to" button binding."""

    def __init__(
        self,
        paste_button: Any,
        tabname: str,
        source_text_component: Any = None,
        source_image_component: Any = None,
        source_tabname: str | None = None,
        override_settings_component: Any = None,
        paste_field_names: list[str] | None = None,
    ) -> None:
        self.paste_button = paste_button
        self.tabname = tabname
        self.source_text_component = source_text_component
        self.source_image_component = source_image_component
        self.source_tabname = source_tabname
        self.override_settings_component = override_settings_component
        self.paste_field_names = paste_field_names or []


class PasteField(tuple):
    """(component, target) where target is an infotext key or ``fn(params) -> value``."""

    def __new__(cls, component: Any, target: str | Callable, *, api: str | None = None) -> PasteField:
        return super().__new__(cls, (component, target))

    def __init__(self, component: Any, target: str | Callable, *, api: str | None = None) -> None:
        super().__init__()
        self.api = api
        self.component = component
        self.label = target if isinstance(target, str) else None
        self.function = target if callable(target) else None


paste_fields: dict[str, dict] = {}
registered_param_bindings: list[ParamBinding] = []


def reset() -> None:
    """Forget registered paste fields and bindings."""
    paste_fields.clear()
    registered_param_bindings.clear()


def quote(text: Any) -> Any:
    """JSON-quote values containing ``,``, newline or ``:``."""
    if "," not in str(text) and "\n" not in str(text) and ":" not in str(text):
        return text
    return json.dumps(text, ensure_ascii=False)


def unquote(text: str) -> str:
    """Reverse of quote()."""
    if len(text) == 0 or text[0] != '"' or text[-1] != '"':
        return text
    try:
        return json.loads(text)
    except Exception:
        return text


def add_paste_fields(
    tabname: str, init_img: Any, fields: list | None, override_settings_component: Any = None
) -> None:
    """Register a tab's paste fields (converted to PasteField)."""
    if fields:
        for i in range(len(fields)):
            if not isinstance(fields[i], PasteField):
                fields[i] = PasteField(*fields[i])
    paste_fields[tabname] = {
        "init_img": init_img,
        "fields": fields,
        "override_settings_component": override_settings_component,
    }


def create_buttons(tabs_list: list[str]) -> dict[str, Any]:
    """ "Send to <tab>" buttons with elem_id ``<tab>_tab``."""
    import gradio as gr

    return {tab: gr.Button(f"Send to {tab}", elem_id=f"{tab}_tab") for tab in tabs_list}


def register_paste_params_button(binding: ParamBinding) -> None:
    """Record a binding (connected by connect_paste_params_buttons when the UI finishes)."""
    registered_param_bindings.append(binding)


def connect_paste_params_buttons() -> None:
    """Wire every recorded text binding as the real one does: parse the infotext into the tab's paste
    fields (gr.update() where a field has nothing), then switch to that tab (``switch_to_<tab>`` in JS).
    Image and tab-to-tab bindings are not needed by the stand-in."""
    for binding in registered_param_bindings:
        if binding.tabname not in paste_fields:  # a stand-in page may hold txt2img alone
            continue
        fields = paste_fields[binding.tabname]["fields"]
        if binding.source_text_component is not None and fields is not None:
            connect_paste(binding.paste_button, fields, binding.source_text_component)
        switch = f"switch_to_{binding.tabname}"  # Forge (gradio 4) names the argument js, A1111 _js
        binding.paste_button.click(fn=None, inputs=None, outputs=None, show_progress=False,
                                   **({"js": switch} if _standin_flavour.FORGE else {"_js": switch}))


def connect_paste(button: Any, fields: list, input_comp: Any) -> None:
    """The real connect_paste's paste_func (without the override-settings and prompt-history parts)."""
    import gradio as gr

    def paste_func(prompt: str) -> list[Any]:
        values = paste_values_for(fields, prompt)
        return [gr.update() if v is None else v if isinstance(v, dict) else gr.update(value=v) for v in values]

    button.click(fn=paste_func, inputs=[input_comp], outputs=[field for field, _ in fields], show_progress=False)


def restore_old_hires_fix_params(res: dict[str, Any]) -> None:
    """Convert old "First pass size" infotexts to width/height + hires resize."""
    firstpass_width = res.get("First pass size-1")
    firstpass_height = res.get("First pass size-2")
    if shared.opts.use_old_hires_fix_width_height:
        hires_width = int(res.get("Hires resize-1", 0))
        hires_height = int(res.get("Hires resize-2", 0))
        if hires_width and hires_height:
            res["Size-1"] = hires_width
            res["Size-2"] = hires_height
            return
    if firstpass_width is None or firstpass_height is None:
        return
    firstpass_width, firstpass_height = int(firstpass_width), int(firstpass_height)
    width = int(res.get("Size-1", 512))
    height = int(res.get("Size-2", 512))
    if firstpass_width == 0 or firstpass_height == 0:
        from modules import processing

        firstpass_width, firstpass_height = processing.old_hires_fix_first_pass_dimensions(width, height)
    res["Size-1"] = firstpass_width
    res["Size-2"] = firstpass_height
    res["Hires resize-1"] = width
    res["Hires resize-2"] = height


_defaults: list[tuple[str, Any]] = [
    ("Hires sampler", "Use same sampler"),
    ("Hires schedule type", "Use same scheduler"),
    ("Hires checkpoint", "Use same checkpoint"),
    ("Hires prompt", ""),
    ("Hires negative prompt", ""),
    ("Mask mode", "Inpaint masked"),
    ("Masked content", "original"),
    ("Inpaint area", "Whole picture"),
    ("Masked area padding", 32),
]
_defaults_after: list[tuple[str, Any]] = [
    ("RNG", "GPU"),
    ("Schedule type", "Automatic"),
    ("Schedule max sigma", 0),
    ("Schedule min sigma", 0),
    ("Schedule rho", 0),
    ("VAE Encoder", "Full"),
    ("VAE Decoder", "Full"),
    ("FP8 weight", "Disable"),
]


def parse_generation_parameters(x: str, skip_fields: list[str] | None = None) -> dict[str, Any]:
    """Infotext to dict: Prompt, Negative prompt, ``k: v`` pairs, WxH split into -1/-2, defaults."""
    if skip_fields is None:
        skip_fields = shared.opts.infotext_skip_pasting
    res: dict[str, Any] = {}
    prompt = ""
    negative_prompt = ""
    done_with_prompt = False
    *lines, lastline = x.strip().split("\n")
    if len(re_param.findall(lastline)) < 3:
        lines.append(lastline)
        lastline = ""
    for line in lines:
        line = line.strip()
        if line.startswith("Negative prompt:"):
            done_with_prompt = True
            line = line[16:].strip()
        if done_with_prompt:
            negative_prompt += ("" if negative_prompt == "" else "\n") + line
        else:
            prompt += ("" if prompt == "" else "\n") + line
    if shared.opts.infotext_styles != "Ignore":
        found_styles, prompt, negative_prompt = shared.prompt_styles.extract_styles_from_prompt(
            prompt, negative_prompt
        )
        if (
            shared.opts.infotext_styles == "Apply"
            or shared.opts.infotext_styles == "Apply if any"
            and found_styles
        ):
            res["Styles array"] = found_styles
    res["Prompt"] = prompt
    res["Negative prompt"] = negative_prompt
    for k, v in re_param.findall(lastline):
        try:
            if v[0] == '"' and v[-1] == '"':
                v = unquote(v)
            m = re_imagesize.match(v)
            if m is not None:
                res[f"{k}-1"] = m.group(1)
                res[f"{k}-2"] = m.group(2)
            else:
                res[k] = v
        except Exception:
            print(f'Error parsing "{k}: {v}"')
    if "Clip skip" not in res:
        res["Clip skip"] = "1"
    hypernet = res.get("Hypernet")
    if hypernet is not None:
        res["Prompt"] += f"""<hypernet:{hypernet}:{res.get("Hypernet strength", "1.0")}>"""
    if "Hires resize-1" not in res:
        res["Hires resize-1"] = 0
        res["Hires resize-2"] = 0
    for key, value in _defaults:
        res.setdefault(key, value)
    restore_old_hires_fix_params(res)
    for key, value in _defaults_after:
        res.setdefault(key, value)
    if "Cache FP16 weight for LoRA" not in res and res["FP8 weight"] != "Disable":
        res["Cache FP16 weight for LoRA"] = False
    for key in skip_fields:
        res.pop(key, None)
    return res


infotext_to_setting_name_mapping: list[tuple[str, str]] = []


def create_override_settings_dict(text_pairs: list[str]) -> dict[str, Any]:
    """['Clip skip: 2'] -> {'CLIP_stop_at_last_layers': 2} via OptionInfo.infotext."""
    res: dict[str, Any] = {}
    params: dict[str, str] = {}
    for pair in text_pairs or []:
        k, v = pair.split(":", maxsplit=1)
        params[k] = v.strip()
    mapping = [(info.infotext, k) for k, info in shared.opts.data_labels.items() if info.infotext]
    for param_name, setting_name in mapping + infotext_to_setting_name_mapping:
        value = params.get(param_name)
        if value is None:
            continue
        res[setting_name] = shared.opts.cast_value(setting_name, value)
    return res


def paste_values(tabname: str, infotext: str) -> list[Any]:
    """TEST HELPER (not in A1111): what a paste would put in each registered field of ``tabname``.

    Mirrors connect_paste's paste_func: parse, fire on_infotext_pasted, resolve each PasteField
    (callable or key), convert to the component value type; None means "leave unchanged".
    """
    return paste_values_for(paste_fields.get(tabname, {}).get("fields") or [], infotext)


def paste_values_for(fields: list, infotext: str) -> list[Any]:
    """What a paste of ``infotext`` puts in each of ``fields`` (None: leave unchanged)."""
    params = parse_generation_parameters(infotext)
    script_callbacks.infotext_pasted_callback(infotext, params)
    out: list[Any] = []
    for output, key in fields:
        v = key(params) if callable(key) else params.get(key, None)
        if v is None or isinstance(v, dict):
            out.append(v)
            continue
        try:
            valtype = type(output.value)
            if valtype is bool and v == "False":
                out.append(False)
            elif valtype is int:
                out.append(float(v))
            else:
                out.append(valtype(v))
        except Exception:
            out.append(None)
    return out
