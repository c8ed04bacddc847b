"""Jobs: one press of Generate, one API request, one selectable-script run, and the runs inside it.

A job starts in the ParamLab script's ``setup`` (A1111 calls it once per ``p``, when the UI or the API
assigns the script arguments) and travels with ``p`` and its copies (an X/Y/Z plot's cells), so every
``process_images`` call of it becomes one of its runs. It ends when A1111 ends the request's job
(``shared.state.end()`` clears ``state.job``; a watcher thread looks twice a second) or its ``p`` is
released, whichever comes first; a job still open when the next one starts, or at shutdown, is closed
then. Its end time is its last activity, so the watcher's delay never counts.

A run that raised is closed as ``failed`` at once (see :mod:`paramlab.webui.failures`), and its job with it
unless a script drives the job. A job belongs to one request (``state.begin`` stamps each), so the next
request never joins it: should a run of an earlier request still look open when a new request starts
(its error was raised where ParamLab could not see it), it failed, and its job is closed then.

Tile upscales (Ultimate SD upscale, A1111's SD upscale, and any script alike) are found by their
pattern: runs on the script's own ``p`` with ``do_not_save_samples``, then a save of a larger image on
that ``p`` outside any run (see :mod:`paramlab.webui.tile_jobs`). Those runs are held as possible tile
passes: their images are not written as ledger images unless the job ends without such a save.

The job's id and its ledger images' ids reach the API answer through :class:`JobNote`, kept in
``p.extra_generation_params``: A1111 leaves it out of every infotext (a callable answering None) but
writes it, as a dict, into the generation info JSON (the API's ``info``).
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any, Protocol

from paramlab.ledger.job_operations import FinishJob, ReleaseParts, StartJob
from paramlab.ledger.operations import Operation
from paramlab.ledger.owner import this_process
from paramlab.ledger.records import ImageRecord, JobRecord, utc_now
from paramlab.webui import script_args

log = logging.getLogger("paramlab")

JOB_ATTRIBUTE = "paramlab_job"  # on p (and so on its copies): the JobRecorder it belongs to
NOTE_KEY = "ParamLab"  # in p.extra_generation_params, so in the generation info JSON
STATUS_ORDER = ("failed", "interrupted", "skipped", "ok")  # a job's status is its worst run's
UNSEEN_FAILURE = ("process_images stopped before it finished, with an error ParamLab could not read (raised "
                  "outside its generation loop, e.g. while a checkpoint loaded); the WebUI's console shows it")


class OpenRun(Protocol):
    """A run of the job still inside ``process_images`` (a :class:`~paramlab.webui.recorder.RunRecorder`)."""

    finished: bool

    def fail(self, p: Any, error_type: str | None, error: str) -> Any: ...


class JobNote(dict):
    """``{"job": uid, "images": [uid, …]}`` in the generation info JSON, never in an infotext: A1111
    calls callables in ``extra_generation_params`` and leaves out those answering None."""

    def __call__(self, **_infotext_locals: Any) -> None:
        return None


@dataclasses.dataclass
class HeldPass:
    """A run held as a possible tile pass: its records (without pixels) and its settings."""

    run_uid: str
    images: list[ImageRecord]
    settings: dict[str, Any]


class JobRecorder:
    """One job between its ``setup`` and its end; ``submit`` takes its operations."""

    def __init__(self, job: JobRecord, submit: Callable[[Operation], None], *, root_id: int,
                 is_script: bool, extra_params: dict[str, Any] | None = None, input_image: Any = None,
                 request: Any = None):
        self.job = job
        self.request = request  # which request of A1111's it belongs to (see current_request)
        self.submit = submit
        self.root_id = root_id  # id() of the p its script was given
        self.is_script = is_script
        self.script_arguments: dict[str, Any] = {}
        self.extra_params = extra_params if extra_params is not None else {}  # the root p's, for the upscale
        self.input_image = input_image  # img2img's first init image: a tile upscale's source
        self.note = JobNote(job=job.job_uid, images=[])
        self.started = False
        self.finished = False
        self._finishing = threading.Lock()
        self.open_runs: list[OpenRun] = []
        self.statuses: list[str] = []
        self.errors: list[str] = []
        self.failure: tuple[str | None, str] | None = None  # the first failed run's (error type, error)
        self.held: list[HeldPass] = []  # possible tile passes since the last combined image
        self.outputs = 0
        self.clock_start = time.perf_counter()
        self.segment_start = (self.clock_start, job.started_at)  # since the last combined image
        self.last_activity = (self.clock_start, job.started_at)

    # -- the job's life --------------------------------------------------------------------------

    def ensure_started(self) -> None:
        if not self.started:
            self.started = True
            self.submit(StartJob(dataclasses.replace(self.job)))

    def touch(self) -> None:
        self.last_activity = (time.perf_counter(), utc_now())

    @property
    def active_runs(self) -> int:
        return len(self.open_runs)

    def run_began(self, run: OpenRun) -> None:
        """A run of this job is in ``process_images`` (from ``before_process`` to ``postprocess``)."""
        self.open_runs.append(run)
        self.touch()

    def image_recorded(self, image_uid: str) -> None:
        self.note["images"].append(image_uid)

    def run_finished(self, run: OpenRun, status: str, error_type: str | None, error: str | None,
                     held: HeldPass | None) -> None:
        if run in self.open_runs:
            self.open_runs.remove(run)
        self.statuses.append(status)
        if status == "failed" and self.failure is None:
            self.failure = (error_type, error or "")
        elif error:
            self.errors.append(error)
        if held is not None:
            self.held.append(held)
        self.touch()

    def fail_open_runs(self, error: str) -> None:
        """Runs still open after their request ended raised where ParamLab could not see it: failed."""
        for run in list(self.open_runs):
            try:
                run.fail(None, None, error)
            except Exception as exc:  # noqa: BLE001 - the other runs and the job must still be closed
                log.error("ParamLab: could not close a failed run: %s", exc)
            if run in self.open_runs:
                self.open_runs.remove(run)

    def holds_tile_passes(self, p: Any) -> bool:
        """Runs on the script's own p that save nothing may be the tile passes of an upscale."""
        return self.is_script and id(p) == self.root_id and bool(getattr(p, "do_not_save_samples", False))

    def finish(self) -> None:
        """The job is over: held passes that no combined image followed become ordinary runs."""
        with self._finishing:
            if self.finished:
                return
            self.finished = True
        if not self.started:
            return
        for held in self.held:
            self.submit(ReleaseParts(held.run_uid, held.images))
            for image in held.images:
                self.image_recorded(image.image_uid)
        self.held = []
        clock, when = self.last_activity
        status = next((s for s in STATUS_ORDER if s in self.statuses), "ok")
        error_type, error = self.failure if self.failure is not None else (None, None)
        error = error or (self.errors[0] if self.errors else None)
        self.submit(FinishJob(self.job.job_uid, status, wall_seconds=max(clock - self.clock_start, 0.0),
                              finished_at=when, error=error, error_type=error_type))

    # -- the note in the generation info ----------------------------------------------------------

    def put_note(self, p: Any) -> None:
        """Keep the note in p's generation params (a script may have replaced the dict)."""
        params = getattr(p, "extra_generation_params", None)
        if isinstance(params, dict) and params.get(NOTE_KEY) is not self.note:
            params[NOTE_KEY] = self.note


# -- the open jobs of this process ---------------------------------------------------------------

OPEN_JOBS: list[JobRecorder] = []
WATCH_SECONDS = 0.5
_watcher: threading.Thread | None = None
_watcher_lock = threading.Lock()


def _request_is_over() -> bool:
    """A1111 brackets every UI, API and Extras job with ``state.begin``/``state.end``; ``end`` clears
    ``state.job``."""
    from modules import shared

    return not getattr(shared.state, "job", "")


def current_request() -> tuple[Any, Any]:
    """Which request is going on: ``state.begin`` stamps each with its start time and timestamp, and A1111
    runs one request at a time (the queue lock), so a job from another request cannot still be running."""
    from modules import shared

    state = shared.state
    return getattr(state, "time_start", None), getattr(state, "job_timestamp", None)


def _watch() -> None:
    while True:
        time.sleep(WATCH_SECONDS)
        try:
            seen = time.perf_counter()
            if OPEN_JOBS and _request_is_over():
                finish_idle_jobs(started_before=seen)  # not one that began after the look
        except Exception as exc:  # noqa: BLE001 - the watcher must outlive any one fault
            log.error("ParamLab: closing a finished job failed: %s", exc)


def _ensure_watcher() -> None:
    global _watcher
    with _watcher_lock:
        if _watcher is None or not _watcher.is_alive():
            _watcher = threading.Thread(target=_watch, name="paramlab-jobs", daemon=True)
            _watcher.start()


def job_of(p: Any) -> JobRecorder | None:
    job = getattr(p, JOB_ATTRIBUTE, None)
    return job if isinstance(job, JobRecorder) and not job.finished else None


def start_job(p: Any, tab: str, submit: Callable[[Operation], None]) -> JobRecorder:
    """A new job for ``p`` (from setup, or at its first run when setup never ran). A ``p`` made while a
    run of the same request is going on (an extension's inner pass, e.g. ADetailer) joins the job of that run
    instead; a run of an earlier request that still looks open failed unseen, and its job is closed."""
    request = current_request()
    running = next((job for job in reversed(OPEN_JOBS) if job.active_runs), None)
    if running is not None and running.request == request:
        _attach(p, running)
        return running
    for stale in [job for job in OPEN_JOBS if job.active_runs]:
        stale.fail_open_runs(UNSEEN_FAILURE)
    finish_idle_jobs()
    script = script_args.selected_script(p)
    arguments = script_args.labelled_args(p, script) if script is not None else {}
    init_images = getattr(p, "init_images", None) or []
    job = JobRecord(
        tab=tab, source="api" if getattr(p, "is_api", False) else "ui",
        kind="script" if script is not None else "generate",
        script_name=script.title() if script is not None else None,
        script_args=script_args.args_json(arguments), owner=this_process().text(),
    )
    params = getattr(p, "extra_generation_params", None)
    recorder = JobRecorder(job, submit, root_id=id(p), is_script=script is not None,
                           extra_params=params if isinstance(params, dict) else None,
                           input_image=init_images[0] if init_images else None, request=request)
    recorder.script_arguments = arguments
    OPEN_JOBS.append(recorder)
    _ensure_watcher()
    _attach(p, recorder)
    weakref.finalize(p, end_job, recorder)
    return recorder


def _attach(p: Any, job: JobRecorder) -> None:
    try:
        setattr(p, JOB_ATTRIBUTE, job)
    except AttributeError:  # an odd p with __slots__: its runs get a job each
        return
    job.put_note(p)


def end_job(job: JobRecorder) -> None:
    """The request is done (A1111 ended its job, or released its p)."""
    try:
        OPEN_JOBS.remove(job)
    except ValueError:  # already ended by the other path
        pass
    try:
        job.finish()
    except Exception as exc:  # noqa: BLE001 - runs in a GC finaliser: never raise from here
        log.error("ParamLab: could not close a job: %s", exc)


def close_jobs_at_shutdown() -> None:
    """Close what can be closed before the WebUI stops. A run still open after its request ended raised
    unseen: failed. One whose request is still going stays ``running``: the next start closes it as
    ``interrupted``, which it is."""
    if _request_is_over():
        for job in [job for job in OPEN_JOBS if job.active_runs]:
            job.fail_open_runs(UNSEEN_FAILURE)
    finish_idle_jobs()


def finish_idle_jobs(started_before: float | None = None) -> None:
    """A1111 runs one job at a time: jobs with no run going on when a new one starts are over."""
    for job in [job for job in OPEN_JOBS if not job.active_runs]:
        if started_before is None or job.clock_start < started_before:
            end_job(job)
