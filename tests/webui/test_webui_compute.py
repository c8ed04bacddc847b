"""``model_evaluations`` and ``megapixel_steps`` against what the sampler really ran: the stand-in calls
the denoiser once per model evaluation, following A1111's step rules (``setup_img2img_steps``, the hires
pass's ``hr_second_pass_steps or steps``) and k-diffusion's and the timestep samplers' loops, and each
call is counted here through ``on_cfg_denoiser``, as an extension watching the real WebUI would."""

from __future__ import annotations

from typing import Any

import pytest
from modules import img2img, script_callbacks, shared, txt2img
from modules._standin_ui import script_args_with
from PIL import Image
from webui_support import LoadedExtension

SMALL = {"width": 64, "height": 64}


class Counter:
    """Every model call of a generation, and each pass's steps (what the progress bar counts) and size."""

    def __init__(self) -> None:
        self.calls = 0
        self.passes: list[tuple[int, int]] = []  # (steps shown, latent pixels)
        self._last_step = -1

    def __call__(self, params: Any) -> None:
        self.calls += 1
        if params.sampling_step < self._last_step or not self.passes:
            height, width = params.x.shape[-2:]
            self.passes.append((params.total_sampling_steps, height * 8 * width * 8))
        self._last_step = params.sampling_step

    @property
    def megapixel_steps(self) -> float:
        return sum(steps * pixels / 1e6 for steps, pixels in self.passes)


def counted(extension: LoadedExtension, generate: Any) -> tuple[dict, Counter]:
    counter = Counter()
    script_callbacks.on_cfg_denoiser(counter)
    generate()
    [row] = extension.rows()
    return row, counter


HIRES = {"enable_hr": True, "hr_scale": 2.0, "hr_upscaler": "Latent", "denoising_strength": 0.5}


@pytest.mark.parametrize(("sampler", "steps", "ui", "expected"), [
    ("Euler", 10, {**HIRES, "hr_second_pass_steps": 0}, 20),  # hires steps 0: the hires pass runs all 10
    ("Euler", 10, {**HIRES, "hr_second_pass_steps": 4}, 14),
    ("Heun", 10, {**HIRES, "hr_second_pass_steps": 0}, 38),  # 2 × 10 − 1 per pass
    ("DPM2", 6, {}, 11),
    ("DPM++ 2S a", 5, {**HIRES, "hr_second_pass_steps": 3}, 9 + 5),
    ("DDIM", 20, {}, 19),  # range(0, 1000, 50): 20 timesteps, 19 gaps
    ("PLMS", 10, {**HIRES, "hr_second_pass_steps": 0}, 10 + 9),
    ("UniPC", 10, {}, 10),
])
def test_txt2img_counts_every_model_call(extension: LoadedExtension, sampler: str, steps: int, ui: dict,
                                         expected: int) -> None:
    runner = extension.runner()
    args = script_args_with(runner, {"Sampler": [steps, sampler, "Automatic"], "Seed": [3]})
    row, counter = counted(extension, lambda: txt2img.run_txt2img_ui(runner, {"prompt": "x", **SMALL, **ui}, args))
    assert counter.calls == expected
    assert row["model_evaluations"] == counter.calls
    assert row["megapixel_steps"] == pytest.approx(counter.megapixel_steps)


@pytest.mark.parametrize(("sampler", "steps", "denoising", "fix_steps", "expected"), [
    ("Euler", 20, 0.5, False, 11),  # int(0.5 × 20) + 1
    ("Euler", 20, 0.5, True, 20),  # "do exactly the amount of steps the slider specifies"
    ("Heun", 10, 0.75, False, 2 * 8 - 1),
    ("DDIM", 20, 0.5, False, 9),  # timesteps[:t_enc] = 10 entries, 9 gaps
    ("PLMS", 20, 0.5, True, 19),
])
def test_img2img_counts_every_model_call(extension: LoadedExtension, sampler: str, steps: int, denoising: float,
                                         fix_steps: bool, expected: int) -> None:
    shared.opts.set("img2img_fix_steps", fix_steps)
    runner = extension.runner(is_img2img=True)
    args = script_args_with(runner, {"Sampler": [steps, sampler, "Automatic"], "Seed": [3]})
    init = Image.new("RGB", (64, 64), (90, 90, 200))
    row, counter = counted(extension, lambda: img2img.run_img2img_ui(
        runner, {"prompt": "x", "init_images": [init], "denoising_strength": denoising, **SMALL}, args))
    assert counter.calls == expected
    assert row["model_evaluations"] == counter.calls
    assert row["megapixel_steps"] == pytest.approx(counter.megapixel_steps)
