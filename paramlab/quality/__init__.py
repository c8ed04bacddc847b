"""Built-in quality measures (numpy), SSIM convergence (torch) and flaw diagnostics; no downloaded weights.

The re-exports load lazily, so importing a light submodule (``paramlab.quality.flaws``) does
not pull in torch; ``from paramlab.quality import measure_images`` works as usual. The SSIM
function itself is ``paramlab.quality.ssim.ssim`` (the package attribute ``ssim`` is that module).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from paramlab.quality.convergence import convergence_table, steps_to_converge
    from paramlab.quality.flaws import CONVERGENCE_SSIM, Flaw, diagnose
    from paramlab.quality.measures import (
        MEASURES,
        MEASURES_VERSION,
        MeasureDoc,
        MeasureResult,
        image_to_array,
        measure_images,
        measure_pixel_batch,
    )
    from paramlab.quality.ssim import ssim_images

__all__ = [
    "CONVERGENCE_SSIM",
    "MEASURES",
    "MEASURES_VERSION",
    "Flaw",
    "MeasureDoc",
    "MeasureResult",
    "convergence_table",
    "diagnose",
    "image_to_array",
    "measure_images",
    "measure_pixel_batch",
    "ssim_images",
    "steps_to_converge",
]

_HOME = {
    "CONVERGENCE_SSIM": "flaws", "convergence_table": "convergence", "steps_to_converge": "convergence",
    "Flaw": "flaws", "diagnose": "flaws", "ssim_images": "ssim",
}


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_HOME.get(name, 'measures')}"), name)
    globals()[name] = value
    return value
