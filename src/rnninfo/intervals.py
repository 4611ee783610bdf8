"""Confidence intervals over independent replicates (seeds, networks), one definition for every stage."""

from __future__ import annotations

from functools import lru_cache

import numpy as np


@lru_cache(maxsize=None)
def t_quantile(q: float, dof: int) -> float:
    """Student-t quantile (cached: figure bands ask for the same few thousands of times)."""
    from scipy import stats

    return float(stats.t.ppf(q, dof))


def mean_ci(values, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and Student-t confidence interval of the mean: (mean, low, high).

    Non-finite values are dropped; with fewer than two values the bounds are NaN.
    """
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return float("nan"), float("nan"), float("nan")
    m = float(v.mean())
    if v.size < 2:
        return m, float("nan"), float("nan")
    half = t_quantile(0.5 + level / 2, v.size - 1) * float(v.std(ddof=1)) / np.sqrt(v.size)
    return m, m - half, m + half


def t_band(values) -> tuple[float, float]:
    """95% t-interval of the mean as seaborn's ``errorbar=`` callable (a point where n < 2)."""
    m, low, high = mean_ci(values)
    return (m, m) if np.isnan(low) else (low, high)
