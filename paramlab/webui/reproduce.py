"""Reproduce a ledger row: generate it again with the recorded settings, compare the pixels, and when
they differ, name the fingerprint fields (RNG source, precision, versions, hashes…) that changed since.

Only core settings are replayed: other extensions' parameters (kept in ``extra_params``) are not,
and img2img rows cannot be replayed because the ledger does not keep the init image.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modules import call_queue, processing, shared
from PIL import Image

from paramlab.ledger.reads.replay import replay_row
from paramlab.ledger.thumbnails import thumbnail_as_recorded
from paramlab.seeds import ImageComparison, compare_images, diff_fingerprints, load_fingerprint
from paramlab.seeds.fingerprint import FingerprintChange
from paramlab.webui import runtime
from paramlab.webui.fingerprint import current_fingerprint


class ReproduceError(ValueError):
    """The row cannot be replayed; the message says why."""


@dataclass
class ReproduceResult:
    image_id: int
    comparison: ImageComparison
    compared_against: str  # "file" or "thumbnail"
    fingerprint_changes: list[FingerprintChange] = field(default_factory=list)
    image: Any = None

    def summary(self) -> str:
        if self.comparison.identical:
            return f"Image {self.image_id} reproduced exactly (compared with the recorded {self.compared_against})."
        text = (f"Image {self.image_id} differs: mean pixel difference {self.comparison.mean_abs_diff:.2f}/255, "
                f"{self.comparison.changed_pixel_share:.1%} of pixels changed (vs the recorded "
                f"{self.compared_against}).")
        if self.fingerprint_changes:
            changes = "; ".join(f"{c.label}: {c.recorded} → {c.now}" for c in self.fingerprint_changes)
            return f"{text} Changed since: {changes}."
        return f"{text} No fingerprint field changed: suspect non-deterministic kernels or other extensions."

    def to_json(self) -> dict[str, Any]:
        return {
            "image_id": self.image_id, "identical": self.comparison.identical,
            "mean_abs_diff": self.comparison.mean_abs_diff, "max_abs_diff": self.comparison.max_abs_diff,
            "changed_pixel_share": self.comparison.changed_pixel_share, "psnr_db": self.comparison.psnr_db,
            "compared_against": self.compared_against, "summary": self.summary(),
            "fingerprint_changes": [change.__dict__ for change in self.fingerprint_changes],
        }


def load_row(image_id: int) -> dict[str, Any]:
    """The image's row with its run's fingerprint and the thumbnail kept in the ledger."""
    row = replay_row(runtime.get_ledger(), image_id)
    if row is None:
        raise ReproduceError(f"ParamLab: there is no image {image_id} in the ledger.")
    return row


def processing_for(row: dict[str, Any]) -> Any:
    """A txt2img ``p`` with the row's settings, one image, nothing saved, no extension scripts."""
    if row.get("tab") != "txt2img":
        raise ReproduceError("ParamLab: only txt2img rows can be reproduced (the ledger keeps no init image).")
    if row.get("seed") is None or row.get("steps") is None:
        raise ReproduceError("ParamLab: this row lacks its seed or steps (imported without them?).")
    p = processing.StableDiffusionProcessingTxt2Img(
        prompt=row.get("prompt") or "", negative_prompt=row.get("negative_prompt") or "",
        seed=int(row["seed"]), subseed=int(row.get("subseed") or -1),
        subseed_strength=float(row.get("subseed_strength") or 0.0),
        sampler_name=row.get("sampler"), scheduler=row.get("scheduler") or "Automatic",
        steps=int(row["steps"]), cfg_scale=float(row.get("cfg_scale") or 7.0),
        width=int(row.get("width") or 512), height=int(row.get("height") or 512),
        batch_size=1, n_iter=1, do_not_save_samples=True, do_not_save_grid=True,
        enable_hr=bool(row.get("hires_enabled")),
        denoising_strength=float(row.get("hires_denoising") or row.get("denoising_strength") or 0.7),
        hr_scale=float(row.get("hires_scale") or 2.0), hr_upscaler=row.get("hires_upscaler"),
        hr_second_pass_steps=int(row.get("hires_steps") or 0),
        hr_resize_x=int(row.get("hires_resize_x") or 0), hr_resize_y=int(row.get("hires_resize_y") or 0),
        override_settings={"CLIP_stop_at_last_layers": int(row.get("clip_skip") or 1),
                           **({"sd_model_checkpoint": row["model_hash"]} if row.get("model_hash") else {})},
    )
    p.scripts = None
    return p


def reproduce(image_id: int) -> ReproduceResult:
    """Runs a generation: holds A1111's queue lock so it never overlaps a UI or API job."""
    row = load_row(image_id)
    reference, against = _reference_image(row)
    p = processing_for(row)
    with call_queue.queue_lock:
        shared.state.begin(job="paramlab_reproduce")
        try:
            processed = processing.process_images(p)
        finally:
            shared.state.end()
    if not processed.images:
        raise ReproduceError("ParamLab: the reproduction produced no image (interrupted?).")
    new_image = processed.images[processed.index_of_first_image]
    candidate = thumbnail_as_recorded(new_image) if against == "thumbnail" else new_image
    comparison = compare_images(reference, candidate)
    changes = [] if comparison.identical else diff_fingerprints(load_fingerprint(row.get("fingerprint")),
                                                                current_fingerprint(p))
    return ReproduceResult(image_id, comparison, against, changes, new_image)


def _reference_image(row: dict[str, Any]) -> tuple[Image.Image, str]:
    """The recorded file; else the thumbnail kept in the ledger (or, before version 8, its file)."""
    path = row.get("image_path")
    if path and Path(path).is_file():
        with Image.open(path) as image:
            return image.convert("RGB"), "file"
    if row.get("stored_thumbnail") is not None:
        with Image.open(io.BytesIO(row["stored_thumbnail"][0])) as image:
            return image.convert("RGB"), "thumbnail"
    path = row.get("thumbnail_path")
    if path and Path(path).is_file():
        with Image.open(path) as image:
            return image.convert("RGB"), "thumbnail"
    raise ReproduceError("ParamLab: the recorded image file and thumbnail are both missing; nothing to compare.")
