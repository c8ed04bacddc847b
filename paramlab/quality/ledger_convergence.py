"""Convergence from the user's own ledger: the step sweeps it holds (read by
:func:`paramlab.ledger.reads.convergence.sweep_rows`: images alike but for their steps), each image compared
(SSIM) with its sweep's most-steps image, loaded from the saved file or, failing that, from the thumbnail
(both sides of one sweep come from the same source size). No SQL here: a database failure arrives as
:class:`~paramlab.ledger.LedgerError`.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pandas as pd
from PIL import Image

from paramlab.ledger import Ledger
from paramlab.ledger.reads.convergence import sweep_rows
from paramlab.ledger.reads.image_files import thumbnail_in_ledger
from paramlab.quality.convergence import convergence_table, steps_to_converge


def load_recorded_image(row: dict[str, Any], ledger: Ledger | None = None) -> Image.Image | None:
    """The image file; else the thumbnail kept in the ledger; else a thumbnail file (before version 8)."""
    path = row.get("image_path")
    if path and Path(path).is_file():
        with Image.open(path) as image:
            return image.convert("RGB")
    if ledger is not None:
        stored = thumbnail_in_ledger(ledger, int(row["id"]))
        if stored is not None:
            with Image.open(io.BytesIO(stored[0])) as image:
                return image.convert("RGB")
    path = row.get("thumbnail_path")
    if path and Path(path).is_file():
        with Image.open(path) as image:
            return image.convert("RGB")
    return None


def ledger_convergence(ledger: Ledger, limit: int = 5000) -> tuple[pd.DataFrame, dict[tuple[str, str], int | None]]:
    table = convergence_table(sweep_rows(ledger, limit), lambda row: load_recorded_image(row, ledger))
    return table, steps_to_converge(table)
