"""Stand-in for ``modules/shared_state.py::State`` (job progress and interrupt/skip flags)."""

from __future__ import annotations

import datetime
import time
from typing import Any

from modules import devices


class State:
    """Progress of the current job; class attributes are the defaults, as in the real class."""

    skipped = False
    interrupted = False
    stopping_generation = False
    job = ""
    job_no = 0
    job_count = 0
    processing_has_refined_job_count = False
    job_timestamp = "0"
    sampling_step = 0
    sampling_steps = 0
    current_latent: Any = None
    current_image: Any = None
    current_image_sampling_step = 0
    id_live_preview = 0
    textinfo: str | None = None
    time_start: float | None = None
    server_start: float | None = None

    def skip(self) -> None:
        """Skip the current batch."""
        self.skipped = True

    def interrupt(self) -> None:
        """Stop the whole job after the current sampling step."""
        self.interrupted = True

    def stop_generating(self) -> None:
        """Finish the current batch, then stop."""
        self.stopping_generation = True

    def nextjob(self) -> None:
        """Advance to the next job (batch)."""
        self.job_no += 1
        self.sampling_step = 0
        self.current_image_sampling_step = 0

    def dict(self) -> dict[str, Any]:
        """Progress info as the /internal/progress route reports it."""
        return {
            "skipped": self.skipped,
            "interrupted": self.interrupted,
            "stopping_generation": self.stopping_generation,
            "job": self.job,
            "job_count": self.job_count,
            "job_timestamp": self.job_timestamp,
            "job_no": self.job_no,
            "sampling_step": self.sampling_step,
            "sampling_steps": self.sampling_steps,
        }

    def begin(self, job: str = "(unknown)") -> None:
        """Start a job: reset counters and flags."""
        self.sampling_step = 0
        self.time_start = time.time()
        self.job_count = -1
        self.processing_has_refined_job_count = False
        self.job_no = 0
        self.job_timestamp = datetime.datetime.now().strftime("%Y%m%d%H%M%S")
        self.current_latent = None
        self.current_image = None
        self.current_image_sampling_step = 0
        self.id_live_preview = 0
        self.skipped = False
        self.interrupted = False
        self.stopping_generation = False
        self.textinfo = None
        self.job = job
        devices.torch_gc()

    def end(self) -> None:
        """Finish a job."""
        self.job = ""
        self.job_count = 0
        devices.torch_gc()

    def set_current_image(self) -> None:
        """Live previews are not produced by the stand-in."""

    def reset_to_defaults(self) -> None:
        """Test helper: drop every instance attribute so the class defaults apply again."""
        self.__dict__.clear()
