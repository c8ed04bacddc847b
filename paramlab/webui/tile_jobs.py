"""A tile upscale's combined image: the one image its job is for.

The pattern (Ultimate SD upscale, A1111's SD upscale, poor man's outpainting …): a selectable script
runs ``process_images`` several times on its own ``p`` with ``do_not_save_samples``, then saves one
image, larger than its input, on that ``p`` outside any run. When that save comes, the held runs are
the job's tile passes (parts, with their timings and settings) and the saved image becomes the job's
image: linked to its file, at its real size, with the upscale settings and the cost of everything
since the job started (or since its previous combined image): pixel upscaler, every pass, combining.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from typing import Any

import paramlab
from paramlab.ledger.job_operations import MarkTileJob
from paramlab.ledger.operations import WriteRun
from paramlab.ledger.owner import this_process
from paramlab.ledger.records import ImageRecord, RunRecord, new_uid, utc_now
from paramlab.webui import host_info, script_args
from paramlab.webui.jobs import HeldPass, JobRecorder


def is_combined_image(job: JobRecorder, image: Any) -> bool:
    """Larger than the job's input image (or, without one, than its passes' images)."""
    if not job.held or not hasattr(image, "size"):
        return False
    width, height = image.size
    if job.input_image is not None and hasattr(job.input_image, "size"):
        in_width, in_height = job.input_image.size
        return width * height > in_width * in_height
    areas = [(held.settings.get("width") or 0) * (held.settings.get("height") or 0) for held in job.held]
    return width * height > max(areas, default=0)


def record_combined_image(job: JobRecorder, p: Any, image: Any, filename: str, infotext: str | None) -> bool:
    """Record a save outside any run as the job's combined image; False when it is not one."""
    if not is_combined_image(job, image):
        return False
    job.ensure_started()
    passes: list[HeldPass] = list(job.held)
    clock_now, now = time.perf_counter(), utc_now()
    seconds = max(clock_now - job.segment_start[0], 0.0)
    template = next((held.images[0] for held in reversed(passes) if held.images), ImageRecord(index_in_run=0))
    evaluations = [held.settings.get("model_evaluations") for held in passes]
    width, height = image.size
    input_size = tuple(job.input_image.size) if getattr(job.input_image, "size", None) else None
    settings = script_args.tile_upscale_settings(job.job.script_name, job.script_arguments, job.extra_params,
                                                 [held.settings for held in passes], input_size, (width, height))
    record = dataclasses.replace(
        template, index_in_run=0, image_uid=new_uid(), created_at=now, batch_number=0, status="ok",
        width=width, height=height, hires_enabled=False, infotext=infotext or template.infotext,
        image_path=os.path.abspath(filename), image_sha256=None, thumbnail_path=None, cost_seconds=seconds,
        model_evaluations=None if None in evaluations else sum(e or 0 for e in evaluations),
        megapixel_steps=sum(held.settings.get("megapixel_steps") or 0.0 for held in passes),
        energy_joules=None, rating=None, flaws=None, pixel_sha256=None, pil_image=None, metrics={},
        upscale=json.dumps(settings, ensure_ascii=False), source_pixels=job.input_image,
        source_infotext=_infotext_of(job.input_image),
    )
    run = RunRecord(
        tab=job.job.tab, source="script", script_name=job.job.script_name, started_at=job.segment_start[1],
        finished_at=now, batch_count=1, batch_size=1, wall_seconds=seconds, status="ok", role="output",
        model_name=template.model_name, model_hash=template.model_hash, job_uid=job.job.job_uid,
        paramlab_version=paramlab.__version__, webui_version=host_info.webui_version(),
        host_name=host_info.host_name(), device_name=host_info.device_name(), owner=this_process().text(),
        output_dir=os.path.dirname(record.image_path or "") or None,
        settings=json.dumps({"passes": [held.run_uid for held in passes]}), images=[record],
    )
    job.submit(WriteRun(run))
    job.submit(MarkTileJob(job.job.job_uid, [held.run_uid for held in passes]))
    job.held = []
    job.outputs += 1
    job.segment_start = (clock_now, now)
    job.image_recorded(record.image_uid)
    job.touch()
    job.put_note(p)
    return True


def _infotext_of(image: Any) -> str | None:
    info = getattr(image, "info", None)
    text = info.get("parameters") if isinstance(info, dict) else None
    return text if isinstance(text, str) else None
