"""Compiled (numba) exact max-norm neighbour kernels for the KSG estimators.

For the sample sizes of the weather analyses (n ~ 100-500) compiled loops beat
any tree: no build, no Python call per estimate, many estimates per call.

- :func:`mi_rows` / :func:`cmi_rows`: one 1-D source against many targets (the
  flow matrix and its surrogates). The joint k-th neighbour of each sample is
  found by walking outwards in the sorted order of one coordinate until the
  distance along it alone reaches the k-th smallest joint distance seen (no
  point further along can be closer); marginal counts are the runs of samples
  within the radius in sorted order.
- :func:`kth_nearest_many`: k-th and nearest neighbour distances of many
  samples of one shape (the subsets of TSE), by the same walk with a fallback to
  full rows of distances when the walk would visit too many points.
- :func:`ksg_counts`: the dense pass for multi-dimensional MI / CMI / entropy.

Every distance is ``max_c |p_c[j] - p_c[i]|`` in float64, exactly what scipy's
``cKDTree`` / ``cdist("chebyshev")`` and npeet compute, and the predicates are the
same (k-th neighbour counted with the point itself, marginal counts
``distance <= eps - 1e-15`` with the point itself; ``|s - v| <= r`` is monotone
on each side of v in sorted order, rounding included, so runs are exact), so the
counts equal those of the tree and dense paths of :mod:`rnninfo.ksg` integer for
integer; callers turn counts into bits with the same numpy expressions, so the
estimates are equal too (tests/test_knn.py). Which coordinate a walk follows is
a choice of speed only. Sorting is done by the callers (``np.argsort``): it
compiles slowly in numba. All kernels release the GIL (``nogil``).
"""

from __future__ import annotations

import numba
import numpy as np

#: npeet counts marginal neighbours within ``eps - 1e-15`` (as rnninfo.ksg does).
MARGIN = 1e-15

__all__ = ["MARGIN", "ksg_counts", "mi_rows", "cmi_rows", "kth_nearest_many"]


@numba.njit(cache=True, nogil=True, inline="always")
def _insert(best, last, d):
    """Insert ``d`` into ascending ``best[0 .. last]``, dropping the largest (the caller
    checked ``d < best[last]``)."""
    t = last
    while t > 0 and best[t - 1] > d:
        best[t] = best[t - 1]
        t -= 1
    best[t] = d


@numba.njit(cache=True, nogil=True)
def _select(row, kk, best):
    """The ``kk`` smallest values of ``row`` (with repeats), ascending, into ``best``."""
    for t in range(kk):
        best[t] = np.inf
    last = kk - 1
    for j in range(row.shape[0]):
        d = row[j]
        if d < best[last]:
            _insert(best, last, d)


@numba.njit(cache=True, nogil=True)
def _joint_row(parts_i, row, i):
    """row[j] = max over the dims of ``parts_i`` [D, n] of |p[c, j] - p[c, i]|."""
    D, n = parts_i.shape
    for j in range(n):
        row[j] = abs(parts_i[0, j] - parts_i[0, i])
    for c in range(1, D):
        for j in range(n):
            d = abs(parts_i[c, j] - parts_i[c, i])
            if d > row[j]:
                row[j] = d


@numba.njit(cache=True, nogil=True)
def ksg_counts(points, groups, k):
    """Joint k-th neighbour and marginal counts for KSG on one sample.

    ``points`` [D, n] column-major, the dimensions of all variables stacked;
    ``groups`` [G, D] bool: marginal g is the max-norm over the dims with
    ``groups[g, c]``. Returns (eps [n], counts [G, n] int64 of
    ``#{j : marginal distance <= eps_i - 1e-15}`` with j = i counted, nearest [n]).
    """
    D, n = points.shape
    G = groups.shape[0]
    eps = np.empty(n)
    nearest = np.empty(n)
    counts = np.zeros((G, n), dtype=np.int64)
    dist = np.empty((D, n))
    row = np.empty(n)
    marg = np.empty(n)
    best = np.empty(k + 1)
    for i in range(n):
        for c in range(D):
            for j in range(n):
                dist[c, j] = abs(points[c, j] - points[c, i])
        for j in range(n):
            row[j] = dist[0, j]
        for c in range(1, D):
            for j in range(n):
                if dist[c, j] > row[j]:
                    row[j] = dist[c, j]
        _select(row, k + 1, best)
        eps[i] = best[k]
        nearest[i] = best[1]
        r = best[k] - MARGIN
        for g in range(G):
            for j in range(n):
                marg[j] = 0.0
            for c in range(D):
                if groups[g, c]:
                    for j in range(n):
                        if dist[c, j] > marg[j]:
                            marg[j] = dist[c, j]
            cnt = 0
            for j in range(n):
                if marg[j] <= r:
                    cnt += 1
            counts[g, i] = cnt
    return eps, counts, nearest


@numba.njit(cache=True, nogil=True)
def _count_around(s, q, r):
    """``#{j : |s[j] - s[q]| <= r}`` for ascending ``s``: the run around position q (the
    predicate is monotone on each side of q, rounding included, so the run is contiguous)."""
    v = s[q]
    c = 1 if r >= 0.0 else 0
    j = q - 1
    while j >= 0 and v - s[j] <= r:
        c += 1
        j -= 1
    j = q + 1
    while j < s.shape[0] and s[j] - v <= r:
        c += 1
        j += 1
    return c


@numba.njit(cache=True, nogil=True)
def _walk(a_sorted, b, c, q, k, best):
    """k-th smallest max-norm distance from point q to the others (itself included as 0),
    over coordinates ``a_sorted`` (ascending), ``b`` and ``c`` in the same order: walk
    outwards from q until the a-distance alone reaches the k-th smallest distance seen
    (no point further along can be closer). ``c`` may be ``b`` (two coordinates)."""
    n = a_sorted.shape[0]
    for u in range(k + 1):
        best[u] = np.inf
    best[0] = 0.0
    aq = a_sorted[q]
    bq = b[q]
    cq = c[q]
    for step in (-1, 1):
        j = q + step
        while 0 <= j < n:
            d = abs(a_sorted[j] - aq)
            if d >= best[k]:
                break
            db = abs(b[j] - bq)
            dc = abs(c[j] - cq)
            if db > d:
                d = db
            if dc > d:
                d = dc
            if d < best[k]:
                _insert(best, k, d)
            j += step
    return best[k]


@numba.njit(cache=True, nogil=True)
def _sorted_with_positions(v, order):
    """(ascending copy of v, order, position of each sample in the sorted copy); ``order``
    sorts v (``np.argsort``, computed outside: sorting compiles slowly in numba)."""
    pos = np.empty(v.shape[0], dtype=np.int64)
    for q in range(v.shape[0]):
        pos[order[q]] = q
    return v[order], order, pos


@numba.njit(cache=True, nogil=True)
def mi_rows(x, x_order, ys, y_orders, k, walk_x):
    """KSG-MI counts of one 1-D source against many 1-D targets.

    ``x`` [n] (the source, e.g. a permuted copy), ``ys`` [T, n] (one target per
    row), ``x_order`` [n] and ``y_orders`` [T, n] their ``np.argsort``, ``walk_x`` [T] bool: find neighbours along x (else along y; a choice of
    speed only, e.g. along the variable with fewer ties). Returns (cx [T, n],
    cy [T, n]) int64: for target t and sample i, the samples within
    ``eps_i - 1e-15`` in x and in y, eps_i the k-th neighbour distance in the joint
    (x, y_t) space (max-norm), found by :func:`_walk`; the counts are the runs
    around i in the sorted marginals.
    """
    T, n = ys.shape
    cx = np.empty((T, n), dtype=np.int64)
    cy = np.empty((T, n), dtype=np.int64)
    x_sorted, x_order, x_pos = _sorted_with_positions(x, x_order)
    best = np.empty(k + 1)
    other = np.empty(n)
    for t in range(T):
        y = ys[t]
        y_sorted, y_order, y_pos = _sorted_with_positions(y, y_orders[t])
        if walk_x[t]:
            for q in range(n):
                other[q] = y[x_order[q]]
            for q in range(n):
                r = _walk(x_sorted, other, other, q, k, best) - MARGIN
                i = x_order[q]
                cx[t, i] = _count_around(x_sorted, q, r)
                cy[t, i] = _count_around(y_sorted, y_pos[i], r)
        else:
            for q in range(n):
                other[q] = x[y_order[q]]
            for q in range(n):
                r = _walk(y_sorted, other, other, q, k, best) - MARGIN
                i = y_order[q]
                cx[t, i] = _count_around(x_sorted, x_pos[i], r)
                cy[t, i] = _count_around(y_sorted, q, r)
    return cx, cy


@numba.njit(cache=True, nogil=True)
def cmi_rows(x, x_order, ys, zs, z_orders, k, walk_x):
    """Frenzel-Pompe counts of one 1-D source x against many (target y, condition z) pairs.

    ``x`` [n], ``ys`` and ``zs`` [T, n], ``x_order`` and ``z_orders`` the ``np.argsort``
    of x and of each z, ``walk_x`` [T] bool: find neighbours along
    x (else along z; speed only). Returns (cxz, cyz, cz) [T, n] int64: the samples
    within ``eps_i - 1e-15`` in (x, z), (y, z) and z, eps_i the k-th neighbour
    distance in the joint (x, y_t, z_t) space (max-norm), found by :func:`_walk`;
    the counts scan the run of samples within r of each sample in z.
    """
    T, n = ys.shape
    cxz = np.empty((T, n), dtype=np.int64)
    cyz = np.empty((T, n), dtype=np.int64)
    cz = np.empty((T, n), dtype=np.int64)
    x_sorted, x_order, _ = _sorted_with_positions(x, x_order)
    best = np.empty(k + 1)
    xo = np.empty(n)
    yo = np.empty(n)
    radius = np.empty(n)  # per sample
    for t in range(T):
        y = ys[t]
        z = zs[t]
        z_sorted, z_order, _ = _sorted_with_positions(z, z_orders[t])
        if walk_x[t]:
            for q in range(n):
                yo[q] = y[x_order[q]]
                xo[q] = z[x_order[q]]
            for q in range(n):
                radius[x_order[q]] = _walk(x_sorted, yo, xo, q, k, best) - MARGIN
        for q in range(n):
            xo[q] = x[z_order[q]]
            yo[q] = y[z_order[q]]
        if not walk_x[t]:
            for q in range(n):
                radius[z_order[q]] = _walk(z_sorted, xo, yo, q, k, best) - MARGIN
        for q in range(n):
            i = z_order[q]
            r = radius[i]
            zq = z_sorted[q]
            xq = xo[q]
            yq = yo[q]
            c1 = 0
            c2 = 0
            c3 = 0
            if r >= 0.0:  # the point itself
                c1 = c2 = c3 = 1
            for step in (-1, 1):
                j = q + step
                while 0 <= j < n and abs(z_sorted[j] - zq) <= r:
                    c3 += 1
                    c1 += abs(xo[j] - xq) <= r
                    c2 += abs(yo[j] - yq) <= r
                    j += step
            cxz[t, i] = c1
            cyz[t, i] = c2
            cz[t, i] = c3
    return cxz, cyz, cz


@numba.njit(cache=True, nogil=True)
def _kth_walk(g, k, eps, nearest, order, budget):
    """k-th and nearest neighbour distances of the samples ``g`` [n, D] (rows sorted by
    column 0; ``order`` maps rows to sample indices): walk outwards in column 0 until its
    distance alone reaches the k-th smallest seen; each distance is built column by column
    and dropped as soon as it cannot enter. False (results unusable) when more than
    ``budget`` points were visited: the caller then does the full rows instead."""
    n, D = g.shape
    best = np.empty(k + 1)
    visits = 0
    for q in range(n):
        for u in range(k + 1):
            best[u] = np.inf
        best[0] = 0.0
        for step in (-1, 1):
            j = q + step
            while 0 <= j < n:
                d = abs(g[j, 0] - g[q, 0])
                bk = best[k]
                if d >= bk:
                    break
                visits += 1
                c = 1
                while c < D and d < bk:
                    dc = abs(g[j, c] - g[q, c])
                    if dc > d:
                        d = dc
                    c += 1
                if d < bk:
                    _insert(best, k, d)
                j += step
        if visits > budget:
            return False
        i = order[q]
        eps[i] = best[k]
        nearest[i] = best[1]
    return True


@numba.njit(cache=True, nogil=True)
def kth_nearest_many(points, axes, orders, k):
    """Max-norm distance of each point to its k-th and to its nearest other point, for many
    samples of one shape: ``points`` [S, D, n] -> (eps, nearest), each [S, n].

    Sample s is first searched by walking along its column ``axes[s]`` (``orders[s]`` its
    ``np.argsort``), which visits few points when the data are concentrated; when that
    visits more than a third of all pairs, the full rows of distances are used instead (and,
    after three such samples in a row, for the next ones but every 8th).
    Either way the distances and the k-th smallest are exact (the same numbers)."""
    S, D, n = points.shape
    eps = np.empty((S, n))
    nearest = np.empty((S, n))
    row = np.empty(n)
    best = np.empty(k + 1)
    g = np.empty((n, D))
    failed = 0  # walks over budget in a row: the samples of one call tend to be alike
    for s in range(S):
        p = points[s]
        if failed < 3 or s % 8 == 0:  # after 3 failures, only every 8th sample tries a walk
            order = orders[s]
            a0 = axes[s]
            for q in range(n):
                g[q, 0] = p[a0, order[q]]
                cc = 1
                for c in range(D):
                    if c != a0:
                        g[q, cc] = p[c, order[q]]
                        cc += 1
            if _kth_walk(g, k, eps[s], nearest[s], order, n * n // 3):
                failed = 0
                continue
            failed += 1
        for i in range(n):
            _joint_row(p, row, i)
            _select(row, k + 1, best)
            eps[s, i] = best[k]
            nearest[s, i] = best[1]
    return eps, nearest
