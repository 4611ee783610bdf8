"""Information-flow graph and neuron ranking (paper B, sections 4-5).

**Flow.** For nodes A, B (inputs, hidden units and outputs of a recurrent
network) ``flow(A->B) = I(A_t; B_{t+1}) - I(A_t; B_t)`` in bits, both terms KSG
estimates (:mod:`rnninfo.ksg`). Samples: ``activity`` is ``[windows, T, nodes]``;
every window w and step t = 0 .. T-2 gives one sample, so there are
``windows * (T - 1)`` samples, ordered window-major. ``A_t`` is
``activity[w, t, A]``, ``B_{t+1}`` is ``activity[w, t + 1, B]`` and ``B_t`` is
``activity[w, t, B]``: both terms use the same samples of A. The whole activity
array is jittered once with ``default_rng(seed)`` (see :mod:`rnninfo.ksg`) before
the samples are cut from it.

The all-pairs path (:func:`flow_terms`) computes the same KSG algorithm as npeet
pair by pair, with shared work: each node's series is sorted once and marginal
neighbour counts are binary searches on it (:func:`rnninfo.ksg.count_within_sorted`),
the joint k-th neighbour distance comes from a scipy ``cKDTree``, ``I(A_t; B_t)``
is symmetric and computed once per unordered pair, and rows run on a thread pool
(``workers``). :func:`flow_terms_npeet` is the plain loop of npeet calls on the
same jittered data; the two agree to 1e-9 bits (tests, ``bench/ksg.py``).

The diagonal (a node with itself) is NaN in the flow matrix and never an edge.
A node that is constant over all windows and steps has no defined flow: its row
and column are NaN (with a warning), so it never gets an edge.

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
rank 0.
"""

from __future__ import annotations

import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from scipy import stats

from rnninfo import ksg

LAYERS = ("input", "hidden", "output")

__all__ = [
    "LAYERS",
    "FlowTerms",
    "check_activity",
    "flow_samples",
    "flow_terms",
    "flow_terms_npeet",
    "flow_matrix",
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
    """The two mutual-information terms of the flow matrix, in bits.

    ``mi_next[a, b] = I(A_t; B_{t+1})`` (diagonal: a node's own lag-1 information),
    ``mi_now[a, b] = I(A_t; B_t)`` (symmetric; diagonal NaN), ``constant[a]`` marks
    nodes constant over all samples (their rows and columns are NaN).
    """

    mi_next: np.ndarray
    mi_now: np.ndarray
    constant: np.ndarray

    @property
    def flow(self) -> np.ndarray:
        f = self.mi_next - self.mi_now
        np.fill_diagonal(f, np.nan)
        return f


def _prepare(activity, k: int, seed):
    act = check_activity(activity, k)
    constant = _constant_nodes(act)
    if constant.any():
        warnings.warn(
            f"flow: node(s) {np.flatnonzero(constant).tolist()} are constant over all samples; "
            "their flows are NaN",
            stacklevel=3,
        )
    (jittered,) = ksg.jitter([act], seed)
    now, nxt = flow_samples(jittered)
    return now, nxt, constant


def flow_terms(activity, k: int = 3, seed=0, workers: int = 1) -> FlowTerms:
    """Both MI terms of every ordered node pair, the fast all-pairs path (see module doc)."""
    now, nxt, constant = _prepare(activity, k, seed)
    m = now.shape[1]
    sorted_now = [np.sort(now[:, a]) for a in range(m)]  # contiguous: fast binary search
    sorted_nxt = [np.sort(nxt[:, b]) for b in range(m)]
    cols_now = [np.ascontiguousarray(now[:, [a]]) for a in range(m)]
    cols_nxt = [np.ascontiguousarray(nxt[:, [b]]) for b in range(m)]
    live = np.flatnonzero(~constant)

    def row(a):
        out_next = np.full(m, np.nan)
        out_now = np.full(m, np.nan)
        for b in live:
            out_next[b] = ksg.mi_jittered(cols_now[a], cols_nxt[b], k, sorted_now[a], sorted_nxt[b])
            if b > a:
                out_now[b] = ksg.mi_jittered(cols_now[a], cols_now[b], k, sorted_now[a], sorted_now[b])
        return out_next, out_now

    mi_next = np.full((m, m), np.nan)
    mi_now = np.full((m, m), np.nan)
    workers = max(1, int(workers))
    if workers == 1:
        rows = map(row, live)
    else:
        pool = ThreadPoolExecutor(max_workers=workers)
        # rows in order: row a also computes I(A_t; B_t) for b > a, so the big rows go first
        rows = pool.map(row, live)
    try:
        for a, (r_next, r_now) in zip(live, rows):
            mi_next[a] = r_next
            mi_now[a] = r_now
    finally:
        if workers > 1:
            pool.shutdown()
    upper = np.triu(np.ones((m, m), dtype=bool), 1)
    mi_now[upper.T] = mi_now.T[upper.T]
    np.fill_diagonal(mi_now, np.nan)
    return FlowTerms(mi_next=mi_next, mi_now=mi_now, constant=constant)


def flow_terms_npeet(activity, k: int = 3, seed=0) -> FlowTerms:
    """Reference: one npeet ``mi`` call per ordered pair and term, on the same jittered data."""
    now, nxt, constant = _prepare(activity, k, seed)
    m = now.shape[1]
    mi_next = np.full((m, m), np.nan)
    mi_now = np.full((m, m), np.nan)
    for a in np.flatnonzero(~constant):
        for b in np.flatnonzero(~constant):
            mi_next[a, b] = ksg.npeet_mi(now[:, [a]], nxt[:, [b]], k)
            if a != b:
                mi_now[a, b] = ksg.npeet_mi(now[:, [a]], now[:, [b]], k)
    return FlowTerms(mi_next=mi_next, mi_now=mi_now, constant=constant)


def flow_matrix(activity, k: int = 3, seed=0, workers: int = 1) -> np.ndarray:
    """``flow[a, b] = I(A_t; B_{t+1}) - I(A_t; B_t)`` in bits, ``[nodes, nodes]``, diagonal NaN.

    ``activity`` is ``[windows, T, nodes]``; the samples are the pairs of steps
    (t, t+1), t = 0 .. T-2, of every window: ``windows * (T - 1)`` of them. KSG
    with ``k`` neighbours on data jittered by ``default_rng(seed)``; ``workers``
    threads share the rows. Constant nodes get NaN rows and columns (a warning).
    """
    return flow_terms(activity, k=k, seed=seed, workers=workers).flow


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


def order_score(ranks, layers, include=None, decimals: int = 6) -> dict[str, float]:
    """How well ranks put inputs < hidden < outputs.

    For each layer pair (input, hidden), (hidden, output), (input, output): the
    fraction of node pairs ranked in that order (ties, after rounding ranks to
    ``decimals``, count one half); ``all``: the same over all such pairs pooled;
    ``kendall_tau``: Kendall's tau-b between layer index and rank. ``include``
    (bool mask) selects nodes, e.g. those with an edge: an isolated node's rank 0
    is a convention, not evidence. NaN where a layer has no node.
    """
    r = np.round(np.asarray(ranks, dtype=np.float64), decimals)
    lay = np.asarray(layers)
    unknown = set(np.unique(lay)) - set(LAYERS)
    if unknown:
        raise ValueError(f"layers: unknown layer name(s) {sorted(unknown)}; expected {LAYERS}")
    if r.shape != lay.shape:
        raise ValueError(f"ranks and layers must have the same shape, got {r.shape} and {lay.shape}")
    keep = np.ones(r.shape, bool) if include is None else np.asarray(include, bool)
    out: dict[str, float] = {}
    total_good = 0.0
    total = 0
    for lo, hi in (("input", "hidden"), ("hidden", "output"), ("input", "output")):
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
    code = np.array([LAYERS.index(x) for x in lay[keep]])
    if code.size > 1 and np.ptp(code) > 0 and np.ptp(r[keep]) > 0:
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
