"""VRAM peak reading never resets A1111's peak counter; CPU machines report no VRAM or energy."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

from paramlab.cost import gpu


class FakeCuda:
    """The few torch.cuda calls the probe makes, with a peak counter like the real allocator's."""

    def __init__(self, peak: int, allocated: int):
        self.peak, self.allocated, self.resets = peak, allocated, 0

    def is_available(self) -> bool:
        return True

    def max_memory_allocated(self) -> int:
        return self.peak

    def memory_allocated(self) -> int:
        return self.allocated

    def reset_peak_memory_stats(self) -> None:
        self.resets += 1

    def allocate(self, size: int) -> None:
        self.allocated = size
        self.peak = max(self.peak, size)


def with_fake_cuda(monkeypatch, cuda: FakeCuda) -> None:
    monkeypatch.setattr(gpu, "_torch", lambda: SimpleNamespace(cuda=cuda))


def test_run_exceeding_earlier_peak_reports_the_exact_peak(monkeypatch) -> None:
    cuda = FakeCuda(peak=2_000, allocated=1_000)
    with_fake_cuda(monkeypatch, cuda)
    probe = gpu.VramProbe()
    probe.start()
    cuda.allocate(5_000)
    cuda.allocate(1_500)
    assert probe.finish() == (5_000, "peak")
    assert cuda.resets == 0


def test_run_below_an_earlier_peak_reports_a_sampled_lower_bound(monkeypatch) -> None:
    cuda = FakeCuda(peak=9_000, allocated=1_000)  # an earlier X/Y/Z cell set a higher peak
    with_fake_cuda(monkeypatch, cuda)
    probe = gpu.VramProbe()
    probe.start()
    cuda.allocate(3_000)
    probe.sample()
    cuda.allocate(1_200)
    assert probe.finish() == (3_000, "sampled")
    assert cuda.resets == 0 and cuda.peak == 9_000


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the CPU-only path")
def test_cpu_machine_has_no_vram_or_energy_figures() -> None:
    probe = gpu.VramProbe()
    probe.start()
    assert probe.finish() == (None, None)
    assert not gpu.EnergyMeter().enabled
    assert gpu.device_name() == "cpu"
