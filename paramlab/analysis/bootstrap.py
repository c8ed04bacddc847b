"""Vectorised percentile bootstrap of the mean and the median for many segments at once.

A ledger of 100,000 images may hold hundreds of settings; resampling every row 500 times would
touch 50 million values. Two tricks keep it to a few milliseconds:

* **Shared resample matrices.** Segments with the same size ``m`` share one ``(resamples, m)``
  index matrix. Each segment's bootstrap stays a correct bootstrap on its own (the segments'
  intervals are merely correlated with each other, and they are never combined). The mean of
  every segment is then one matrix product with the resample counts; the median of sorted
  values is the value at the median *index*, because sorting is monotone.
* **m-out-of-n for big segments.** A segment with more than ``cap`` values is represented by
  ``cap`` evenly spaced order statistics (its empirical quantiles), resampled, and the spread
  of the resampled statistic is scaled by ``sqrt(cap / n)`` around the full-sample estimate
  (the rescaled m-out-of-n bootstrap, valid for the mean and the median alike).
"""

from __future__ import annotations

from typing import Literal

import numpy as np

BOOTSTRAP_CAP = 100
LEVEL = 0.95


def segment_bounds(sorted_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Starts and counts of the runs of equal keys in an already sorted key array."""
    if len(sorted_keys) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    counts = np.diff(np.r_[starts, len(sorted_keys)])
    return starts.astype(np.int64), counts.astype(np.int64)


def segment_estimate(values: np.ndarray, starts: np.ndarray, counts: np.ndarray, stat: str) -> np.ndarray:
    """The exact mean or median of each segment (for the median, values are sorted within segments)."""
    if len(starts) == 0:
        return np.zeros(0)
    if stat == "mean":
        return np.add.reduceat(values, starts) / counts
    return (values[starts + (counts - 1) // 2] + values[starts + counts // 2]) / 2.0


def segment_bootstrap(
    values: np.ndarray,
    starts: np.ndarray,
    counts: np.ndarray,
    stat: Literal["mean", "median"],
    resamples: int,
    rng: np.random.Generator,
    level: float = LEVEL,
    cap: int = BOOTSTRAP_CAP,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Estimate and percentile interval per segment: ``(estimate, low, high)``.

    ``values`` must be sorted within each segment: the median reads order statistics, and big
    segments are represented by their evenly spaced order statistics.
    """
    values = np.asarray(values, dtype=np.float64)
    estimate = segment_estimate(values, starts, counts, stat)
    low, high = estimate.copy(), estimate.copy()
    if len(starts) == 0 or resamples < 1:
        return estimate, low, high
    sizes = np.minimum(counts, cap)
    alpha = (1.0 - level) / 2.0
    boots = np.empty((len(starts), resamples))
    resampled = sizes >= 2  # one value: nothing to resample, the interval is the value itself
    for m in np.unique(sizes[resampled]):
        members = np.flatnonzero(sizes == m)
        n = counts[members]
        # cap evenly spaced order statistics (all values when n <= cap)
        offsets = np.floor((np.arange(m) + 0.5)[None, :] * (n[:, None] / m)).astype(np.int64)
        compact = values[starts[members][:, None] + offsets]
        picks = rng.integers(0, m, size=(resamples, m))
        if stat == "mean":
            tallies = np.bincount((picks + m * np.arange(resamples)[:, None]).ravel(), minlength=resamples * m)
            boot = compact @ tallies.reshape(resamples, m).T.astype(np.float64) / m
            centre = compact.mean(axis=1)
        else:
            picks.sort(axis=1)
            boot = (compact[:, picks[:, (m - 1) // 2]] + compact[:, picks[:, m // 2]]) / 2.0
            centre = (compact[:, (m - 1) // 2] + compact[:, m // 2]) / 2.0
        scale = np.sqrt(m / n)
        boots[members] = estimate[members][:, None] + (boot - centre[:, None]) * scale[:, None]
    if resampled.any():
        # one quantile call for every segment: far cheaper than one per size
        bounds = np.quantile(boots[resampled], [alpha, 1.0 - alpha], axis=1)
        low[resampled], high[resampled] = bounds[0], bounds[1]
    return estimate, low, high


def bootstrap_mean(
    values: np.ndarray, resamples: int, seed: int = 0, level: float = LEVEL
) -> tuple[float, float, float]:
    """Mean and percentile interval of one array (the paired comparison's differences)."""
    values = np.sort(np.asarray(values, dtype=np.float64))
    if len(values) == 0:
        return float("nan"), float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    est, low, high = segment_bootstrap(
        values, np.zeros(1, dtype=np.int64), np.array([len(values)]), "mean", resamples, rng, level
    )
    return float(est[0]), float(low[0]), float(high[0])
