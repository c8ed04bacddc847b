"""Stand-in for ``modules/scripts.py``: Script base class, hook arg classes and ScriptRunner (v1.10.1)."""

from __future__ import annotations

import inspect
import os
import re
from collections import namedtuple
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from modules import errors


class AlwaysVisible:
    """Returned by show() for always-on scripts."""


class PostprocessImageArgs:
    """``pp.image`` is the PIL image; replace it to change the output (Forge adds ``index``)."""

    def __init__(self, image: Any, index: int | None = None) -> None:
        self.image = image
        self.index = index


class PostprocessBatchListArgs:
    """``pp.images`` is a list of 3D tensors (C×H×W, 0..1)."""

    def __init__(self, images: list) -> None:
        self.images = images


@dataclass
class PostprocessMaskOverlayArgs:
    """Fields of the inpaint overlay step."""

    index: int
    mask_for_overlay: Any
    overlay_image: Any


PostProcessMaskOverlayArgs = PostprocessMaskOverlayArgs


@dataclass
class PostSampleArgs:
    """``ps.samples``: latents (or decoded if ``already_decoded``)."""

    samples: Any


@dataclass
class MaskBlendArgs:
    """Args of on_mask_blend (inpainting only; never fired by the stand-in)."""

    current_latent: Any
    nmask: Any
    init_latent: Any
    mask: Any
    blended_latent: Any
    denoiser: Any = None
    sigma: Any = None

    def __post_init__(self) -> None:
        self.is_final_blend = self.denoiser is None


@dataclass
class OnComponent:
    """Argument of targeted on_before/after_component callbacks."""

    component: Any


class Script:
    """Base class of every extension script; all hooks are no-ops."""

    name: str | None = None
    section: str | None = None
    filename: str | None = None
    args_from: int | None = None
    args_to: int | None = None
    alwayson = False
    is_txt2img = False
    is_img2img = False
    tabname: str | None = None
    group: Any = None
    create_group = True
    infotext_fields: list | None = None
    paste_field_names: list | None = None
    api_info: Any = None
    on_before_component_elem_id: list | None = None
    on_after_component_elem_id: list | None = None
    setup_for_ui_only = False
    controls: Any = None
    sorting_priority = 0  # Forge: the order of script UIs

    def title(self) -> str:
        """Required: the name shown in the UI and used as the API key."""
        raise NotImplementedError()

    def ui(self, is_img2img: bool) -> Any:
        """Return the gradio components whose values become the hook args."""

    def show(self, is_img2img: bool) -> Any:
        """False: hidden, True: selectable, AlwaysVisible: always-on."""
        return True

    def run(self, p: Any, *args: Any) -> Any:
        """Selectable scripts: do the processing and return Processed."""

    def setup(self, p: Any, *args: Any) -> None:
        """Called when p.script_args is assigned."""

    def before_process(self, p: Any, *args: Any) -> None:
        """First thing in process_images."""

    def process(self, p: Any, *args: Any) -> None:
        """After prompts and seeds are built, before p.init."""

    def before_process_batch(self, p: Any, *args: Any, **kwargs: Any) -> None:
        """Per batch, before extra networks are parsed."""

    def after_extra_networks_activate(self, p: Any, *args: Any, **kwargs: Any) -> None:
        """After extra networks are activated (also for the hires pass)."""

    def process_batch(self, p: Any, *args: Any, **kwargs: Any) -> None:
        """Per batch, before conds are computed."""

    def postprocess(self, p: Any, processed: Any, *args: Any) -> None:
        """Once, after Processed is built."""

    def postprocess_batch(self, p: Any, *args: Any, **kwargs: Any) -> None:
        """Per batch with kwargs images, batch_number."""

    def postprocess_batch_list(self, p: Any, pp: PostprocessBatchListArgs, *args: Any, **kwargs: Any) -> None:
        """Per batch; may replace pp.images."""

    def on_mask_blend(self, p: Any, mba: MaskBlendArgs, *args: Any) -> None:
        """Inpainting mask blend."""

    def post_sample(self, p: Any, ps: PostSampleArgs, *args: Any) -> None:
        """After sampling, before decode."""

    def postprocess_image(self, p: Any, pp: PostprocessImageArgs, *args: Any) -> None:
        """Per image."""

    def postprocess_maskoverlay(self, p: Any, ppmo: PostprocessMaskOverlayArgs, *args: Any) -> None:
        """Per image, before the overlay composite."""

    def postprocess_image_after_composite(self, p: Any, pp: PostprocessImageArgs, *args: Any) -> None:
        """Per image, after the overlay composite."""

    def before_component(self, component: Any, **kwargs: Any) -> None:
        """Called before every component of the tab is created."""

    def after_component(self, component: Any, **kwargs: Any) -> None:
        """Called after every component of the tab is created."""

    def on_before_component(self, callback: Callable, *, elem_id: str) -> None:
        """Targeted before_component for one elem_id."""
        if self.on_before_component_elem_id is None:
            self.on_before_component_elem_id = []
        self.on_before_component_elem_id.append((elem_id, callback))

    def on_after_component(self, callback: Callable, *, elem_id: str) -> None:
        """Targeted after_component for one elem_id."""
        if self.on_after_component_elem_id is None:
            self.on_after_component_elem_id = []
        self.on_after_component_elem_id.append((elem_id, callback))

    def describe(self) -> str:
        """Unused by webui."""
        return ""

    def elem_id(self, item_id: str) -> str:
        """``script_{tab_}{title}_{item_id}``; the tab part only when show() is the same for both tabs."""
        need_tabname = self.show(True) == self.show(False)
        tabkind = "img2img" if self.is_img2img else "txt2img"
        tabname = f"{tabkind}_" if need_tabname else ""
        title = re.sub(r"[^a-z_0-9]", "", re.sub(r"\s", "_", self.title().lower()))
        return f"script_{tabname}{title}_{item_id}"

    def before_hr(self, p: Any, *args: Any) -> None:
        """Before the hires second pass."""

    def before_process_init_images(self, p: Any, pp: Any, *args: Any, **kwargs: Any) -> None:
        """Forge only: img2img, before the init images are processed (never fired by the stand-in)."""

    def process_before_every_sampling(self, p: Any, *args: Any, **kwargs: Any) -> None:
        """Before every sampler call, kwargs x, noise, c, uc."""


class ScriptBuiltinUI(Script):
    """Base of the builtin Sampler/Seed scripts; setup() is skipped for API requests."""

    setup_for_ui_only = True

    def elem_id(self, item_id: str) -> str:
        """``{tab}_{item_id}``."""
        need_tabname = self.show(True) == self.show(False)
        tabname = ("img2img" if self.is_img2img else "txt2img") + "_" if need_tabname else ""
        return f"{tabname}{item_id}"

    def show(self, is_img2img: bool) -> Any:
        """Always on."""
        return AlwaysVisible


current_basedir: str = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def basedir() -> str:
    """Dir of the extension whose script is loading (set it with ``scripts.current_basedir`` in tests)."""
    return current_basedir


ScriptFile = namedtuple("ScriptFile", ["basedir", "filename", "path"])
ScriptClassData = namedtuple("ScriptClassData", ["script_class", "path", "basedir", "module"])
scripts_data: list[ScriptClassData] = []
postprocessing_scripts_data: list = []


def list_scripts(scriptdirname: str, extension: str, *, include_extensions: bool = True) -> list[ScriptFile]:
    """Not used by the stand-in; scripts are registered via build_runner/register_xyz."""
    return []


class ScriptRunner:
    """Runs each hook for every always-on script, catching and reporting exceptions."""

    def __init__(self) -> None:
        self.scripts: list[Script] = []
        self.selectable_scripts: list[Script] = []
        self.alwayson_scripts: list[Script] = []
        self.titles: list[str] = []
        self.title_map: dict[str, Script] = {}
        self.infotext_fields: list = []
        self.paste_field_names: list = []
        self.inputs: list = [None]
        self.callback_map: dict = {}
        self.callback_names: list = []
        self.on_before_component_elem_id: dict[str, list] = {}
        self.on_after_component_elem_id: dict[str, list] = {}
        self.is_img2img = False

    def apply_on_before_component_callbacks(self) -> None:
        """Move scripts' targeted component callbacks into the runner's maps."""
        for script in self.scripts:
            for elem_id, callback in script.on_before_component_elem_id or []:
                self.on_before_component_elem_id.setdefault(elem_id, []).append((callback, script))
            for elem_id, callback in script.on_after_component_elem_id or []:
                self.on_after_component_elem_id.setdefault(elem_id, []).append((callback, script))
            (script.on_before_component_elem_id or []).clear()
            (script.on_after_component_elem_id or []).clear()

    def ordered_scripts(self, method_name: str) -> list[Script]:
        """Always-on scripts in load order (metadata/user ordering not simulated)."""
        return list(self.alwayson_scripts)

    def _each(self, method_name: str, p: Any, *pre: Any, **kwargs: Any) -> None:
        for script in self.ordered_scripts(method_name):
            try:
                script_args = p.script_args[script.args_from : script.args_to]
                getattr(script, method_name)(p, *pre, *script_args, **kwargs)
            except Exception:
                errors.report(f"Error running {method_name}: {script.filename}", exc_info=True)

    def run(self, p: Any, *args: Any) -> Any:
        """Run the selected dropdown script (args[0] = index+1); None if none selected."""
        script_index = args[0]
        if script_index == 0 or script_index is None:
            return None
        script = self.selectable_scripts[script_index - 1]
        if script is None:
            return None
        script_args = args[script.args_from : script.args_to]
        processed = script.run(p, *script_args)
        from modules import shared

        shared.total_tqdm.clear()
        return processed

    def setup_scrips(self, p: Any, *, is_ui: bool = True) -> None:
        """Call setup() of always-on scripts; UI-only ones are skipped for the API (real misspelling)."""
        for script in self.ordered_scripts("setup"):
            if not is_ui and script.setup_for_ui_only:
                continue
            try:
                script_args = p.script_args[script.args_from : script.args_to]
                script.setup(p, *script_args)
            except Exception:
                errors.report(f"Error running setup: {script.filename}", exc_info=True)

    def before_process(self, p: Any) -> None:
        """Hook runner."""
        self._each("before_process", p)

    def process(self, p: Any) -> None:
        """Hook runner."""
        self._each("process", p)

    def before_process_batch(self, p: Any, **kwargs: Any) -> None:
        """Hook runner."""
        self._each("before_process_batch", p, **kwargs)

    def after_extra_networks_activate(self, p: Any, **kwargs: Any) -> None:
        """Hook runner."""
        self._each("after_extra_networks_activate", p, **kwargs)

    def process_batch(self, p: Any, **kwargs: Any) -> None:
        """Hook runner."""
        self._each("process_batch", p, **kwargs)

    def process_before_every_sampling(self, p: Any, **kwargs: Any) -> None:
        """Hook runner."""
        self._each("process_before_every_sampling", p, **kwargs)

    def before_hr(self, p: Any) -> None:
        """Hook runner."""
        self._each("before_hr", p)

    def post_sample(self, p: Any, ps: PostSampleArgs) -> None:
        """Hook runner."""
        self._each("post_sample", p, ps)

    def postprocess_batch(self, p: Any, images: Any, **kwargs: Any) -> None:
        """Hook runner (kwargs: images, batch_number)."""
        self._each("postprocess_batch", p, images=images, **kwargs)

    def postprocess_batch_list(self, p: Any, pp: PostprocessBatchListArgs, **kwargs: Any) -> None:
        """Hook runner."""
        self._each("postprocess_batch_list", p, pp, **kwargs)

    def postprocess_image(self, p: Any, pp: PostprocessImageArgs) -> None:
        """Hook runner."""
        self._each("postprocess_image", p, pp)

    def postprocess_maskoverlay(self, p: Any, ppmo: PostprocessMaskOverlayArgs) -> None:
        """Hook runner."""
        self._each("postprocess_maskoverlay", p, ppmo)

    def postprocess_image_after_composite(self, p: Any, pp: PostprocessImageArgs) -> None:
        """Hook runner."""
        self._each("postprocess_image_after_composite", p, pp)

    def on_mask_blend(self, p: Any, mba: MaskBlendArgs) -> None:
        """Hook runner."""
        self._each("on_mask_blend", p, mba)

    def postprocess(self, p: Any, processed: Any) -> None:
        """Hook runner."""
        self._each("postprocess", p, processed)

    def before_component(self, component: Any, **kwargs: Any) -> None:
        """Targeted callbacks for this elem_id, then every script's before_component."""
        for callback, script in self.on_before_component_elem_id.get(kwargs.get("elem_id"), []):
            try:
                callback(OnComponent(component=component))
            except Exception:
                errors.report(f"Error running on_before_component: {script.filename}", exc_info=True)
        for script in self.scripts:
            try:
                script.before_component(component, **kwargs)
            except Exception:
                errors.report(f"Error running before_component: {script.filename}", exc_info=True)

    def after_component(self, component: Any, **kwargs: Any) -> None:
        """Targeted callbacks for this elem_id, then every script's after_component."""
        for callback, script in self.on_after_component_elem_id.get(getattr(component, "elem_id", None), []):
            try:
                callback(OnComponent(component=component))
            except Exception:
                errors.report(f"Error running on_after_component: {script.filename}", exc_info=True)
        for script in self.scripts:
            try:
                script.after_component(component, **kwargs)
            except Exception:
                errors.report(f"Error running after_component: {script.filename}", exc_info=True)

    def script(self, title: str) -> Script | None:
        """Script by lower-cased title."""
        return self.title_map.get(title.lower())

    def set_named_arg(
        self, args: list, script_name: str, arg_elem_id: str, value: Any, fuzzy: bool = False
    ) -> list:
        """Set one arg by its component's elem_id (real helper)."""
        script = next((x for x in self.scripts if x.name == script_name), None)
        if script is None:
            raise RuntimeError(f"script {script_name} not found")
        for i, control in enumerate(script.controls):
            if arg_elem_id in control.elem_id if fuzzy else arg_elem_id == control.elem_id:
                index = script.args_from + i
                if isinstance(args, tuple):
                    return args[:index] + (value,) + args[index + 1 :]
                if isinstance(args, list):
                    args[index] = value
                    return args
                raise RuntimeError(f"args is not a list or tuple, but {type(args)}")
        raise RuntimeError(f"arg_elem_id {arg_elem_id} not found in script {script_name}")


scripts_txt2img: ScriptRunner | None = None
scripts_img2img: ScriptRunner | None = None
scripts_postproc: Any = None
scripts_current: ScriptRunner | None = None


def build_runner(script_classes: list[type], is_img2img: bool) -> ScriptRunner:
    """TEST HELPER (not in A1111): instantiate scripts + builtin Sampler/Seed and build their UI."""
    from modules import _standin_ui

    return _standin_ui.build_runner(script_classes, is_img2img)


def class_file(cls: type) -> str:
    """Source file of a class (used as Script.filename)."""
    try:
        return inspect.getfile(cls)
    except TypeError:
        return f"{cls.__module__}.py"
