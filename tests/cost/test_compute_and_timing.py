"""Normalised compute and phase timing, with a fake clock so the arithmetic is exact."""

from __future__ import annotations

import pytest

from paramlab.cost import compute
from paramlab.cost.timing import RunTimer


def test_evaluations_per_step_follow_the_sampler_order() -> None:
    assert compute.evaluations_per_step("Euler a") == 1
    assert compute.evaluations_per_step("DPM++ 2M") == 1
    assert compute.evaluations_per_step("Heun") == 2
    assert compute.evaluations_per_step("DPM++ SDE") == 2
    assert compute.evaluations_per_step("DPM adaptive") is None


@pytest.mark.parametrize(
    ("steps", "denoising", "exact", "expected"),
    [(20, 0.75, False, 16), (20, 1.0, False, 20), (30, 0.35, False, 11), (20, 0.5, True, 20), (20, 0.0, True, 0)],
)
def test_executed_denoising_steps_match_a1111(steps: int, denoising: float, exact: bool, expected: int) -> None:
    assert compute.executed_denoising_steps(steps, denoising, exact=exact) == expected


def test_model_evaluations_and_megapixel_steps_count_the_hires_pass() -> None:
    passes = [compute.PassCost("Heun", 20, 512, 512), compute.PassCost("DPM++ 2M", 10, 768, 768)]
    assert compute.model_evaluations(passes) == (2 * 20 - 1) + 10  # Heun's last step is one Euler evaluation
    assert compute.megapixel_steps(passes) == pytest.approx(20 * 0.262144 + 10 * 0.589824)
    assert compute.model_evaluations([compute.PassCost("DPM adaptive", 20, 512, 512)]) is None


@pytest.mark.parametrize(("sampler", "steps", "expected"), [
    ("Euler", 10, 10), ("Heun", 10, 19), ("DPM2", 10, 19), ("DPM2 a", 1, 1), ("DPM++ SDE", 30, 59),
    ("Restart", 25, 49), ("DDIM", 20, 19), ("DDIM", 30, 30), ("PLMS", 20, 20), ("UniPC", 20, 20), ("LCM", 4, 4),
])
def test_a_full_pass_counts_what_the_sampler_loop_evaluates(sampler: str, steps: int, expected: int) -> None:
    # DDIM walks range(0, 1000, 1000 // steps): 20 entries (19 gaps) for 20 steps, 31 (30 gaps) for 30.
    assert compute.pass_evaluations(compute.txt2img_pass(sampler, steps, 64, 64)) == expected


@pytest.mark.parametrize(("steps", "denoising", "requested", "fix", "executed"), [
    (10, 0.5, None, False, 6),  # img2img: int(0.5 × 10) + 1
    (10, 0.5, 10, False, 10),  # hires with "Hires steps" 0: A1111 hands it steps=10, all run
    (10, 0.5, 4, False, 4),  # hires with "Hires steps" 4
    (10, 0.5, None, True, 10),  # img2img with "do exactly the amount of steps the slider specifies"
])
def test_a_pass_from_an_image_runs_the_steps_setup_img2img_steps_gives(
        steps: int, denoising: float, requested: int | None, fix: bool, executed: int) -> None:
    one_pass = compute.img2img_pass("Heun", steps, denoising, 64, 64, requested=requested, fix_steps=fix)
    assert one_pass.steps == executed and compute.pass_evaluations(one_pass) == 2 * executed - 1


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def test_phases_without_hires_and_image_shares_sum_to_wall_time() -> None:
    clock = FakeClock()
    syncs = []
    timer = RunTimer(clock=clock, sync=lambda: syncs.append(clock.now))
    clock.advance(1.0)  # model load, prompts
    for batch in range(2):
        timer.batch_started(batch)
        clock.advance(0.1)
        timer.sampling_started(is_hires_pass=False)
        clock.advance(2.0)
        timer.sampling_ended()
        clock.advance(0.5)
        timer.batch_decoded()
        for _ in range(2):
            clock.advance(0.05)
            timer.image_done()
    clock.advance(0.2)  # grid
    times = timer.finish()
    assert times.wall_seconds == pytest.approx(6.6)
    assert times.first_pass_seconds == pytest.approx(4.0)
    assert times.vae_decode_seconds == pytest.approx(1.0)
    assert times.hires_seconds is None
    assert sum(times.image_cost_seconds) == pytest.approx(times.wall_seconds)
    assert len(times.image_cost_seconds) == 4 and len(syncs) >= 8


def test_phases_with_hires_fix() -> None:
    clock = FakeClock()
    timer = RunTimer(clock=clock)
    timer.batch_started(0)
    timer.sampling_started(is_hires_pass=False)
    clock.advance(3.0)
    timer.first_pass_ended()  # hires extra networks
    clock.advance(0.2)
    timer.first_pass_ended()  # before_hr: already ended, ignored
    timer.sampling_started(is_hires_pass=True)
    clock.advance(4.0)
    timer.sampling_ended()
    timer.batch_decoded()
    timer.image_done()
    times = timer.finish()
    assert times.first_pass_seconds == pytest.approx(3.0)
    assert times.hires_seconds == pytest.approx(4.2)
    assert times.vae_decode_seconds is None
    assert times.image_cost_seconds == [pytest.approx(7.2)]


def test_a_failed_batch_is_the_runs_cost_not_its_images() -> None:
    clock = FakeClock()
    timer = RunTimer(clock=clock)
    clock.advance(1.0)  # model load, prompts
    timer.batch_started(0)
    clock.advance(2.0)
    timer.image_done()
    timer.image_done()
    timer.batch_started(1)
    clock.advance(3.0)  # sampled, then the NaN check raised: no image
    times = timer.finish(failed=True)
    assert times.wall_seconds == pytest.approx(6.0)
    assert times.image_cost_seconds == [pytest.approx(1.5), pytest.approx(1.5)]  # its batch and the overhead


def test_a_run_interrupted_before_any_image_has_no_shares() -> None:
    timer = RunTimer(clock=FakeClock())
    times = timer.finish()
    assert times.image_cost_seconds == [] and times.first_pass_seconds is None
