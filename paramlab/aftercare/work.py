"""The heavy part of recording one image: file hash, thumbnail, quality figures, flaw diagnosis.

It runs in ParamLab's low-priority background process (see :mod:`paramlab.aftercare.child`), never
on the generation's thread nor beside it in the WebUI's process. Nothing here raises: every problem
becomes a "not measured" reason stored beside the figure, or a line in ``problems`` for the console.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from paramlab.aftercare.tasks import ImageTask
from paramlab.ledger.operations import Findings

log = logging.getLogger("paramlab")


def sha256_of_file(path: Path, between_chunks: Callable[[], None] | None = None) -> str:
    """The file's SHA-256, read 1 MiB at a time; ``between_chunks`` may pause the reading (model hashes)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
            if between_chunks is not None:
                between_chunks()
    return digest.hexdigest()


def run_task(task: ImageTask) -> Findings:
    findings = Findings(task.image_uid)
    if task.image_path:
        try:
            findings.image_sha256 = sha256_of_file(Path(task.image_path))
        except OSError as exc:
            findings.problems.append(f"no hash for {task.image_path}: {exc}")
    image = _image_of(task, findings)
    if image is not None:
        from paramlab.ledger.pixels import pixel_sha256

        try:
            findings.pixel_sha256 = pixel_sha256(image)
        except (OSError, ValueError) as exc:
            findings.problems.append(f"no pixel hash for image {task.image_uid}: {exc}")
    if task.thumbnail and image is not None:
        from paramlab.ledger.thumbnails import render_thumbnail

        try:
            findings.thumbnail = render_thumbnail(image)
        except (OSError, ValueError) as exc:
            findings.problems.append(f"no thumbnail for image {task.image_uid}: {exc}")
    if task.skipped_reason:
        _not_measured(findings, task.skipped_reason, scorers=bool(task.scorers))
        return findings
    if task.measure:
        if image is None:
            _not_measured(findings, "the image could not be read", scorers=False)
        else:
            _builtin(image, findings)
    if task.scorers:
        _learned(image, task, findings)
    if task.measure:
        _diagnose(task, findings)
    return findings


def _image_of(task: ImageTask, findings: Findings) -> Any:
    """The image (or the pixels sent along), else the saved file (for its pixel hash, and its figures)."""
    if task.image is not None:
        return task.image
    if task.pixels is not None:
        try:
            return task.pixels.to_image()
        except (ValueError, OSError) as exc:
            findings.problems.append(f"unreadable pixels for image {task.image_uid}: {exc}")
            return None
    if not task.image_path:
        return None
    from PIL import Image

    try:
        with Image.open(task.image_path) as opened:
            opened.load()
            return opened.copy()
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        findings.problems.append(f"cannot read {task.image_path} to measure it: {exc}")
        return None


def _not_measured(findings: Findings, reason: str, *, scorers: bool) -> None:
    from paramlab.quality.measures import MEASURE_NAMES, MEASURES_VERSION

    findings.metrics_version = str(MEASURES_VERSION)
    names = list(MEASURE_NAMES)
    if scorers:
        from paramlab.quality.scorers import SCORER_NAMES

        names += list(SCORER_NAMES)
    findings.metrics.update(dict.fromkeys(names, (None, reason)))


def _builtin(image: Any, findings: Findings) -> None:
    from paramlab.quality.measures import MEASURES_VERSION, measure_images

    (result,) = measure_images([image])
    findings.metrics_version = str(MEASURES_VERSION)
    for name, value in result.values.items():
        findings.metrics[name] = (value, result.not_measured.get(name))
    for name, reason in result.not_measured.items():
        findings.metrics.setdefault(name, (None, reason))


def _learned(image: Any, task: ImageTask, findings: Findings) -> None:
    try:
        from paramlab.quality.scorers import ScorerConfig, load_scorers

        scorers, unavailable = load_scorers(ScorerConfig(**(task.scorers or {})))
    except Exception as exc:  # noqa: BLE001 - a scorer fault only costs its figure
        findings.problems.append(f"learned scorers unavailable: {exc}")
        return
    for name, reason in unavailable.items():
        findings.metrics[name] = (None, reason)
    for scorer in scorers:
        if image is None:
            findings.metrics[scorer.name] = (None, "the image could not be read")
            continue
        try:
            (result,) = scorer.score([image], [task.prompt or ""] if scorer.needs_prompt else None)
        except Exception as exc:  # noqa: BLE001 - a scorer fault only costs its figure
            findings.problems.append(f"scorer {scorer.name} failed: {exc}")
            findings.metrics[scorer.name] = (None, "scorer failed; see the console")
            continue
        findings.metrics[scorer.name] = (result.value, result.not_measured)


def _diagnose(task: ImageTask, findings: Findings) -> None:
    from paramlab.quality.flaws import diagnose, is_ancestral

    context = task.flaw_context
    values = {name: value for name, (value, _reason) in findings.metrics.items()}
    try:
        flaws = diagnose(
            values, cfg_scale=context.get("cfg_scale"), steps=context.get("steps"), sampler=context.get("sampler"),
            is_refinement=bool(context.get("is_refinement")) and is_ancestral(context.get("sampler")),
            converge_steps=context.get("converge_steps"),
        )
    except Exception as exc:  # noqa: BLE001 - diagnostics are advice; never lose the figures for them
        findings.problems.append(f"flaw diagnostics failed: {exc}")
        return
    findings.flaws = json.dumps([{"code": flaw.code, "advice": flaw.advice} for flaw in flaws], ensure_ascii=False)
