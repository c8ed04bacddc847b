"""Seed lock and character series: batch seed policies, named series, the reproducibility
fingerprint and image comparison. Nothing here imports the WebUI; :mod:`paramlab.webui` applies it."""

from paramlab.seeds.compare import ImageComparison, compare_images
from paramlab.seeds.fingerprint import (
    FINGERPRINT_FIELDS,
    FingerprintChange,
    diff_fingerprints,
    fingerprint_json,
    load_fingerprint,
)
from paramlab.seeds.policy import (
    POLICIES,
    SEED_MAX,
    SeedLock,
    SeedLockError,
    SeedPlan,
    parse_seed_lock,
    plan_seeds,
)
from paramlab.seeds.series import (
    Series,
    SeriesError,
    SeriesNotFound,
    SeriesStorageError,
    SeriesStore,
    plan_series_seeds,
    validate_series_name,
)

__all__ = [
    "FINGERPRINT_FIELDS", "POLICIES", "SEED_MAX", "FingerprintChange", "ImageComparison", "SeedLock",
    "SeedLockError", "SeedPlan", "Series", "SeriesError", "SeriesNotFound", "SeriesStorageError", "SeriesStore",
    "compare_images", "diff_fingerprints", "fingerprint_json", "load_fingerprint", "parse_seed_lock",
    "plan_seeds", "plan_series_seeds", "validate_series_name",
]
