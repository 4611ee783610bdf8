"""Information-flow graph, its significance, and neuron ranking (paper B, sections 4-5).

**Flow.** For nodes A, B (inputs, hidden units and outputs of a recurrent
network) two measures, in bits, both KSG estimates (:mod:`rnninfo.ksg`):

- ``measure="tdmi"`` (the paper's): ``flow(A->B) = I(A_t; B_{t+1}) - I(A_t; B_t)``;
- ``measure="te"``, transfer entropy: ``TE(A->B) = I(A_t; B_{t+1} | B_t)``
  (Frenzel-Pompe conditional MI, :func:`rnninfo.ksg.cmi`): what A's present tells
  about B's next value beyond what B's own present does. Unlike tdmi it is not
  fooled by an autocorrelated source, whose present also predicts B's present.

Samples: ``activity`` is ``[windows, T, nodes]``; every window w and step
t = 0 .. T-2 gives one sample, so there are ``windows * (T - 1)`` samples,
ordered window-major. ``A_t`` is ``activity[w, t, A]``, ``B_{t+1}`` is
``activity[w, t + 1, B]`` and ``B_t`` is ``activity[w, t, B]``. Each node is
z-scored over all its values (``standardize=True``: flows do not depend on a
node's units), then the whole array is jittered once with ``default_rng(seed)``
(see :mod:`rnninfo.ksg`) before the samples are cut from it. The samples must be
independent observations: rows (all nodes at t and t+1) that duplicate another row
are counted and refused above ``max_duplicate_share`` (:func:`rnninfo.ksg.check_duplicates`).
That check sees repeated observations; it cannot see a day that enters through
several overlapping windows with different hidden states: choose the windows so
each observation enters once.

The all-pairs path (:func:`flow_terms`) computes the same KSG algorithms as npeet
with shared work. ``engine="compiled"`` (default): one compiled call
(:mod:`rnninfo.knn`) per source node (or surrogate source) estimates every target
at once; the joint k-th neighbour is found by walking outwards in the sorted order
of the source or target (whichever has fewer ties) and the marginal counts are
runs in sorted copies. ``engine="plain"``: pair by pair, each node's series sorted
once, marginal counts by binary search (:func:`rnninfo.ksg.count_within_sorted`),
the joint k-th neighbour from a scipy ``cKDTree``. Both count exactly the same
neighbours, so the matrices are equal (tests/test_knn.py; ``bench/flow.py`` prints
the ratio). ``I(A_t; B_t)`` is symmetric and computed once per unordered pair, and
rows run on a thread pool (``workers``; the compiled kernels release the GIL).
:func:`flow_terms_npeet` is the plain loop of npeet calls on the same jittered
data; they agree to 1e-9 bits (tests, ``bench/ksg.py``).

The diagonal (a node with itself) is NaN in the flow matrix and never an edge.
A node that is constant over all windows and steps has no defined flow: its row
and column are NaN (with a warning), so it never gets an edge.

**Significance.** :func:`flow_null` compares every directed pair's flow with
surrogates in which the pairing of windows between source and target is
shuffled: surrogate s uses source values from window ``perm_s[w]`` against target
values from window w (one permutation of the windows per surrogate, shared by all
pairs). Each node keeps its marginal distribution and its own dynamics within a
window (B_t with B_{t+1}, A_t with A_{t+1}, which the conditioning in TE relies
on); only the dependence between A and B is destroyed. This is the null "A and B
are independent", tested one-sided (flow at least as large as observed).
p-values are add-one, ``(1 + #{null >= observed}) / (1 + n_surrogates)``
(``p_method="empirical"``), or the upper tail of the observed value under a
normal fit to the surrogates (``p_method="normal"``, Student-t predictive, see
:func:`surrogate_pvalues`). An add-one p-value is never below
``1 / (1 + n_surrogates)``, so with N(N-1) pairs Benjamini-Hochberg
(:func:`bh_qvalues`) can reject only when at least
``N(N-1) / (alpha (1 + n_surrogates))`` pairs reach that floor (31 nodes, 99
surrogates, alpha 0.05: 186 pairs): with affordable surrogate counts and many
pairs the normal fit is what resolves small p-values; its calibration is tested
on independent nodes (tests/test_flow_groundtruth.py).

**Ranking.** :func:`rank_nodes` iterates paper B's update
``r_i <- (sum_{j in In_i}(r_j + 1) + sum_{j in Out_i}(r_j - 1)) / (|In_i| + |Out_i|)``
from r = 0 until the largest change is below ``tol``. The literal (Jacobi) update
oscillates for ever on bipartite graphs — a single edge a->b goes
(0, 0) -> (-1, 1) -> (0, 0) -> ... — and every layered feed-forward graph is
bipartite, so the update is relaxed: ``r <- (1 - step) r + step * update`` with
``step = 0.5`` by default. Its fixed points are exactly those of the paper's
equation and it converges on every graph; ``step = 1`` is the literal update.
Starting from 0, each connected component keeps its degree-weighted mean rank at
0, which fixes the free additive constant per component. Isolated nodes keep
rank 0 (and :func:`order_score` leaves them out when asked).
"""

from __future__ import annotations

import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from scipy import special  # loaded by rnninfo.ksg anyway; scipy.stats (~0.6 s) only where used

from rnninfo import ksg

LAYERS = ("input", "hidden", "output")
MEASURES = ("tdmi", "te")
P_METHODS = ("empirical", "normal")
#: Stream key of the surrogates' permutations, apart from the jitter's.
_NULL_KEY = 0x4E554C4C  # "NULL"

__all__ = [
    "LAYERS",
    "MEASURES",
    "FlowTerms",
    "FlowNull",
    "check_activity",
    "flow_samples",
    "flow_terms",
    "flow_terms_npeet",
    "ENGINES",
    "flow_matrix",
    "flow_null",
    "surrogate_pvalues",
    "bh_qvalues",
    "adjacency",
    "degrees",
    "degree_correlation",
    "RankResult",
    "RankingNotConverged",
    "rank_iterate",
    "rank_nodes",
    "order_score",
    "threshold_analysis",
]


# ------------------------------------------------------------------ samples


def check_activity(activity, k: int = 3) -> np.ndarray:
    """``activity`` as float64 ``[windows, T, nodes]``; clear errors for bad shapes and values."""
    act = np.asarray(activity, dtype=np.float64)
    if act.ndim != 3:
        raise ValueError(f"activity: expected shape [windows, T, nodes], got {act.shape}")
    n, T, m = act.shape
    if T < 2:
        raise ValueError(f"activity: flow needs at least 2 time steps, got T={T}")
    if m < 2:
        raise ValueError(f"activity: flow needs at least 2 nodes, got {m}")
    bad = ~np.isfinite(act)
    if bad.any():
        nodes = np.unique(np.nonzero(bad)[2])
        raise ValueError(
            f"activity: {int(bad.sum())} non-finite value(s) (NaN or inf) in node(s) {nodes.tolist()}; "
            "KSG needs finite numbers"
        )
    ksg._check_k(k, n * (T - 1))
    return act


def _check_measure(measure: str) -> str:
    if measure not in MEASURES:
        raise ValueError(f"measure: expected one of {MEASURES}, got {measure!r}")
    return measure


def flow_samples(activity) -> tuple[np.ndarray, np.ndarray]:
    """(now, next): ``[windows * (T-1), nodes]`` arrays of A_t and B_{t+1} samples (no jitter)."""
    act = np.asarray(activity, dtype=np.float64)
    m = act.shape[2]
    return act[:, :-1, :].reshape(-1, m), act[:, 1:, :].reshape(-1, m)


def _constant_nodes(act: np.ndarray) -> np.ndarray:
    m = act.shape[2]
    flat = act.reshape(-1, m)
    return np.ptp(flat, axis=0) == 0


@dataclass
class FlowTerms:
    """The terms of the flow matrix, in bits.

    ``mi_next[a, b] = I(A_t; B_{t+1})`` (diagonal: a node's own lag-1 information),
    ``mi_now[a, b] = I(A_t; B_t)`` (symmetric; diagonal NaN), ``te[a, b] =
    I(A_t; B_{t+1} | B_t)`` (``measure="te"`` only, else None), ``constant[a]``
    marks nodes constant over all samples (their rows and columns are NaN).
    :attr:`flow` is the chosen measure with a NaN diagonal.
    """

    mi_next: np.ndarray
    mi_now: np.ndarray
    constant: np.ndarray
    te: np.ndarray | None = None
    measure: str = "tdmi"

    @property
    def tdmi(self) -> np.ndarray:
        f = self.mi_next - self.mi_now
        np.fill_diagonal(f, np.nan)
        return f

    @property
    def flow(self) -> np.ndarray:
        if self.measure == "te":
            f = self.te.copy()
            np.fill_diagonal(f, np.nan)
            return f
        return self.tdmi


def _prepare(activity, k: int, seed, standardize: bool, max_duplicate_share, on_duplicates: str):
    act = check_activity(activity, k)
    constant = _constant_nodes(act)
    if constant.any():
        warnings.warn(
            f"flow: node(s) {np.flatnonzero(constant).tolist()} are constant over all samples; "
            "their flows are NaN",
            stacklevel=3,
        )
    m = act.shape[2]
    if standardize:
        act = ksg.standardize_columns(act.reshape(-1, m)).reshape(act.shape)
    now, nxt = flow_samples(act)
    live = ~constant
    ksg.check_duplicates(
        np.hstack([now[:, live], nxt[:, live]]),
        max_duplicate_share,
        name="activity samples (all nodes at t and t+1)",
        action=on_duplicates,
    )
    (jittered,) = ksg.jitter([act], seed)
    now, nxt = flow_samples(jittered)
    return now, nxt, constant


class _Pairs:
    """Jittered samples with per-node columns and sorted copies, shared by every pair."""

    def __init__(self, now: np.ndarray, nxt: np.ndarray, k: int):
        self.k = k
        self.n, self.m = now.shape
        self.now = [np.ascontiguousarray(now[:, [a]]) for a in range(self.m)]  # each [n, 1]
        self.nxt = [np.ascontiguousarray(nxt[:, [b]]) for b in range(self.m)]
        self.sorted_now = [np.sort(c[:, 0]) for c in self.now]  # contiguous: fast binary search
        self.sorted_nxt = [np.sort(c[:, 0]) for c in self.nxt]

    def mi_next(self, x: np.ndarray, a: int, b: int) -> float:
        """I(x; B_{t+1}); ``x`` is A_t (or a permutation of it; same sorted values)."""
        return ksg.mi_jittered(x, self.nxt[b], self.k, self.sorted_now[a], self.sorted_nxt[b])

    def mi_now(self, x: np.ndarray, a: int, b: int) -> float:
        return ksg.mi_jittered(x, self.now[b], self.k, self.sorted_now[a], self.sorted_now[b])

    def te(self, x: np.ndarray, a: int, b: int) -> float:
        """I(x; B_{t+1} | B_t)."""
        return ksg.cmi_jittered(x, self.nxt[b], self.now[b], self.k, self.sorted_now[b])


class _Columns:
    """Jittered samples as contiguous node rows for the compiled kernels (:mod:`rnninfo.knn`),
    many targets per call: the same numbers as :class:`_Pairs` (the counts are equal)."""

    def __init__(self, now: np.ndarray, nxt: np.ndarray, k: int):
        from rnninfo import knn

        self.knn = knn
        self.k = k
        self.n, self.m = now.shape
        self.now = np.ascontiguousarray(now.T)  # [m, n]
        self.nxt = np.ascontiguousarray(nxt.T)
        # distinct values per node (to 1e-8, i.e. before the jitter): neighbours are searched
        # along the variable with more of them (fewer ties); speed only, the counts are exact
        self.distinct = np.array([np.unique(np.round(c, 8)).size for c in self.now])
        self.order_now = np.argsort(self.now, axis=1)  # [m, n] each node's sort order
        self.order_nxt = np.argsort(self.nxt, axis=1)

    def mi(self, x: np.ndarray, a: int, targets: np.ndarray, nxt: bool) -> np.ndarray:
        """I(x; B) for every node B in ``targets``, B_{t+1} (``nxt``) or B_t; ``x`` [n] is node ``a``'s."""
        ys, orders = (self.nxt, self.order_nxt) if nxt else (self.now, self.order_now)
        walk_x = self.distinct[targets] < self.distinct[a]
        x = np.ascontiguousarray(x)
        cx, cy = self.knn.mi_rows(x, np.argsort(x), ys[targets], orders[targets], self.k, walk_x)
        return ksg.mi_from_counts(cx, cy, self.k, self.n)

    def te(self, x: np.ndarray, a: int, targets: np.ndarray) -> np.ndarray:
        """I(x; B_{t+1} | B_t) for every node B in ``targets``; ``x`` [n] is node ``a``'s."""
        walk_x = self.distinct[targets] < self.distinct[a]
        x = np.ascontiguousarray(x)
        counts = self.knn.cmi_rows(x, np.argsort(x), self.nxt[targets], self.now[targets],
                                   self.order_now[targets], self.k, walk_x)
        return ksg.cmi_from_counts(*counts, self.k)


ENGINES = ("compiled", "plain")


def _check_engine(engine: str) -> str:
    if engine not in ENGINES:
        raise ValueError(f"engine: expected one of {ENGINES}, got {engine!r}")
    return engine


def _pair_mask(pairs, m: int) -> np.ndarray:
    """``pairs`` as a bool ``[m, m]`` mask of the ordered pairs (a, b) to estimate (None: all)."""
    if pairs is None:
        return np.ones((m, m), dtype=bool)
    mask = np.asarray(pairs)
    if mask.shape != (m, m) or mask.dtype != bool:
        raise ValueError(f"pairs: expected a bool [{m}, {m}] mask of ordered node pairs, got {mask.dtype} {mask.shape}")
    return mask


def _map_rows(row, sources, workers: int):
    """``[row(a) for a in sources]``, on a thread pool when ``workers > 1``."""
    workers = max(1, int(workers))
    if workers == 1:
        return [row(a) for a in sources]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(row, sources))


def flow_terms(
    activity,
    k: int = 3,
    seed=0,
    workers: int = 1,
    measure: str = "tdmi",
    standardize: bool = True,
    max_duplicate_share: float | None = ksg.MAX_DUPLICATE_SHARE,
    on_duplicates: str = "raise",
    engine: str = "compiled",
    pairs=None,
) -> FlowTerms:
    """Every ordered node pair's MI terms (and TE for ``measure="te"``), the fast all-pairs path.

    ``engine="compiled"``: many pairs per call of the compiled kernels (:mod:`rnninfo.knn`);
    ``"plain"``: one tree / binary-search estimate per pair (:class:`_Pairs`). Same numbers.
    ``pairs``: a bool ``[nodes, nodes]`` mask; only the ordered pairs (a, b) it marks are
    estimated (``mi_now`` where it marks (a, b) or (b, a)), the rest are NaN. Each estimate
    depends only on its two nodes' (jittered) data, so a marked entry equals the full run's.
    """
    _check_measure(measure)
    _check_engine(engine)
    now, nxt, constant = _prepare(activity, k, seed, standardize, max_duplicate_share, on_duplicates)
    m = now.shape[1]
    want = _pair_mask(pairs, m)
    both = want | want.T  # I(A_t; B_t) is symmetric
    live = np.flatnonzero(~constant)
    if engine == "compiled":
        cols = _Columns(now, nxt, k)

        def row(a):
            out = np.full((3, m), np.nan)  # mi_next, mi_now, te
            x = cols.now[a]
            targets = live[want[a, live]]
            if targets.size:
                out[0, targets] = cols.mi(x, a, targets, nxt=True)
            upper = live[(live > a) & both[a, live]]
            if upper.size:
                out[1, upper] = cols.mi(x, a, upper, nxt=False)
            others = targets[targets != a]
            if measure == "te" and others.size:
                out[2, others] = cols.te(x, a, others)
            return out
    else:
        plain = _Pairs(now, nxt, k)

        def row(a):
            out = np.full((3, m), np.nan)  # mi_next, mi_now, te
            x = plain.now[a]
            for b in live:
                if want[a, b]:
                    out[0, b] = plain.mi_next(x, a, b)
                if b > a and both[a, b]:
                    out[1, b] = plain.mi_now(x, a, b)
                if measure == "te" and b != a and want[a, b]:
                    out[2, b] = plain.te(x, a, b)
            return out

    mi_next = np.full((m, m), np.nan)
    mi_now = np.full((m, m), np.nan)
    te = np.full((m, m), np.nan)
    # rows in order: row a also computes I(A_t; B_t) for b > a, so the big rows go first
    for a, r in zip(live, _map_rows(row, live, workers)):
        mi_next[a], mi_now[a], te[a] = r
    upper = np.triu(np.ones((m, m), dtype=bool), 1)
    mi_now[upper.T] = mi_now.T[upper.T]
    np.fill_diagonal(mi_now, np.nan)
    return FlowTerms(mi_next, mi_now, constant, te if measure == "te" else None, measure)


def flow_terms_npeet(
    activity,
    k: int = 3,
    seed=0,
    measure: str = "tdmi",
    standardize: bool = True,
    max_duplicate_share: float | None = ksg.MAX_DUPLICATE_SHARE,
    on_duplicates: str = "raise",
) -> FlowTerms:
    """Reference: one npeet ``mi`` (``cmi``) call per ordered pair and term, on the same jittered data."""
    _check_measure(measure)
    now, nxt, constant = _prepare(activity, k, seed, standardize, max_duplicate_share, on_duplicates)
    m = now.shape[1]
    mi_next = np.full((m, m), np.nan)
    mi_now = np.full((m, m), np.nan)
    te = np.full((m, m), np.nan)
    for a in np.flatnonzero(~constant):
        for b in np.flatnonzero(~constant):
            mi_next[a, b] = ksg.npeet_mi(now[:, [a]], nxt[:, [b]], k)
            if a != b:
                mi_now[a, b] = ksg.npeet_mi(now[:, [a]], now[:, [b]], k)
                if measure == "te":
                    te[a, b] = ksg.npeet_cmi(now[:, [a]], nxt[:, [b]], now[:, [b]], k)
    return FlowTerms(mi_next, mi_now, constant, te if measure == "te" else None, measure)


def flow_matrix(
    activity,
    k: int = 3,
    seed=0,
    workers: int = 1,
    measure: str = "tdmi",
    standardize: bool = True,
    max_duplicate_share: float | None = ksg.MAX_DUPLICATE_SHARE,
    on_duplicates: str = "raise",
    engine: str = "compiled",
) -> np.ndarray:
    """The flow of every ordered node pair in bits, ``[nodes, nodes]``, diagonal NaN.

    ``measure="tdmi"``: ``I(A_t; B_{t+1}) - I(A_t; B_t)`` (paper B);
    ``measure="te"``: ``I(A_t; B_{t+1} | B_t)``. ``activity`` is ``[windows, T, nodes]``;
    the samples are the pairs of steps (t, t+1), t = 0 .. T-2, of every window:
    ``windows * (T - 1)`` of them. KSG with ``k`` neighbours on z-scored data
    (``standardize``) jittered by ``default_rng(seed)``; ``workers`` threads share
    the rows. Constant nodes get NaN rows and columns (a warning); duplicated
    samples are refused (module doc). ``engine``: see :func:`flow_terms`.
    """
    return flow_terms(
        activity, k, seed, workers, measure, standardize, max_duplicate_share, on_duplicates, engine
    ).flow


# ------------------------------------------------------------- significance


class FlowNull(NamedTuple):
    """``observed`` [N, N] flow, ``null`` [S, N, N] surrogate flows, ``p`` [N, N] one-sided p-values."""

    observed: np.ndarray
    null: np.ndarray
    p: np.ndarray


def _null_rng(seed) -> np.random.Generator:
    """The surrogates' generator: the jitter's seed with one more spawn key."""
    if isinstance(seed, np.random.SeedSequence):
        ss = np.random.SeedSequence(seed.entropy, spawn_key=tuple(seed.spawn_key) + (_NULL_KEY,))
    else:
        ss = np.random.SeedSequence(seed, spawn_key=(_NULL_KEY,))
    return np.random.default_rng(ss)


def surrogate_pvalues(observed, null, method: str = "empirical") -> np.ndarray:
    """One-sided p-values of ``observed`` [...] against surrogates ``null`` [S, ...].

    ``"empirical"``: add-one, ``(1 + #{null >= observed}) / (1 + S)``, never below
    ``1 / (1 + S)``. ``"normal"``: the surrogates taken as a normal sample, the
    chance that one more draw is at least ``observed``: with their mean ``m`` and
    standard deviation ``s``, ``P(T >= (observed - m) / (s sqrt(1 + 1/S)))`` for
    Student's t with ``S - 1`` degrees of freedom (the exact predictive
    distribution of a normal sample, so the estimated spread's own uncertainty is
    paid for). NaN where ``observed`` is NaN.
    """
    if method not in P_METHODS:
        raise ValueError(f"p_method: expected one of {P_METHODS}, got {method!r}")
    obs = np.asarray(observed, dtype=np.float64)
    null = np.asarray(null, dtype=np.float64)
    if null.shape[1:] != obs.shape:
        raise ValueError(f"null: expected shape [S, *{obs.shape}], got {null.shape}")
    with np.errstate(invalid="ignore", divide="ignore"):
        if method == "empirical":
            p = (1.0 + (null >= obs).sum(axis=0)) / (1.0 + null.shape[0])
        else:
            S = null.shape[0]
            if S < 3:
                raise ValueError(f'p_method="normal" needs at least 3 surrogates, got {S}')
            sd = null.std(axis=0, ddof=1) * np.sqrt(1.0 + 1.0 / S)
            t = (obs - null.mean(axis=0)) / np.where(sd > 0, sd, np.nan)
            p = special.stdtr(S - 1, -t)  # = scipy.stats.t.sf(t, S - 1), bit for bit, without scipy.stats
    return np.where(np.isnan(obs), np.nan, p)


def flow_null(
    activity,
    k: int = 3,
    seed=0,
    measure: str = "tdmi",
    n_surrogates: int = 100,
    workers: int = 1,
    p_method: str = "empirical",
    standardize: bool = True,
    max_duplicate_share: float | None = ksg.MAX_DUPLICATE_SHARE,
    on_duplicates: str = "raise",
    engine: str = "compiled",
    pairs=None,
) -> FlowNull:
    """Observed flow, window-shuffle surrogates and one-sided p-values for every directed pair.

    ``observed`` equals :func:`flow_matrix` with the same arguments. Surrogate s
    pairs the source's window ``perm_s[w]`` with the target's window w (module
    doc): both marginals and each node's own dynamics within a window are kept,
    the source-target dependence is not. The permutations come from the seed
    with an extra spawn key, apart from the jitter. ``p`` per ``p_method``
    (:func:`surrogate_pvalues`). Cost: ``n_surrogates + 1`` flow matrices
    (``bench/flow.py``). ``engine``: see :func:`flow_terms` (same numbers).
    ``pairs``: a bool ``[nodes, nodes]`` mask of the ordered pairs to estimate (observed,
    surrogates and p); the rest are NaN. A marked entry equals the full run's: the jitter
    and the permutations depend only on ``seed`` and the array's shape, each estimate only on
    its two nodes (used to share the pairs two sample arrays have in common,
    :mod:`rnninfo.stages.weather_flow`).
    """
    _check_measure(measure)
    _check_engine(engine)
    if isinstance(n_surrogates, bool) or not isinstance(n_surrogates, (int, np.integer)) or n_surrogates < 1:
        raise ValueError(f"n_surrogates: expected a positive integer, got {n_surrogates!r}")
    if p_method not in P_METHODS:
        raise ValueError(f"p_method: expected one of {P_METHODS}, got {p_method!r}")
    act = check_activity(activity, k)
    windows, T, m = act.shape
    if windows < 2:
        raise ValueError(f"activity: the window-shuffle null needs at least 2 windows, got {windows}")
    want = _pair_mask(pairs, m)
    terms = flow_terms(
        act, k, seed, workers, measure, standardize, max_duplicate_share, on_duplicates, engine, want
    )
    observed = terms.flow
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # constant nodes: warned once above
        now, nxt, constant = _prepare(act, k, seed, standardize, None, on_duplicates)
    live = np.flatnonzero(~constant)
    rng = _null_rng(seed)
    steps = T - 1
    null = np.full((int(n_surrogates), m, m), np.nan)
    perms = [rng.permutation(windows) for _ in range(int(n_surrogates))]
    offsets = np.arange(steps)

    if engine == "compiled":
        cols = _Columns(now, nxt, k)

        def row(task):
            s, a = task
            rows = (perms[s][:, None] * steps + offsets).ravel()  # sample index of the source's window
            x = cols.now[a][rows]
            others = live[(live != a) & want[a, live]]
            out = np.full(m, np.nan)
            if others.size and measure == "te":
                out[others] = cols.te(x, a, others)
            elif others.size:
                out[others] = cols.mi(x, a, others, nxt=True) - cols.mi(x, a, others, nxt=False)
            return out
    else:
        plain = _Pairs(now, nxt, k)

        def row(task):
            s, a = task
            rows = (perms[s][:, None] * steps + offsets).ravel()  # sample index of the source's window
            x = np.ascontiguousarray(plain.now[a][rows])
            out = np.full(m, np.nan)
            for b in live:
                if b == a or not want[a, b]:
                    continue
                if measure == "te":
                    out[b] = plain.te(x, a, b)
                else:
                    out[b] = plain.mi_next(x, a, b) - plain.mi_now(x, a, b)
            return out

    sources = [a for a in live if want[a, live[live != a]].any()]  # rows with a pair to estimate
    tasks = [(s, a) for s in range(int(n_surrogates)) for a in sources]
    for (s, a), r in zip(tasks, _map_rows(row, tasks, workers)):
        null[s, a] = r
    return FlowNull(observed, null, surrogate_pvalues(observed, null, p_method))


def bh_qvalues(p) -> np.ndarray:
    """Benjamini-Hochberg q-values of p-values of any shape; NaN entries are not tests.

    ``q_(i) = min_{j >= i} p_(j) * m / j`` over the ``m`` finite p-values sorted
    ascending, capped at 1. Rejecting ``q <= alpha`` controls the false discovery
    rate at ``alpha`` (independent or positively dependent tests).
    """
    p = np.asarray(p, dtype=np.float64)
    q = np.full(p.shape, np.nan)
    finite = np.isfinite(p)
    vals = p[finite]
    if vals.size == 0:
        return q
    if (vals < 0).any() or (vals > 1).any():
        raise ValueError("p: p-values must lie in [0, 1]")
    order = np.argsort(vals, kind="stable")
    m = vals.size
    scaled = vals[order] * m / np.arange(1, m + 1)
    mono = np.minimum.accumulate(scaled[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(mono, 1.0)
    q[finite] = out
    return q


# -------------------------------------------------------------------- graph


def adjacency(flow: np.ndarray, threshold: float) -> np.ndarray:
    """Edges a->b where ``flow[a, b] > threshold`` (NaN and the diagonal never are)."""
    flow = np.asarray(flow, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        adj = np.nan_to_num(flow, nan=-np.inf) > threshold
    np.fill_diagonal(adj, False)
    return adj


def _check_adjacency(adj) -> np.ndarray:
    a = np.asarray(adj)
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise ValueError(f"adjacency: expected a square [nodes, nodes] matrix, got shape {a.shape}")
    if a.dtype != bool:
        if not np.isin(a, (0, 1)).all():
            raise ValueError("adjacency: expected a boolean (or 0/1) matrix")
        a = a.astype(bool)
    a = a.copy()
    np.fill_diagonal(a, False)  # self-loops carry no order
    return a


def degrees(adj) -> tuple[np.ndarray, np.ndarray]:
    """(in_degree, out_degree) per node; ``adj[i, j]`` is an edge i->j; self-loops ignored."""
    a = _check_adjacency(adj)
    return a.sum(axis=0), a.sum(axis=1)


def degree_correlation(adj) -> dict[str, float]:
    """Pearson and Spearman correlation of in- with out-degree over nodes (NaN if either is constant)."""
    d_in, d_out = degrees(adj)
    if np.ptp(d_in) == 0 or np.ptp(d_out) == 0:
        return {"pearson": np.nan, "spearman": np.nan}
    from scipy import stats

    return {
        "pearson": float(stats.pearsonr(d_in, d_out)[0]),
        "spearman": float(stats.spearmanr(d_in, d_out)[0]),
    }


# ------------------------------------------------------------------ ranking


class RankingNotConverged(RuntimeWarning):
    """The rank iteration hit its cap before the largest change fell below tol."""


@dataclass
class RankResult:
    ranks: np.ndarray
    iterations: int
    converged: bool
    max_change: float


def rank_iterate(adj, tol: float = 1e-9, max_iter: int = 100_000, step: float = 0.5) -> RankResult:
    """Paper B's ranking iteration (see module doc); returns ranks and how it ended."""
    a = _check_adjacency(adj).astype(np.float64)
    if not (tol > 0):
        raise ValueError(f"tol: expected a positive number, got {tol!r}")
    if int(max_iter) < 1:
        raise ValueError(f"max_iter: expected a positive integer, got {max_iter!r}")
    if not (0 < step <= 1):
        raise ValueError(f"step: expected 0 < step <= 1, got {step!r}")
    n_in = a.sum(axis=0)
    n_out = a.sum(axis=1)
    deg = n_in + n_out
    linked = deg > 0
    push = np.where(linked, (n_in - n_out) / np.where(linked, deg, 1), 0.0)
    sym = (a + a.T) / np.where(linked, deg, 1)[:, None]  # row i: neighbours of i, each edge once
    r = np.zeros(a.shape[0])
    change = 0.0
    for it in range(1, int(max_iter) + 1):
        update = np.where(linked, sym @ r + push, r)
        new = (1.0 - step) * r + step * update
        change = float(np.max(np.abs(new - r))) if r.size else 0.0
        r = new
        if change < tol:
            return RankResult(r, it, True, change)
    return RankResult(r, int(max_iter), False, change)


def rank_nodes(
    adjacency,
    tol: float = 1e-9,
    max_iter: int = 100_000,
    step: float = 0.5,
    on_max_iter: str = "warn",
) -> np.ndarray:
    """Ranks ``[nodes]`` of a directed graph (``adjacency[i, j]``: edge i->j), paper B section 5.

    ``on_max_iter``: "warn" (a :class:`RankingNotConverged` warning, ranks as they are)
    or "raise" (``RuntimeError``) when ``max_iter`` updates did not bring the
    largest change below ``tol``.
    """
    if on_max_iter not in ("warn", "raise"):
        raise ValueError(f"on_max_iter: expected 'warn' or 'raise', got {on_max_iter!r}")
    res = rank_iterate(adjacency, tol=tol, max_iter=max_iter, step=step)
    if not res.converged:
        msg = (
            f"rank_nodes: not converged after {res.iterations} iterations "
            f"(largest change {res.max_change:.3g} >= tol {tol:g}; step={step})"
        )
        if on_max_iter == "raise":
            raise RuntimeError(msg)
        warnings.warn(msg, RankingNotConverged, stacklevel=2)
    return res.ranks


def order_score(ranks, layers, include=None, decimals: int = 6, order=LAYERS) -> dict[str, float]:
    """How well ranks put the layers in ``order`` (default inputs < hidden < outputs).

    For each pair of layers (lo, hi) with lo before hi in ``order`` — for the
    default (input, hidden), (hidden, output), (input, output) — the fraction of
    node pairs ranked in that order (ties, after rounding ranks to ``decimals``,
    count one half), keyed ``"lo_hi"``; ``all``: the same over all such pairs
    pooled; ``kendall_tau``: Kendall's tau-b between layer index and rank.
    ``include`` (bool mask) selects nodes, e.g. those with an edge: an isolated
    node's rank 0 is a convention, not evidence. NaN where a layer has no node.
    """
    order = tuple(order)
    r = np.round(np.asarray(ranks, dtype=np.float64), decimals)
    lay = np.asarray(layers)
    unknown = set(np.unique(lay)) - set(order)
    if unknown:
        raise ValueError(f"layers: unknown layer name(s) {sorted(unknown)}; expected {order}")
    if r.shape != lay.shape:
        raise ValueError(f"ranks and layers must have the same shape, got {r.shape} and {lay.shape}")
    keep = np.ones(r.shape, bool) if include is None else np.asarray(include, bool)
    out: dict[str, float] = {}
    total_good = 0.0
    total = 0
    pairs = [(order[i], order[i + gap]) for gap in range(1, len(order)) for i in range(len(order) - gap)]
    for lo, hi in pairs:
        r_lo = r[keep & (lay == lo)]
        r_hi = r[keep & (lay == hi)]
        if r_lo.size == 0 or r_hi.size == 0:
            out[f"{lo}_{hi}"] = np.nan
            continue
        good = (r_lo[:, None] < r_hi[None, :]) + 0.5 * (r_lo[:, None] == r_hi[None, :])
        out[f"{lo}_{hi}"] = float(good.mean())
        total_good += float(good.sum())
        total += good.size
    out["all"] = total_good / total if total else np.nan
    code = np.array([order.index(x) for x in lay[keep]])
    if code.size > 1 and np.ptp(code) > 0 and np.ptp(r[keep]) > 0:
        from scipy import stats

        out["kendall_tau"] = float(stats.kendalltau(code, r[keep]).statistic)
    else:
        out["kendall_tau"] = np.nan
    return out


# ----------------------------------------------------------- per threshold


def threshold_analysis(
    flow: np.ndarray,
    thresholds,
    names,
    layers,
    tol: float = 1e-9,
    max_iter: int = 100_000,
    step: float = 0.5,
    on_max_iter: str = "warn",
):
    """Edges, per-node degrees and ranks, and a summary for each threshold (tidy tables).

    Returns ``(edges, nodes, summary)`` DataFrames: ``edges`` one row per edge
    (threshold, source, target, layers, flow); ``nodes`` one row per node and
    threshold (in/out degree, rank); ``summary`` one row per threshold (edge
    count, in- vs out-degree correlation, order scores over nodes with an edge,
    mean rank per layer, how the rank iteration ended).
    """
    import pandas as pd

    flow = np.asarray(flow, dtype=np.float64)
    names = np.asarray(names)
    layers = np.asarray(layers)
    m = flow.shape[0]
    if flow.shape != (m, m) or names.shape != (m,) or layers.shape != (m,):
        raise ValueError(f"flow {flow.shape}, names {names.shape}, layers {layers.shape}: expected [m, m], [m], [m]")
    if on_max_iter not in ("warn", "raise"):
        raise ValueError(f"on_max_iter: expected 'warn' or 'raise', got {on_max_iter!r}")
    edges, nodes, summary = [], [], []
    for thr in thresholds:
        thr = float(thr)
        adj = adjacency(flow, thr)
        src, dst = np.nonzero(adj)
        edges.append(
            pd.DataFrame(
                dict(
                    threshold=thr,
                    source=names[src],
                    target=names[dst],
                    source_layer=layers[src],
                    target_layer=layers[dst],
                    flow=flow[src, dst],
                )
            )
        )
        d_in, d_out = degrees(adj)
        res = rank_iterate(adj, tol=tol, max_iter=max_iter, step=step)
        if not res.converged:
            msg = f"threshold {thr:g}: ranking not converged after {res.iterations} iterations (largest change {res.max_change:.3g})"
            if on_max_iter == "raise":
                raise RuntimeError(msg)
            warnings.warn(msg, RankingNotConverged, stacklevel=2)
        linked = (d_in + d_out) > 0
        nodes.append(
            pd.DataFrame(
                dict(
                    threshold=thr,
                    node=names,
                    node_index=np.arange(m),
                    layer=layers,
                    in_degree=d_in,
                    out_degree=d_out,
                    rank=res.ranks,
                )
            )
        )
        corr = degree_correlation(adj)
        order = order_score(res.ranks, layers, include=linked)
        row = dict(
            threshold=thr,
            n_nodes=m,
            n_edges=int(adj.sum()),
            density=float(adj.sum() / (m * (m - 1))),
            n_isolated=int((~linked).sum()),
            indeg_outdeg_pearson=corr["pearson"],
            indeg_outdeg_spearman=corr["spearman"],
            **{f"order_{key}": val for key, val in order.items()},
        )
        for lay in LAYERS:
            sel = linked & (layers == lay)
            row[f"mean_rank_{lay}"] = float(res.ranks[sel].mean()) if sel.any() else np.nan
        row.update(rank_iterations=res.iterations, rank_converged=res.converged, rank_max_change=res.max_change)
        summary.append(row)
    return (
        pd.concat(edges, ignore_index=True),
        pd.concat(nodes, ignore_index=True),
        pd.DataFrame(summary),
    )


# ------------------------------------------------------------ ground truth


PLANTED_ORDER = ("input", "layer1", "layer2", "output")


def adjacent_order(ranks, layers, include, order=PLANTED_ORDER) -> float:
    """Share of (layer l, layer l+1) node pairs that ``ranks`` put in ``order``, pooled over
    the adjacent layer pairs; ties count one half; nodes outside ``include`` are left out."""
    ranks, layers, include = np.asarray(ranks), np.asarray(layers), np.asarray(include, bool)
    good = total = 0.0
    for lo, hi in zip(order[:-1], order[1:]):
        r_lo = ranks[include & (layers == lo)]
        r_hi = ranks[include & (layers == hi)]
        g = (r_lo[:, None] < r_hi[None, :]) + 0.5 * (r_lo[:, None] == r_hi[None, :])
        good += g.sum()
        total += g.size
    return good / total if total else np.nan


def planted_layers(
    seed=0,
    sizes=(2, 3, 3, 2),
    windows: int = 60,
    T: int = 4,
    phi: float = 0.9,
    noise: float = 0.3,
    fan_in: int = 2,
    gain: float = 1.5,
):
    """A layered, lagged, nonlinear network with a known flow graph, as activity for :func:`flow_matrix`.

    Layers ``inputs -> layer1 -> layer2 -> outputs`` (``sizes`` nodes each). Inputs
    are independent AR(1) series with coefficient ``phi`` (unit variance: strongly
    autocorrelated, like a seasonal driver). Each node of a later layer reads
    ``fan_in`` random nodes of the layer before, one step earlier:
    ``v_{t+1} = tanh(gain * sum_j w_j u_j(t)) + noise * e`` (outputs: linear, no
    tanh), weights ``+-U(0.7, 1.3) / sqrt(fan_in)``. One long series (after a
    burn-in) is cut into ``windows`` non-overlapping windows of ``T`` steps, so
    each observation enters once.

    Returns ``(activity [windows, T, nodes], layers [nodes] named by
    PLANTED_ORDER, true_edges [nodes, nodes] bool)``.
    """
    rng = np.random.default_rng(seed)
    sizes = tuple(int(s) for s in sizes)
    if len(sizes) != len(PLANTED_ORDER) or min(sizes) < 1:
        raise ValueError(f"sizes: expected {len(PLANTED_ORDER)} positive layer sizes, got {sizes}")
    m = sum(sizes)
    start = np.cumsum((0,) + sizes)
    burn = 50
    length = burn + windows * T
    v = np.zeros((length, m))
    edges = np.zeros((m, m), dtype=bool)
    weights = np.zeros((m, m))
    for layer in range(1, len(sizes)):
        prev = np.arange(start[layer - 1], start[layer])
        for node in range(start[layer], start[layer + 1]):
            parents = rng.choice(prev, size=min(fan_in, prev.size), replace=False)
            signs = rng.choice([-1.0, 1.0], size=parents.size)
            weights[parents, node] = signs * rng.uniform(0.7, 1.3, parents.size) / np.sqrt(parents.size)
            edges[parents, node] = True
    inputs = slice(0, sizes[0])
    v[0, inputs] = rng.standard_normal(sizes[0])
    shocks = rng.standard_normal((length, m))
    out_nodes = np.arange(start[-2], start[-1])
    for t in range(1, length):
        v[t, inputs] = phi * v[t - 1, inputs] + np.sqrt(1 - phi**2) * shocks[t, inputs]
        drive = v[t - 1] @ weights  # [m]: each node's input from the layer before, one step earlier
        later = np.arange(sizes[0], m)
        act = np.where(np.isin(later, out_nodes), drive[later], np.tanh(gain * drive[later]))
        v[t, later] = act + noise * shocks[t, later]
    activity = v[burn:].reshape(windows, T, m)
    layers = np.repeat(np.array(PLANTED_ORDER), sizes)
    return activity, layers, edges
