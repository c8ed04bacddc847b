"""Phase timing of one run, fed from the processing hooks in the order A1111 calls them.

Boundaries per batch (txt2img with hires fix)::

    before_process_batch → [first pass starts] process_before_every_sampling
      → (hires) after_extra_networks_activate / before_hr [first pass ends: includes the
        intermediate decode and the upscale] → post_sample [hires pass ends: includes its decode]
      → (no hires) post_sample [sampling ends] → postprocess_batch [VAE decode ends]

So "VAE decode" is measurable only without hires fix; with hires fix both decodes fall inside the
passes. Every boundary first calls ``sync`` (``torch.cuda.synchronize`` on CUDA) so queued GPU
work is counted where it ran.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class BatchTimes:
    number: int
    started: float
    first_pass_started: float | None = None
    first_pass_ended: float | None = None
    sampling_ended: float | None = None
    decoded: float | None = None
    ended: float | None = None
    hires: bool = False
    image_count: int = 0


@dataclass
class RunTimes:
    wall_seconds: float
    first_pass_seconds: float | None
    hires_seconds: float | None
    vae_decode_seconds: float | None
    image_cost_seconds: list[float] = field(default_factory=list)


class RunTimer:
    """Collects boundary timestamps; :meth:`finish` turns them into phase totals and per-image shares."""

    def __init__(self, clock: Callable[[], float] = time.perf_counter, sync: Callable[[], None] = lambda: None):
        self._clock = clock
        self._sync = sync
        self.started = self._now()
        self.batches: list[BatchTimes] = []

    def _now(self) -> float:
        self._sync()
        return self._clock()

    @property
    def current(self) -> BatchTimes | None:
        return self.batches[-1] if self.batches else None

    def batch_started(self, number: int) -> None:
        now = self._now()
        if self.current is not None and self.current.ended is None:
            self.current.ended = now
        self.batches.append(BatchTimes(number=number, started=now))

    def sampling_started(self, is_hires_pass: bool) -> None:
        batch = self.current
        if batch is None:
            return
        if is_hires_pass:
            batch.hires = True
            if batch.first_pass_ended is None:
                batch.first_pass_ended = self._now()
        elif batch.first_pass_started is None:
            batch.first_pass_started = self._now()

    def first_pass_ended(self) -> None:
        """Hires pass preparation begins (its extra networks or ``before_hr``, whichever comes first)."""
        batch = self.current
        if batch is not None and batch.first_pass_ended is None:
            batch.hires = True
            batch.first_pass_ended = self._now()

    def sampling_ended(self) -> None:
        if self.current is not None:
            self.current.sampling_ended = self._now()

    def batch_decoded(self) -> None:
        if self.current is not None:
            self.current.decoded = self._now()

    def image_done(self) -> None:
        if self.current is not None:
            self.current.image_count += 1

    def finish(self, failed: bool = False) -> RunTimes:
        """``failed``: the run raised, and its last batch (if it made no image) is time no image used."""
        end = self._now()
        if self.current is not None and self.current.ended is None:
            self.current.ended = end
        first = hires = decode = 0.0
        measured_first = measured_hires = measured_decode = False
        for batch in self.batches:
            if batch.first_pass_started is not None:
                first_end = batch.first_pass_ended if batch.hires else batch.sampling_ended
                if first_end is not None:
                    first += first_end - batch.first_pass_started
                    measured_first = True
            if batch.hires and batch.first_pass_ended is not None and batch.sampling_ended is not None:
                hires += batch.sampling_ended - batch.first_pass_ended
                measured_hires = True
            if not batch.hires and batch.sampling_ended is not None and batch.decoded is not None:
                decode += batch.decoded - batch.sampling_ended
                measured_decode = True
        return RunTimes(
            wall_seconds=end - self.started,
            first_pass_seconds=first if measured_first else None,
            hires_seconds=hires if measured_hires else None,
            vae_decode_seconds=decode if measured_decode else None,
            image_cost_seconds=self._image_shares(end, failed),
        )

    def _image_shares(self, end: float, failed: bool = False) -> list[float]:
        """Each image's share of the wall time: its batch's span split over the batch's images, plus
        an equal part of the run-level overhead (model load, prompt setup, grid), so shares sum to
        the wall time. A failed run's failing batch is left out: its time is the failure's cost, kept in
        the run's wall time, not a cost of the images the batches before it made."""
        total_images = sum(batch.image_count for batch in self.batches)
        if total_images == 0:
            return []
        batch_spans = sum((batch.ended or end) - batch.started for batch in self.batches if batch.image_count)
        overhead = (end - self.started) - batch_spans
        failing = self.current
        if failed and failing is not None and not failing.image_count:
            overhead -= (failing.ended or end) - failing.started
        shares: list[float] = []
        for batch in self.batches:
            if not batch.image_count:
                continue
            span = (batch.ended or end) - batch.started
            shares.extend([span / batch.image_count + overhead / total_images] * batch.image_count)
        return shares
