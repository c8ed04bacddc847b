"""Stand-in for ``modules/sd_samplers_common.py``: SamplerData and the interrupt exception."""

from __future__ import annotations

from collections import namedtuple
from typing import Any

SamplerDataTuple = namedtuple("SamplerData", ["name", "constructor", "aliases", "options"])


class SamplerData(SamplerDataTuple):
    """Sampler config; ``total_steps`` doubles for second-order samplers, as real."""

    def total_steps(self, steps: int) -> int:
        """Model evaluations for ``steps`` steps."""
        if self.options.get("second_order", False):
            steps = steps * 2
        return steps


class InterruptedException(BaseException):
    """Raised inside sampling when the user interrupts or skips."""


def is_sampler_using_eta_noise_seed_delta(p: Any) -> bool:
    """True if the sampler uses ENSD (ancestral/SDE ones), as real."""
    from modules import sd_samplers

    sampler_config = sd_samplers.find_sampler_config(p.sampler_name)
    eta = p.eta
    if eta is None and p.sampler is not None:
        eta = getattr(p.sampler, "eta", None)
    if eta is None and sampler_config is not None:
        eta = 0 if sampler_config.options.get("default_eta_is_0", False) else 1.0
    if eta == 0:
        return False
    return sampler_config.options.get("uses_ensd", False) if sampler_config else False
