"""The AlwaysVisible ``ParamLab`` script: records every ``process_images`` call into the ledger.

Each hook only notes timestamps and cheap ``p`` reads; a fault in ParamLab is logged once and never
reaches the generation (see :func:`guarded`).
"""

from __future__ import annotations

import functools
import logging
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

import gradio as gr
from modules import scripts

from paramlab.args import ParamLabArgs, ParamLabArgsError, parse_script_args
from paramlab.webui import runtime, settings
from paramlab.webui.recorder import RunRecorder

log = logging.getLogger("paramlab")
Hook = TypeVar("Hook", bound=Callable[..., Any])

# Runs in progress, by id(p): on_image_saved finds its run here. Entries leave at postprocess or,
# if process_images raised, when p is garbage-collected (recorded with status "error").
ACTIVE_RUNS: dict[int, RunRecorder] = {}
_reported_faults: set[str] = set()


def guarded(hook: Hook) -> Hook:
    """Never let a ParamLab fault reach the generation; report each kind of fault once."""

    @functools.wraps(hook)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return hook(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - by design: a ParamLab bug must not fail a generation
            key = f"{hook.__name__}:{type(exc).__name__}"
            if key not in _reported_faults:
                _reported_faults.add(key)
                log.exception("ParamLab: %s failed (generation continues; reported once): %s", hook.__name__, exc)
            return None

    return wrapper  # type: ignore[return-value]


class ParamLabScript(scripts.Script):
    """Title ``ParamLab``; its one arg is a dict validated by :class:`ParamLabArgs`."""

    def title(self) -> str:
        return "ParamLab"

    def show(self, is_img2img: bool) -> Any:
        return scripts.AlwaysVisible

    def ui(self, is_img2img: bool) -> list[Any]:
        defaults = ParamLabArgs().to_ui_value()
        with gr.Accordion("ParamLab", open=False, elem_id=self.elem_id("accordion")):
            record = gr.Checkbox(
                value=defaults["record"], label="Record this run in the ledger",
                elem_id=self.elem_id("record"),
            )
            gr.Markdown("Settings, cost and image links of each generation go to the ParamLab ledger.")
        state = gr.State(value=defaults)
        record.change(fn=_with_record, inputs=[record, state], outputs=[state], show_progress=False)
        return [state]

    # -- processing hooks ----------------------------------------------------------------------

    @guarded
    def before_process(self, p: Any, *script_args: Any) -> None:
        try:
            args, args_error = parse_script_args(script_args[0] if script_args else None), None
        except ParamLabArgsError as exc:
            args, args_error = ParamLabArgs(), str(exc)
            log.error("%s The run is recorded with default options.", exc)
        if not (settings.recording_enabled() and args.record):
            return
        source, script_name = _source(p)
        recorder = RunRecorder(p, "img2img" if self.is_img2img else "txt2img", source, script_name, args_error)
        ACTIVE_RUNS[id(p)] = recorder
        weakref.finalize(p, _abandon, id(p), recorder)

    @guarded
    def before_process_batch(self, p: Any, *script_args: Any, **kwargs: Any) -> None:
        if (recorder := ACTIVE_RUNS.get(id(p))) is not None:
            recorder.batch_started(int(kwargs.get("batch_number", 0)))

    @guarded
    def after_extra_networks_activate(self, p: Any, *script_args: Any, **kwargs: Any) -> None:
        if (recorder := ACTIVE_RUNS.get(id(p))) is not None:
            recorder.hires_preparing(p)

    @guarded
    def before_hr(self, p: Any, *script_args: Any) -> None:
        if (recorder := ACTIVE_RUNS.get(id(p))) is not None:
            recorder.hires_preparing(p)

    @guarded
    def process_before_every_sampling(self, p: Any, *script_args: Any, **kwargs: Any) -> None:
        if (recorder := ACTIVE_RUNS.get(id(p))) is not None:
            recorder.sampling_started(p)

    @guarded
    def post_sample(self, p: Any, ps: Any, *script_args: Any) -> None:
        if (recorder := ACTIVE_RUNS.get(id(p))) is not None:
            recorder.sampling_ended()

    @guarded
    def postprocess_batch(self, p: Any, *script_args: Any, **kwargs: Any) -> None:
        if (recorder := ACTIVE_RUNS.get(id(p))) is not None:
            recorder.batch_decoded()

    @guarded
    def postprocess_image_after_composite(self, p: Any, pp: Any, *script_args: Any) -> None:
        if (recorder := ACTIVE_RUNS.get(id(p))) is not None:
            recorder.image_done(p, pp.image)

    @guarded
    def postprocess(self, p: Any, processed: Any, *script_args: Any) -> None:
        recorder = ACTIVE_RUNS.pop(id(p), None)
        if recorder is not None and not recorder.finished:
            runtime.get_writer().submit(recorder.finish(p, processed))


@guarded
def on_image_saved(params: Any) -> None:
    """Link the saved file to its row (grids and "before hires" copies match no row and are ignored)."""
    recorder = ACTIVE_RUNS.get(id(params.p)) if params.p is not None else None
    if recorder is not None and params.filename:
        recorder.link_saved(params.image, params.filename)


def _with_record(record: bool, state: dict[str, Any] | None) -> dict[str, Any]:
    return {**(state or {}), "record": bool(record)}


def _source(p: Any) -> tuple[str, str | None]:
    """"script" when a Script-dropdown script (e.g. X/Y/Z plot) drives the run, else "api" or "ui"."""
    script_index = 0
    script_args = getattr(p, "script_args", None) or ()
    if script_args and isinstance(script_args[0], int):
        script_index = script_args[0]
    runner = getattr(p, "scripts", None)
    selectable = getattr(runner, "selectable_scripts", None) or []
    if 0 < script_index <= len(selectable):
        return "script", selectable[script_index - 1].title()
    return ("api" if getattr(p, "is_api", False) else "ui"), None


def _abandon(p_id: int, recorder: RunRecorder) -> None:
    """``p`` died before ``postprocess``: process_images raised. Record the run as an error."""
    if ACTIVE_RUNS.get(p_id) is recorder:
        del ACTIVE_RUNS[p_id]
    if recorder.finished:
        return
    try:
        run = recorder.finish(None, None, status="error")
        run.error = run.error or "process_images stopped with an exception before it finished"
        runtime.get_writer().submit(run)
    except Exception as exc:  # noqa: BLE001 - runs inside a GC finaliser: never raise from here
        log.error("ParamLab: could not record a failed run: %s", exc)
