"""Confidence intervals and paired tests over independent replicates (seeds, networks).

One definition for every stage. The t distribution comes from ``scipy.special``
(``stdtrit`` / ``stdtr``, what ``scipy.stats.t`` computes), because importing
``scipy.stats`` costs ~1 s per job; tests compare with ``scipy.stats``.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np


@lru_cache(maxsize=None)
def t_quantile(q: float, dof: int) -> float:
    """Student-t quantile ``q`` with ``dof`` degrees of freedom (cached: figure bands ask often)."""
    from scipy import special

    return float(special.stdtrit(dof, q))


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
    half = float(t_quantile(0.5 + level / 2, v.size - 1) * v.std(ddof=1) / np.sqrt(v.size))
    return m, m - half, m + half


def paired_t(differences) -> tuple[float, float]:
    """Paired t-test over replicates: t statistic and two-sided p of mean(differences) = 0.

    ``differences`` holds one paired difference per replicate (e.g. relay minus
    random of the same network); non-finite values are dropped. Fewer than two
    values, or no spread, give NaN. The formula of ``scipy.stats.ttest_1samp(v, 0)``.
    """
    from scipy import special

    v = np.asarray(differences, dtype=np.float64)
    v = v[np.isfinite(v)]
    if v.size < 2 or not np.ptp(v) > 0:
        return float("nan"), float("nan")
    t = float(v.mean() / np.sqrt(v.var(ddof=1) / v.size))
    return t, float(2.0 * special.stdtr(v.size - 1, -abs(t)))


def t_band(values) -> tuple[float, float]:
    """95% t-interval of the mean as seaborn's ``errorbar=`` callable (a point where n < 2)."""
    m, low, high = mean_ci(values)
    return (m, m) if np.isnan(low) else (low, high)
