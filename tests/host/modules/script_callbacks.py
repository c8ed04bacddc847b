"""Stand-in for ``modules/script_callbacks.py``: ordered callback lists; callback errors are reported."""

from __future__ import annotations

import dataclasses
import inspect
import os
from collections.abc import Callable
from typing import Any

from modules import errors


class ImageSaveParams:
    """Passed to on_before_image_saved / on_image_saved."""

    def __init__(self, image: Any, p: Any, filename: str, pnginfo: dict) -> None:
        self.image = image
        self.p = p
        self.filename = filename
        self.pnginfo = pnginfo


class ExtraNoiseParams:
    """Passed to on_extra_noise."""

    def __init__(self, noise: Any, x: Any, xi: Any) -> None:
        self.noise = noise
        self.x = x
        self.xi = xi


class CFGDenoiserParams:
    """Passed to on_cfg_denoiser before every model call (CFGDenoiser.forward): twice in most steps of a
    second-order sampler."""

    def __init__(
        self,
        x: Any,
        image_cond: Any,
        sigma: Any,
        sampling_step: int,
        total_sampling_steps: int,
        text_cond: Any,
        text_uncond: Any,
        denoiser: Any = None,
    ) -> None:
        self.x = x
        self.image_cond = image_cond
        self.sigma = sigma
        self.sampling_step = sampling_step
        self.total_sampling_steps = total_sampling_steps
        self.text_cond = text_cond
        self.text_uncond = text_uncond
        self.denoiser = denoiser


class CFGDenoisedParams:
    """Passed to on_cfg_denoised, after the model call."""

    def __init__(self, x: Any, sampling_step: int, total_sampling_steps: int, inner_model: Any) -> None:
        self.x = x
        self.sampling_step = sampling_step
        self.total_sampling_steps = total_sampling_steps
        self.inner_model = inner_model


class AfterCFGCallbackParams:
    """Passed to on_cfg_after_cfg, after the CFG combine."""

    def __init__(self, x: Any, sampling_step: int, total_sampling_steps: int) -> None:
        self.x = x
        self.sampling_step = sampling_step
        self.total_sampling_steps = total_sampling_steps


class UiTrainTabParams:
    """Passed to on_ui_train_tabs."""

    def __init__(self, txt2img_preview_params: Any) -> None:
        self.txt2img_preview_params = txt2img_preview_params


class ImageGridLoopParams:
    """Passed to on_image_grid; callbacks may change imgs/cols/rows."""

    def __init__(self, imgs: list, cols: int, rows: int) -> None:
        self.imgs = imgs
        self.cols = cols
        self.rows = rows


@dataclasses.dataclass
class BeforeTokenCounterParams:
    """Passed to on_before_token_counter."""

    prompt: str
    steps: int
    styles: list
    is_positive: bool = True


@dataclasses.dataclass
class ScriptCallback:
    """One registered callback and the file that registered it."""

    script: str
    callback: Callable
    name: str = "unnamed"


_categories = [
    "app_started",
    "model_loaded",
    "ui_tabs",
    "ui_train_tabs",
    "ui_settings",
    "before_image_saved",
    "image_saved",
    "extra_noise",
    "cfg_denoiser",
    "cfg_denoised",
    "cfg_after_cfg",
    "before_component",
    "after_component",
    "image_grid",
    "infotext_pasted",
    "script_unloaded",
    "before_ui",
    "on_reload",
    "list_optimizers",
    "list_unets",
    "before_token_counter",
]
callback_map: dict[str, list[ScriptCallback]] = {f"callbacks_{c}": [] for c in _categories}


def _add_callback(
    category: str, fun: Callable, *, name: str | None = None, filename: str | None = None
) -> None:
    """Append with the real unique-name scheme (extension dir / file / category[/name])."""
    callbacks = callback_map["callbacks_" + category]
    if filename is None:
        stack = [x for x in inspect.stack() if x.filename != __file__]
        filename = stack[0].filename if stack else "unknown file"
    ext = os.path.basename(os.path.dirname(os.path.dirname(filename))).lower() or "base"
    callback_name = f"{ext}/{os.path.basename(filename)}/{category}" + (
        f"/{name}" if name is not None else ""
    )
    unique = callback_name
    for index in range(1000):
        if not any(x.name == unique for x in callbacks):
            break
        unique = f"{callback_name}-{index + 1}"
    callbacks.append(ScriptCallback(filename, fun, unique))


def ordered_callbacks(
    category: str, unordered_callbacks: list | None = None, *, enable_user_sort: bool = True
) -> list:
    """Registration order (metadata.ini / user ordering is not simulated)."""
    return list(callback_map["callbacks_" + category] if unordered_callbacks is None else unordered_callbacks)


def _run(category: str, job: str, *args: Any, reverse: bool = False) -> list:
    res = []
    cbs = ordered_callbacks(category)
    for c in reversed(cbs) if reverse else cbs:
        try:
            res.append(c.callback(*args))
        except Exception:
            report_exception(c, job)
    return res


def report_exception(c: ScriptCallback, job: str) -> None:
    """Report a failing callback without raising."""
    errors.report(f"Error executing callback {job} for {c.script}", exc_info=True)


def clear_callbacks() -> None:
    """Drop every registered callback (done by load_scripts before re-running scripts)."""
    for callback_list in callback_map.values():
        callback_list.clear()


def remove_current_script_callbacks() -> None:
    """Remove callbacks registered from the calling file."""
    stack = [x for x in inspect.stack() if x.filename != __file__]
    filename = stack[0].filename if stack else "unknown file"
    if filename == "unknown file":
        return
    for callback_list in callback_map.values():
        for cb in [cb for cb in callback_list if cb.script == filename]:
            callback_list.remove(cb)


def remove_callbacks_for_function(callback_func: Callable) -> None:
    """Remove every registration of ``callback_func``."""
    for callback_list in callback_map.values():
        for cb in [cb for cb in callback_list if cb.callback == callback_func]:
            callback_list.remove(cb)


def app_started_callback(demo: Any, app: Any) -> None:
    """Fire on_app_started(demo, app)."""
    _run("app_started", "app_started_callback", demo, app)


def app_reload_callback() -> None:
    """Fire on_before_reload()."""
    _run("on_reload", "callbacks_on_reload")


before_reload_callback = app_reload_callback


def model_loaded_callback(sd_model: Any) -> None:
    """Fire on_model_loaded(sd_model)."""
    _run("model_loaded", "model_loaded_callback", sd_model)


def ui_tabs_callback() -> list:
    """Fire on_ui_tabs() and collect the returned tab tuples."""
    res: list = []
    for tabs in _run("ui_tabs", "ui_tabs_callback"):
        res += tabs or []
    return res


def ui_train_tabs_callback(params: UiTrainTabParams) -> None:
    """Fire on_ui_train_tabs(params)."""
    _run("ui_train_tabs", "callbacks_ui_train_tabs", params)


def ui_settings_callback() -> None:
    """Fire on_ui_settings()."""
    _run("ui_settings", "ui_settings_callback")


def before_image_saved_callback(params: ImageSaveParams) -> None:
    """Fire on_before_image_saved(params)."""
    _run("before_image_saved", "before_image_saved_callback", params)


def image_saved_callback(params: ImageSaveParams) -> None:
    """Fire on_image_saved(params)."""
    _run("image_saved", "image_saved_callback", params)


def extra_noise_callback(params: ExtraNoiseParams) -> None:
    """Fire on_extra_noise(params)."""
    _run("extra_noise", "callbacks_extra_noise", params)


def cfg_denoiser_callback(params: CFGDenoiserParams) -> None:
    """Fire on_cfg_denoiser(params)."""
    _run("cfg_denoiser", "cfg_denoiser_callback", params)


def cfg_denoised_callback(params: CFGDenoisedParams) -> None:
    """Fire on_cfg_denoised(params)."""
    _run("cfg_denoised", "cfg_denoised_callback", params)


def cfg_after_cfg_callback(params: AfterCFGCallbackParams) -> None:
    """Fire on_cfg_after_cfg(params)."""
    _run("cfg_after_cfg", "cfg_after_cfg_callback", params)


def before_component_callback(component: Any, **kwargs: Any) -> None:
    """Fire on_before_component(component, **kwargs)."""
    for c in ordered_callbacks("before_component"):
        try:
            c.callback(component, **kwargs)
        except Exception:
            report_exception(c, "before_component_callback")


def after_component_callback(component: Any, **kwargs: Any) -> None:
    """Fire on_after_component(component, **kwargs)."""
    for c in ordered_callbacks("after_component"):
        try:
            c.callback(component, **kwargs)
        except Exception:
            report_exception(c, "after_component_callback")


def image_grid_callback(params: ImageGridLoopParams) -> None:
    """Fire on_image_grid(params)."""
    _run("image_grid", "image_grid", params)


def infotext_pasted_callback(infotext: str, params: dict) -> None:
    """Fire on_infotext_pasted(infotext, params)."""
    _run("infotext_pasted", "infotext_pasted", infotext, params)


def script_unloaded_callback() -> None:
    """Fire on_script_unloaded() in reverse order."""
    _run("script_unloaded", "script_unloaded", reverse=True)


def before_ui_callback() -> None:
    """Fire on_before_ui() in reverse order."""
    _run("before_ui", "before_ui", reverse=True)


def list_optimizers_callback() -> list:
    """Collect optimizers appended by on_list_optimizers callbacks."""
    res: list = []
    _run("list_optimizers", "list_optimizers", res)
    return res


def list_unets_callback() -> list:
    """Collect UNet options appended by on_list_unets callbacks."""
    res: list = []
    _run("list_unets", "list_unets", res)
    return res


def before_token_counter_callback(params: BeforeTokenCounterParams) -> None:
    """Fire on_before_token_counter(params)."""
    _run("before_token_counter", "before_token_counter", params)


def _make_on(category: str) -> Callable:
    def register(callback: Callable, *, name: str | None = None) -> None:
        _add_callback(category, callback, name=name)

    register.__name__ = f"on_{category}"
    register.__doc__ = f"Register a callback for {category}."
    return register


on_app_started = _make_on("app_started")
on_before_reload = _make_on("on_reload")
on_model_loaded = _make_on("model_loaded")
on_ui_tabs = _make_on("ui_tabs")
on_ui_train_tabs = _make_on("ui_train_tabs")
on_ui_settings = _make_on("ui_settings")
on_before_image_saved = _make_on("before_image_saved")
on_image_saved = _make_on("image_saved")
on_extra_noise = _make_on("extra_noise")
on_cfg_denoiser = _make_on("cfg_denoiser")
on_cfg_denoised = _make_on("cfg_denoised")
on_cfg_after_cfg = _make_on("cfg_after_cfg")
on_before_component = _make_on("before_component")
on_after_component = _make_on("after_component")
on_image_grid = _make_on("image_grid")
on_infotext_pasted = _make_on("infotext_pasted")
on_script_unloaded = _make_on("script_unloaded")
on_before_ui = _make_on("before_ui")
on_list_optimizers = _make_on("list_optimizers")
on_list_unets = _make_on("list_unets")
on_before_token_counter = _make_on("before_token_counter")
