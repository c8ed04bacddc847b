"""Stand-in for ``modules/sd_schedulers.py``: the v1.10.1 scheduler list (no sigma functions)."""

from __future__ import annotations

import dataclasses
from typing import Any

from modules import _standin_flavour


@dataclasses.dataclass
class Scheduler:
    """A sigma schedule; ``label`` is what the UI and infotext show."""

    name: str
    label: str
    function: Any
    default_rho: float = -1
    need_inner_model: bool = False
    aliases: list | None = None


def _placeholder(*args: Any, **kwargs: Any) -> Any:
    """The stand-in never computes sigmas."""
    raise NotImplementedError("the test host does not compute sigma schedules")


schedulers: list[Scheduler] = [
    Scheduler("automatic", "Automatic", None),
    Scheduler("uniform", "Uniform", _placeholder, need_inner_model=True),
    Scheduler("karras", "Karras", _placeholder, default_rho=7.0),
    Scheduler("exponential", "Exponential", _placeholder),
    Scheduler("polyexponential", "Polyexponential", _placeholder, default_rho=1.0),
    Scheduler("sgm_uniform", "SGM Uniform", _placeholder, need_inner_model=True, aliases=["SGMUniform"]),
    Scheduler("kl_optimal", "KL Optimal", _placeholder),
    Scheduler("align_your_steps", "Align Your Steps", _placeholder),
    Scheduler("simple", "Simple", _placeholder, need_inner_model=True),
    Scheduler("normal", "Normal", _placeholder, need_inner_model=True),
    Scheduler("ddim", "DDIM", _placeholder, need_inner_model=True),
    Scheduler("beta", "Beta", _placeholder, need_inner_model=True),
]
if _standin_flavour.FORGE:  # Forge's extra schedules
    schedulers += [
        Scheduler("turbo", "Turbo", _placeholder, need_inner_model=True),
        Scheduler("align_your_steps_GITS", "Align Your Steps GITS", _placeholder),
        Scheduler("align_your_steps_11", "Align Your Steps 11", _placeholder),
        Scheduler("align_your_steps_32", "Align Your Steps 32", _placeholder),
    ]

schedulers_map: dict[str, Scheduler] = {**{x.name: x for x in schedulers}, **{x.label: x for x in schedulers}}
