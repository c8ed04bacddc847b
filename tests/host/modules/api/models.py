"""Stand-in for ``modules/api/models.py``: the request models ``Api.text2imgapi``/``img2imgapi`` take, generated
from the processing classes' ``__init__`` parameters as the real ``PydanticModelGenerator`` does (pydantic v1 under
gradio 3 as in A1111, v2 under gradio 4 as in Forge), and the responses.

STAND-IN: every processing field is typed ``Any`` (the real one types them from the annotations and coerces)."""

from __future__ import annotations

import inspect
from typing import Any

from modules.processing import StableDiffusionProcessingImg2Img, StableDiffusionProcessingTxt2Img
from pydantic import BaseModel, Field, create_model

API_NOT_ALLOWED = ["self", "kwargs", "sd_model", "outpath_samples", "outpath_grids", "sampler_index",
                   "extra_generation_params", "overlay_images", "do_not_reload_embeddings", "seed_enable_extras",
                   "prompt_for_display", "sampler_noise_scheduler_override", "ddim_discretize"]
COMMON_EXTRA = [("sampler_index", str, "Euler"), ("script_name", str, None), ("script_args", list, []),
                ("send_images", bool, True), ("save_images", bool, False), ("alwayson_scripts", dict, {}),
                ("force_task_id", str, None), ("infotext", str, None)]


def _init_parameters(cls: type) -> dict[str, inspect.Parameter]:
    parameters: dict[str, inspect.Parameter] = {}
    for base in reversed([c for c in inspect.getmro(cls) if c is not object]):
        parameters.update(inspect.signature(base.__init__).parameters)
    return parameters


def _generate(name: str, cls: type, extra: list[tuple[str, Any, Any]]) -> type[BaseModel]:
    fields: dict[str, Any] = {}
    for key, parameter in _init_parameters(cls).items():
        if key in API_NOT_ALLOWED or parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        default = None if parameter.default is inspect.Parameter.empty else parameter.default
        fields[key] = (Any, Field(default=default))
    for key, kind, default in extra:
        fields[key] = (kind | None, Field(default=default))
    return create_model(name, **fields)


StableDiffusionTxt2ImgProcessingAPI = _generate("StableDiffusionProcessingTxt2Img", StableDiffusionProcessingTxt2Img,
                                                COMMON_EXTRA)
StableDiffusionImg2ImgProcessingAPI = _generate(
    "StableDiffusionProcessingImg2Img", StableDiffusionProcessingImg2Img,
    [*COMMON_EXTRA, ("init_images", list, None), ("denoising_strength", float, 0.75), ("mask", str, None),
     ("include_init_images", bool, False)])


class TextToImageResponse(BaseModel):
    images: list[str] | None = Field(default=None, title="Image")
    parameters: dict
    info: str


class ImageToImageResponse(BaseModel):
    images: list[str] | None = Field(default=None, title="Image")
    parameters: dict
    info: str
