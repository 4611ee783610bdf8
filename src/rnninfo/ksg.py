"""Kraskov-Stögbauer-Grassberger (KSG) mutual information and Kozachenko-Leonenko entropy.

Both estimators work in bits, with the max-norm (Chebyshev distance), as in
npeet (PyPI ``npeet-plus``, module ``npeet_plus``), which is this project's
reference implementation.

KSG algorithm 1 (Kraskov et al. 2004, eq. 8) for ``n`` samples of ``(x, y)``::

    I(X;Y) = psi(k) + psi(n) - < psi(n_x(i) + 1) + psi(n_y(i) + 1) >

where ``eps(i)`` is the max-norm distance from sample ``i`` to its ``k``-th
nearest neighbour in the joint space and ``n_x(i)`` (``n_y(i)``) counts the other
samples strictly closer than ``eps(i)`` in the x (y) marginal. Like npeet, "strictly
closer" is computed as "distance <= eps(i) - 1e-15" with the sample itself
counted, so ``psi(count)`` equals ``psi(n_x + 1)``.

**Jitter.** KSG needs distinct distances; ties (saturated units, one-hot inputs)
are broken by adding ``1e-10 * U[0, 1)`` noise to every value. npeet draws that
noise from numpy's global generator; here it comes from
``numpy.random.default_rng(seed)`` (x first, then y), and npeet's own noise is
switched off while it runs, so :func:`mi` with ``method="npeet"`` (the default)
and ``method="fast"`` see the very same jittered numbers and agree to rounding.

Inputs are rejected with a ``ValueError`` that says what is wrong when they
contain NaN or inf, have mismatched lengths, fewer than ``k + 1`` samples, or a
constant column (whose "information" would be the jitter's; pass
``allow_constant=True`` to estimate anyway).
"""

from __future__ import annotations

import contextlib
import threading
from typing import Iterator

import numpy as np
from scipy.spatial import cKDTree
from scipy.special import digamma

#: Amplitude of the tie-breaking noise, the same as npeet's ``add_noise``.
JITTER = 1e-10
#: npeet counts marginal neighbours within ``eps - 1e-15``; so do we.
_MARGIN = 1e-15
_LN2 = np.log(2.0)

__all__ = [
    "JITTER",
    "mi",
    "entropy",
    "jitter",
    "as_samples",
    "mi_jittered",
    "entropy_jittered",
    "count_within_sorted",
    "npeet_mi",
    "npeet_entropy",
]


# ---------------------------------------------------------------- validation


def as_samples(a, name: str = "x", allow_constant: bool = False) -> np.ndarray:
    """``a`` as a float64 ``(n, d)`` array: 1-D input is one column; checks finiteness."""
    arr = np.asarray(a, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[:, None]
    elif arr.ndim != 2:
        raise ValueError(f"{name}: expected a 1-D (samples,) or 2-D (samples, dims) array, got shape {arr.shape}")
    if arr.shape[1] == 0:
        raise ValueError(f"{name}: has no columns (shape {arr.shape})")
    bad = ~np.isfinite(arr)
    if bad.any():
        rows, cols = np.nonzero(bad)
        kind = "NaN" if np.isnan(arr[rows[0], cols[0]]) else "inf"
        raise ValueError(
            f"{name}: {int(bad.sum())} non-finite value(s) (first: {kind} at sample {rows[0]}, column {cols[0]}); "
            "KSG needs finite numbers"
        )
    if not allow_constant and arr.shape[0] > 1:
        const = np.flatnonzero(np.ptp(arr, axis=0) == 0)
        if const.size:
            raise ValueError(
                f"{name}: column(s) {const.tolist()} are constant over all {arr.shape[0]} samples; "
                "drop them or pass allow_constant=True"
            )
    return arr


def _check_k(k, n: int) -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k: expected a positive integer, got {k!r}")
    if n < k + 1:
        raise ValueError(f"too few samples: KSG with k={k} needs at least k+1 = {k + 1}, got {n}")
    return int(k)


def jitter(arrays, seed=0, scale: float = JITTER) -> list[np.ndarray]:
    """Add ``scale * U[0, 1)`` to each array in order, from one ``default_rng(seed)`` stream.

    ``seed`` is anything :func:`numpy.random.default_rng` accepts (an int, a list
    of ints, a ``SeedSequence``). Returns new float64 arrays; the inputs are untouched.
    """
    rng = np.random.default_rng(seed)
    return [np.asarray(a, dtype=np.float64) + scale * rng.random(np.shape(a)) for a in arrays]


# ------------------------------------------------------ counting and KSG core


def count_within_sorted(sorted_vals: np.ndarray, vals: np.ndarray, radius: np.ndarray) -> np.ndarray:
    """For each i, how many entries s of ``sorted_vals`` satisfy ``|s - vals[i]| <= radius[i]``.

    Binary search gives the range from ``vals +- radius``, whose rounding can differ
    from that of ``|s - v|`` by one ulp; the ends are then moved until the exact
    predicate holds, so the counts equal those of a tree search in 1-D.
    """
    n = sorted_vals.shape[0]
    lo = np.searchsorted(sorted_vals, vals - radius, side="left")
    hi = np.searchsorted(sorted_vals, vals + radius, side="right")

    def inside(idx):
        return np.abs(sorted_vals[np.clip(idx, 0, n - 1)] - vals) <= radius

    while True:  # at most a couple of rounds: the search is off by rounding only
        grow_hi = (hi < n) & inside(hi)
        shrink_hi = (hi > lo) & ~inside(hi - 1)
        grow_lo = (lo > 0) & inside(lo - 1)
        shrink_lo = (lo < hi) & ~inside(lo)
        if not (grow_hi.any() or shrink_hi.any() or grow_lo.any() or shrink_lo.any()):
            break
        hi = hi + grow_hi - (shrink_hi & ~grow_hi)
        lo = lo - grow_lo + (shrink_lo & ~grow_lo)
    return hi - lo


def _kth_distance(points: np.ndarray, k: int) -> np.ndarray:
    """Max-norm distance from each point to its k-th nearest other point."""
    return cKDTree(points).query(points, k=k + 1, p=np.inf)[0][:, k]


def _marginal_counts(z: np.ndarray, radius: np.ndarray, sorted_z: np.ndarray | None = None) -> np.ndarray:
    if z.shape[1] == 1:
        col = z[:, 0]
        s = np.sort(col) if sorted_z is None else sorted_z
        return count_within_sorted(s, col, radius)
    return cKDTree(z).query_ball_point(z, radius, p=np.inf, return_length=True)


def mi_jittered(x: np.ndarray, y: np.ndarray, k: int = 3, sorted_x=None, sorted_y=None) -> float:
    """KSG algorithm 1 in bits on already-jittered float64 ``(n, dx)``, ``(n, dy)`` arrays.

    No validation, no jitter: the building block of :func:`mi` and of the
    all-pairs flow matrix. ``sorted_x`` / ``sorted_y`` may pass a 1-D marginal
    sorted once in advance.
    """
    eps = _kth_distance(np.hstack([x, y]), k)
    radius = eps - _MARGIN
    a = np.mean(digamma(_marginal_counts(x, radius, sorted_x)))
    b = np.mean(digamma(_marginal_counts(y, radius, sorted_y)))
    return float((-a - b + digamma(k) + digamma(x.shape[0])) / _LN2)


def entropy_jittered(x: np.ndarray, k: int = 3) -> float:
    """Kozachenko-Leonenko entropy in bits (max-norm) on an already-jittered ``(n, d)`` array."""
    n, d = x.shape
    nn = _kth_distance(x, k)
    const = digamma(n) - digamma(k) + d * _LN2
    return float((const + d * np.log(nn).mean()) / _LN2)


# ------------------------------------------------------------------- npeet


_NPEET_LOCK = threading.Lock()


@contextlib.contextmanager
def _npeet_without_noise() -> Iterator[object]:
    """npeet's estimator module with its global-RNG ``add_noise`` replaced by identity.

    npeet looks ``add_noise`` up in its module at call time, so swapping the
    module attribute (under a lock, restored afterwards) makes its estimators run
    on exactly the data they are given.
    """
    import npeet_plus.estimators as npeet

    with _NPEET_LOCK:
        original = npeet.add_noise
        npeet.add_noise = lambda x, intens=0.0: x
        try:
            yield npeet
        finally:
            npeet.add_noise = original


def npeet_mi(x: np.ndarray, y: np.ndarray, k: int = 3) -> float:
    """npeet's ``mi`` in bits on already-jittered data (its own noise off)."""
    with _npeet_without_noise() as npeet:
        return float(npeet.mi(x, y, k=k, base=2))


def npeet_entropy(x: np.ndarray, k: int = 3) -> float:
    """npeet's ``entropy`` in bits on already-jittered data (its own noise off)."""
    with _npeet_without_noise() as npeet:
        return float(npeet.entropy(x, k=k, base=2))


# -------------------------------------------------------------- public API


_METHODS = ("npeet", "fast")


def _check_method(method: str) -> str:
    if method not in _METHODS:
        raise ValueError(f"method: expected one of {_METHODS}, got {method!r}")
    return method


def mi(x, y, k: int = 3, seed=0, method: str = "npeet", allow_constant: bool = False) -> float:
    """Mutual information I(X;Y) in bits, KSG algorithm 1 with the max-norm.

    ``x`` is ``(n,)`` or ``(n, dx)``, ``y`` is ``(n,)`` or ``(n, dy)``: rows are samples.
    Both are jittered with ``default_rng(seed)`` (x first, then y) before estimation.
    ``method="npeet"`` runs npeet's ``mi`` on the jittered data (the reference);
    ``method="fast"`` runs this module's implementation of the same algorithm
    (equal to the reference to rounding, tested to 1e-9 bits).
    """
    _check_method(method)
    x = as_samples(x, "x", allow_constant)
    y = as_samples(y, "y", allow_constant)
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"x and y must have the same number of samples (rows), got {x.shape[0]} and {y.shape[0]}")
    k = _check_k(k, x.shape[0])
    xj, yj = jitter([x, y], seed)
    if method == "npeet":
        return npeet_mi(xj, yj, k)
    return mi_jittered(xj, yj, k)


def entropy(x, k: int = 3, seed=0, method: str = "npeet", allow_constant: bool = False) -> float:
    """Differential entropy H(X) in bits, Kozachenko-Leonenko k-NN estimator with the max-norm.

    Used to normalise a neuron's mutual information (paper B, Fig. 7). Jitter,
    methods and errors as in :func:`mi`.
    """
    _check_method(method)
    x = as_samples(x, "x", allow_constant)
    k = _check_k(k, x.shape[0])
    (xj,) = jitter([x], seed)
    if method == "npeet":
        return npeet_entropy(xj, k)
    return entropy_jittered(xj, k)
