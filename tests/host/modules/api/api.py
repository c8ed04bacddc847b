"""Stand-in for ``modules/api/api.py``: the txt2img/img2img request flow without FastAPI."""

from __future__ import annotations

import base64
import dataclasses
import io
from typing import Any

from modules import call_queue, processing, scripts, sd_samplers, shared
from modules.shared import opts
from PIL import Image


class HTTPException(Exception):
    """Like fastapi.HTTPException: carries ``status_code`` and ``detail``."""

    def __init__(self, status_code: int, detail: Any = None) -> None:
        super().__init__(f"{status_code}: {detail}")
        self.status_code = status_code
        self.detail = detail


_default_args_cache: dict[int, list[Any]] = {}

API_EXTRA_DEFAULTS: dict[str, Any] = {
    "sampler_index": "Euler",
    "script_name": None,
    "script_args": [],
    "send_images": True,
    "save_images": False,
    "alwayson_scripts": {},
    "infotext": None,
    "force_task_id": None,
}
"""Request fields beyond the processing dataclass (note: sampler_index defaults to "Euler", as real)."""


def script_name_to_index(name: str, scripts_list: list) -> int:
    """Index by case-insensitive title; 422 if absent."""
    try:
        return [script.title().lower() for script in scripts_list].index(name.lower())
    except Exception as e:
        raise HTTPException(status_code=422, detail=f"Script '{name}' not found") from e


def validate_sampler_name(name: str) -> str:
    """400 for unknown samplers."""
    if sd_samplers.all_samplers_map.get(name, None) is None:
        raise HTTPException(status_code=400, detail="Sampler not found")
    return name


def decode_base64_to_image(encoding: str) -> Image.Image:
    """Data URL or bare base64 → PIL image."""
    if encoding.startswith("data:image/"):
        encoding = encoding.split(";")[1].split(",")[1]
    return Image.open(io.BytesIO(base64.b64decode(encoding)))


def encode_pil_to_base64(image: Image.Image) -> str:
    """PNG bytes (with parameters chunk when enable_pnginfo) as base64."""
    from PIL import PngImagePlugin

    with io.BytesIO() as output_bytes:
        pnginfo = None
        if opts.enable_pnginfo and isinstance(image.info.get("parameters"), str):
            pnginfo = PngImagePlugin.PngInfo()
            pnginfo.add_text("parameters", image.info["parameters"])
        image.save(output_bytes, format="PNG", pnginfo=pnginfo)
        return base64.b64encode(output_bytes.getvalue()).decode("ascii")


def init_default_script_args(script_runner: scripts.ScriptRunner) -> list[Any]:
    """Real Api.init_default_script_args: calls every script's ui() again (twice) in a throwaway Blocks."""
    import gradio as gr

    last_arg_index = 1
    for script in script_runner.scripts:
        if last_arg_index < script.args_to:
            last_arg_index = script.args_to
    script_args: list[Any] = [None] * last_arg_index
    script_args[0] = 0
    with gr.Blocks():
        for script in script_runner.scripts:
            if script.ui(script.is_img2img):
                ui_default_values = [elem.value for elem in script.ui(script.is_img2img)]
                script_args[script.args_from : script.args_to] = ui_default_values
    return script_args


def _default_args(runner: scripts.ScriptRunner) -> list[Any]:
    if id(runner) not in _default_args_cache:
        _default_args_cache[id(runner)] = init_default_script_args(runner)
    return _default_args_cache[id(runner)]


def get_selectable_script(script_name: str | None, script_runner: scripts.ScriptRunner) -> tuple[Any, Any]:
    """(script, index) of a selectable script by title, or (None, None)."""
    if script_name is None or script_name == "":
        return None, None
    script_idx = script_name_to_index(script_name, script_runner.selectable_scripts)
    return script_runner.selectable_scripts[script_idx], script_idx


def init_script_args(
    request: dict[str, Any],
    default_script_args: list[Any],
    selectable_scripts: Any,
    selectable_idx: Any,
    script_runner: scripts.ScriptRunner,
) -> list[Any]:
    """Defaults, then selectable script args (+ index at [0]), then alwayson args positionally."""
    script_args = default_script_args.copy()
    if selectable_scripts:
        script_args[selectable_scripts.args_from : selectable_scripts.args_to] = request["script_args"]
        script_args[0] = selectable_idx + 1
    for name, value in (request.get("alwayson_scripts") or {}).items():
        alwayson_script = script_runner.scripts[script_name_to_index(name, script_runner.scripts)]
        if alwayson_script.alwayson is False:
            raise HTTPException(
                status_code=422, detail="Cannot have a selectable script in the always on scripts params"
            )
        if "args" in value:
            n = min(alwayson_script.args_to - alwayson_script.args_from, len(value["args"]))
            for idx in range(n):
                script_args[alwayson_script.args_from + idx] = value["args"][idx]
    return script_args


def _run(runner: scripts.ScriptRunner, payload: dict[str, Any], cls: type, outdir: str, griddir: str) -> dict:
    fields = {f.name for f in dataclasses.fields(cls) if f.init} - {
        "sd_model",
        "outpath_samples",
        "outpath_grids",
    }
    req = {
        **API_EXTRA_DEFAULTS,
        **{k: v for k, v in payload.items() if k in fields or k in API_EXTRA_DEFAULTS},
    }
    selectable_scripts, selectable_script_idx = get_selectable_script(req["script_name"], runner)
    sampler, scheduler = sd_samplers.get_sampler_and_scheduler(
        req.get("sampler_name") or req["sampler_index"], req.get("scheduler")
    )
    args = {k: v for k, v in req.items() if k in fields}
    args["sampler_name"] = validate_sampler_name(sampler)
    args["sampler_index"] = None
    args["do_not_save_samples"] = not req["save_images"]
    args["do_not_save_grid"] = not req["save_images"]
    if not args.get("scheduler") and scheduler != "Automatic":
        args["scheduler"] = scheduler
    if "init_images" in args:
        args["init_images"] = [decode_base64_to_image(x) for x in args["init_images"] or []]
    if args.get("mask"):  # img2img: the inpaint mask, decoded as the real img2imgapi does
        args["mask"] = decode_base64_to_image(args["mask"])
    script_args = init_script_args(
        req, _default_args(runner), selectable_scripts, selectable_script_idx, runner
    )
    with call_queue.queue_lock:
        p = cls(sd_model=shared.sd_model, **args)
        p.is_api = True
        p.scripts = runner
        p.outpath_grids = griddir
        p.outpath_samples = outdir
        try:
            shared.state.begin(job="scripts_txt2img" if not runner.is_img2img else "scripts_img2img")
            if selectable_scripts is not None:
                p.script_args = script_args
                processed = runner.run(p, *p.script_args)
            else:
                p.script_args = tuple(script_args)
                processed = processing.process_images(p)
        finally:
            p.close()
            shared.state.end()
            shared.total_tqdm.clear()
    images = [encode_pil_to_base64(x) for x in processed.images] if req["send_images"] else []
    parameters = dict(payload)
    parameters.pop("init_images", None)
    return {"images": images, "parameters": parameters, "info": processed.js()}


def text2imgapi(runner: scripts.ScriptRunner, payload: dict[str, Any]) -> dict[str, Any]:
    """TEST HELPER with the real POST /sdapi/v1/txt2img flow; returns {images, parameters, info}."""
    return _run(
        runner,
        payload,
        processing.StableDiffusionProcessingTxt2Img,
        opts.outdir_txt2img_samples,
        opts.outdir_txt2img_grids,
    )


def img2imgapi(runner: scripts.ScriptRunner, payload: dict[str, Any]) -> dict[str, Any]:
    """TEST HELPER with the real POST /sdapi/v1/img2img flow; ``init_images`` are base64 strings."""
    if not payload.get("init_images"):
        raise HTTPException(status_code=404, detail="Init image not found")
    return _run(
        runner,
        payload,
        processing.StableDiffusionProcessingImg2Img,
        opts.outdir_img2img_samples,
        opts.outdir_img2img_grids,
    )


def _set_upscalers(req: dict[str, Any]) -> dict[str, Any]:
    """Real setUpscalers: upscaler_1/2 → extras_upscaler_1/2."""
    req = dict(req)
    req["extras_upscaler_1"] = req.pop("upscaler_1", None)
    req["extras_upscaler_2"] = req.pop("upscaler_2", None)
    return req


EXTRAS_DEFAULTS: dict[str, Any] = {
    "resize_mode": 0, "show_extras_results": True, "gfpgan_visibility": 0, "codeformer_visibility": 0,
    "codeformer_weight": 0, "upscaling_resize": 2, "upscaling_resize_w": 512, "upscaling_resize_h": 512,
    "upscaling_crop": True, "upscaler_1": "None", "upscaler_2": "None", "extras_upscaler_2_visibility": 0,
    "upscale_first": False,
}


def extras_single_image_api(payload: dict[str, Any]) -> dict[str, Any]:
    """TEST HELPER with the real POST /sdapi/v1/extra-single-image flow: nothing is saved."""
    from modules import postprocessing

    req = _set_upscalers({**EXTRAS_DEFAULTS, **payload})
    req["image"] = decode_base64_to_image(req["image"])
    with call_queue.queue_lock:
        result = postprocessing.run_extras(extras_mode=0, image_folder="", input_dir="", output_dir="",
                                           save_output=False, **req)
    return {"image": encode_pil_to_base64(result[0][0]), "html_info": result[1]}


def reset() -> None:
    """Test helper: forget cached default script args."""
    _default_args_cache.clear()


class Api:
    """Stand-in for ``modules.api.api.Api`` as far as the generation routes go: built on a FastAPI app with the
    queue lock, it works out every script's default arguments at once (calling each ``ui()`` again, as real), and
    its ``text2imgapi``/``img2imgapi`` take the request models of :mod:`modules.api.models` and answer the response
    models. STAND-IN: routes other than txt2img/img2img, the middleware and ``--api-auth`` are left out."""

    def __init__(self, app: Any, queue_lock: Any) -> None:
        self.app = app
        self.queue_lock = queue_lock
        self.default_script_arg_txt2img: list[Any] = []
        self.default_script_arg_img2img: list[Any] = []
        for runner, attribute in ((scripts.scripts_txt2img, "default_script_arg_txt2img"),
                                  (scripts.scripts_img2img, "default_script_arg_img2img")):
            if runner is not None:
                setattr(self, attribute, init_default_script_args(runner))
                _default_args_cache[id(runner)] = getattr(self, attribute)
        if hasattr(app, "add_api_route"):
            app.add_api_route("/sdapi/v1/txt2img", self.text2imgapi, methods=["POST"])
            app.add_api_route("/sdapi/v1/img2img", self.img2imgapi, methods=["POST"])

    def text2imgapi(self, txt2imgreq: Any) -> Any:
        from modules.api import models

        result = text2imgapi(scripts.scripts_txt2img, _sent_fields(txt2imgreq))
        return models.TextToImageResponse(images=result["images"], parameters=vars(txt2imgreq), info=result["info"])

    def img2imgapi(self, img2imgreq: Any) -> Any:
        from modules.api import models

        if img2imgreq.init_images is None:
            raise HTTPException(status_code=404, detail="Init image not found")
        result = img2imgapi(scripts.scripts_img2img, _sent_fields(img2imgreq))
        return models.ImageToImageResponse(images=result["images"], parameters=vars(img2imgreq), info=result["info"])


def _sent_fields(request: Any) -> dict[str, Any]:
    """The fields the request set (the real handler passes every field, whose defaults equal the class's own)."""
    dump = getattr(request, "model_dump", None)
    return dump(exclude_unset=True) if dump is not None else request.dict(exclude_unset=True)
