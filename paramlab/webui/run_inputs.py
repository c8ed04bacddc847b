"""What a run needs to be made again beyond its image rows: its input images and other extensions' arguments.

Read in ParamLab's ``before_process``, when the run starts: the img2img init images and mask (A1111 has not
resized them yet), img2img's settings, and every always-on script's slice of ``p.script_args``. ParamLab's
``before_process`` may run before or after ControlNet's (A1111 runs always-on scripts in the order of their
extensions' folder names); either way it sees the units as the user gave them, since ControlNet parses them
inside its ``process`` without writing them back. Only references are held here, on the generation thread;
the ledger writer encodes and hashes the images. The operation goes to the writer right after the run's
``StartRun`` (:meth:`CapturedInputs.operation`), when the run's prompts are resolved (Dynamic Prompts).

Left out: ParamLab's own script, the selectable script (X/Y/Z …, whose image rows replay), and A1111's
built-in Sampler/Seed/Refiner scripts, which only copy their UI values to ``p`` in the UI (``setup_for_ui_only``)
and whose values the run's image rows hold. A tile pass of an upscale keeps none (every tile would be an input).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from paramlab.ledger.input_records import InputRecord, RecordRunInputs
from paramlab.replay import extension_values
from paramlab.replay.args_json import ArgsJson
from paramlab.webui.script_args import labelled_args

log = logging.getLogger("paramlab")

OWN_TITLE = "ParamLab"
IMG2IMG_SETTINGS = ("resize_mode", "mask_blur", "inpainting_fill", "inpaint_full_res", "inpaint_full_res_padding",
                    "inpainting_mask_invert", "denoising_strength", "image_cfg_scale", "initial_noise_multiplier",
                    "mask_round")
_reported: set[str] = set()


@dataclass
class CapturedInputs:
    """A run's inputs as read when it started, until its row exists."""

    inputs: list[InputRecord] = field(default_factory=list)
    replay_args: dict[str, Any] = field(default_factory=dict)
    values: list[tuple[str, str, str]] = field(default_factory=list)
    template: str | None = None  # the prompt before Dynamic Prompts resolves it in its process()

    def operation(self, p: Any, run_uid: str) -> RecordRunInputs | None:
        """The ledger operation for the run ``run_uid``; None when there is nothing to keep (a txt2img without
        other extensions' arguments), or (logged) if it cannot be made."""
        if not self.inputs and not self.replay_args:
            return None
        try:
            values = list(self.values)
            for title, section in self.replay_args.get("scripts", {}).items():
                if title.lower().startswith(extension_values.DYNAMIC_PROMPTS):
                    resolved = getattr(p, "all_prompts", None)
                    pairs = extension_values.dynamic_prompts_values(
                        section["args"], self.template, list(resolved) if isinstance(resolved, list) else None)
                    values = [value for value in values if value[0] != title]
                    values.extend((title, name, text) for name, text in pairs)
            return RecordRunInputs(run_uid, self.inputs, self.replay_args, values)
        except Exception as exc:  # noqa: BLE001 - a ParamLab fault must not reach the generation
            report_fault("the run's inputs could not be handed to the ledger", exc)
            return None


def capture_run_inputs(p: Any) -> CapturedInputs | None:
    """The run's inputs and scripts' arguments, by reference; None (logged once) if they cannot be read."""
    try:
        return _capture(p)
    except Exception as exc:  # noqa: BLE001 - a ParamLab fault must not reach the generation
        report_fault("the run's inputs could not be read", exc)
        return None


def _capture(p: Any) -> CapturedInputs:
    walker = ArgsJson()
    captured = CapturedInputs(template=getattr(p, "prompt", None) if isinstance(getattr(p, "prompt", None), str)
                              else None)
    if hasattr(p, "init_images"):
        captured.replay_args["img2img"] = img2img_args(p, walker)
    scripts = {}
    for script in always_on_scripts(p):
        title = script.title()
        args = list(p.script_args[script.args_from:script.args_to])
        as_json = walker.convert(args, f"{title}/args",
                                 lambda path, title=title: extension_values.image_source(title, path))
        labelled = None
        if title.lower() not in (extension_values.CONTROLNET, extension_values.ADETAILER):
            labelled = labelled_args(p, script)
        pairs = extension_values.script_values(title, as_json, labelled, (captured.template, None))
        scripts[title] = {"args": as_json, "values": dict(pairs)}
        captured.values.extend((title, name, text) for name, text in pairs)
    if scripts:
        captured.replay_args["scripts"] = scripts
    captured.inputs = walker.inputs
    return captured


def always_on_scripts(p: Any) -> list[Any]:
    """The always-on scripts whose arguments a replay needs: all but ParamLab's own, A1111's UI-only
    built-ins, and those without arguments."""
    runner = getattr(p, "scripts", None)
    script_args = getattr(p, "script_args", None)
    if runner is None or script_args is None:
        return []
    chosen = []
    for script in getattr(runner, "alwayson_scripts", None) or []:
        start, end = getattr(script, "args_from", None), getattr(script, "args_to", None)
        if start is None or end is None or end <= start or getattr(script, "setup_for_ui_only", False):
            continue
        if script.title() == OWN_TITLE:
            continue
        chosen.append(script)
    return chosen


def img2img_args(p: Any, walker: ArgsJson) -> dict[str, Any]:
    """img2img's settings, with its init images and mask as inputs (role "init", "mask")."""
    section: dict[str, Any] = {name: walker.convert(getattr(p, name, None), f"img2img/{name}", _img2img_label)
                               for name in IMG2IMG_SETTINGS}
    images = getattr(p, "init_images", None) or []
    section["init_images"] = [walker.add_image(image, f"img2img/init_images/{index}", "img2img", "init")
                              for index, image in enumerate(images) if image is not None]
    mask = getattr(p, "image_mask", None)
    section["mask"] = walker.add_image(mask, "img2img/image_mask", "img2img", "mask") if mask is not None else None
    return section


def _img2img_label(path: str) -> tuple[str, str]:
    return "img2img", "script"


def report_fault(what: str, exc: Exception) -> None:
    """Log a capture fault once per kind: the generation goes on without the run's inputs."""
    key = f"{what}:{type(exc).__name__}"
    if key not in _reported:
        _reported.add(key)
        log.exception("ParamLab: %s (generation continues; reported once): %s", what, exc)
