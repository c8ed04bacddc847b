"""The replay of one ledger image as a WebUI API request (``/sdapi/v1/txt2img`` or ``img2img``).

One request serves the WebUI's own reproduce action (in process) and the canary (over HTTP), so both replay
the same thing: the image's settings, its stored inputs inlined as base64 PNG, and every always-on script's
recorded arguments under ``alwayson_scripts``.

Overridden per request, as A1111 does when an infotext is pasted: the checkpoint (by its recorded hash, else its
name), CLIP skip and the VAE. Not overridden: the RNG source and the eta noise seed delta. They are host settings
recorded in the fingerprint, and the canary exists to notice when a host's settings drift; overriding them would
hide that drift (a difference then names them through the fingerprint diff).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

from paramlab.ledger.json_cells import json_object_cell
from paramlab.ledger.reads.inputs import MissingInput, RunInput, input_blob, run_inputs_of
from paramlab.ledger.reads.replay import replay_row
from paramlab.ledger.replay_verdict import NOT_REPLAYABLE, input_name, replay_verdict, script_active, switched_on
from paramlab.seeds.fingerprint import load_fingerprint

PLACEHOLDER = "paramlab_input"
PARAMLAB_SCRIPT = "ParamLab"  # ParamLab's own always-on script (its title)
# img2img settings ``runs.replay_args["img2img"]`` keeps, as the API names them.
IMG2IMG_FIELDS = ("resize_mode", "mask_blur", "inpainting_fill", "inpaint_full_res", "inpaint_full_res_padding",
                  "inpainting_mask_invert", "image_cfg_scale", "initial_noise_multiplier", "mask_round")
# Hires fix settings the infotext keeps only as extra parameters ("Hires sampler: DPM++ 2M"), by API field.
HIRES_EXTRA_FIELDS = {"Hires sampler": "hr_sampler_name", "Hires schedule type": "hr_scheduler",
                      "Hires prompt": "hr_prompt", "Hires negative prompt": "hr_negative_prompt",
                      "Hires checkpoint": "hr_checkpoint_name"}
# The same for both tabs: the refiner (A1111's Refiner script reads its UI only outside the API; the API takes
# these fields).
EXTRA_FIELDS = {"Refiner": "refiner_checkpoint", "Refiner switch at": "refiner_switch_at"}


class ReplayRefused(ValueError):
    """The image cannot be replayed; the message names what is missing (an input, an extension, a model)."""


@dataclass
class ReplayNeeds:
    """What the host must have before sampling starts."""

    checkpoint: str | None = None  # the recorded model name or hash
    extensions: list[str] = field(default_factory=list)  # always-on script titles, as recorded
    extension_models: dict[str, list[str]] = field(default_factory=dict)  # e.g. {"ControlNet": ["control_x [a1b2]"]}


@dataclass
class ReplayRequest:
    image_id: int
    endpoint: str  # "txt2img" or "img2img": the /sdapi/v1/ route
    payload: dict[str, Any]  # the JSON body
    needs: ReplayNeeds
    recorded_seconds: float | None = None  # the image's recorded cost, for the canary's speed check
    device: str | None = None  # where it was recorded
    verdict: str | None = None  # the image's reproducibility verdict now ("exact", "approximate")
    verdict_reason: str | None = None


@dataclass
class HostInventory:
    """What a WebUI has (read over its API or in process), to refuse a replay before sampling."""

    checkpoints: list[str] = field(default_factory=list)  # titles "name [hash]" and hashes
    extensions: list[str] = field(default_factory=list)  # always-on script titles
    extension_models: dict[str, list[str]] = field(default_factory=dict)


def build_replay_request(ledger: Any, image_id: int) -> ReplayRequest:
    """Raises :class:`ReplayRefused` when the ledger lacks what the replay needs (e.g. an input not stored)."""
    row = replay_row(ledger, image_id)
    if row is None:
        raise ReplayRefused(f"ParamLab: there is no image {image_id} in the ledger.")
    replay_args = json_object_cell(row.get("replay_args"))
    inputs = run_inputs_of(ledger, row["run_id"])
    verdict, reason = replay_verdict(
        {"tab": row.get("tab"), "role": row.get("role"), "script_name": row.get("script_name"),
         "batch_size": row.get("batch_size"), "position": int(row.get("index_in_run") or 0),
         "images": [{name: row.get(name) for name in ("seed", "steps", "sampler", "upscale", "hires_enabled",
                                                      "hires_upscaler")}]},
        load_fingerprint(row.get("fingerprint")), replay_args, [item.to_json() for item in inputs])
    if verdict == NOT_REPLAYABLE:
        raise ReplayRefused(f"ParamLab: image {image_id} cannot be replayed: {reason}.")
    pngs = _InputPngs(ledger, inputs)
    payload = _core_payload(row)
    payload.update(_from_extra_params(row, EXTRA_FIELDS))
    endpoint = "img2img" if row.get("tab") == "img2img" else "txt2img"
    if endpoint == "img2img":
        payload.update(_img2img_payload(row, replay_args.get("img2img") or {}, inputs, pngs))
    elif row.get("hires_enabled"):
        payload.update(_hires_payload(row))
    scripts = {title: {"args": _for_the_api(title, _with_images(entry.get("args") or [], pngs, title))}
               for title, entry in (replay_args.get("scripts") or {}).items()
               if isinstance(entry, dict) and script_active(entry.get("args") or [])}
    payload["alwayson_scripts"] = {**scripts, PARAMLAB_SCRIPT: {"args": [_paramlab_args(replay_args)]}}
    needs = ReplayNeeds(checkpoint=_checkpoint_named(row), extensions=sorted(scripts),
                        extension_models=_extension_models(scripts))
    return ReplayRequest(image_id, endpoint, payload, needs, recorded_seconds=row.get("cost_seconds"),
                         device=row.get("device_name"), verdict=verdict, verdict_reason=reason)


def _paramlab_args(replay_args: dict[str, Any]) -> dict[str, Any]:
    """ParamLab's own argument for the replay: not a new ledger run, and torch's global random state as the
    recorded run started from it (img2img and hires sample from it; see paramlab.webui.rng_state)."""
    args: dict[str, Any] = {"record": False}
    state = replay_args.get("torch_rng_state")
    if isinstance(state, dict) and state:
        args["torch_rng_state"] = state
    return args


def missing_on_host(request: ReplayRequest, inventory: HostInventory) -> list[str]:
    """What the host lacks, one sentence each ("ControlNet model control_x [a1b2] is not installed")."""
    needs, missing = request.needs, []
    if needs.checkpoint and not any(_same_checkpoint(needs.checkpoint, title) for title in inventory.checkpoints):
        missing.append(f"checkpoint {needs.checkpoint} is not installed")
    installed = {title.lower() for title in inventory.extensions}
    for title in needs.extensions:
        if title.lower() not in installed:
            missing.append(f"extension {title} is not installed (no always-on script of that name)")
    listed = {script.lower(): models for script, models in inventory.extension_models.items()}
    for script, models in needs.extension_models.items():
        available = listed.get(script.lower())
        if available is None:
            continue  # the host does not list that script's models: ControlNet itself will say
        missing.extend(f"{script} model {model} is not installed" for model in models
                       if not any(_same_model(model, have) for have in available))
    return missing


def _core_payload(row: dict[str, Any]) -> dict[str, Any]:
    """One image, the row's own seed (a batch's image k was made with seed + k: the row holds that seed)."""
    override = {"CLIP_stop_at_last_layers": int(row.get("clip_skip") or 1)}
    checkpoint = row.get("model_hash") or row.get("model_name")
    if checkpoint:
        override["sd_model_checkpoint"] = checkpoint
    if row.get("vae_name") and row["vae_name"] not in ("None", "Automatic"):
        override["sd_vae"] = row["vae_name"]
    return {
        "prompt": row.get("prompt") or "", "negative_prompt": row.get("negative_prompt") or "",
        "seed": int(row["seed"]), "subseed": int(row["subseed"]) if row.get("subseed") is not None else -1,
        "subseed_strength": float(row.get("subseed_strength") or 0.0),
        "sampler_name": row.get("sampler"), "scheduler": row.get("scheduler") or "Automatic",
        "steps": int(row["steps"]), "cfg_scale": float(row.get("cfg_scale") or 7.0),
        "width": int(row.get("width") or 512), "height": int(row.get("height") or 512),
        "batch_size": 1, "n_iter": 1, "override_settings": override,
        "override_settings_restore_afterwards": True, "send_images": True, "save_images": False,
    }


def _hires_payload(row: dict[str, Any]) -> dict[str, Any]:
    hires = {"enable_hr": True, "hr_upscaler": row.get("hires_upscaler"),
             "hr_second_pass_steps": int(row.get("hires_steps") or 0),
             "hr_resize_x": int(row.get("hires_resize_x") or 0), "hr_resize_y": int(row.get("hires_resize_y") or 0),
             "hr_scale": float(row.get("hires_scale") or 2.0)}
    denoising = row.get("hires_denoising") if row.get("hires_denoising") is not None else row.get("denoising_strength")
    if denoising is not None:
        hires["denoising_strength"] = float(denoising)
    hires.update(_from_extra_params(row, HIRES_EXTRA_FIELDS))
    return hires


def _from_extra_params(row: dict[str, Any], fields: dict[str, str]) -> dict[str, Any]:
    """API fields the infotext keeps only among its extra parameters ("Refiner switch at: 0.8")."""
    extra = json_object_cell(row.get("extra_params"))
    return {field_name: extra[key] for key, field_name in fields.items() if extra.get(key) not in (None, "")}


def _img2img_payload(row: dict[str, Any], settings: dict[str, Any], inputs: list[RunInput],
                     pngs: _InputPngs) -> dict[str, Any]:
    """The init image(s), the mask and img2img's settings. A batch of several init images gave image k the k-th
    one; a single init image was repeated for the whole batch."""
    inits = sorted((item for item in inputs if item.role == "init"), key=lambda item: item.position)
    if len(inits) > 1:
        batch_index = int(row.get("index_in_run") or 0) % max(int(row.get("batch_size") or 1), 1)
        inits = [inits[min(batch_index, len(inits) - 1)]]
    payload: dict[str, Any] = {name: settings[name] for name in IMG2IMG_FIELDS if settings.get(name) is not None}
    payload["init_images"] = [pngs.base64(item) for item in inits]
    denoising = row.get("denoising_strength", settings.get("denoising_strength"))
    if denoising is not None:
        payload["denoising_strength"] = float(denoising)
    mask = next((item for item in inputs if item.role == "mask" and item.source == "img2img"), None)
    if mask is not None:
        payload["mask"] = pngs.base64(mask)
    return payload


class _InputPngs:
    """The run's stored inputs as base64 PNG, each read (and verified) once."""

    def __init__(self, ledger: Any, inputs: list[RunInput]) -> None:
        self.ledger, self.inputs, self.read = ledger, {item.sha256: item for item in inputs if item.sha256}, {}

    def base64(self, item: RunInput) -> str:
        if not item.sha256:
            raise ReplayRefused(f"ParamLab: {input_name(item.to_json())} was not stored ({item.not_stored}).")
        return self.by_sha(item.sha256, input_name(item.to_json()))

    def by_sha(self, sha256: str, name: str) -> str:
        if sha256 not in self.read:
            try:
                data = input_blob(self.ledger, sha256)
            except MissingInput as exc:
                raise ReplayRefused(f"ParamLab: {name} is missing from the input store ({exc})") from exc
            self.read[sha256] = base64.b64encode(data).decode("ascii")
        return self.read[sha256]

    def named(self, sha256: str, fallback: str) -> str:
        item = self.inputs.get(sha256)
        return input_name(item.to_json()) if item is not None else fallback


def _with_images(value: Any, pngs: _InputPngs, path: str) -> Any:
    """The recorded arguments with every ``{"paramlab_input": sha256}`` replaced by that input's base64 PNG."""
    if isinstance(value, dict):
        if PLACEHOLDER in value:
            sha256 = value[PLACEHOLDER]
            if not sha256:
                raise ReplayRefused(f"ParamLab: the input image at {path} was not stored "
                                    f"({value.get('not_stored') or 'not recorded'}).")
            return pngs.by_sha(sha256, pngs.named(sha256, f"the input image at {path}"))
        return {key: _with_images(item, pngs, f"{path}/{key}") for key, item in value.items()}
    if isinstance(value, list):
        return [_with_images(item, pngs, f"{path}/{index}") for index, item in enumerate(value)]
    return value


def _for_the_api(title: str, args: list[Any]) -> list[Any]:
    """ControlNet units in the one form both hosts' APIs take: a unit from the UI holds ``{"image", "mask"}`` in
    its ``image``, which Forge's API skips silently; ``image`` plus ``mask_image`` works on A1111 and Forge."""
    if "controlnet" not in title.lower():
        return args
    units = []
    for unit in args:
        image = unit.get("image") if isinstance(unit, dict) else None
        if isinstance(image, dict) and "image" in image:
            unit = {**unit, "image": image.get("image")}
            if image.get("mask") is not None and not unit.get("mask_image"):
                unit["mask_image"] = image["mask"]
        units.append(unit)
    return units


def _extension_models(scripts: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    """The models each extension will load: ControlNet units' models, ADetailer's detectors (and the ControlNet
    model ADetailer's inpaint may use)."""
    models: dict[str, list[str]] = {}
    for title, entry in scripts.items():
        units = [unit for unit in entry["args"] if isinstance(unit, dict)]
        if "controlnet" in title.lower():
            _add(models, title, [unit.get("model") for unit in units if switched_on(unit.get("enabled", True))])
        elif title.lower() == "adetailer":
            units = [unit for unit in units if unit.get("ad_tab_enable", True) is not False]
            _add(models, title, [unit.get("ad_model") for unit in units])
            _add(models, "ControlNet", [unit.get("ad_controlnet_model") for unit in units])
    return models


def _add(models: dict[str, list[str]], script: str, names: list[Any]) -> None:
    for name in names:
        if isinstance(name, str) and name.strip() and name != "None" and name not in models.get(script, []):
            models.setdefault(script, []).append(name)


def _checkpoint_named(row: dict[str, Any]) -> str | None:
    """"name [hash]" as A1111 titles checkpoints (the hash is what the replay asks for), or whichever is known."""
    name, short_hash = row.get("model_name"), row.get("model_hash")
    return f"{name} [{short_hash}]" if name and short_hash else (short_hash or name)


def _same_checkpoint(wanted: str, have: str) -> bool:
    """The host's title "name.safetensors [hash]" (or a hash, or a name) is the recorded checkpoint: by its hash
    when one was recorded (the same name with another hash is another model), else by its name."""
    wanted, have = wanted.strip().lower(), have.strip().lower()
    if wanted.endswith("]") and " [" in wanted:
        short_hash = wanted.rsplit(" [", 1)[1].rstrip("]")
        return f"[{short_hash}" in have or have.startswith(short_hash)
    name = have.split(" [")[0]
    return wanted in (have, name, name.rsplit(".", 1)[0]) or f"[{wanted}" in have or have.startswith(wanted)


def _same_model(wanted: str, have: str) -> bool:
    """ControlNet finds a model by its exact "name [hash]", or by its name when no hash is asked for: the same
    name with another hash is not found (the lab: ``"name [wronghash]"`` runs without ControlNet)."""
    wanted, have = wanted.strip(), have.strip()
    return wanted == have or (" [" not in wanted and wanted == have.split(" [")[0].strip())


__all__ = ["HostInventory", "ReplayNeeds", "ReplayRefused", "ReplayRequest", "build_replay_request",
           "missing_on_host"]
