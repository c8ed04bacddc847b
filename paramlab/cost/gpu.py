"""GPU cost probes: synchronised clocks, peak VRAM and NVML energy, all optional and CUDA-only.

Peak VRAM is read WITHOUT ``torch.cuda.reset_peak_memory_stats()``: A1111's own VRAM report
(``shared.mem_mon``) resets the peak at the start of each request and reads it at the end, and an
X/Y/Z plot is one request over many runs, so resetting per run would shrink A1111's figure. When a
run exceeds the peak seen before it started, the peak counter is exact for the run ("peak");
otherwise we report the largest allocation sampled at our hook boundaries ("sampled", a lower bound).
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from typing import Any

log = logging.getLogger("paramlab")


def _torch() -> Any | None:
    try:
        import torch
    except ImportError:  # pragma: no cover - the WebUI always has torch
        return None
    return torch


def cuda_available() -> bool:
    torch = _torch()
    return bool(torch is not None and torch.cuda.is_available())


def make_synchronizer() -> Callable[[], None]:
    """``torch.cuda.synchronize`` on CUDA so timers see finished work; a no-op elsewhere."""
    if cuda_available():
        return _torch().cuda.synchronize
    return lambda: None


def device_name() -> str:
    if cuda_available():
        torch = _torch()
        return str(torch.cuda.get_device_name(torch.cuda.current_device()))
    return "cpu"


def host_name() -> str:
    return socket.gethostname()


class VramProbe:
    """Peak allocated VRAM over one run, without disturbing anyone else's peak counter."""

    def __init__(self) -> None:
        self.enabled = cuda_available()
        self._peak_before = 0
        self._sampled = 0

    def start(self) -> None:
        if self.enabled:
            torch = _torch()
            self._peak_before = int(torch.cuda.max_memory_allocated())
            self._sampled = int(torch.cuda.memory_allocated())

    def sample(self) -> None:
        if self.enabled:
            self._sampled = max(self._sampled, int(_torch().cuda.memory_allocated()))

    def finish(self) -> tuple[int | None, str | None]:
        if not self.enabled:
            return None, None
        self.sample()
        peak_now = int(_torch().cuda.max_memory_allocated())
        if peak_now > self._peak_before:
            return peak_now, "peak"
        return self._sampled, "sampled"


class EnergyMeter:
    """GPU energy through NVML's total-energy counter (Volta and newer); silent when unavailable."""

    def __init__(self) -> None:
        self._handle: Any = None
        self._start_mj: int | None = None
        if not cuda_available():
            return
        try:
            import pynvml

            pynvml.nvmlInit()
            index = _torch().cuda.current_device()
            self._handle = pynvml.nvmlDeviceGetHandleByIndex(index)
            pynvml.nvmlDeviceGetTotalEnergyConsumption(self._handle)
            self._nvml = pynvml
        except Exception as exc:  # noqa: BLE001 - pynvml missing or unsupported GPU: no energy figure
            log.debug("ParamLab: NVML energy not available: %s", exc)
            self._handle = None

    @property
    def enabled(self) -> bool:
        return self._handle is not None

    def start(self) -> None:
        self._start_mj = self._read()

    def finish(self) -> float | None:
        end = self._read()
        if end is None or self._start_mj is None:
            return None
        return (end - self._start_mj) / 1000.0

    def _read(self) -> int | None:
        if self._handle is None:
            return None
        try:
            return int(self._nvml.nvmlDeviceGetTotalEnergyConsumption(self._handle))
        except Exception:  # noqa: BLE001 - a transient NVML error only costs the energy figure
            return None
