"""The canary's run: every pinned image replayed on a WebUI through its API, judged, and stored the moment it
is known. Ctrl-C (or a WebUI that stops answering) marks the report interrupted; the next run over the same
pins — or ``--resume`` — continues it without rendering a finished image again."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PIL import Image
from tqdm import tqdm

from paramlab.canary.judge import (
    DEFAULT_SLOWDOWN_FACTOR,
    DEFAULT_SSIM_TOLERANCE,
    fingerprint_after_render,
    fingerprint_changes,
    judge_pixels,
    judge_speed,
)
from paramlab.ledger import Ledger
from paramlab.ledger.edits import canary as edits
from paramlab.ledger.reads.canary import CanaryReport, CanaryResult, pinned_images, report_by_id, unfinished_report
from paramlab.ledger.reads.image_files import locate_recorded
from paramlab.ledger.reads.replay import replay_row
from paramlab.replay import request as replay
from paramlab.replay.client import WebuiClient, WebuiError, WebuiNotFound, WebuiUnreachable
from paramlab.seeds.fingerprint import load_fingerprint


class CanaryUsageError(ValueError):
    """The canary cannot run as asked (nothing pinned, nothing to resume); exit 2."""


@dataclass(frozen=True)
class CanarySettings:
    ssim_tolerance: float = DEFAULT_SSIM_TOLERANCE
    slowdown_factor: float = DEFAULT_SLOWDOWN_FACTOR
    resume: bool = False  # resume the unfinished report even when the pins changed since
    progress: bool = True


BuildRequest = Callable[[Ledger, int], replay.ReplayRequest]
MissingOnHost = Callable[[replay.ReplayRequest, replay.HostInventory], list[str]]


class CanaryRun:
    """One report's run. ``build_request``/``missing_on_host`` default to :mod:`paramlab.replay.request`."""

    def __init__(self, ledger: Ledger, client: WebuiClient, settings: CanarySettings,
                 build_request: BuildRequest | None = None, missing_on_host: MissingOnHost | None = None):
        self.ledger, self.client, self.settings = ledger, client, settings
        self.build_request = build_request or replay.build_replay_request
        self.missing_on_host = missing_on_host or replay.missing_on_host
        self.host_fingerprint: dict[str, Any] | None = None
        self.fingerprint_unavailable: str | None = None
        self.inventory: replay.HostInventory | None = None

    def _report_to_continue(self, image_ids: list[int]) -> CanaryReport | None:
        report = unfinished_report(self.ledger)
        if self.settings.resume:
            if report is None:
                raise CanaryUsageError("ParamLab: there is no interrupted canary report to resume.")
            return report
        return report if report is not None and report.image_ids == image_ids else None

    def _read_host(self) -> None:
        """What the WebUI has and its fingerprint, before any image (a wrong URL or login fails here)."""
        self.inventory = self.client.inventory()
        try:
            self.host_fingerprint = self.client.fingerprint()
        except WebuiNotFound as exc:
            self.fingerprint_unavailable = str(exc)

    def run(self) -> CanaryReport:
        image_ids = [pin.image_id for pin in pinned_images(self.ledger)]
        report = self._report_to_continue(image_ids)
        if report is None and not image_ids:
            raise CanaryUsageError("ParamLab: no image is pinned; pin some first: python -m paramlab canary pin ID…")
        self._read_host()
        if report is not None:
            edits.resume_report(self.ledger, report.id, self.client.url)
            report_id, tolerance, image_ids = report.id, report.ssim_tolerance, report.image_ids
            done = report.finished_positions()
        else:
            tolerance = self.settings.ssim_tolerance
            report_id = edits.start_report(self.ledger, image_ids, self.client.url, tolerance)
            done = set()
        tolerance = self.settings.ssim_tolerance if tolerance is None else tolerance
        bar = tqdm(total=len(image_ids), initial=len(done), unit="image", desc="ParamLab canary", file=sys.stderr,
                   disable=not self.settings.progress)
        stopped: str | None = None
        try:
            for position, image_id in enumerate(image_ids):
                if position in done:
                    continue
                edits.record_result(self.ledger, report_id, self.check(position, image_id, tolerance))
                bar.update(1)
        except KeyboardInterrupt:
            stopped = "interrupted (Ctrl-C)"
        except WebuiUnreachable as exc:
            stopped = str(exc)
        finally:
            bar.close()
        summary = {"slowdown_factor": self.settings.slowdown_factor,
                   "fingerprint_unavailable": self.fingerprint_unavailable, "stopped": stopped}
        edits.close_report(self.ledger, report_id, "interrupted" if stopped else "finished", summary)
        finished = report_by_id(self.ledger, report_id)
        assert finished is not None  # just written
        finished.summary["outcomes"] = dict(Counter(result.outcome for result in finished.results))
        return finished

    def check(self, position: int, image_id: int, tolerance: float) -> CanaryResult:
        """One image: refused, failed, or rendered and judged. Only an unreachable WebUI escapes (it stops the run)."""
        row = replay_row(self.ledger, image_id)
        if row is None:
            return CanaryResult(position, None, "", "failed", message=f"image {image_id} is no longer in the ledger")
        result = CanaryResult(position, image_id, row["image_uid"], "failed")
        try:
            request = self.build_request(self.ledger, image_id)
        except replay.ReplayRefused as exc:
            result.outcome, result.message = "refused", str(exc)
            return result
        missing = self.missing_on_host(request, self.inventory or replay.HostInventory())
        if missing:
            result.outcome, result.message = "refused", "; ".join(missing)
            return result
        located = locate_recorded(self.ledger, image_id, "image")
        if located.path is None:
            result.message = f"the recorded file cannot be compared: {located.note}"
            return result
        try:
            rendered = self.client.render(request)
        except WebuiUnreachable:
            raise
        except WebuiError as exc:
            result.message = str(exc)
            return result
        with Image.open(located.path) as recorded_image:
            verdict = judge_pixels(recorded_image.convert("RGB"), rendered.image, tolerance)
        result.outcome, result.ssim = verdict.outcome, verdict.ssim
        result.mean_abs_diff, result.max_abs_diff = verdict.mean_abs_diff, verdict.max_abs_diff
        result.changed_pixel_share = verdict.changed_pixel_share
        result.seconds, result.recorded_seconds = rendered.seconds, request.recorded_seconds
        recorded = load_fingerprint(row.get("fingerprint"))
        notes = [verdict.message] if verdict.message else []
        if self.host_fingerprint is not None:
            now = fingerprint_after_render(self.host_fingerprint, rendered.info)
            result.fingerprint_changes = fingerprint_changes(recorded, now)
            device_now = now.get("device")
        else:
            device_now = None
        speed = judge_speed(rendered.seconds, request.recorded_seconds, request.device or recorded.get("device"),
                            device_now, self.settings.slowdown_factor)
        notes += [speed.note] if speed.note else []
        result.message = "; ".join(notes) or None
        return result


__all__ = ["CanaryRun", "CanarySettings", "CanaryUsageError"]
