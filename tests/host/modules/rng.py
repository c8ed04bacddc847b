"""Stand-in for ``modules/rng.py``: per-image noise from seeds, with subseed slerp and seed resize as real."""

from __future__ import annotations

import torch
from modules import _standin_flavour, devices, shared

if _standin_flavour.FORGE:

    def get_noise_source_type() -> str:
        """Forge: "Try to reproduce" ComfyUI or DrawThings draws noise on the CPU whatever the RNG setting."""
        if shared.opts.forge_try_reproduce in ("ComfyUI", "DrawThings"):
            return "CPU"
        return shared.opts.randn_source


def randn(seed: int, shape: tuple, generator: torch.Generator | None = None) -> torch.Tensor:
    """Noise for one image; depends only on ``seed`` and ``shape`` (CPU generator in the stand-in)."""
    gen = generator if generator is not None else create_generator(seed)
    return torch.randn(shape, device=devices.cpu, generator=gen).to(shared.device)


def randn_local(seed: int, shape: tuple) -> torch.Tensor:
    """Like randn but never touches global RNG state."""
    return torch.randn(shape, device=devices.cpu, generator=create_generator(seed)).to(shared.device)


def randn_like(x: torch.Tensor) -> torch.Tensor:
    """Unseeded noise like ``x`` (uses the global generator)."""
    return torch.randn_like(x, device=devices.cpu).to(x.device)


def randn_without_seed(shape: tuple, generator: torch.Generator | None = None) -> torch.Tensor:
    """Further noise from an already-seeded generator."""
    return torch.randn(shape, device=devices.cpu, generator=generator).to(shared.device)


def manual_seed(seed: int) -> None:
    """Seed the global torch generator."""
    torch.manual_seed(seed)


# STAND-IN: the stand-in plays a CUDA machine, where "GPU" (the device's generator), "CPU" and "NV" (Philox)
# draw different numbers from one seed. "GPU" is imitated by the CPU generator seeded with the seed itself; the
# other sources by the same generator on a stream of their own, so changing Settings → "Random number generator
# source" changes the pixels as it does on a real GPU.
SOURCE_STREAMS = {"GPU": 0, "CPU": 0x5EED_C0DE, "NV": 0x0DDB_A115}


def create_generator(seed: int) -> torch.Generator:
    """A CPU generator seeded with ``seed`` on the stream of the RNG source setting (see SOURCE_STREAMS)."""
    generator = torch.Generator(devices.cpu)
    stream = SOURCE_STREAMS.get(str(shared.opts.randn_source), 0)
    generator.manual_seed((int(seed) ^ stream) & 0xFFFF_FFFF_FFFF_FFFF)
    return generator


def slerp(val: float, low: torch.Tensor, high: torch.Tensor) -> torch.Tensor:
    """Spherical interpolation, copied from the real rng.py (used for variation seeds)."""
    low_norm = low / torch.norm(low, dim=1, keepdim=True)
    high_norm = high / torch.norm(high, dim=1, keepdim=True)
    dot = (low_norm * high_norm).sum(1)
    if dot.mean() > 0.9995:
        return low * val + high * (1 - val)
    omega = torch.acos(dot)
    so = torch.sin(omega)
    return (torch.sin((1.0 - val) * omega) / so).unsqueeze(1) * low + (torch.sin(val * omega) / so).unsqueeze(
        1
    ) * high


class ImageRNG:
    """Noise source for a batch: one generator per seed; first() honours subseeds and seed resize."""

    def __init__(
        self,
        shape: tuple,
        seeds: list[int],
        subseeds: list[int] | None = None,
        subseed_strength: float = 0.0,
        seed_resize_from_h: int = 0,
        seed_resize_from_w: int = 0,
    ) -> None:
        self.shape = tuple(map(int, shape))
        self.seeds = seeds
        self.subseeds = subseeds
        self.subseed_strength = subseed_strength
        self.seed_resize_from_h = seed_resize_from_h
        self.seed_resize_from_w = seed_resize_from_w
        self.generators = [create_generator(seed) for seed in seeds]
        self.is_first = True

    def first(self) -> torch.Tensor:
        """Initial noise, B×C×H×W."""
        if self.seed_resize_from_h <= 0 or self.seed_resize_from_w <= 0:
            noise_shape = self.shape
        else:
            noise_shape = (
                self.shape[0],
                int(self.seed_resize_from_h) // 8,
                int(self.seed_resize_from_w // 8),
            )
        xs = []
        for i, (seed, generator) in enumerate(zip(self.seeds, self.generators)):
            subnoise = None
            if self.subseeds is not None and self.subseed_strength != 0:
                subseed = 0 if i >= len(self.subseeds) else self.subseeds[i]
                subnoise = randn(subseed, noise_shape)
            if noise_shape != self.shape:
                noise = randn(seed, noise_shape)
            else:
                noise = randn(seed, self.shape, generator=generator)
            if subnoise is not None:
                noise = slerp(self.subseed_strength, noise, subnoise)
            if noise_shape != self.shape:
                x = randn(seed, self.shape, generator=generator)
                dx = (self.shape[2] - noise_shape[2]) // 2
                dy = (self.shape[1] - noise_shape[1]) // 2
                w = noise_shape[2] if dx >= 0 else noise_shape[2] + 2 * dx
                h = noise_shape[1] if dy >= 0 else noise_shape[1] + 2 * dy
                tx = 0 if dx < 0 else dx
                ty = 0 if dy < 0 else dy
                dx = max(-dx, 0)
                dy = max(-dy, 0)
                x[:, ty : ty + h, tx : tx + w] = noise[:, dy : dy + h, dx : dx + w]
                noise = x
            xs.append(noise)
        eta_noise_seed_delta = shared.opts.eta_noise_seed_delta or 0
        if eta_noise_seed_delta:
            self.generators = [create_generator(seed + eta_noise_seed_delta) for seed in self.seeds]
        return torch.stack(xs).to(shared.device)

    def next(self) -> torch.Tensor:
        """First call: initial noise; later calls: further noise from the same generators."""
        if self.is_first:
            self.is_first = False
            return self.first()
        xs = [randn_without_seed(self.shape, generator=generator) for generator in self.generators]
        return torch.stack(xs).to(shared.device)
