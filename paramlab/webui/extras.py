"""Recording the Extras tab (and the API's extra-single-image and extra-batch-images) as upscale jobs.

``ParamLabExtras`` is a postprocessing script like A1111's own Upscale or GFPGAN, ordered last, so its
``process_firstpass`` (called for every script before any ``process``) marks when work on an image
starts and its ``process`` sees the finished image: the upscaler(s), scale or target size, input →
output size and seconds. ``on_image_saved`` links the saved file; when the input image is released
(A1111 has saved it, or not: the API never saves) its row is written. One call of A1111's
``run_postprocessing`` (one image, or a batch) is one job. The input is found in the ledger by its
pixels or its infotext, so an upscale links to the image it came from.
"""

from __future__ import annotations

import json
import logging
import os
import time
import weakref
from dataclasses import dataclass, field
from typing import Any

from modules import scripts_postprocessing, shared

import paramlab
from paramlab.infotext import InfotextError, image_fields, parse_infotext
from paramlab.ledger.job_operations import FinishJob, StartJob
from paramlab.ledger.operations import WriteRun
from paramlab.ledger.owner import this_process
from paramlab.ledger.records import ImageRecord, JobRecord, RunRecord, utc_now
from paramlab.ledger.schema import IMAGE_TEXT_LENGTHS
from paramlab.webui import host_info, runtime, settings

log = logging.getLogger("paramlab")

EXTRAS_ORDER = 1_000_000  # after every other postprocessing script (A1111 sorts by this among unlisted ones)
COPIED_FROM_SOURCE = ("prompt", "negative_prompt", "seed", "subseed", "subseed_strength", "model_name", "model_hash")


@dataclass
class ExtrasJob:
    job: JobRecord
    clock_start: float
    submitted: bool = False
    last_clock: float = 0.0
    last_time: Any = None


@dataclass
class ExtrasImage:
    """One input image of an Extras job, from its first pass to its release."""

    job: ExtrasJob
    source: Any  # the input image, hashed by the writer to find it in the ledger
    source_infotext: str | None
    input_size: tuple[int, int]
    clock_start: float
    started_at: Any
    is_last: bool
    clock_end: float = 0.0
    outputs: list[tuple[ImageRecord, dict[str, Any]]] = field(default_factory=list)
    output_ids: list[int] = field(default_factory=list)  # id() of each output image, in _by_output


_current: ExtrasJob | None = None
_images: dict[int, ExtrasImage] = {}  # by id(pp.shared): the input and its extra images share it
_by_output: dict[int, ImageRecord] = {}  # id(output PIL image) → its record, for on_image_saved


class ParamLabExtras(scripts_postprocessing.ScriptPostprocessing):
    """Title "ParamLab" in Settings → Postprocessing; no controls."""

    name = "ParamLab"
    order = EXTRAS_ORDER

    def ui(self) -> dict[str, Any]:
        return {}

    def process_firstpass(self, pp: Any, **_args: Any) -> None:
        _guard(_image_started, pp)

    def process(self, pp: Any, **_args: Any) -> None:
        _guard(_image_done, pp)


def _guard(action: Any, *args: Any) -> None:
    try:
        action(*args)
    except Exception as exc:  # noqa: BLE001 - a ParamLab fault must never fail the Extras tab
        log.exception("ParamLab: recording an Extras operation failed (the operation goes on): %s", exc)


def _recording() -> bool:
    """Not inside a generation (A1111 can run postprocessing scripts in txt2img), and recording is on."""
    from paramlab.webui import script

    return settings.recording_enabled() and not script.ACTIVE_RUNS


def _image_started(pp: Any) -> None:
    global _current
    if not _recording():
        return
    state = shared.state
    number, count = int(getattr(state, "job_no", 0) or 0), int(getattr(state, "job_count", 0) or 0)
    if _current is None or number <= 1:
        _finish_job()
        _current = ExtrasJob(JobRecord(tab="extras", source="ui", kind="extras", owner=this_process().text()),
                             time.perf_counter())
    image = pp.image
    info = getattr(image, "info", None) or {}
    parameters = info.get("parameters") if isinstance(info.get("parameters"), str) else None
    entry = ExtrasImage(_current, image, parameters, tuple(image.size), time.perf_counter(), utc_now(),
                        is_last=count > 0 and number >= count)
    _images[id(pp.shared)] = entry
    weakref.finalize(pp, _image_released, id(pp.shared), entry)


def _image_done(pp: Any) -> None:
    entry = _images.get(id(pp.shared))
    if entry is None:
        return
    entry.clock_end = time.perf_counter()
    image, info = pp.image, dict(getattr(pp, "info", None) or {})
    record = ImageRecord(
        index_in_run=len(entry.outputs), status="ok", width=image.width, height=image.height,
        pil_image=image, source_pixels=entry.source, source_infotext=entry.source_infotext,
        upscale=json.dumps(upscale_settings(info, entry.input_size, tuple(image.size)), ensure_ascii=False),
    )
    for key, value in _source_fields(entry.source_infotext).items():
        setattr(record, key, value)
    entry.outputs.append((record, info))
    entry.output_ids.append(id(image))
    _by_output[id(image)] = record
    # The job and image ids, in the postprocessing text: the API answers it as ``html_info``.
    pp.info["ParamLab job"] = entry.job.job.job_uid
    pp.info["ParamLab image"] = record.image_uid


def upscale_settings(info: dict[str, Any], input_size: tuple[int, int], output_size: tuple[int, int]
                     ) -> dict[str, Any]:
    """What the Extras operation did, from the postprocessing info A1111's scripts write."""
    scale = info.get("Postprocess upscale by")
    target = info.get("Postprocess upscale to") or info.get("Postprocess crop to")
    return {
        "method": "extras", "upscaler": info.get("Postprocess upscaler"),
        "upscaler_2": info.get("Postprocess upscaler 2"),
        "scale": scale if scale is not None else (round(output_size[0] / input_size[0], 3) if input_size[0] else None),
        "target": target, "input_size": list(input_size), "output_size": list(output_size),
        "steps": {str(k): v for k, v in info.items() if isinstance(v, (str, int, float, bool))
                  and not str(k).startswith("ParamLab")},
    }


def _source_fields(infotext: str | None) -> dict[str, Any]:
    """Prompt, seed and model of the input, from its infotext (not its sampler: this is no generation)."""
    if not infotext:
        return {}
    try:
        fields = image_fields(parse_infotext(infotext), IMAGE_TEXT_LENGTHS)
    except InfotextError:
        return {}
    return {key: fields[key] for key in COPIED_FROM_SOURCE if fields.get(key) is not None}


def on_image_saved(params: Any) -> None:
    """An Extras output was saved (A1111 passes no ``p`` there): link its file."""
    record = _by_output.get(id(params.image))
    if record is not None and params.filename:
        record.image_path = os.path.abspath(params.filename)


def _image_released(key: int, entry: ExtrasImage) -> None:
    """A1111 is done with the input (and so with saving its outputs): write its run."""
    try:
        _write_image(entry)
    except Exception as exc:  # noqa: BLE001 - runs in a GC finaliser: never raise from here
        log.error("ParamLab: could not record an Extras operation: %s", exc)
    finally:
        if _images.get(key) is entry:
            del _images[key]
        for output_id in entry.output_ids:
            _by_output.pop(output_id, None)


def _write_image(entry: ExtrasImage) -> None:
    if not entry.outputs or not entry.clock_end:
        return
    submit = runtime.get_writer().submit
    job = entry.job
    seconds = max(entry.clock_end - entry.clock_start, 0.0)
    if not job.submitted:
        job.submitted = True
        saved = any(record.image_path for record, _info in entry.outputs)
        job.job.source = "ui" if saved else "api"  # the API's Extras never save their output
        submit(StartJob(job.job))
    for record, _info in entry.outputs:
        record.cost_seconds = seconds / len(entry.outputs)
        record.created_at = utc_now()
    first_info = entry.outputs[0][1]
    run = RunRecord(
        tab="extras", source=job.job.source, started_at=entry.started_at, finished_at=utc_now(), batch_count=1,
        batch_size=1, wall_seconds=seconds, status="ok", role="extras", job_uid=job.job.job_uid,
        settings=json.dumps({str(k): v for k, v in first_info.items() if isinstance(v, (str, int, float, bool))
                             and not str(k).startswith("ParamLab")}),
        paramlab_version=paramlab.__version__, webui_version=host_info.webui_version(),
        host_name=host_info.host_name(), device_name=host_info.device_name(), owner=this_process().text(),
        output_dir=_saved_folder(entry), images=[record for record, _info in entry.outputs],
    )
    submit(WriteRun(run))
    job.last_clock, job.last_time = entry.clock_end, utc_now()
    if entry.is_last:
        _finish_job(job)


def _saved_folder(entry: ExtrasImage) -> str | None:
    """The folder the first output was saved into: the file routes serve the run's files from it."""
    saved = next((record.image_path for record, _info in entry.outputs if record.image_path), None)
    return os.path.dirname(saved) if saved else None


def finish_current_job() -> None:
    """At shutdown: the Extras job in progress is over."""
    _finish_job()


def _finish_job(job: ExtrasJob | None = None) -> None:
    """End the current Extras job (a new one starts, its last image is written, or at shutdown)."""
    global _current
    job = job or _current
    if job is None:
        return
    if job is _current:
        _current = None
    if job.submitted and job.last_time is not None:
        runtime.get_writer().submit(FinishJob(job.job.job_uid, "ok", wall_seconds=job.last_clock - job.clock_start,
                                              finished_at=job.last_time))
        job.last_time = None
