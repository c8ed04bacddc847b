"""Failed generations: noticing that ``process_images`` raised, at once, with A1111's own error.

Where an extension can see such an exception (read from A1111 v1.10.1 and Forge):

- No Script hook runs: ``postprocess`` is the last line of ``process_images_inner``, which the exception
  skips, and ``process_images`` only restores the override settings in its ``finally``.
- No ``script_callbacks`` callback is about errors. The UI's ``wrap_gradio_call`` reports the error and
  returns it as HTML; the API's middleware prints it (through rich, not ``errors.report``). Neither hands it
  to an extension.
- ``shared.state`` shows only that the request ended (``end()`` in the API's ``finally``; the UI's
  ``wrap_gradio_call`` clears ``state.job``), not whether it failed or why; and an extension that runs an
  Extras operation inside a generation ends the state the same way.
- ``p`` is released once the exception is gone, which for a traceback's reference cycle means whenever the
  garbage collector runs: until then the run stayed open, and the next request joined its job.

So ParamLab wraps ``modules.processing.process_images_inner``, once. ``process_images`` looks that name up
in its module at every call (A1111 and Forge alike), so the wrapper sees every run: the UI's, the API's
(which imported ``process_images`` itself by name, so wrapping that would miss it), each X/Y/Z cell's and
another extension's inner pass. It gets the exception itself, the NaN check's and an out-of-memory error
alike, while the run's override settings are still applied. It costs one call frame, does nothing when the
run succeeds, never lets a ParamLab fault out, and re-raises the original exception (the same object, with
its traceback), so A1111 reports it exactly as before. An exception between ``before_process`` and the
inner function (a checkpoint that fails to load) is caught by the job's fallbacks (:mod:`.jobs`).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from paramlab.ledger.failures import MAX_ERROR_CHARS
from paramlab.webui.host_info import schedule_label

log = logging.getLogger("paramlab")

WRAPPED_MARK = "_paramlab_notes_failures"
MAX_WRAPPERS_FOLLOWED = 20  # other extensions' wrappers around ours, followed through ``__wrapped__``
OnFailure = Callable[[Any, BaseException], None]


def install(on_failure: OnFailure) -> bool:
    """Wrap ``process_images_inner`` unless ParamLab's wrapper is already in its chain (a "Reload UI" runs
    this again); False when the host has no such function (then only the fallbacks notice failures)."""
    from modules import processing

    inner = getattr(processing, "process_images_inner", None)
    if not callable(inner):
        log.warning("ParamLab: this WebUI has no processing.process_images_inner; a failed generation is "
                    "recorded when the next one starts, without its error.")
        return False
    if not is_watched(inner):
        processing.process_images_inner = watching(inner, on_failure)
    return True


def is_watched(function: Any) -> bool:
    for _ in range(MAX_WRAPPERS_FOLLOWED):
        if function is None:
            return False
        if getattr(function, WRAPPED_MARK, False):
            return True
        function = getattr(function, "__wrapped__", None)
    return False


def watching(inner: Callable[..., Any], on_failure: OnFailure) -> Callable[..., Any]:
    """``inner`` that tells ``on_failure(p, exc)`` when it raises, then raises the same exception on."""

    @functools.wraps(inner)
    def process_images_inner(p: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return inner(p, *args, **kwargs)
        except Exception as exc:
            _tell(on_failure, p, exc)
            raise

    setattr(process_images_inner, WRAPPED_MARK, True)
    return process_images_inner


def _tell(on_failure: OnFailure, p: Any, exc: Exception) -> None:
    try:
        on_failure(p, exc)
    except Exception as fault:  # noqa: BLE001 - by design: the generation's own error must reach A1111 as it is
        log.error("ParamLab: could not record a failed generation (%s); A1111 reports its error.", fault)


def error_of(exc: BaseException) -> tuple[str, str]:
    """The exception's class name and its message, as A1111 shows them (``f"{type(e).__name__}: {e}"``)."""
    try:
        message = str(exc)
    except Exception:  # noqa: BLE001 - an exception whose __str__ fails still has a class
        message = ""
    return type(exc).__name__, (message or "(no message)")[:MAX_ERROR_CHARS]


def attempt_settings(p: Any) -> dict[str, Any]:
    """What the failed batch was making (its images never existed), for the run's ``settings``: which
    sampler, size and seeds fail is what the ledger should show."""
    seeds = _ints(getattr(p, "seeds", None))
    in_loop = bool(seeds)  # p.seeds is sliced at each batch's start
    seeds = seeds or _ints(getattr(p, "all_seeds", None))
    prompts = _list(getattr(p, "prompts", None)) or _list(getattr(p, "all_prompts", None))
    negatives = _list(getattr(p, "negative_prompts", None)) or _list(getattr(p, "all_negative_prompts", None))
    is_img2img = hasattr(p, "init_images")
    enable_hr = bool(getattr(p, "enable_hr", False)) and not is_img2img
    batch = f"batch {(_int(p, 'iteration') or 0) + 1} of {_int(p, 'n_iter') or 1}"
    settings: dict[str, Any] = {
        "failed_in": (f"the hires pass of {batch}" if getattr(p, "is_hr_pass", False) else batch)
        if in_loop else "before sampling",
        "sampler": getattr(p, "sampler_name", None),
        "scheduler": schedule_label(getattr(p, "scheduler", None)),
        "steps": _int(p, "steps"),
        "cfg_scale": _float(p, "cfg_scale"),
        "width": _int(p, "width"),
        "height": _int(p, "height"),
        "batch_size": _int(p, "batch_size"),
        "seed": seeds[0] if seeds else _int(p, "seed"),
        "seeds": seeds or None,
        "prompt": str(prompts[0]) if prompts else _text(getattr(p, "prompt", None)),
        "negative_prompt": str(negatives[0]) if negatives else _text(getattr(p, "negative_prompt", None)),
        "denoising_strength": _float(p, "denoising_strength") if is_img2img or enable_hr else None,
    }
    if enable_hr:
        settings.update({
            "hires_upscaler": getattr(p, "hr_upscaler", None), "hires_scale": _float(p, "hr_scale"),
            "hires_steps": _int(p, "hr_second_pass_steps") or None,
            "hires_width": _int(p, "hr_upscale_to_x") or None, "hires_height": _int(p, "hr_upscale_to_y") or None,
        })
    return {key: value for key, value in settings.items() if value not in (None, "")}


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else []


def _ints(value: Any) -> list[int]:
    try:
        return [int(item) for item in _list(value)]
    except (TypeError, ValueError):
        return []


def _int(p: Any, name: str) -> int | None:
    try:
        return int(getattr(p, name))
    except (AttributeError, TypeError, ValueError):
        return None


def _float(p: Any, name: str) -> float | None:
    try:
        return float(getattr(p, name))
    except (AttributeError, TypeError, ValueError):
        return None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None
