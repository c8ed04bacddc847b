"""Turns one ``process_images`` call into ledger operations, reading ``p`` in the hooks.

The run is written as it happens, so a crash loses at most the batch in flight: its row when the
first batch starts (status ``running``), each batch's images when the next batch starts (by then
A1111 has saved them, so their files are linked), and its totals at ``postprocess``. Only cheap
attribute reads happen here, on the generation thread; the writes happen on the ledger writer's
thread, and hashing, thumbnails and figures in ParamLab's background process.

Every run belongs to a job (:mod:`paramlab.webui.jobs`). A run that may be a tile pass of an upscale
holds its images back (without their pixels) and hands them to its job at the end, with its settings.
A run that raised ends as ``failed`` (:meth:`RunRecorder.fail`): A1111's error, when it ran and what its
failing batch was making; the batches before it keep their images.
"""

from __future__ import annotations

import dataclasses
import json
import os
import weakref
from collections.abc import Callable
from typing import Any

from modules import shared

import paramlab
from paramlab.args import INFOTEXT_KEYS
from paramlab.cost import compute, gpu
from paramlab.cost.timing import RunTimer
from paramlab.ledger.failures import FAILED
from paramlab.ledger.operations import AddImages, FinishRun, LinkFile, Operation, StartRun, WriteRun
from paramlab.ledger.owner import this_process
from paramlab.ledger.records import ImageRecord, RunRecord, utc_now
from paramlab.seeds.fingerprint import fingerprint_json
from paramlab.webui import failures, host_info, xyz_cells
from paramlab.webui.fingerprint import current_fingerprint
from paramlab.webui.host_info import schedule_label
from paramlab.webui.jobs import HeldPass, JobRecorder
from paramlab.webui.run_inputs import CapturedInputs


class RunRecorder:
    """State of one run between ``before_process`` and ``postprocess``; ``submit`` takes its operations."""

    def __init__(self, p: Any, tab: str, source: str, script_name: str | None, args_error: str | None,
                 submit: Callable[[Operation], None], job: JobRecorder | None = None, holds_images: bool = False,
                 inputs: CapturedInputs | None = None):
        self._submit = submit
        self._inputs = inputs  # read at before_process; written once the run's row exists
        self.job = job
        self.holds_images = holds_images  # a possible tile pass: images go to the job, not the ledger
        self.timer = RunTimer(sync=gpu.make_synchronizer())
        self.vram = gpu.VramProbe()
        self.vram.start()
        self.energy = host_info.energy_meter()
        if self.energy is not None:
            self.energy.start()
        self.run = RunRecord(
            tab=tab, source=source, script_name=script_name, error=args_error,
            batch_count=_int(getattr(p, "n_iter", None)), batch_size=_int(getattr(p, "batch_size", None)),
            paramlab_version=paramlab.__version__, webui_version=host_info.webui_version(),
            host_name=host_info.host_name(), device_name=host_info.device_name(), owner=this_process().text(),
            job_uid=job.job.job_uid if job is not None else None, role="tile" if holds_images else "run",
            profile=_profile_of(p),
        )
        try:
            self._p: Callable[[], Any] = weakref.ref(p)  # a run closed from outside its hooks reads p if it lives
        except TypeError:  # an odd p without weak references
            self._p = lambda: None
        cell = xyz_cells.run_settings()  # an X/Y/Z cell's place in its plot, for the matrix view
        if cell is not None:
            self.run.settings = json.dumps(cell, ensure_ascii=False)
        self._passes: dict[str, list[compute.PassCost]] = {}  # per image uid, for a tile pass's settings
        if job is not None:
            job.run_began(self)
        self._batch_status = "ok"
        self._batch: list[ImageRecord] = []  # this batch's images, written when the next batch starts
        self._by_image: dict[int, ImageRecord] = {}  # id(PIL image) → its record, for on_image_saved
        self._written: set[str] = set()  # image uids already handed to the writer
        self.started = False
        self.finished = False

    def keep_rng_state(self, state: dict[str, str]) -> None:
        """torch's global random state at the run's ``process`` hook, for its replay (see webui.rng_state)."""
        if self._inputs is None:
            self._inputs = CapturedInputs()
        self._inputs.replay_args["torch_rng_state"] = state

    def live_p(self) -> Any:
        """The run's ``p`` while it lives (None once collected)."""
        return self._p()

    # -- hooks ------------------------------------------------------------------------------

    def batch_started(self, p: Any, batch_number: int) -> None:
        if not self.started:
            self._start(p)
        self._write_batch()
        self._batch_status = "ok"
        self.timer.batch_started(batch_number)

    def sampling_started(self, p: Any) -> None:
        self.timer.sampling_started(bool(getattr(p, "is_hr_pass", False)))

    def hires_preparing(self, p: Any) -> None:
        if getattr(p, "is_hr_pass", False):
            self.timer.first_pass_ended()

    def sampling_ended(self) -> None:
        self.timer.sampling_ended()
        self.vram.sample()
        state = shared.state
        if state.interrupted or getattr(state, "stopping_generation", False):
            self._batch_status = "interrupted"
        elif state.skipped:
            self._batch_status = "skipped"

    def batch_decoded(self) -> None:
        self.timer.batch_decoded()

    def image_done(self, p: Any, image: Any) -> None:
        self.timer.image_done()
        record, passes = _image_record(p, image, len(self.run.images), self._batch_status)
        self.run.images.append(record)
        self._batch.append(record)
        self._by_image[id(image)] = record
        if self.holds_images:
            self._passes[record.image_uid] = passes
        elif self.job is not None:
            self.job.image_recorded(record.image_uid)

    def link_saved(self, image: Any, filename: str) -> None:
        record = self._by_image.get(id(image))
        if record is None:  # a grid, a "before hires" copy, another extension's save
            return
        record.image_path = os.path.abspath(filename)
        if record.image_uid in self._written:
            self._submit(LinkFile(record.image_uid, record.image_path))

    def fail(self, p: Any, error_type: str | None, error: str) -> Operation:
        """``process_images`` raised: the run ends now as ``failed``, with the error, and what its failing
        batch was making joins its settings. ``p`` None: the run's own ``p``, if it still lives."""
        p = p if p is not None else self._p()
        attempt = failures.attempt_settings(p) if p is not None else {}
        if attempt:
            kept = json.loads(self.run.settings) if self.run.settings else {}  # an X/Y/Z cell's place
            self.run.settings = json.dumps({**attempt, **kept}, ensure_ascii=False, default=str)
        self.run.error, self.run.error_type = error, error_type
        return self.finish(p, None, status=FAILED)

    def finish(self, p: Any, processed: Any, status: str | None = None, error: str | None = None) -> Operation:
        """The run's last operation: its totals (or the whole run, if it never reached a batch)."""
        self.finished = True
        if error is not None:
            self.run.error = self.run.error or error
        self._write_batch()
        times = self.timer.finish(failed=status == FAILED)
        run = self.run
        run.finished_at = utc_now()
        run.wall_seconds = times.wall_seconds
        run.first_pass_seconds = times.first_pass_seconds
        run.hires_seconds = times.hires_seconds
        run.vae_decode_seconds = times.vae_decode_seconds
        run.peak_vram_bytes, run.peak_vram_method = self.vram.finish()
        run.energy_joules = self.energy.finish() if self.energy is not None else None
        if p is not None:  # else keep what the run's start read
            run.model_name = getattr(p, "sd_model_name", None)
            run.model_hash = getattr(p, "sd_model_hash", None)
            run.vae_name = getattr(p, "sd_vae_name", None)
            run.vae_hash = getattr(p, "sd_vae_hash", None)
            run.profile = _profile_of(p) or run.profile
        run.status = status or self._run_status()
        run.fingerprint = fingerprint_json(current_fingerprint(p)) if p is not None else None
        infotexts = list(getattr(processed, "infotexts", None) or [])
        first = int(getattr(processed, "index_of_first_image", 0) or 0)
        total_cost = sum(times.image_cost_seconds) or None
        for position, image in enumerate(run.images):
            if first + position < len(infotexts):
                image.infotext = infotexts[first + position]
            if position < len(times.image_cost_seconds):
                image.cost_seconds = times.image_cost_seconds[position]
            if run.energy_joules is not None and image.cost_seconds and total_cost:
                image.energy_joules = run.energy_joules * image.cost_seconds / total_cost
            image.model_name, image.model_hash = run.model_name, run.model_hash
        held = None
        if self.holds_images and self.started and run.status != FAILED:
            held = HeldPass(run.run_uid, [dataclasses.replace(image, pil_image=None) for image in run.images],
                            self._pass_settings())
            run.settings = json.dumps(held.settings, ensure_ascii=False)
            run = dataclasses.replace(run, images=[])
        if self.job is not None:
            self.job.ensure_started()
        operation: Operation = FinishRun(run) if self.started else WriteRun(run)
        self._submit(operation)
        if self.job is not None:
            self.job.run_finished(self, run.status, run.error_type, run.error, held)
        return operation

    def _pass_settings(self) -> dict[str, Any]:
        """What a tile pass ran with, kept on its run (its images are not ledger images)."""
        images = self.run.images
        first = images[0] if images else ImageRecord(index_in_run=0)
        passes = self._passes.get(first.image_uid, [])
        evaluations = [image.model_evaluations for image in images]
        return {
            "sampler": first.sampler, "scheduler": first.scheduler, "steps": sum(one.steps for one in passes),
            "requested_steps": first.steps, "cfg_scale": first.cfg_scale,
            "denoising_strength": first.denoising_strength, "width": first.width, "height": first.height,
            "seed": first.seed, "images": len(images),
            "model_evaluations": None if None in evaluations else sum(e or 0 for e in evaluations),
            "megapixel_steps": sum(image.megapixel_steps or 0.0 for image in images),
            "seconds": self.run.wall_seconds,
        }

    def _start(self, p: Any) -> None:
        """The run's row, before its first image: what a start-up after a crash needs to close it."""
        self.started = True
        if self.job is not None:
            self.job.ensure_started()
        run = self.run
        run.model_name = getattr(p, "sd_model_name", None)
        run.model_hash = getattr(p, "sd_model_hash", None)
        run.output_dir = _output_dir(p)
        seeds = getattr(p, "all_seeds", None)
        run.planned_seeds = json.dumps([int(seed) for seed in seeds]) if isinstance(seeds, (list, tuple)) else None
        self._submit(StartRun(dataclasses.replace(run, images=[])))
        if self._inputs is not None:
            operation = self._inputs.operation(p, run.run_uid)
            self._inputs = None
            if operation is not None:
                self._submit(operation)

    def _write_batch(self) -> None:
        if self.holds_images:
            for record in self._batch:
                record.pil_image = None  # a tile's pixels are not kept: at most the settings are
            self._batch = []
            return
        if self._batch and self.started:
            self._written.update(record.image_uid for record in self._batch)
            self._submit(AddImages(self.run.run_uid, self._batch))
            self._batch = []

    def _run_status(self) -> str:
        state = shared.state
        if state.interrupted or getattr(state, "stopping_generation", False):
            return "interrupted"
        statuses = {image.status for image in self.run.images}
        for status in ("interrupted", "skipped"):
            if status in statuses:
                return status
        return "ok"


def _profile_of(p: Any) -> str | None:
    """The profile applied to this run (``before_process`` put its name in the generation params)."""
    name = (getattr(p, "extra_generation_params", None) or {}).get(INFOTEXT_KEYS["profile"])
    return name if isinstance(name, str) and name else None


def _output_dir(p: Any) -> str | None:
    """Where A1111 saves this run's images, when it saves them at all."""
    try:
        saving = p.save_samples() if callable(getattr(p, "save_samples", None)) else False
    except Exception:  # noqa: BLE001 - an odd p from another extension: no recovery folder, no harm
        saving = False
    folder = getattr(p, "outpath_samples", None)
    return os.path.abspath(folder) if saving and folder else None


def _image_record(p: Any, image: Any, position: int, status: str) -> tuple[ImageRecord, list[compute.PassCost]]:
    batch_size = _int(getattr(p, "batch_size", 1)) or 1
    index = _int(getattr(p, "iteration", 0)) * batch_size + _int(getattr(p, "batch_index", 0))
    is_img2img = hasattr(p, "init_images")
    enable_hr = bool(getattr(p, "enable_hr", False)) and not is_img2img
    resize_x, resize_y = _int(getattr(p, "hr_resize_x", 0)), _int(getattr(p, "hr_resize_y", 0))
    sampler = getattr(p, "sampler_name", None)
    record = ImageRecord(
        index_in_run=position,
        batch_number=_int(getattr(p, "iteration", 0)),
        status=status,
        seed=_pick(getattr(p, "all_seeds", None), index),
        subseed=_pick(getattr(p, "all_subseeds", None), index),
        subseed_strength=_float(getattr(p, "subseed_strength", None)),
        prompt=_pick(getattr(p, "all_prompts", None), index),
        negative_prompt=_pick(getattr(p, "all_negative_prompts", None), index),
        sampler=sampler,
        scheduler=schedule_label(getattr(p, "scheduler", None)),
        steps=_int(getattr(p, "steps", None)),
        cfg_scale=_float(getattr(p, "cfg_scale", None)),
        width=_int(getattr(p, "width", None)),
        height=_int(getattr(p, "height", None)),
        hires_enabled=enable_hr,
        clip_skip=_int(shared.opts.data.get("CLIP_stop_at_last_layers", 1)),
        model_name=getattr(p, "sd_model_name", None),
        model_hash=getattr(p, "sd_model_hash", None),
        profile=(getattr(p, "extra_generation_params", None) or {}).get(INFOTEXT_KEYS["profile"]),
        series=(getattr(p, "extra_generation_params", None) or {}).get(INFOTEXT_KEYS["series"]),
        pil_image=image,
    )
    denoising = _float(getattr(p, "denoising_strength", None))
    fix_steps = bool(shared.opts.data.get("img2img_fix_steps", False))
    passes: list[compute.PassCost] = []
    if is_img2img:
        record.denoising_strength = denoising
        passes.append(compute.img2img_pass(sampler, record.steps or 0, denoising or 0.0, record.width or 0,
                                           record.height or 0, fix_steps=fix_steps))
    else:
        if not getattr(p, "txt2img_upscale", False):
            passes.append(compute.txt2img_pass(sampler, record.steps or 0, record.width or 0, record.height or 0))
        if enable_hr:
            record.hires_upscaler = getattr(p, "hr_upscaler", None)
            record.hires_steps = _int(getattr(p, "hr_second_pass_steps", 0)) or None
            record.hires_denoising = denoising
            if resize_x or resize_y:
                record.hires_resize_x, record.hires_resize_y = resize_x or None, resize_y or None
            else:
                record.hires_scale = _float(getattr(p, "hr_scale", None))
            hires_sampler = getattr(p, "hr_sampler_name", None) or sampler
            if hires_sampler == "Use same sampler":
                hires_sampler = sampler
            # A1111 hands the hires pass its steps explicitly (hr_second_pass_steps or steps): all of them run.
            passes.append(compute.img2img_pass(
                hires_sampler, record.steps or 0, denoising or 0.0,
                _int(getattr(p, "hr_upscale_to_x", 0)) or record.width or 0,
                _int(getattr(p, "hr_upscale_to_y", 0)) or record.height or 0,
                requested=record.hires_steps or record.steps or 0,
            ))
    record.model_evaluations = compute.model_evaluations(passes)
    record.megapixel_steps = compute.megapixel_steps(passes)
    return record, passes


def _pick(values: Any, index: int) -> Any:
    if isinstance(values, (list, tuple)) and 0 <= index < len(values):
        return values[index]
    return None


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
