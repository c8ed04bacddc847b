"""The AlwaysVisible ``ParamLab`` script: applies the run's profile and seed lock, and records every
``process_images`` call into the ledger.

Each hook only sets ``p`` fields, notes timestamps and does cheap ``p`` reads; a fault in ParamLab is
logged once and never reaches the generation (see :func:`never_fails_generation`), while bad user input stops the
run before sampling with a clear message (see :func:`stop_before_sampling`).
"""

from __future__ import annotations

import functools
import logging
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

import gradio as gr
from modules import scripts, shared

from paramlab.args import INFOTEXT_KEYS, ParamLabArgs, ParamLabArgsError, parse_script_args
from paramlab.gradio_compat import update
from paramlab.ledger import LedgerError
from paramlab.ledger.reads.abtest import VARIANT_KEY
from paramlab.profiles import ProfileError
from paramlab.seeds import SeedLockError
from paramlab.tab.guard import build_part
from paramlab.webui import (
    axis_values,
    failures,
    jobs,
    panel_lists,
    profile_apply,
    profile_panel,
    rng_state,
    run_inputs,
    runtime,
    seed_lock,
    seed_panel,
    settings,
    tile_jobs,
)
from paramlab.webui.recorder import RunRecorder

log = logging.getLogger("paramlab")
Hook = TypeVar("Hook", bound=Callable[..., Any])

# Runs in progress, by id(p): on_image_saved finds its run here. Entries leave at postprocess or, if
# process_images raised, at once (run_failed, from paramlab.webui.failures) or, as a last resort, when p is
# garbage-collected (recorded "failed").
ACTIVE_RUNS: dict[int, RunRecorder] = {}
SEED_LOCKS: dict[int, seed_lock.ActiveLock] = {}  # runs with a seed lock or policy, by id(p)
_reported_faults: set[str] = set()
_axis_notes_logged: set[str] = set()


def never_fails_generation(hook: Hook) -> Hook:
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
        """The accordion; if it cannot be built, a one-line note instead, and runs still use the defaults."""
        tabname = "img2img" if is_img2img else "txt2img"
        state = gr.State(value=ParamLabArgs().to_ui_value())
        build_part(f"the ParamLab accordion in {tabname}", lambda: self._build_accordion(tabname, is_img2img, state),
                   elem_id=self.elem_id("panel"))
        return [state]

    def _build_accordion(self, tabname: str, is_img2img: bool, state: Any) -> None:
        defaults = ParamLabArgs().to_ui_value()
        with gr.Accordion("ParamLab", open=False, elem_id=self.elem_id("accordion")):
            with gr.Tab("Profiles", elem_id=self.elem_id("tab_profiles")) as profiles_section:
                panel, profile, apply_at_generation, _refresh = profile_panel.build_panel(
                    tabname, is_img2img, self.elem_id)
            with gr.Tab("Seed lock & series", elem_id=self.elem_id("tab_seeds")) as seeds_section:
                seeds = seed_panel.build_seed_panel(tabname, self.elem_id)
            record = gr.Checkbox(
                value=defaults["record"], label="Record this run in the ledger", elem_id=self.elem_id("record"),
            )
        panel.on_wired.append(lambda fields: seed_panel.wire_seed_field(seeds, fields))
        seed_panel.wire_series_profile(seeds, profile)
        panel_lists.wire_lists(tabname, profile, seeds.series, [profiles_section, seeds_section])
        inputs = [record, profile, apply_at_generation, *seeds.arg_controls()]
        for control in inputs:
            control.change(fn=compose_args, inputs=inputs, outputs=[state], show_progress=False)
        # Callables, so values reach the dropdowns as-is (A1111 converts plain values with the
        # component's current value type, which is None for an empty dropdown).
        self.infotext_fields = [(profile, paste_profile), (seeds.series, seed_panel.paste_series),
                                (seeds.policy, seed_panel.paste_policy)]
        self.paste_field_names = [INFOTEXT_KEYS["profile"], INFOTEXT_KEYS["series"], seed_lock.POLICY_INFOTEXT_KEY]

    # -- processing hooks ----------------------------------------------------------------------

    @never_fails_generation
    def setup(self, p: Any, *script_args: Any) -> None:
        """A1111 calls this once per press of Generate or API request (when it assigns the script
        arguments to a new ``p``): the job starts here."""
        if not settings.recording_enabled():
            return
        try:
            args = parse_script_args(script_args[0] if script_args else None)
        except ParamLabArgsError:
            args = ParamLabArgs()  # before_process reports it
        if args.record:
            jobs.start_job(p, self._tab(), runtime.get_writer().submit)

    def _tab(self) -> str:
        return "img2img" if self.is_img2img else "txt2img"

    @never_fails_generation
    def before_process(self, p: Any, *script_args: Any) -> None:
        if is_copy_of_a_running_p(p):
            return
        try:
            args, problem = parse_script_args(script_args[0] if script_args else None), None
        except ParamLabArgsError as exc:
            args, problem = ParamLabArgs(), str(exc)
        if problem is None:
            problem = self._apply_settings(p, args)
        if problem is not None:
            stop_before_sampling(p, problem)
        if not (settings.recording_enabled() and args.record):
            return
        source, script_name = _source(p)
        submit = runtime.get_writer().submit
        job = jobs.job_of(p) or jobs.start_job(p, self._tab(), submit)
        job.put_note(p)
        holds_images = job.holds_tile_passes(p)
        recorder = RunRecorder(p, self._tab(), source, script_name, problem, submit=submit, job=job,
                               holds_images=holds_images,
                               inputs=None if holds_images else run_inputs.capture_run_inputs(p))
        ACTIVE_RUNS[id(p)] = recorder
        weakref.finalize(p, _abandon, id(p), recorder)

    def _apply_settings(self, p: Any, args: ParamLabArgs) -> str | None:
        """Seed lock (and its series) first, then the profile; returns the problem that stops the run.

        Only the run's own ``profile`` (the panel's "Apply at generation", the API's key) is applied: a
        series' profile is a suggestion the panel shows, never applied behind the fields' back. Values an
        X/Y/Z axis set for this cell win over both the profile and the locked seed."""
        set_by_axis = axis_values.set_by_axis(p)
        try:
            active = (seed_lock.resolve_lock(p, args.seed_lock, keep=set_by_axis)
                      if args.seed_lock is not None else None)
            if args.profile and not profile_apply.profile_applied_by_axis(p) and not is_abtest_cell(p):
                profile = profile_apply.load_profile(args.profile)
                kept = profile_apply.kept_by_axis(profile.settings, set_by_axis)
                profile_apply.apply_profile(p, profile, is_img2img=self.is_img2img, keep=set_by_axis)
                if kept:
                    note_axis_wins(p, f"profile {profile.name!r}", kept)
        except (ProfileError, SeedLockError, LedgerError) as exc:
            return str(exc)
        if active is not None:
            SEED_LOCKS[id(p)] = active
            weakref.finalize(p, SEED_LOCKS.pop, id(p), None)
        return None

    @never_fails_generation
    def process(self, p: Any, *script_args: Any) -> None:
        if (active := SEED_LOCKS.get(id(p))) is not None:
            seed_lock.apply_plan(p, active)
        self._restore_or_keep_rng_state(p, script_args)

    def _restore_or_keep_rng_state(self, p: Any, script_args: tuple[Any, ...]) -> None:
        """A replay restores torch's global random state here, before ``p.init`` VAE-encodes; a recorded run
        that will sample from it (img2img, hires) keeps the state it starts from."""
        if not rng_state.samples_global_rng(p) or is_copy_of_a_running_p(p):
            return
        try:
            args = parse_script_args(script_args[0] if script_args else None)
        except ParamLabArgsError:
            return  # before_process has already stopped the run
        if args.torch_rng_state:
            rng_state.restore_state(p, dict(args.torch_rng_state))
        if (recorder := ACTIVE_RUNS.get(id(p))) is not None:
            recorder.keep_rng_state(rng_state.read_state())

    @never_fails_generation
    def before_process_batch(self, p: Any, *script_args: Any, **kwargs: Any) -> None:
        if (active := SEED_LOCKS.get(id(p))) is not None:
            seed_lock.rebuild_rng(p, active)
        if (recorder := ACTIVE_RUNS.get(id(p))) is not None:
            recorder.batch_started(p, int(kwargs.get("batch_number", 0)))

    @never_fails_generation
    def after_extra_networks_activate(self, p: Any, *script_args: Any, **kwargs: Any) -> None:
        if (recorder := ACTIVE_RUNS.get(id(p))) is not None:
            recorder.hires_preparing(p)

    @never_fails_generation
    def before_hr(self, p: Any, *script_args: Any) -> None:
        if (active := SEED_LOCKS.get(id(p))) is not None:
            seed_lock.rebuild_rng(p, active)
        if (recorder := ACTIVE_RUNS.get(id(p))) is not None:
            recorder.hires_preparing(p)

    @never_fails_generation
    def process_before_every_sampling(self, p: Any, *script_args: Any, **kwargs: Any) -> None:
        if (active := SEED_LOCKS.get(id(p))) is not None:
            seed_lock.refill_hires_noise(p, active, kwargs.get("noise"))
        if (recorder := ACTIVE_RUNS.get(id(p))) is not None:
            recorder.sampling_started(p)

    @never_fails_generation
    def post_sample(self, p: Any, ps: Any, *script_args: Any) -> None:
        if (recorder := ACTIVE_RUNS.get(id(p))) is not None:
            recorder.sampling_ended()

    @never_fails_generation
    def postprocess_batch(self, p: Any, *script_args: Any, **kwargs: Any) -> None:
        if (recorder := ACTIVE_RUNS.get(id(p))) is not None:
            recorder.batch_decoded()

    @never_fails_generation
    def postprocess_image(self, p: Any, pp: Any, *script_args: Any) -> None:
        if (active := SEED_LOCKS.get(id(p))) is not None:
            seed_lock.image_strength(p, active)

    @never_fails_generation
    def postprocess_image_after_composite(self, p: Any, pp: Any, *script_args: Any) -> None:
        if (recorder := ACTIVE_RUNS.get(id(p))) is not None:
            recorder.image_done(p, pp.image)

    @never_fails_generation
    def postprocess(self, p: Any, processed: Any, *script_args: Any) -> None:
        SEED_LOCKS.pop(id(p), None)
        recorder = ACTIVE_RUNS.pop(id(p), None)
        if recorder is not None and not recorder.finished:
            recorder.finish(p, processed)


@never_fails_generation
def on_image_saved(params: Any) -> None:
    """Link the saved file to its row (grids and "before hires" copies match no row and are ignored);
    a save on a job's ``p`` outside its runs may be a tile upscale's combined image."""
    if params.p is None or not params.filename:
        return
    recorder = ACTIVE_RUNS.get(id(params.p))
    if recorder is not None:
        recorder.link_saved(params.image, params.filename)
        return
    job = jobs.job_of(params.p)
    if job is not None:
        infotext = (getattr(params, "pnginfo", None) or {}).get("parameters")
        tile_jobs.record_combined_image(job, params.p, params.image, params.filename, infotext)


def paste_profile(params: dict[str, Any]) -> Any:
    """Pasting an image's infotext selects the profile it was made with."""
    name = params.get(INFOTEXT_KEYS["profile"])
    return update(value=name, choices=profile_panel.profile_names()) if name else None


def compose_args(record: bool, profile: str | None, apply_at_generation: bool, *seed_controls: Any) -> dict[str, Any]:
    """The script's one arg, from the panel's controls."""
    value: dict[str, Any] = {"record": bool(record), "profile": (profile or None) if apply_at_generation else None}
    if seed_controls:
        value["seed_lock"] = seed_panel.seed_lock_value(*seed_controls)
    return value


ERROR_INFOTEXT_KEY = "ParamLab error"


def is_abtest_cell(p: Any) -> bool:
    """A cell of an A/B test runs its variant's settings: the panel's profile must not replace them."""
    return VARIANT_KEY in (getattr(p, "extra_generation_params", None) or {})


def note_axis_wins(p: Any, what: str, keys: list[str]) -> None:
    """Say (in the UI's comments and the console) that the X/Y/Z axis kept its values over ParamLab's."""
    text = f"ParamLab: the X/Y/Z axis sets {', '.join(keys)} in this grid, so {what} does not change it."
    if hasattr(p, "comment"):
        p.comment(text)
    if text not in _axis_notes_logged:  # once, not once per cell
        _axis_notes_logged.add(text)
        log.warning(text)  # the WebUI's console shows WARNING and up only (no logging set up by default)


def stop_before_sampling(p: Any, problem: str) -> None:
    """Bad ParamLab input must not produce a run with silently wrong settings: stop before any
    sampling (the loop sees ``interrupted``) and say why in the console, in the UI's comments and,
    for API callers, in the response's ``info`` (its ``extra_generation_params``)."""
    log.error("%s The run was stopped before sampling.", problem)
    if hasattr(p, "comment"):
        p.comment(problem)
    p.extra_generation_params = {**(getattr(p, "extra_generation_params", None) or {}), ERROR_INFOTEXT_KEY: problem}
    shared.state.interrupted = True


def is_copy_of_a_running_p(p: Any) -> bool:
    """ADetailer calls every always-on script's ``before_process``/``process``/``postprocess`` again on a
    shallow copy of the ``p`` being generated (once per batch, even when it detects nothing). That is no
    ``process_images`` call: no new run, no settings applied again. A copy shares its original's
    ``script_args``; an X/Y/Z cell (also a copy) starts only after the previous cell's run has ended."""
    script_args = getattr(p, "script_args", None)
    if script_args is None:
        return False
    for recorder in list(ACTIVE_RUNS.values()):
        running = recorder.live_p()
        if running is not None and running is not p and not recorder.finished \
                and getattr(running, "script_args", None) is script_args:
            return True
    return False


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


def run_failed(p: Any, exc: BaseException) -> None:
    """``process_images`` raised for ``p`` (told by :mod:`paramlab.webui.failures`): its run ends now as
    ``failed`` with A1111's error, and so does its job when nothing else of it runs and no script drives it
    (a script's job ends when A1111 ends the request, a moment later)."""
    SEED_LOCKS.pop(id(p), None)
    recorder = ACTIVE_RUNS.pop(id(p), None)
    if recorder is None or recorder.finished:
        return
    error_type, error = failures.error_of(exc)
    recorder.fail(p, error_type, error)
    job = recorder.job
    if job is not None and not job.active_runs and not job.is_script:
        jobs.end_job(job)


def _abandon(p_id: int, recorder: RunRecorder) -> None:
    """``p`` died before ``postprocess`` and no one saw its run end: process_images raised unseen."""
    if ACTIVE_RUNS.get(p_id) is recorder:
        del ACTIVE_RUNS[p_id]
    if recorder.finished:
        return
    try:
        recorder.fail(None, None, jobs.UNSEEN_FAILURE)
    except Exception as exc:  # noqa: BLE001 - runs inside a GC finaliser: never raise from here
        log.error("ParamLab: could not record a failed run: %s", exc)
