"""Seed lock: every batch policy, and every bad input refused with the field named before sampling."""

from __future__ import annotations

import pytest

from paramlab.seeds import POLICIES, SEED_MAX, SeedLock, SeedLockError, SeedPlan, parse_seed_lock, plan_seeds
from paramlab.seeds.series import Series, plan_series_seeds


def plan(raw: dict, count: int, base_seed: int = 500, base_subseed: int = 900, base_strength: float = 0.0) -> SeedPlan:
    lock = parse_seed_lock(raw)
    assert lock is not None
    result = plan_seeds(lock, base_seed, base_subseed, base_strength, count)
    assert len(result.seeds) == len(result.subseeds) == len(result.subseed_strengths) == result.count == count
    return result


# -- policies ------------------------------------------------------------------------------------


def test_same_gives_every_image_the_identical_seed_and_variation() -> None:
    result = plan({"seed": 1234, "policy": "same"}, 8, base_strength=0.3)
    assert result.seeds == [1234] * 8
    assert result.subseeds == [900] * 8  # identical noise needs the variation noise identical too
    assert result.subseed_strengths == [0.3] * 8
    assert result.description == "same seed 1234 for all 8 images"
    assert plan({"seed": 7}, 1).description == "seed 7 for 1 image"


def test_same_without_a_seed_locks_the_runs_own_seed() -> None:
    result = plan({"policy": "same"}, 3, base_seed=42)
    assert result.seeds == [42, 42, 42]


def test_increment_is_a1111s_default_and_wraps_past_the_maximum() -> None:
    assert plan({"seed": 10, "policy": "increment"}, 4).seeds == [10, 11, 12, 13]
    assert plan({"seed": 10, "policy": "increment"}, 4).subseeds == [900, 901, 902, 903]
    wrapped = plan({"seed": SEED_MAX - 1, "policy": "increment"}, 4, base_subseed=SEED_MAX)
    assert wrapped.seeds == [SEED_MAX - 1, SEED_MAX, 0, 1]
    assert wrapped.subseeds == [SEED_MAX, 0, 1, 2]
    assert "+1 per image" in wrapped.description and f"wrapping past {SEED_MAX} to 0" in wrapped.description


def test_stride_steps_by_n_and_wraps() -> None:
    result = plan({"seed": 100, "policy": "stride", "stride": 1000}, 5)
    assert result.seeds == [100, 1100, 2100, 3100, 4100]
    assert result.description == "seeds 100, 1100, … 4100 (+1000 per image, 5 images)"
    assert plan({"seed": SEED_MAX, "policy": "stride", "stride": 3}, 3).seeds == [SEED_MAX, 2, 5]
    assert plan({"seed": 1, "policy": "stride", "stride": SEED_MAX}, 3).seeds == [1, 0, SEED_MAX]


def test_list_is_used_in_order_and_repeated_cyclically_when_short() -> None:
    exact = plan({"policy": "list", "seeds": [5, 6, 7]}, 3)
    assert exact.seeds == [5, 6, 7] and exact.description == "the 3 listed seeds (5, 6, 7)"
    cycled = plan({"policy": "list", "seeds": [1, 2, 3]}, 8)
    assert cycled.seeds == [1, 2, 3, 1, 2, 3, 1, 2]
    assert "repeated cyclically" in cycled.description and "list of 3" in cycled.description
    longer = plan({"policy": "list", "seeds": [9, 8, 7, 6]}, 2)
    assert longer.seeds == [9, 8] and "first 2 of the 4" in longer.description
    assert plan({"policy": "list", "seeds": [0, SEED_MAX]}, 2).seeds == [0, SEED_MAX]


def test_variation_sweep_spreads_strengths_linearly() -> None:
    result = plan({"seed": 1234, "policy": "variation"}, 5)
    assert result.seeds == [1234] * 5 and result.subseeds == [1235] * 5  # default: seed + 1
    assert result.subseed_strengths == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert result.description == "seed 1234 with variation seed 1235, strength 0.00 → 1.00 over 5 images"
    custom = plan({"seed": 1, "policy": "variation", "variation_seed": 77, "variation_strengths": [0.1, 0.7]}, 4)
    assert custom.subseeds == [77] * 4
    assert custom.subseed_strengths == pytest.approx([0.1, 0.3, 0.5, 0.7]) and custom.subseed_strengths[-1] == 0.7
    descending = plan({"seed": 1, "policy": "variation", "variation_strengths": (0.8, 0.2)}, 3)
    assert descending.subseed_strengths == pytest.approx([0.8, 0.5, 0.2])
    # exact, readable values for the infotext (not 0.19999999999999998)
    assert plan({"seed": 1, "policy": "variation", "variation_strengths": [0, 0.6]}, 4).subseed_strengths == [
        0.0, 0.2, 0.4, 0.6]
    assert plan({"seed": 1, "policy": "variation"}, 3 * 8).subseed_strengths[1] == round(1 / 23, 6)


def test_variation_of_one_image_uses_the_from_strength_and_seed_plus_one_wraps() -> None:
    single = plan({"seed": SEED_MAX, "policy": "variation", "variation_strengths": [0.4, 0.9]}, 1)
    assert single.subseed_strengths == [0.4] and single.subseeds == [0]
    assert single.description.endswith("strength 0.40 for 1 image")


def test_the_run_seed_is_used_by_variation_when_the_lock_names_none() -> None:
    result = plan({"policy": "variation"}, 2, base_seed=99)
    assert result.seeds == [99, 99] and result.subseeds == [100, 100]


def test_policy_names_are_read_case_insensitively() -> None:
    assert parse_seed_lock({"seed": 1, "policy": " Increment "}).policy == "increment"  # type: ignore[union-attr]


# -- parsing -------------------------------------------------------------------------------------


def test_parse_accepts_none_empty_a_dict_or_the_model() -> None:
    assert parse_seed_lock(None) is None and parse_seed_lock({}) is None
    lock = SeedLock(seed=3, policy="stride", stride=2)
    assert parse_seed_lock(lock) is lock
    assert parse_seed_lock({"series": "  Kaito "}) == SeedLock(series="Kaito")
    assert parse_seed_lock({"seed": 0}).seed == 0  # type: ignore[union-attr]
    assert parse_seed_lock({"seed": None, "policy": "same"}) == SeedLock()
    assert POLICIES == ("same", "increment", "stride", "list", "variation")


def test_a_lock_is_immutable() -> None:
    lock = SeedLock(seed=5)
    with pytest.raises(TypeError):
        lock.seed = 6  # type: ignore[misc]


BAD_LOCKS = [
    ({"seed": 4294967296}, "seed_lock.seed: 4294967296 is outside 0…4294967295"),
    ({"seed": -1}, "seed_lock.seed: -1 is outside 0…4294967295"),
    ({"seed": 12.0}, "seed_lock.seed: expected a whole number from 0 to 4294967295, got 12.0"),
    ({"seed": "12"}, "seed_lock.seed: expected a whole number"),
    ({"seed": True}, "seed_lock.seed: expected a whole number"),
    ({"policy": "stride", "stride": 0}, "seed_lock.stride: 0 is outside 1…4294967295"),
    ({"policy": "stride", "stride": -3}, "seed_lock.stride: -3 is outside"),
    ({"policy": "stride", "stride": 2.5}, "seed_lock.stride: expected a whole number of at least 1"),
    ({"policy": "stride"}, "seed_lock.stride: the stride policy needs a stride"),
    ({"seed": 1, "stride": 2}, "seed_lock.stride: only used with policy 'stride'"),
    ({"policy": "list", "seeds": []}, "seed_lock.seeds: the list is empty"),
    ({"policy": "list"}, "seed_lock.seeds: the list policy needs a non-empty list"),
    ({"policy": "list", "seeds": "1,2,3"}, "seed_lock.seeds: expected a list of whole numbers"),
    ({"policy": "list", "seeds": [1, 2.0]}, "seed_lock.seeds[1]: expected a whole number"),
    ({"policy": "list", "seeds": [1, "2"]}, "seed_lock.seeds[1]: expected a whole number"),
    ({"policy": "list", "seeds": [False]}, "seed_lock.seeds[0]: expected a whole number"),
    ({"policy": "list", "seeds": [1, 2, 4294967296]}, "seed_lock.seeds[2]: 4294967296 is outside 0…4294967295"),
    ({"policy": "list", "seeds": [1] * 10_001}, "seed_lock.seeds: 10,001 seeds is more than"),
    ({"seeds": [1, 2]}, "seed_lock.seeds: only used with policy 'list'"),
    ({"policy": "list", "seeds": [1], "series": "Kaito"}, "seed_lock.series: the list policy takes its seeds"),
    ({"policy": "random"}, "seed_lock.policy: 'random' is not a policy; use one of same, increment, stride"),
    ({"policy": 3}, "seed_lock.policy: expected one of same, increment"),
    ({"series": ""}, "seed_lock.series: Series name is empty"),
    ({"series": "   "}, "seed_lock.series: Series name is empty"),
    ({"series": "<script>alert(1)</script>"}, "seed_lock.series: Series name '<script>alert(1)</script>' contains"),
    ({"series": "Kai\nto"}, "seed_lock.series: Series name contains a control character"),
    ({"series": "x" * 101}, "seed_lock.series: Series name is 101 characters long"),
    ({"series": 5}, "seed_lock.series: Series name must be text"),
    ({"seed": 1, "series": "Kaito"}, "give either seed or series"),
    ({"policy": "variation", "variation_seed": 2**32}, "seed_lock.variation_seed: 4294967296 is outside"),
    ({"policy": "variation", "variation_strengths": [0, 1.5]}, "seed_lock.variation_strengths[1]: 1.5 is outside 0…1"),
    ({"policy": "variation", "variation_strengths": [float("nan"), 1]}, "seed_lock.variation_strengths[0]: nan"),
    ({"policy": "variation", "variation_strengths": ["0", 1]}, "seed_lock.variation_strengths[0]: expected a number"),
    ({"policy": "variation", "variation_strengths": [0.5]}, "seed_lock.variation_strengths: expected two numbers"),
    ({"variation_seed": 5}, "seed_lock.variation_seed: only used with policy 'variation'"),
    ({"policy": "increment", "variation_strengths": [0, 1]}, "seed_lock.variation_strengths: only used with"),
    ({"sed": 5}, "seed_lock: unknown field 'sed' (valid fields: seed, series, policy"),
]


@pytest.mark.parametrize(("raw", "message"), BAD_LOCKS, ids=[str(i) for i in range(len(BAD_LOCKS))])
def test_bad_input_is_refused_naming_the_field(raw: dict, message: str) -> None:
    with pytest.raises(SeedLockError) as caught:
        parse_seed_lock(raw)
    assert message in str(caught.value)
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("raw", [[1, 2], "1234", 1234, True])
def test_a_lock_that_is_not_an_object_is_refused(raw: object) -> None:
    with pytest.raises(SeedLockError, match="seed_lock: expected an object"):
        parse_seed_lock(raw)


def test_non_text_field_names_are_refused() -> None:
    with pytest.raises(SeedLockError, match="field names must be text"):
        parse_seed_lock({1: 2})


def test_several_problems_are_reported_together() -> None:
    with pytest.raises(SeedLockError) as caught:
        parse_seed_lock({"seed": -5, "policy": "nope"})
    assert "seed_lock.seed" in str(caught.value) and "seed_lock.policy" in str(caught.value)


def test_plan_refuses_an_unresolved_run_seed_or_an_empty_run() -> None:
    with pytest.raises(SeedLockError, match="the run's seed: -1 is outside"):
        plan_seeds(SeedLock(), -1, 0, 0.0, 4)
    with pytest.raises(SeedLockError, match="at least 1 image"):
        plan_seeds(SeedLock(seed=1), 0, 0, 0.0, 0)
    with pytest.raises(SeedLockError, match="the run's variation strength"):
        plan_seeds(SeedLock(seed=1), 0, 0, 2.0, 2)


# -- series --------------------------------------------------------------------------------------


def test_a_series_lock_uses_the_series_seed_and_its_fixed_variation() -> None:
    kaito = Series(name="Kaito", seed=777, variation_seed=55, variation_strength=0.2)
    result = plan_series_seeds(SeedLock(series="Kaito"), kaito, base_subseed=1, base_strength=0.0, count=4)
    assert result.seeds == [777] * 4 and result.subseeds == [55] * 4 and result.subseed_strengths == [0.2] * 4
    assert result.description == "series 'Kaito': same seed 777 for all 4 images"


def test_a_series_sweep_uses_its_variation_seed_unless_the_lock_gives_one() -> None:
    kaito = Series(name="Kaito", seed=777, variation_seed=55)
    swept = plan_series_seeds(SeedLock(series="Kaito", policy="variation"), kaito, 1, 0.0, 3)
    assert swept.seeds == [777] * 3 and swept.subseeds == [55] * 3 and swept.subseed_strengths == [0.0, 0.5, 1.0]
    own = plan_series_seeds(SeedLock(series="Kaito", policy="variation", variation_seed=9), kaito, 1, 0.0, 2)
    assert own.subseeds == [9, 9]
    plain = Series(name="Plain", seed=10)
    stepped = plan_series_seeds(SeedLock(series="Plain", policy="increment"), plain, 300, 0.0, 3)
    assert stepped.seeds == [10, 11, 12] and stepped.subseeds == [300, 301, 302]
