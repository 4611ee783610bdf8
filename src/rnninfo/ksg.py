"""Kraskov-Stögbauer-Grassberger (KSG) mutual information, Frenzel-Pompe conditional
mutual information and Kozachenko-Leonenko entropy.

All estimators work in bits, with the max-norm (Chebyshev distance), as in
npeet (PyPI ``npeet-plus``, module ``npeet_plus``), which is this project's
reference implementation.

KSG algorithm 1 (Kraskov et al. 2004, eq. 8) for ``n`` samples of ``(x, y)``::

    I(X;Y) = psi(k) + psi(n) - < psi(n_x(i) + 1) + psi(n_y(i) + 1) >

where ``eps(i)`` is the max-norm distance from sample ``i`` to its ``k``-th
nearest neighbour in the joint space and ``n_x(i)`` (``n_y(i)``) counts the other
samples strictly closer than ``eps(i)`` in the x (y) marginal. Like npeet, "strictly
closer" is computed as "distance <= eps(i) - 1e-15" with the sample itself
counted, so ``psi(count)`` equals ``psi(n_x + 1)``. The conditional version
(Frenzel & Pompe 2007, npeet's ``cmi``) takes ``eps(i)`` in the (x, y, z) space::

    I(X;Y|Z) = psi(k) - < psi(n_xz(i) + 1) + psi(n_yz(i) + 1) - psi(n_z(i) + 1) >

**Scale.** With the max-norm, the k-th neighbour in the joint space depends on
the relative scale of x and y, so a raw estimate changes when a variable is
multiplied by a constant. By default (``standardize=True``) every column is
z-scored (mean 0, standard deviation 1, over the samples given) before anything
else, which makes :func:`mi` and :func:`cmi` invariant to ``a * x + b`` (a > 0,
per column; tested to 1e-9 bits). For :func:`entropy` standardising changes the
quantity: it returns the entropy of the z-scored variable,
``H(X) - sum_j log2 sd_j``; pass ``standardize=False`` for the entropy in the
variable's own units.

**Jitter.** KSG needs distinct distances; ties (saturated units, one-hot inputs)
are broken by adding ``1e-10 * U[0, 1)`` noise to every (standardised) value.
npeet draws that noise from numpy's global generator; here it comes from
``numpy.random.default_rng(seed)`` (x first, then y, then z), and npeet's own
noise is switched off while it runs, so ``method="npeet"`` (the default) and
``method="fast"`` see the very same jittered numbers and agree to rounding.

**Duplicated samples.** KSG assumes independent samples. A sample that enters
twice has a twin at distance ~1e-10 after the jitter, so its ``eps`` collapses
and the estimate grows without bound (pooling overlapping windows made 0.2 bits
look like 3.2). Every estimator counts the rows of its joint sample that repeat
have a duplicate, another row equal to them or within ``1e-7`` standard
deviations in every column (:func:`check_duplicates`), and raises a ``ValueError`` naming how many when they
exceed ``max_duplicate_share`` of the rows (``on_duplicates="warn"`` warns
instead). Discrete variables repeat values by nature: pass
``max_duplicate_share=None`` when the repeats are genuine.

**Bad input** is rejected with a ``ValueError`` that says what is wrong: NaN or
inf, mismatched lengths, fewer than ``k + 1`` samples, or a constant column
(whose "information" would be the jitter's). With ``allow_constant=True``
constant columns are left out instead, which is exact (a constant carries no
information): an all-constant x or y gives ``mi = 0`` and ``cmi = 0``, an
all-constant z gives ``cmi = mi(x, y)``, and an entropy with a constant column
is ``NaN`` (a point mass has no finite differential entropy). Nothing constant is
ever estimated.

**Fast path.** ``method="fast"`` computes the same numbers as npeet with less
work: one-dimensional marginals are counted by binary search in a sorted copy
(:func:`count_within_sorted`); in many dimensions or for few samples the max-norm
distance matrices are computed block by block (``scipy.spatial.distance.cdist``)
and reused for the joint k-th neighbour, every marginal count and the duplicate
check (compiled, :func:`rnninfo.knn.ksg_counts`; ``DENSE_ENGINE = "cdist"`` uses
scipy's distance blocks instead); otherwise the joint k-th (and nearest) neighbour comes from a ``cKDTree``
and each multi-dimensional marginal is counted by a k-d tree in count-only mode.
Same distances, same predicates, so the same numbers as npeet (tested to 1e-9
bits). ``bench/ksg.py`` prints the ratios. :func:`entropies` batches the entropies
of many column subsets (TSE); :func:`mi_from_counts` / :func:`cmi_from_counts`
turn neighbour counts into bits for callers with their own neighbour search
(the flow matrix, :mod:`rnninfo.flow`).
"""

from __future__ import annotations

import contextlib
import functools
import threading
import warnings
from typing import Iterator

import numpy as np
from scipy.spatial import cKDTree
from scipy.spatial.distance import cdist
from scipy.special import digamma

#: Amplitude of the tie-breaking noise, the same as npeet's ``add_noise``.
JITTER = 1e-10
#: npeet counts marginal neighbours within ``eps - 1e-15``; so do we.
_MARGIN = 1e-15
_LN2 = np.log(2.0)
#: Rows closer than this (max-norm, in standard deviations) count as duplicates.
DUPLICATE_TOL = 1e-7
#: Default largest share of duplicated rows an estimator accepts.
MAX_DUPLICATE_SHARE = 0.05

__all__ = [
    "JITTER",
    "DUPLICATE_TOL",
    "MAX_DUPLICATE_SHARE",
    "mi",
    "cmi",
    "entropy",
    "entropies",
    "jitter",
    "standardize_columns",
    "as_samples",
    "check_duplicates",
    "count_duplicates",
    "mi_jittered",
    "cmi_jittered",
    "entropy_jittered",
    "count_within_sorted",
    "mi_from_counts",
    "cmi_from_counts",
    "npeet_mi",
    "npeet_cmi",
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


def standardize_columns(a: np.ndarray) -> np.ndarray:
    """Each column z-scored: ``(a - mean) / sd`` over the rows (sd with ``ddof=0``).

    Constant columns (sd 0) are returned centred (all zeros): callers decide what a
    constant means before they get here.
    """
    a = np.asarray(a, dtype=np.float64)
    mean = a.mean(axis=0)
    sd = a.std(axis=0)
    return (a - mean) / np.where(sd > 0, sd, 1.0)


def jitter(arrays, seed=0, scale: float = JITTER) -> list[np.ndarray]:
    """Add ``scale * U[0, 1)`` to each array in order, from one ``default_rng(seed)`` stream.

    ``seed`` is anything :func:`numpy.random.default_rng` accepts (an int, a list
    of ints, a ``SeedSequence``). Returns new float64 arrays; the inputs are untouched.
    """
    rng = np.random.default_rng(seed)
    return [np.asarray(a, dtype=np.float64) + scale * rng.random(np.shape(a)) for a in arrays]


# ------------------------------------------------------------------ duplicates


def count_duplicates(rows, tol: float = DUPLICATE_TOL) -> int:
    """How many rows of ``rows`` ``(n, d)`` have a duplicate: another row equal to them, or
    within ``tol`` standard deviations in every column (max-norm, after z-scoring each
    column; constant columns are zeros). A pair of equal rows counts as 2.
    """
    z = standardize_columns(as_samples(rows, "rows", allow_constant=True))
    if z.shape[0] < 2:
        return 0
    nearest = cKDTree(z).query(z, k=[2], p=np.inf, distance_upper_bound=tol)[0][:, 0]
    return int(np.count_nonzero(nearest <= tol))


def check_duplicates(
    rows,
    max_share: float | None = MAX_DUPLICATE_SHARE,
    name: str = "samples",
    tol: float = DUPLICATE_TOL,
    action: str = "raise",
) -> int:
    """Refuse (``action="raise"``: ``ValueError``) or warn (``"warn"``) when more than
    ``max_share`` of the rows have a duplicate (see :func:`count_duplicates`).

    Returns the number of duplicated rows. ``max_share=None`` skips the check
    (returns 0). The message names how many rows, of how many, and the share.
    """
    if max_share is None:
        return 0
    _check_duplicate_options(max_share, action)
    return _judge_duplicates(count_duplicates(rows, tol), np.shape(rows)[0], max_share, name, tol, action)


def _check_duplicate_options(max_share, action: str) -> None:
    if not (0 <= max_share <= 1):
        raise ValueError(f"max_share: expected a share in [0, 1] or None, got {max_share!r}")
    if action not in ("raise", "warn"):
        raise ValueError(f"on_duplicates: expected 'raise' or 'warn', got {action!r}")


def _judge_duplicates(dup: int, n: int, max_share, name: str, tol: float, action: str) -> int:
    if n and dup / n > max_share:
        msg = (
            f"{name}: {dup} of {n} rows ({100 * dup / n:.1f}%) have a duplicate (another row equal to "
            f"them or within {tol:g} standard deviations in every column), more than the {100 * max_share:g}% allowed; KSG needs each sample "
            "once (overlapping windows pooled?). If the variables are discrete and the repeats genuine, "
            "pass max_duplicate_share=None"
        )
        if action == "raise":
            raise ValueError(msg)
        warnings.warn(msg, stacklevel=4)
    return dup


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
    return _kth_and_nearest(points, k)[0]


def _kth_and_nearest(points: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Max-norm distances from each point to its k-th and to its nearest other point."""
    d = cKDTree(points, leafsize=16).query(points, k=[2, k + 1], p=np.inf)[0]
    return d[:, 1], d[:, 0]


#: From this many points on, marginal counts use scikit-learn's tree, below it scipy's.
_SKLEARN_FROM = 300


def _count_tree(points: np.ndarray, radius: np.ndarray) -> np.ndarray:
    """``#{j : max|points[j] - points[i]| <= radius[i]}`` for every i (self included).

    A k-d tree in count-only mode: scikit-learn's (the counting npeet does) from
    ``_SKLEARN_FROM`` points on; below that scipy's ``query_ball_point(...,
    return_length=True)``, which counts the same with less overhead per call but is
    2-3x slower than scikit-learn's on many points with the max-norm.
    """
    if points.shape[0] < _SKLEARN_FROM:  # scipy's is faster for few points (less overhead per call)
        return cKDTree(points).query_ball_point(points, radius, p=np.inf, return_length=True)
    from sklearn.neighbors import KDTree

    return KDTree(points, leaf_size=20, metric="chebyshev").query_radius(points, radius, count_only=True)


def _marginal_counts(z: np.ndarray, radius: np.ndarray, sorted_z: np.ndarray | None = None) -> np.ndarray:
    if z.shape[1] == 1:
        col = z[:, 0]
        s = np.sort(col) if sorted_z is None else sorted_z
        return count_within_sorted(s, col, radius)
    return _count_tree(z, radius)


#: Elements of one block of the distance matrices in the all-pairs ("dense") pass.
_DENSE_BLOCK = 1 << 16


def _use_dense(n: int, dims: int) -> bool:
    """Dense max-norm matrices beat trees for few samples or many dimensions (bench/ksg.py)."""
    return n <= 100 or (dims >= 4 and n <= 400) or (dims >= 12 and n <= 1500) or dims >= 16


#: Engine of the dense pass: "compiled" (:func:`rnninfo.knn.ksg_counts`) or "cdist"
#: (scipy distance blocks + ``np.partition``, the plain reference). Same numbers.
DENSE_ENGINE = "compiled"


def _dense_counts(parts: list[np.ndarray], marginals: list[tuple[int, ...]], k: int):
    """eps (k-th neighbour distance in the joint space of ``parts``), for each
    marginal (a tuple of part indices) the neighbour counts within ``eps - 1e-15``,
    and each point's distance to its nearest other point (for the duplicate check).

    ``DENSE_ENGINE="compiled"``: one compiled pass (:func:`rnninfo.knn.ksg_counts`);
    ``"cdist"``: :func:`_dense_counts_cdist`. Same distances, same predicates, same counts.
    """
    if DENSE_ENGINE == "cdist":
        return _dense_counts_cdist(parts, marginals, k)
    from rnninfo import knn

    points = np.ascontiguousarray(np.hstack(parts).T)  # [D, n]
    edges = np.cumsum([0] + [p.shape[1] for p in parts])
    groups = np.zeros((len(marginals), points.shape[0]), dtype=np.bool_)
    for g, marg in enumerate(marginals):
        for i in marg:
            groups[g, edges[i]:edges[i + 1]] = True
    eps, counts, nearest = knn.ksg_counts(points, groups, k)
    return eps, list(counts), nearest


def _dense_counts_cdist(parts: list[np.ndarray], marginals: list[tuple[int, ...]], k: int):
    """:func:`_dense_counts` with scipy: rows are processed in blocks; each part's
    max-norm distances are computed once per block and combined by ``np.maximum``
    (the max-norm of the union of columns), the k-th neighbour by ``np.partition``.
    """
    n = parts[0].shape[0]
    rows = max(1, min(n, _DENSE_BLOCK // n))
    eps = np.empty(n)
    nearest = np.empty(n)
    counts = [np.empty(n, dtype=np.int64) for _ in marginals]
    for s in range(0, n, rows):
        e = min(n, s + rows)
        dist = [cdist(p[s:e], p, "chebyshev") for p in parts]  # each [rows, n]
        joint = functools.reduce(np.maximum, dist)
        part = np.partition(joint, (1, k), axis=1)  # column 0 of the sorted row is the point itself
        eps_b = part[:, k]
        eps[s:e] = eps_b
        nearest[s:e] = part[:, 1]
        radius = (eps_b - _MARGIN)[:, None]
        for c, marg in zip(counts, marginals):
            d = functools.reduce(np.maximum, [dist[i] for i in marg])
            c[s:e] = np.count_nonzero(d <= radius, axis=1)
    return eps, counts, nearest


def mi_jittered(x: np.ndarray, y: np.ndarray, k: int = 3, sorted_x=None, sorted_y=None) -> float:
    """KSG algorithm 1 in bits on already-jittered float64 ``(n, dx)``, ``(n, dy)`` arrays.

    No validation, no jitter: the building block of :func:`mi` and of the
    all-pairs flow matrix. ``sorted_x`` / ``sorted_y`` may pass a 1-D marginal
    sorted once in advance (then the tree path is used).
    """
    return _mi_core(x, y, k, sorted_x, sorted_y)[0]


def _mi_core(x, y, k, sorted_x=None, sorted_y=None) -> tuple[float, np.ndarray]:
    """(MI in bits, each sample's max-norm distance to its nearest other sample in the joint space)."""
    n = x.shape[0]
    if sorted_x is None and sorted_y is None and _use_dense(n, x.shape[1] + y.shape[1]):
        _, (cx, cy), nearest = _dense_counts([x, y], [(0,), (1,)], k)
    else:
        eps, nearest = _kth_and_nearest(np.hstack([x, y]), k)
        radius = eps - _MARGIN
        cx = _marginal_counts(x, radius, sorted_x)
        cy = _marginal_counts(y, radius, sorted_y)
    return float(mi_from_counts(cx, cy, k, n)), nearest


@functools.lru_cache(maxsize=8)
def _digamma_table(n: int) -> np.ndarray:
    """``digamma(0 .. n)``: the same numbers as ``digamma`` of each count, looked up."""
    return digamma(np.arange(n + 1, dtype=np.float64))


def _digamma_counts(c: np.ndarray) -> np.ndarray:
    c = np.asarray(c)
    return _digamma_table(int(c.shape[-1]))[c]  # counts lie in 0 .. n (self included)


def mi_from_counts(cx: np.ndarray, cy: np.ndarray, k: int, n: int) -> np.ndarray:
    """KSG-MI in bits from marginal counts ``[..., n]`` (self included): one value per leading index."""
    a = np.mean(_digamma_counts(cx), axis=-1)
    b = np.mean(_digamma_counts(cy), axis=-1)
    return (-a - b + digamma(k) + digamma(n)) / _LN2


def cmi_from_counts(cxz: np.ndarray, cyz: np.ndarray, cz: np.ndarray, k: int) -> np.ndarray:
    """Frenzel-Pompe CMI in bits from counts ``[..., n]`` (self included): one value per leading index."""
    val = (-np.mean(_digamma_counts(cxz), axis=-1) - np.mean(_digamma_counts(cyz), axis=-1)
           + np.mean(_digamma_counts(cz), axis=-1) + digamma(k))
    return val / _LN2


def cmi_jittered(x: np.ndarray, y: np.ndarray, z: np.ndarray, k: int = 3, sorted_z=None) -> float:
    """Frenzel-Pompe I(X;Y|Z) in bits on already-jittered ``(n, dx)``, ``(n, dy)``, ``(n, dz)`` arrays.

    No validation, no jitter (see :func:`cmi`). ``sorted_z`` may pass a 1-D z sorted in advance.
    """
    return _cmi_core(x, y, z, k, sorted_z)[0]


def _cmi_core(x, y, z, k, sorted_z=None) -> tuple[float, np.ndarray]:
    n = x.shape[0]
    if sorted_z is None and _use_dense(n, x.shape[1] + y.shape[1] + z.shape[1]):
        _, (cxz, cyz, cz), nearest = _dense_counts([x, y, z], [(0, 2), (1, 2), (2,)], k)
    else:
        eps, nearest = _kth_and_nearest(np.hstack([x, y, z]), k)
        radius = eps - _MARGIN
        cxz = _marginal_counts(np.hstack([x, z]), radius)
        cyz = _marginal_counts(np.hstack([y, z]), radius)
        cz = _marginal_counts(z, radius, sorted_z)
    return float(cmi_from_counts(cxz, cyz, cz, k)), nearest


def entropy_jittered(x: np.ndarray, k: int = 3) -> float:
    """Kozachenko-Leonenko entropy in bits (max-norm) on an already-jittered ``(n, d)`` array."""
    return _entropy_core(x, k)[0]


def _entropy_core(x, k) -> tuple[float, np.ndarray]:
    n, d = x.shape
    if _use_dense(n, d):
        nn, _, nearest = _dense_counts([x], [], k)
    else:
        nn, nearest = _kth_and_nearest(x, k)
    const = digamma(n) - digamma(k) + d * _LN2
    return float((const + d * np.log(nn).mean()) / _LN2), nearest


def entropies(
    x,
    subsets,
    k: int = 3,
    seed=0,
    max_duplicate_share: float | None = MAX_DUPLICATE_SHARE,
    on_duplicates: str = "raise",
) -> np.ndarray:
    """:func:`entropy` of ``x[:, s]`` for every column subset ``s`` in ``subsets``, batched.

    Equal to ``[entropy(x[:, list(s)], k, seed, method="fast", max_duplicate_share=...,
    on_duplicates=...) for s in subsets]`` (same jitter: the first ``n * d`` numbers of
    ``default_rng(seed)``, same duplicate judgement) up to float rounding, but ``x`` is
    z-scored once and every subset takes its columns from that (a column's z-score does
    not depend on the other columns; numpy's means of an (n, d) and an (n, d') array can
    differ in the last bit, so the points differ by ~1 ulp and the entropies by < 1e-13
    bits: the k-th neighbour distance is continuous in the points). The k-th neighbour
    distances of all subsets of one size come from one compiled call
    (:func:`rnninfo.knn.kth_nearest_many`). Bits; ``x`` is ``(n, d)`` without constant columns.
    """
    from rnninfo import knn

    arr = as_samples(x, "x")
    n = arr.shape[0]
    k = _check_k(k, n)
    if max_duplicate_share is not None:
        _check_duplicate_options(max_duplicate_share, on_duplicates)
    subsets = [tuple(int(c) for c in s) for s in subsets]
    out = np.empty(len(subsets))
    by_size: dict[int, list[int]] = {}
    for i, s in enumerate(subsets):
        if not s or min(s) < 0 or max(s) >= arr.shape[1]:
            raise ValueError(f"subsets: {s} is not a non-empty subset of the {arr.shape[1]} columns")
        by_size.setdefault(len(s), []).append(i)
    # a column's z-score does not depend on the other columns: standardise once, take subsets' columns
    zt = np.ascontiguousarray(standardize_columns(arr).T)  # [d_all, n]
    # neighbours are searched along the column with most distinct values (fewest ties): speed only
    distinct = np.array([np.unique(np.round(c, 8)).size for c in zt])
    for d, idx in by_size.items():
        noise = JITTER * np.random.default_rng(seed).random((n, d))  # what jitter() adds to (n, d)
        cols = np.array([subsets[i] for i in idx], dtype=np.int64)   # [subsets, d]
        points = zt[cols] + noise.T                                  # [subsets, d, n] column-major samples
        axes = np.argmax(distinct[cols], axis=1).astype(np.int64)    # [subsets]
        orders = np.argsort(points[np.arange(len(idx)), axes], axis=1)  # [subsets, n]
        eps, nearest = knn.kth_nearest_many(points, axes, orders, k)
        const = digamma(n) - digamma(k) + d * _LN2
        out[idx] = (const + d * np.log(eps).mean(axis=1)) / _LN2
        if max_duplicate_share is not None:
            for dup in np.count_nonzero(nearest <= DUPLICATE_TOL, axis=1):
                _judge_duplicates(int(dup), n, max_duplicate_share, "x", DUPLICATE_TOL, on_duplicates)
    return out


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


def npeet_cmi(x: np.ndarray, y: np.ndarray, z: np.ndarray, k: int = 3) -> float:
    """npeet's ``cmi`` (Frenzel-Pompe) in bits on already-jittered data (its own noise off)."""
    with _npeet_without_noise() as npeet:
        return float(npeet.cmi(x, y, z, k=k, base=2))


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


def _variables(arrays: dict, allow_constant: bool, standardize: bool) -> dict:
    """Validated ``(n, d)`` arrays, same length; constant columns dropped (if allowed);
    z-scored if ``standardize``. A variable left with no column maps to ``None``."""
    out = {}
    n = None
    for name, a in arrays.items():
        arr = as_samples(a, name, allow_constant)
        if n is not None and arr.shape[0] != n:
            names = list(arrays)
            raise ValueError(
                f"{' and '.join(names)} must have the same number of samples (rows), got "
                f"{' and '.join(str(np.shape(np.atleast_1d(arrays[m]))[0]) for m in names)}"
            )
        n = arr.shape[0]
        if allow_constant and n > 1:
            arr = arr[:, np.ptp(arr, axis=0) > 0]
        if arr.shape[1] == 0:
            out[name] = None
            continue
        out[name] = standardize_columns(arr) if standardize else arr
    return out


def _estimate(parts, k, seed, method, standardize, max_share, on_duplicates, name, reference, core) -> float:
    """Duplicate check, jitter, estimate: npeet's ``reference`` or this module's ``core``.

    The fast path's joint nearest-neighbour search already gives each sample's
    distance to its nearest other sample, so on standardised data the duplicate
    check costs nothing extra there (same rule as :func:`count_duplicates`, on the
    jittered values); otherwise :func:`check_duplicates` runs first.
    """
    free = method == "fast" and standardize
    if max_share is not None and not free:
        check_duplicates(np.hstack(parts), max_share, name=name, action=on_duplicates)
    elif max_share is not None:
        _check_duplicate_options(max_share, on_duplicates)
    jittered = jitter(parts, seed)
    if method == "npeet":
        return reference(*jittered, k)
    value, nearest = core(*jittered, k)
    if max_share is not None and free:
        dup = int(np.count_nonzero(nearest <= DUPLICATE_TOL))
        _judge_duplicates(dup, nearest.shape[0], max_share, name, DUPLICATE_TOL, on_duplicates)
    return value


def mi(
    x,
    y,
    k: int = 3,
    seed=0,
    method: str = "npeet",
    standardize: bool = True,
    allow_constant: bool = False,
    max_duplicate_share: float | None = MAX_DUPLICATE_SHARE,
    on_duplicates: str = "raise",
) -> float:
    """Mutual information I(X;Y) in bits, KSG algorithm 1 with the max-norm.

    ``x`` is ``(n,)`` or ``(n, dx)``, ``y`` is ``(n,)`` or ``(n, dy)``: rows are samples.
    Each column is z-scored (``standardize=True``), the joint rows are checked for
    duplicates (``max_duplicate_share``, ``on_duplicates``), then x and y are
    jittered with ``default_rng(seed)`` (x first, then y). ``method="npeet"`` runs
    npeet's ``mi`` on the jittered data (the reference); ``method="fast"`` runs this
    module's implementation of the same algorithm (equal to the reference to
    rounding, tested to 1e-9 bits). Constant columns: see the module doc.
    """
    _check_method(method)
    v = _variables({"x": x, "y": y}, allow_constant, standardize)
    n = np.shape(np.atleast_1d(x))[0]
    k = _check_k(k, n)
    if v["x"] is None or v["y"] is None:
        return 0.0  # a constant shares no information (exact, not estimated)
    return _estimate(
        [v["x"], v["y"]], k, seed, method, standardize, max_duplicate_share, on_duplicates, "x, y", npeet_mi, _mi_core
    )


def cmi(
    x,
    y,
    z,
    k: int = 3,
    seed=0,
    standardize: bool = True,
    method: str = "npeet",
    allow_constant: bool = False,
    max_duplicate_share: float | None = MAX_DUPLICATE_SHARE,
    on_duplicates: str = "raise",
) -> float:
    """Conditional mutual information I(X;Y|Z) in bits, Frenzel-Pompe (KSG) with the max-norm.

    Shapes, standardising, duplicate check and methods as in :func:`mi`; the jitter
    is drawn x, then y, then z from ``default_rng(seed)``. ``method="npeet"`` is
    npeet's ``cmi`` on the jittered data, ``method="fast"`` this module's (equal to
    1e-9 bits).
    """
    _check_method(method)
    v = _variables({"x": x, "y": y, "z": z}, allow_constant, standardize)
    n = np.shape(np.atleast_1d(x))[0]
    k = _check_k(k, n)
    if v["x"] is None or v["y"] is None:
        return 0.0
    if v["z"] is None:  # conditioning on a constant changes nothing
        return mi(
            v["x"], v["y"], k, seed, method, False, False, max_duplicate_share, on_duplicates
        )
    return _estimate(
        [v["x"], v["y"], v["z"]], k, seed, method, standardize, max_duplicate_share, on_duplicates, "x, y, z",
        npeet_cmi, _cmi_core,
    )


def entropy(
    x,
    k: int = 3,
    seed=0,
    method: str = "npeet",
    allow_constant: bool = False,
    standardize: bool = True,
    max_duplicate_share: float | None = MAX_DUPLICATE_SHARE,
    on_duplicates: str = "raise",
) -> float:
    """Differential entropy H(X) in bits, Kozachenko-Leonenko k-NN estimator with the max-norm.

    With ``standardize=True`` (default) this is the entropy of the z-scored
    variable, ``H(X) - sum_j log2 sd_j`` (see the module doc); ``standardize=False``
    gives it in the variable's units. Jitter, methods, duplicate check and errors
    as in :func:`mi`; with ``allow_constant=True`` a constant column makes the
    entropy NaN (a point mass has no finite differential entropy).
    """
    _check_method(method)
    arr = as_samples(x, "x", allow_constant)
    k = _check_k(k, arr.shape[0])
    if allow_constant and arr.shape[0] > 1 and (np.ptp(arr, axis=0) == 0).any():
        return float("nan")
    if standardize:
        arr = standardize_columns(arr)
    return _estimate(
        [arr], k, seed, method, standardize, max_duplicate_share, on_duplicates, "x", npeet_entropy, _entropy_core
    )
