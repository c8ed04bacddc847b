"""Each run's reproducibility verdict: can its images be made again from the ledger alone, and how exactly.

*exact*: the same host settings give the same pixels; *approximate*: they give nearly the same (the reason says
why: non-deterministic attention with a sampler that adds noise, GPU noise, an extension not known to be
deterministic); *not_replayable*: something the replay needs is not in the ledger (the reason names it).
The rule is pure (:func:`replay_verdict`); :func:`refresh_replay_verdict` reads a run and writes its verdict, and
runs in the same transaction as the operations that change what it depends on (finishing a run, its inputs).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from paramlab.ledger.json_cells import json_object_cell
from paramlab.ledger.replay_schema import input_blobs, run_inputs
from paramlab.ledger.schema import images, runs

EXACT, APPROXIMATE, NOT_REPLAYABLE = "exact", "approximate", "not_replayable"

# Always-on scripts whose arguments replay to the same pixels (A1111's built-ins and the extensions replay knows).
DETERMINISTIC_SCRIPTS = frozenset(name.lower() for name in (
    "ControlNet", "ADetailer", "Extra options", "Hypertile", "Refiner", "Sampler", "Seed", "Comments",
    "Soft Inpainting", "Dynamic Thresholding (CFG Scale Fix)", "ParamLab",
))
# Attention kernels known to give the same result run after run (A1111's "Cross attention optimization" values
# start with these; Forge reports the backend function's name).
DETERMINISTIC_ATTENTION = ("sdp-no-mem", "doggettx", "v1", "invokeai", "sub-quadratic", "split", "none", "basic")
NON_DETERMINISTIC_ATTENTION = ("xformers", "sdp", "automatic", "pytorch", "flash")
STOCHASTIC_SAMPLERS = ("ddpm", "lcm", "restart")


def is_noisy_sampler(sampler: str | None) -> bool:
    """Ancestral ("Euler a", "DPM++ 2S a Karras") and SDE samplers add fresh noise at every step, so a tiny
    difference in one step's result is amplified instead of washed out."""
    name = (sampler or "").strip().lower()
    return (name.endswith(" a") or " a " in f"{name} " or "sde" in name or "ancestral" in name
            or name.split(" ")[0] in STOCHASTIC_SAMPLERS)


def runs_on_gpu(fingerprint: dict[str, Any]) -> bool:
    """Whether the run sampled on a GPU (the fingerprint's device is a GPU's name, not "cpu")."""
    device = str(fingerprint.get("device") or "").strip().lower()
    return bool(device) and device != "cpu" and not device.startswith("cpu")


def non_deterministic_attention(fingerprint: dict[str, Any]) -> str | None:
    """The attention's name when it is not deterministic on the run's device, else None."""
    attention = str(fingerprint.get("cross_attention") or "").strip()
    lowered = attention.lower()
    if not attention or not runs_on_gpu(fingerprint) or lowered.startswith(DETERMINISTIC_ATTENTION):
        return None
    return attention if lowered.startswith(NON_DETERMINISTIC_ATTENTION) else None


def gpu_noise(fingerprint: dict[str, Any]) -> bool:
    """GPU-drawn noise differs between GPU models (A1111's "Random number generator source: GPU"); CPU and NV
    noise, and Forge's "try to reproduce" modes (noise on the CPU), are the same everywhere."""
    source = str(fingerprint.get("rng_source") or "").strip().lower()
    return source.startswith("gpu") and "try to reproduce" not in source and runs_on_gpu(fingerprint)


def input_name(record: dict[str, Any]) -> str:
    """How a user names the input: "the init image", "the inpaint mask", "the ControlNet unit 0 control image"."""
    source, role, position = record.get("source") or "", record.get("role") or "", int(record.get("position") or 0)
    number = f" {position + 1}" if position else ""
    if role == "init":
        return f"the init image{number}"
    if role == "mask":
        return f"the inpaint mask{number}"
    if role == "control":
        return f"the {source} control image{number}"
    return f"the {source} input image{number}"


def _missing_input(inputs: list[dict[str, Any]]) -> str | None:
    for record in inputs:
        if not record.get("sha256"):
            why = record.get("not_stored") or "not recorded"
            return f"{input_name(record)} was not stored ({why})"
        if record.get("stored") is False:
            return f"{input_name(record)} is no longer in the input store"
    return None


def script_active(args: list[Any]) -> bool:
    """Whether a script's recorded arguments make it do something: not when it has none, when its first argument
    (extensions' "enable" switch) is off, or when every argument is a unit switched off (ControlNet's units)."""
    if not args or args[0] is False:
        return False
    units = [arg for arg in args if isinstance(arg, dict) and "enabled" in arg]
    return not (len(units) == len(args) and not any(switched_on(unit["enabled"]) for unit in units))


def _dynamic_prompts_random(entry: dict[str, Any]) -> bool:
    """Dynamic Prompts (is_enabled, is_combinatorial, …): enabled and not combinatorial is its random mode."""
    values = {str(key).lower(): value for key, value in (entry.get("values") or {}).items()}
    enabled = values.get("enabled", values.get("is_enabled"))
    combinatorial = next((value for key, value in values.items() if "combinatorial" in key and "batch" not in key),
                         None)
    args = entry.get("args") or []
    if enabled is None and args:
        enabled = args[0]
    if combinatorial is None and len(args) > 1:
        combinatorial = args[1]
    return switched_on(enabled) and not switched_on(combinatorial)


def switched_on(value: Any) -> bool:
    """A switch as recorded: a bool, or its text ("True", "on") when it came through the flat values."""
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes", "on")
    return bool(value)


def _script_reasons(replay_args: dict[str, Any]) -> list[str]:
    reasons = []
    for title, entry in sorted((replay_args.get("scripts") or {}).items()):
        entry = entry if isinstance(entry, dict) else {}
        if title.lower().startswith("dynamic prompts"):
            if _dynamic_prompts_random(entry):
                reasons.append("Dynamic Prompts in random mode")
        elif title.lower() not in DETERMINISTIC_SCRIPTS and script_active(entry.get("args") or []):
            reasons.append(f"{title} may not be deterministic")
    return reasons


def _global_rng_reasons(run: dict[str, Any], replay_args: dict[str, Any]) -> list[str]:
    """A VAE encode (img2img's, a hires pass's through a non-latent upscaler) samples torch's global generator,
    which no seed controls: the replay restores the state the run started from (paramlab.webui.rng_state), which
    is the state of the first image only when the encode drew for several."""
    images = run.get("images") or []
    recorded = bool(replay_args.get("torch_rng_state"))
    batch = int(run.get("batch_size") or 1)
    position = run.get("position")  # given: one image of the run is judged (its replay), else the whole run
    if run.get("tab") == "img2img":
        if not recorded:
            return ["img2img's VAE encode samples torch's global random state, not recorded for this run"]
        if batch > 1 and (position is None or position % batch):
            return [f"img2img in batches of {batch}: the VAE encode drew for the whole batch, a replay draws for "
                    "one image (the first of each batch replays exact)"]
        return []
    upscalers = sorted({str(image.get("hires_upscaler") or "Latent") for image in images if image.get("hires_enabled")})
    upscalers = [name for name in upscalers if not name.startswith("Latent")]  # latent upscalers encode nothing
    if not upscalers:
        return []
    if not recorded:
        return [f"hires fix through {', '.join(upscalers)} VAE-encodes from torch's global random state, not "
                "recorded for this run"]
    if (len(images) > 1 and position is None) or (position or 0) > 0:
        return [f"hires fix through {', '.join(upscalers)} in a run of {len(images)} images: its VAE encode draws "
                "from torch's global random state batch after batch (the run's first image replays exact)"]
    return []


def _not_replayable(run: dict[str, Any], inputs: list[dict[str, Any]]) -> str | None:
    if run.get("tab") == "extras":
        return "tab extras: an Extras upscale, not a generation (upscale its source image again)"
    image_rows = run.get("images") or []
    if any(image.get("upscale") for image in image_rows) and run.get("role") == "output":
        return (f"the combined image of a tiled upscale ({run.get('script_name') or 'a script'}): "
                "its tiles' passes replay one by one; the combined image needs the script run again")
    if image_rows and all(image.get("seed") is None or image.get("steps") is None for image in image_rows):
        return "imported without seed or steps"
    missing = _missing_input(inputs)
    if missing:
        return missing
    if run.get("tab") == "img2img" and not any(record.get("role") == "init" for record in inputs):
        return "the init image was not recorded (the run predates input storage)"
    return None


def replay_verdict(run: dict[str, Any], fingerprint: dict[str, Any], replay_args: dict[str, Any] | None,
                   inputs: list[dict[str, Any]]) -> tuple[str, str | None]:
    """The run's verdict and its reason (None when exact).

    ``run``: the run's columns (``tab``, ``role``, ``script_name``) and ``images`` (each with ``seed``, ``steps``,
    ``sampler``, ``upscale``); ``inputs``: its ``run_inputs`` rows, each with ``stored`` False when the blob is gone.
    """
    reason = _not_replayable(run, inputs)
    if reason:
        return NOT_REPLAYABLE, reason
    fingerprint = fingerprint or {}
    reasons = []
    samplers = sorted({image.get("sampler") or fingerprint.get("sampler") or "" for image in run.get("images") or []}
                      or {fingerprint.get("sampler") or ""})
    noisy = [sampler for sampler in samplers if is_noisy_sampler(sampler)]
    attention = non_deterministic_attention(fingerprint)
    if attention and noisy:
        reasons.append(f"{attention} attention with an ancestral or SDE sampler ({', '.join(noisy)})")
    if gpu_noise(fingerprint):
        reasons.append(f"GPU noise: identical only on the same GPU model ({fingerprint.get('device')})")
    reasons.extend(_script_reasons(replay_args or {}))
    reasons.extend(_global_rng_reasons(run, replay_args or {}))
    return (APPROXIMATE, "; ".join(reasons)) if reasons else (EXACT, None)


def refresh_replay_verdict(conn: Connection, run_id: int) -> None:
    """Recompute run ``run_id``'s verdict from what the ledger now holds and write it (nothing when no such run)."""
    run = conn.execute(sa.select(runs.c.tab, runs.c.role, runs.c.script_name, runs.c.source, runs.c.fingerprint,
                                 runs.c.replay_args, runs.c.batch_size).where(runs.c.id == run_id)).mappings().first()
    if run is None:
        return
    image_rows = conn.execute(sa.select(images.c.seed, images.c.steps, images.c.sampler, images.c.upscale,
                                        images.c.hires_enabled, images.c.hires_upscaler)
                              .where(images.c.run_id == run_id)).mappings().all()
    input_rows = conn.execute(
        sa.select(run_inputs.c.source, run_inputs.c.role, run_inputs.c.position, run_inputs.c.sha256,
                  run_inputs.c.not_stored, input_blobs.c.sha256.label("blob"))
        .select_from(run_inputs.outerjoin(input_blobs, input_blobs.c.sha256 == run_inputs.c.sha256))
        .where(run_inputs.c.run_id == run_id)
        .order_by(run_inputs.c.source, run_inputs.c.role, run_inputs.c.position)
    ).mappings().all()
    inputs = [{**dict(row), "stored": row["blob"] is not None} for row in input_rows]
    verdict, reason = replay_verdict({**dict(run), "images": [dict(row) for row in image_rows]},
                                     json_object_cell(run["fingerprint"]), json_object_cell(run["replay_args"]), inputs)
    conn.execute(runs.update().where(runs.c.id == run_id).values(replay_verdict=verdict, replay_reason=reason))


__all__ = ["APPROXIMATE", "EXACT", "NOT_REPLAYABLE", "input_name", "is_noisy_sampler", "refresh_replay_verdict",
           "replay_verdict", "script_active", "switched_on"]
