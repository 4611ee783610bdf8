"""Relay information (Hintze & Adami 2023) of binarised hidden states.

For one concept the channel is ``X_in`` (the label bit) -> hidden layer ->
``X_out`` (the network's answer bit). The information a node set ``R`` relays,
that the other nodes ``Y_0`` do not also carry, is

    I_R(R) = I(X_in; X_out; Y_R | Y_0) = I3(Y_all) - I3(Y_0)

with the interaction information of a node set S (plug-in entropies, bits)

    I3(S) = H(S) - H(X_in,S) - H(X_out,S) + H(X_in,X_out,S) + H(X_in) + H(X_out) - H(X_in,X_out)
          = I(X_in; X_out) - I(X_in; X_out | S),      I3(empty) = 0.

Node sets are bit masks: bit j of a mask is node j. Every function takes
``bits`` (n samples, N nodes) with values 0/1 and ``x_in``, ``x_out`` (n,)
with values 0/1; they are checked at the boundary.

The exhaustive search computes I3 of all 2^N node sets at once, without
recounting samples per subset: one ``np.bincount`` of packed integer codes
(node bits, x_in, x_out) gives the joint count table; marginalising it over
every node subset at once (a transform over 3^N cells, each node 0, 1 or
summed out), looking up c*log2(c) per cell and summing the cells of each
subset gives H(S), H(X_in,S), H(X_out,S) and H(X_in,X_out,S) for every S.
No Python loop runs over samples or cells.
"""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

MAX_EXHAUSTIVE_NODES = 16
"""Largest hidden layer `exhaustive` accepts (2^16 subsets)."""

TIE_TOL = 1e-12
"""Values closer than this (bits) count as equal: ties go to the lower node index."""


__all__ = [
    "binarize",
    "relay_information",
    "greedy_order",
    "greedy_orders",
    "exhaustive",
    "relay_shares",
    "interaction_table",
    "greedy_from_table",
    "exhaustive_from_table",
    "best_per_size",
    "mask_nodes",
    "kmeans2_split",
    "relay_null",
    "relay_nulls",
    "RelayNull",
    "permutations",
    "BIAS_WARN_FRACTION",
    "MAX_EXHAUSTIVE_NODES",
    "TIE_TOL",
]


# --------------------------------------------------------------------------- binarisation


def kmeans2_split(values: np.ndarray) -> np.ndarray:
    """Exact 1-D k-means with k=2 on every column: True for the high cluster.

    In one dimension the optimal 2-means partition is a split of the sorted
    values, so trying every split between distinct values finds the global
    optimum deterministically (no seed, no restarts). A column with a single
    distinct value is all False. Ties in the sum of squares go to the lowest
    split (the larger high cluster).
    """
    a = np.asarray(values, dtype=np.float64)
    squeeze = a.ndim == 1
    if squeeze:
        a = a[:, None]
    n, m = a.shape
    out = np.zeros((n, m), dtype=bool)
    if n < 2:
        return out[:, 0] if squeeze else out
    a0 = a - a.mean(axis=0)  # centring keeps the prefix sums well conditioned
    s = np.sort(a0, axis=0)
    c1 = np.cumsum(s, axis=0)[:-1]
    c2 = np.cumsum(s * s, axis=0)[:-1]
    t1 = s.sum(axis=0)
    t2 = (s * s).sum(axis=0)
    nl = np.arange(1, n, dtype=np.float64)[:, None]
    nr = n - nl
    sse = (c2 - c1 * c1 / nl) + ((t2 - c2) - (t1 - c1) ** 2 / nr)
    valid = s[1:] > s[:-1]  # a split must fall between two distinct values
    sse = np.where(valid, sse, np.inf)
    split = np.argmin(sse, axis=0)  # first minimum
    has_split = valid.any(axis=0)
    threshold = s[split, np.arange(m)]
    out = (a0 > threshold) & has_split
    return out[:, 0] if squeeze else out


def binarize(
    states: np.ndarray,
    method: str = "median",
    constant: str = "error",
    atol: float = 0.0,
) -> np.ndarray:
    """Binarise every node (column) over the samples (rows): uint8 (n, N).

    ``method="median"``: 1 where the value exceeds the column's median; if no
    value does (the median is the maximum, as with many ties), 1 where it is at
    least the median, so a non-constant column never becomes constant.
    ``method="kmeans"``: exact 1-D 2-means per column (`kmeans2_split`), 1 for
    the high cluster.

    A column whose range is at most ``atol`` is constant: ``constant="error"``
    (default) rejects it, naming the column; ``constant="zero"`` gives it all
    zeros (a constant node carries no information). NaN / inf are always rejected.
    """
    a = np.asarray(states)
    if a.ndim != 2:
        raise ValueError(f"binarize: states must be 2-D (samples, nodes), got shape {a.shape}")
    if a.dtype != bool and not np.issubdtype(a.dtype, np.number):
        raise ValueError(f"binarize: states must be numeric, got dtype {a.dtype}")
    a = a.astype(np.float64)
    n, m = a.shape
    if n < 2:
        raise ValueError(f"binarize: need at least 2 samples, got {n}")
    if m < 1:
        raise ValueError("binarize: states have no columns (nodes)")
    if method not in ("median", "kmeans"):
        raise ValueError(f"binarize: method must be 'median' or 'kmeans', got {method!r}")
    if constant not in ("error", "zero"):
        raise ValueError(f"binarize: constant must be 'error' or 'zero', got {constant!r}")
    finite = np.isfinite(a)
    if not finite.all():
        row, col = np.argwhere(~finite)[0]
        bad = int((~finite).sum())
        raise ValueError(
            f"binarize: states contain {bad} NaN/inf value(s); first in column {col} "
            f"(row {row}, value {a[row, col]})"
        )
    const = (a.max(axis=0) - a.min(axis=0)) <= atol
    if const.any() and constant == "error":
        cols = np.flatnonzero(const).tolist()
        raise ValueError(
            f"binarize: column(s) {cols} constant over the {n} samples (range <= {atol}); "
            "a constant node cannot be split in two (pass constant='zero' to map it to 0)"
        )
    out = np.zeros((n, m), dtype=np.uint8)
    keep = ~const
    if keep.any():
        v = a[:, keep]
        if method == "median":
            med = np.median(v, axis=0)
            b = v > med
            none = ~b.any(axis=0)
            if none.any():
                b[:, none] = v[:, none] >= med[none]
        else:
            b = kmeans2_split(v)
        out[:, keep] = b
    return out


# --------------------------------------------------------------------------- validation


def _as_bits(a, name: str, ndim: int) -> np.ndarray:
    a = np.asarray(a)
    if a.ndim != ndim:
        shape = "(samples, nodes)" if ndim == 2 else "(samples,)"
        raise ValueError(f"{name} must be {ndim}-D {shape}, got shape {a.shape}")
    if a.dtype == bool:
        return a.astype(np.uint8)
    if not np.issubdtype(a.dtype, np.number):
        raise ValueError(f"{name} must be numeric 0/1, got dtype {a.dtype}")
    ok = (a == 0) | (a == 1)
    if not ok.all():
        idx = tuple(int(i) for i in np.argwhere(~ok)[0])
        where = f"column {idx[1]} (row {idx[0]})" if ndim == 2 else f"position {idx[0]}"
        raise ValueError(
            f"{name} must hold only 0 and 1; found {a[idx].item()!r} at {where} "
            "(binarise states with rnninfo.relay.binarize, labels with (y > 0))"
        )
    return a.astype(np.uint8)


def _check(bits, x_in, x_out) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    b = _as_bits(bits, "bits", 2)
    xi = _as_bits(x_in, "x_in", 1)
    xo = _as_bits(x_out, "x_out", 1)
    n, m = b.shape
    if n < 2:
        raise ValueError(f"bits: need at least 2 samples, got {n}")
    if m < 1:
        raise ValueError("bits: no nodes (0 columns)")
    if len(xi) != n or len(xo) != n:
        raise ValueError(
            f"x_in ({len(xi)}), x_out ({len(xo)}) and bits ({n} rows) must have the same number of samples"
        )
    return b, xi, xo


def _check_nodes(nodes: Iterable[int], n_nodes: int) -> list[int]:
    out = []
    for v in nodes:
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
            raise ValueError(f"nodes must be integer node indices, got {v!r}")
        v = int(v)
        if not 0 <= v < n_nodes:
            raise ValueError(f"node {v} out of range 0..{n_nodes - 1}")
        out.append(v)
    if len(set(out)) != len(out):
        raise ValueError(f"nodes repeat an index: {sorted(out)}")
    return sorted(out)


# --------------------------------------------------------------------------- direct entropies


def _codes(cols: np.ndarray) -> np.ndarray:
    """Integer code per row, equal iff the rows are equal (any number of columns)."""
    n, k = cols.shape
    code = np.zeros(n, dtype=np.int64)
    for start in range(0, k, 30):  # loop over column blocks, not samples
        part = cols[:, start : start + 30].astype(np.int64)
        part = part @ (np.int64(1) << np.arange(part.shape[1], dtype=np.int64))
        if start:
            code = np.unique(code, return_inverse=True)[1].astype(np.int64).reshape(-1)
            code = (code << 30) | part
        else:
            code = part
    return code


def _entropy(code: np.ndarray) -> float:
    n = code.size
    if code.max(initial=0) < (1 << 22):
        c = np.bincount(code)
        c = c[c > 0]
    else:
        c = np.unique(code, return_counts=True)[1]
    c = c.astype(np.float64)
    return float(np.log2(n) - (c * np.log2(c)).sum() / n)


class _Direct:
    """I3 of chosen node sets, computed from packed codes with bincount."""

    def __init__(self, bits, x_in, x_out):
        self.bits = bits
        self.xx = (x_in.astype(np.int64) << 1) | x_out
        self.h_i = _entropy(x_in.astype(np.int64))
        self.h_o = _entropy(x_out.astype(np.int64))
        self.h_io = _entropy(self.xx)
        self.cache: dict[int, float] = {}

    def i3(self, nodes: Sequence[int]) -> float:
        if not nodes:
            return 0.0
        key = sum(1 << j for j in nodes)
        if key not in self.cache:
            s = _codes(self.bits[:, list(nodes)])
            s = np.unique(s, return_inverse=True)[1].astype(np.int64).reshape(-1) if s.max() >= (1 << 40) else s
            h_s = _entropy(s)
            h_si = _entropy((s << 1) | (self.xx >> 1))
            h_so = _entropy((s << 1) | (self.xx & 1))
            h_sio = _entropy((s << 2) | self.xx)
            self.cache[key] = h_s - h_si - h_so + h_sio + self.h_i + self.h_o - self.h_io
        return self.cache[key]


def relay_information(bits, x_in, x_out, nodes: Iterable[int]) -> float:
    """I(X_in; X_out; Y_R | Y_0) in bits for the node set ``nodes`` (R); the rest is Y_0."""
    b, xi, xo = _check(bits, x_in, x_out)
    n_nodes = b.shape[1]
    r = _check_nodes(nodes, n_nodes)
    d = _Direct(b, xi, xo)
    rest = [j for j in range(n_nodes) if j not in set(r)]
    return d.i3(list(range(n_nodes))) - d.i3(rest)


def greedy_order(bits, x_in, x_out, compiled: bool = False) -> tuple[list[int], list[float]]:
    """Greedy relay order (Hintze & Adami 2023).

    Start with every node in R; repeatedly move to Y_0 the node whose removal
    keeps the largest I_R (ties, within `TIE_TOL`, to the lower index).

    Returns ``order`` (all N nodes, removal order: least relaying first, the
    node that stays to the end last) and ``info`` (N values): ``info[k]`` is
    I_R of the set still in R before ``order[k]`` leaves, i.e. of size N - k;
    ``info[0]`` = I_R(all nodes), ``info[-1]`` = I_R({order[-1]}). A node's
    relay share is ``info[k] - info[k+1]`` (with 0 after the last): see
    `relay_shares`. ``compiled=True`` runs the numba loop of `greedy_orders`
    (same result to float rounding); off by default: for one search, numba's
    start-up in a fresh process (~0.5-1 s) costs more than the search (~2 ms).
    """
    b, xi, xo = _check(bits, x_in, x_out)
    xx = ((xi.astype(np.int64) << 1) | xo)[None, :]
    order, info = _greedy_batch(b, xx, compiled)
    return [int(j) for j in order[0]], [float(v) for v in info[0]]


# --------------------------------------------------------------------------- batched counting


@functools.lru_cache(maxsize=4)
def _clogc(n: int) -> np.ndarray:
    """c * log2(c) for every count c = 0..n (0 for c = 0)."""
    k = np.arange(n + 1, dtype=np.float64)
    out = np.zeros(n + 1)
    out[1:] = k[1:] * np.log2(k[1:])
    return out


def _i3_from_counts(counts: np.ndarray, n: int, mi_io: float) -> np.ndarray:
    """I3(S) from joint counts (4 x-pairs (x_in, x_out) = 00, 01, 10, 11, ..., K states of S).

    With F(A) = sum over cells of c log2 c, H(A) = log2 n - F(A)/n, so
    I3 = H(S) - H(S,xin) - H(S,xout) + H(S,xin,xout) + I(xin; xout)
       = (F(S,xin) + F(S,xout) - F(S) - F(S,xin,xout)) / n + I(xin; xout).
    """
    t = _clogc(n)
    c0, c1, c2, c3 = counts
    s01, s23 = c0 + c1, c2 + c3
    f = t[s01]
    f += t[s23]
    f += t[c0 + c2]
    f += t[c1 + c3]
    f -= t[s01 + s23]
    f -= t[counts].sum(axis=0)
    return f.sum(axis=-1) / n + mi_io


def _mi_io(xx: np.ndarray) -> float:
    """I(x_in; x_out) in bits from pair codes xx = 2 x_in + x_out (n,)."""
    return _entropy(xx >> 1) + _entropy(xx & 1) - _entropy(xx)


def _state_codes(bits: np.ndarray) -> np.ndarray:
    """Dense code 0..K-1 of each row's joint binary state (K distinct rows)."""
    return np.unique(_codes(bits), return_inverse=True)[1].astype(np.int64).reshape(-1)


def _joint_counts(s: np.ndarray, xx: np.ndarray, k: int) -> np.ndarray:
    """Counts (4 x pairs, P, k) of (state s, x pair) per dataset; s (P, n) or (n,) codes < k, xx (P, n).

    The x pair is the slowest axis, so each pair's counts are contiguous."""
    p = xx.shape[0]
    bins = xx * (p * k) + (np.arange(p, dtype=np.int64)[:, None] * k + s)
    return np.bincount(bins.reshape(-1), minlength=4 * p * k).reshape(4, p, k)


def _greedy_batch(bits: np.ndarray, xx: np.ndarray, compiled: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Greedy orders of P datasets: (order (P, N), info (P, N)), as `greedy_order`.

    ``bits``: states (n, N) shared by every dataset, or (P, n, N) one per
    dataset; ``xx`` (P, n): each dataset's x pairs 2 x_in + x_out. Each step
    counts, for every dataset and every node j still in R, the joint table of
    (Y_0 + j, x pair) with one bincount: Y_0's state is kept as a dense code per
    dataset (< K), so the candidate code 2 * code + bit_j stays < 2K.
    ``compiled``: the same search as one numba loop (`relay_kernels.greedy`);
    ``False`` runs the numpy code below, the reference (equal to float rounding).
    """
    if compiled:
        from rnninfo import relay_kernels

        b = bits[None] if bits.ndim == 2 else bits
        bt = np.ascontiguousarray(b.transpose(0, 2, 1), dtype=np.uint8)  # (1 or P, N, n)
        xx = np.ascontiguousarray(xx, dtype=np.int64)
        return relay_kernels.greedy(bt, xx, _mi_rows(xx), _clogc(xx.shape[1]), TIE_TOL)
    p, n = xx.shape
    shared = bits.ndim == 2
    n_nodes = bits.shape[-1]
    mi = _mi_rows(xx)  # (P,) I(x_in; x_out) of each dataset
    if shared:
        s_all = _state_codes(bits)
        bt = bits.T.astype(np.int64)  # (N, n)
    else:
        s_all = _state_codes(bits.reshape(p * n, n_nodes)).reshape(p, n)
        bt = bits.transpose(0, 2, 1).astype(np.int64)  # (P, N, n)
    total = _i3_from_counts(_joint_counts(s_all, xx, int(s_all.max()) + 1), n, 0.0) + mi  # (P,)
    y0 = np.zeros((p, n), dtype=np.int64)  # dense code of Y_0's state per dataset
    k_codes = 1
    remaining = np.tile(np.arange(n_nodes), (p, 1))  # (P, N - step), ascending per row
    i3_y0 = np.zeros(p)
    order = np.empty((p, n_nodes), dtype=np.int64)
    info = np.empty((p, n_nodes))
    rows = np.arange(p)
    for step in range(n_nodes):
        info[:, step] = total - i3_y0
        m = remaining.shape[1]
        node_bits = bt[remaining] if shared else bt[rows[:, None], remaining]  # (P, m, n)
        cand = y0[:, None, :] * 2 + node_bits  # (P, m, n) codes < 2K
        k2 = 2 * k_codes
        bins = xx[:, None, :] * (p * m * k2) + (np.arange(p * m, dtype=np.int64).reshape(p, m, 1) * k2 + cand)
        counts = np.bincount(bins.reshape(-1), minlength=4 * p * m * k2).reshape(4, p * m, k2)  # as _joint_counts
        i3 = _i3_from_counts(counts, n, 0.0).reshape(p, m) + mi[:, None]  # (P, m)
        values = total[:, None] - i3
        pick = np.argmax(values >= values.max(axis=1, keepdims=True) - TIE_TOL, axis=1)  # lowest index of the ties
        j = remaining[rows, pick]
        order[:, step] = j
        i3_y0 = i3[rows, pick]
        code = cand[rows, pick]  # (P, n)
        occupied = np.zeros((p, 2 * k_codes), dtype=bool)
        occupied[rows[:, None], code] = True
        rank = np.cumsum(occupied, axis=1) - 1
        y0 = rank[rows[:, None], code]
        k_codes = int(occupied.sum(axis=1).max())
        keep = np.ones_like(remaining, dtype=bool)
        keep[rows, pick] = False
        remaining = remaining[keep].reshape(p, m - 1)
    return order, info


def greedy_orders(bits, x_in, x_out, compiled: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """`greedy_order` of P datasets of one size at once (e.g. two split halves).

    ``bits`` (P, n, N), ``x_in`` and ``x_out`` (P, n); returns order (P, N)
    and info (P, N), row p equal to ``greedy_order(bits[p], x_in[p], x_out[p])``.
    """
    b = np.asarray(bits)
    xi, xo = np.asarray(x_in), np.asarray(x_out)
    if b.ndim != 3 or xi.shape != b.shape[:2] or xo.shape != b.shape[:2]:
        raise ValueError(
            f"greedy_orders: need bits (P, n, N) and x_in, x_out (P, n); got {b.shape}, {xi.shape}, {xo.shape}"
        )
    checked = [_check(b[k], xi[k], xo[k]) for k in range(len(b))]
    bb = np.stack([c[0] for c in checked])
    xx = np.stack([(c[1].astype(np.int64) << 1) | c[2] for c in checked])
    return _greedy_batch(bb, xx, compiled)


def _mi_rows(xx: np.ndarray) -> np.ndarray:
    """I(x_in; x_out) of every row of ``xx`` (P, n)."""
    p, n = xx.shape
    c = np.bincount((np.arange(p)[:, None] * 4 + xx).reshape(-1), minlength=4 * p).reshape(p, 4)
    t = _clogc(n)
    f_i = t[c[:, 0] + c[:, 1]] + t[c[:, 2] + c[:, 3]]
    f_o = t[c[:, 0] + c[:, 2]] + t[c[:, 1] + c[:, 3]]
    f_io = t[c].sum(axis=1)
    return (f_io - f_i - f_o) / n + np.log2(n)


# --------------------------------------------------------------------------- permutation null

BIAS_WARN_FRACTION = 0.1
"""`relay_null` warns when the null's mean exceeds this fraction of I(X_in; X_out)."""


@dataclass(frozen=True)
class RelayNull:
    """Permutation null of I_R(all nodes) for one (states, x_in, x_out).

    ``observed``: I_R(all) = I3(Y_all); ``null`` (n_perm,): I_R(all) with the
    state rows re-paired at random with the (x_in, x_out) pairs; ``p``: add-one
    permutation p-value of observed >= null; ``corrected``: observed - mean(null);
    ``share_null`` (n_share_perm, N): every node's greedy relay share under
    the null (node j's column); ``share_q95``: the 95th percentile of all of
    them (a per-node significance threshold); ``mi_io``: I(X_in; X_out), the
    most any I_R can be; ``occupancy``: occupied cells of (Y_all, X_in, X_out)
    per sample (near 1: every sample in its own cell, the estimate is mostly bias);
    ``order``, ``info``: the observed greedy search (`greedy_order`), run in the
    same batch as the permuted ones.
    """

    observed: float
    null: np.ndarray
    p: float
    corrected: float
    share_null: np.ndarray
    share_q95: float
    mi_io: float
    occupancy: float
    order: tuple[int, ...] = ()
    info: tuple[float, ...] = ()

    @property
    def null_mean(self) -> float:
        return float(self.null.mean()) if self.null.size else float("nan")

    @property
    def null_q95(self) -> float:
        return float(np.quantile(self.null, 0.95)) if self.null.size else float("nan")

    @property
    def biased(self) -> bool:
        """True when the null's mean exceeds `BIAS_WARN_FRACTION` of I(X_in; X_out)."""
        return bool(self.null_mean > BIAS_WARN_FRACTION * self.mi_io)


def permutations(n: int, n_perm: int, seed) -> np.ndarray:
    """``n_perm`` random permutations of ``n`` sample rows, (n_perm, n), from ``seed`` only
    (an int or a sequence of ints, as np.random.default_rng takes). Read-only, so that
    `relay_nulls` may reuse the permuted pairs across calls."""
    if int(n_perm) != n_perm or n_perm < 0:
        raise ValueError(f"n_perm must be a non-negative integer, got {n_perm!r}")
    rng = np.random.default_rng(seed)
    out = np.argsort(rng.random((int(n_perm), int(n))), axis=1)
    out.setflags(write=False)
    return out


def relay_null(
    bits,
    x_in,
    x_out,
    n_perm: int = 200,
    seed: int = 0,
    n_share_perm: int = 20,
    perms: np.ndarray | None = None,
    warn: bool = True,
    compiled: bool = True,
) -> RelayNull:
    """Permutation null, p-value and bias correction of I_R(all nodes).

    Each permutation re-pairs the state rows with the (x_in, x_out) pairs
    (x_in and x_out stay together, so I(X_in; X_out) is kept and only the
    states' link to them is broken). For I_R(all) = I3(Y_all) only the joint
    counts of (Y_all, x pair) change: one bincount for all permutations. The
    first ``n_share_perm`` permutations also run the full greedy search, for
    the null of per-node shares. ``perms`` (n_perm, n) may pass permutations
    in (`permutations`), e.g. one set shared by every step of a network; then
    ``n_perm`` and ``seed`` are ignored. Warns (``warn``) when the null's mean
    exceeds `BIAS_WARN_FRACTION` of I(X_in; X_out).
    """
    b, xi, xo = _check(bits, x_in, x_out)
    result = relay_nulls(b, xi[:, None], xo[:, None], n_perm, seed, n_share_perm, perms, compiled)[0]
    if warn and result.biased:
        warnings.warn(
            f"relay_null: the null's mean I_R ({result.null_mean:.3f} bits) exceeds "
            f"{BIAS_WARN_FRACTION:.0%} of I(X_in; X_out) = {result.mi_io:.3f} bits: the plug-in estimate is "
            f"mostly bias ({result.occupancy:.2f} occupied joint states per sample; "
            "fewer nodes or more samples help)",
            RuntimeWarning,
            stacklevel=2,
        )
    return result


_PAIRS_CACHE: dict = {}  # the last permuted (x_in, x_out) pairs (one network's, reused by its steps)


def relay_nulls(
    bits,
    x_in,
    x_out,
    n_perm: int = 200,
    seed: int = 0,
    n_share_perm: int = 20,
    perms: np.ndarray | None = None,
    compiled: bool = True,
) -> list[RelayNull]:
    """`relay_null` of several concepts that share the states ``bits`` (n, N):
    ``x_in``, ``x_out`` (n, C); one `RelayNull` per concept, computed in one
    batch (the same permutations for every concept). Does not warn; see
    `RelayNull.biased`. ``compiled``: the null and the greedy searches as numba
    loops (`relay_kernels`); ``False``: the numpy reference (bincounts of the
    permuted pairs), equal to float rounding.
    """
    b = _as_bits(bits, "bits", 2)
    xi_all = np.asarray(x_in)
    xo_all = np.asarray(x_out)
    if xi_all.ndim != 2 or xo_all.shape != xi_all.shape:
        raise ValueError(f"x_in and x_out must be (samples, concepts) of one shape, got {xi_all.shape}, {xo_all.shape}")
    checked = [_check(b, xi_all[:, c], xo_all[:, c]) for c in range(xi_all.shape[1])]
    n = b.shape[0]
    if perms is None:
        perms = permutations(n, n_perm, seed)
    perms = np.asarray(perms)
    if perms.ndim != 2 or perms.shape[1] != n:
        raise ValueError(f"perms must be (n_perm, {n}) permutations of the samples, got shape {perms.shape}")
    if int(n_share_perm) != n_share_perm or not 0 <= n_share_perm <= len(perms):
        raise ValueError(f"n_share_perm must be an integer in 0..{len(perms)} (n_perm), got {n_share_perm!r}")
    n_s = int(n_share_perm)
    xx = np.stack([(xi.astype(np.int64) << 1) | xo for _, xi, xo in checked])  # (C, n)
    mi = _mi_rows(xx)  # (C,)
    s = _state_codes(b)
    k = int(s.max()) + 1
    obs_counts = _joint_counts(s, xx, k)  # (4, C, K)
    observed = _i3_from_counts(obs_counts, n, 0.0) + mi  # (C,)
    if compiled:
        from rnninfo import relay_kernels

        p_idx = np.ascontiguousarray(perms, dtype=np.int64)
        null = relay_kernels.null_sums(s, xx, p_idx, _clogc(n)) / n + mi[:, None]  # (C, P)
        xxp = xx[:, p_idx[:n_s]]  # (C, n_s, n): the share null's permuted pairs
    else:
        xxp, null = _plain_null(s, xx, perms, k, mi)
    return _null_results(b, xx, xxp, observed, null, mi, obs_counts, n_s, compiled)


def _plain_null(s, xx, perms, k, mi):
    """Permuted pairs (C, P, n) and the null I3 (C, P) by bincount (the reference)."""
    n_c, n_p, n = xx.shape[0], len(perms), xx.shape[1]
    # permuted pairs (C, P, n): reused across calls when the same read-only perms and pairs
    # come again (the stage: every step of one network), saving one large gather per step
    key = (id(perms), perms.shape, xx.tobytes())
    if perms.flags.writeable:
        xxp = xx[:, perms]
    else:
        if _PAIRS_CACHE.get("key") != key:
            _PAIRS_CACHE.update(key=key, xxp=xx[:, perms], perms=perms)  # holding perms keeps its id valid
        xxp = _PAIRS_CACHE["xxp"]
    if n_p:
        null = (_i3_from_counts(_joint_counts(s, xxp.reshape(n_c * n_p, n), k), n, 0.0).reshape(n_c, n_p)
                + mi[:, None])
    else:
        null = np.zeros((n_c, 0))
    return xxp, null


def _null_results(b, xx, xxp, observed, null, mi, obs_counts, n_s, compiled) -> list[RelayNull]:
    """One `RelayNull` per concept; runs the observed and the share null's greedy searches."""
    n_c, n = xx.shape
    n_p, n_nodes = null.shape[1], b.shape[1]
    # observed greedy and the share null's greedy searches, every concept in one batch
    batch = np.concatenate([xx[:, None, :], xxp[:, :n_s]], axis=1).reshape(n_c * (1 + n_s), n)
    order, info = _greedy_batch(b, batch, compiled)
    order, info = order.reshape(n_c, 1 + n_s, n_nodes), info.reshape(n_c, 1 + n_s, n_nodes)
    out = []
    for c in range(n_c):
        if n_s:
            lost = info[c, 1:] - np.concatenate([info[c, 1:, 1:], np.zeros((n_s, 1))], axis=1)
            share_null = np.empty_like(lost)
            np.put_along_axis(share_null, order[c, 1:], lost, axis=1)
            share_q95 = float(np.quantile(share_null, 0.95))
        else:
            share_null, share_q95 = np.zeros((0, n_nodes)), float("nan")
        obs = float(observed[c])
        out.append(
            RelayNull(
                observed=obs,
                null=null[c],
                p=float((1 + np.sum(null[c] >= obs - TIE_TOL)) / (1 + n_p)),
                corrected=obs - (float(null[c].mean()) if n_p else 0.0),
                share_null=share_null,
                share_q95=share_q95,
                mi_io=float(mi[c]),
                occupancy=float((obs_counts[:, c] > 0).sum() / n),
                order=tuple(int(j) for j in order[c, 0]),
                info=tuple(float(v) for v in info[c, 0]),
            )
        )
    return out


def _argmax_low(values: Sequence[float], labels: Sequence[int]) -> int:
    best = max(values)
    return min(lab for v, lab in zip(values, labels) if v >= best - TIE_TOL)


def relay_shares(order: Sequence[int], info: Sequence[float]) -> np.ndarray:
    """Information each node took with it when it left R (Fig. 3 bars), indexed by node.

    The shares add up to I_R(all nodes).
    """
    order = list(order)
    info = np.asarray(info, dtype=np.float64)
    if len(order) != len(info) or sorted(order) != list(range(len(order))):
        raise ValueError("order must be a permutation of 0..N-1 and info as long as order")
    lost = info - np.append(info[1:], 0.0)
    share = np.empty(len(order))
    share[order] = lost
    return share


# --------------------------------------------------------------------------- all subsets at once


def _popcount(x: np.ndarray) -> np.ndarray:
    x = x.astype(np.int64)
    c = np.zeros_like(x)
    while np.any(x):
        c += x & 1
        x >>= 1
    return c


def interaction_table(bits, x_in, x_out) -> np.ndarray:
    """I3(S) in bits for every node set S, indexed by bit mask (array of length 2^N).

    I_R of a set R is ``table[-1] - table[full ^ R]`` with ``full = 2^N - 1``.
    """
    b, xi, xo = _check(bits, x_in, x_out)
    n, n_nodes = b.shape
    if n_nodes > MAX_EXHAUSTIVE_NODES:
        raise ValueError(
            f"exhaustive search is limited to {MAX_EXHAUSTIVE_NODES} nodes "
            f"(2^{MAX_EXHAUSTIVE_NODES} subsets); got {n_nodes}. Use greedy_order instead."
        )
    return _interaction_table(b, xi, xo)


_LOW_NODES = 12  # nodes transformed in one block; more nodes loop over the rest


def _up(a: np.ndarray, lead: int, n_axes: int, forward: bool) -> np.ndarray:
    """Marginal counts of every node subset: binary axes (0, 1) become ternary (0, 1, summed).

    ``a`` is flat, viewed as (lead, 2, ..., 2, trailing); returns the flat
    (lead, 3, ..., 3, trailing) array whose digit 2 on an axis means "summed over".
    """
    shape = [lead] + [2] * n_axes
    for ax in range(1, n_axes + 1) if forward else range(n_axes, 0, -1):
        pre = int(np.prod(shape[:ax]))
        post = a.size // (pre * 2)
        v = a.reshape(pre, 2, post)
        new = np.empty((pre, 3, post), a.dtype)
        new[:, :2] = v
        np.add(v[:, 0], v[:, 1], out=new[:, 2])
        a = new.reshape(-1)
        shape[ax] = 3
    return a


def _down(f: np.ndarray, lead: int, n_axes: int, forward: bool) -> np.ndarray:
    """Sum cell values into node sets: ternary axes become membership bits.

    Membership 0 (node not in the set) takes the "summed over" cell, membership
    1 the sum over the node's two values.
    """
    shape = [lead] + [3] * n_axes
    for ax in range(1, n_axes + 1) if forward else range(n_axes, 0, -1):
        pre = int(np.prod(shape[:ax]))
        post = f.size // (pre * 3)
        v = f.reshape(pre, 3, post)
        new = np.empty((pre, 2, post), f.dtype)
        new[:, 0] = v[:, 2]
        np.add(v[:, 0], v[:, 1], out=new[:, 1])
        f = new.reshape(-1)
        shape[ax] = 2
    return f


def _clogc_i3(counts: np.ndarray, n_low: int, clogc: np.ndarray) -> np.ndarray:
    """F(S,xin) + F(S,xout) - F(S) - F(S,xin,xout) (F = sum of c log2 c over cells) for
    every subset S of ``n_low`` nodes; ``counts`` is the flat (4 x-pairs, 2^n_low) table.

    The sum over a subset's cells is linear, so the four terms are combined per
    cell first and summed into subsets once (one "down" transform, not four).
    """
    a = _up(counts, 4, n_low, forward=False).reshape(4, -1)
    c0, c1, c2, c3 = a  # x pairs (xin, xout) = 00, 01, 10, 11
    t = np.take
    s01, s23 = c0 + c1, c2 + c3
    f = t(clogc, s01) + t(clogc, s23) + t(clogc, c0 + c2) + t(clogc, c1 + c3)
    f -= t(clogc, s01 + s23)
    for c in (c0, c1, c2, c3):
        f -= t(clogc, c)
    return _down(f, 1, n_low, forward=True)


def _interaction_table(b: np.ndarray, xi: np.ndarray, xo: np.ndarray) -> np.ndarray:
    """All 2^N I3 values from one joint count table.

    The joint counts of (nodes, x_in, x_out) come from one bincount of packed
    codes. An "up" transform turns the table into the marginal table of every
    node subset at once (3^N cells: each node 0, 1 or summed out); c*log2(c)
    is looked up per cell, the four entropy terms of I3 combined per cell; a
    "down" transform adds the cells of each subset. Nodes beyond the first 12
    are handled by looping over their 3^(N-12) marginal states, which keeps
    memory at 3^12 cells.
    """
    n, n_nodes = b.shape
    n_low = min(n_nodes, _LOW_NODES)
    n_high = n_nodes - n_low
    dtype = np.int16 if n < (1 << 15) else np.int32 if n < (1 << 31) else np.int64
    full = b.astype(np.int64) @ (np.int64(1) << np.arange(n_nodes, dtype=np.int64))
    xx = (xi.astype(np.int64) << 1) | xo
    low = full & ((1 << n_low) - 1)
    high = full >> n_low
    code = (high << (n_low + 2)) | (xx << n_low) | low  # layout (high nodes, x pair, low nodes)
    counts = np.bincount(code, minlength=1 << (n_nodes + 2)).astype(dtype)
    clogc = _clogc(n)

    block = 4 << n_low
    if n_high == 0:
        sums = _clogc_i3(counts, n_low, clogc)
    else:
        marg = _up(counts, 1, n_high, forward=True).reshape(-1, block)  # (3^high, 4 * 2^low)
        parts = np.stack([_clogc_i3(row, n_low, clogc) for row in marg])  # (3^high, 2^low)
        sums = _down(parts.reshape(-1), 1, n_high, forward=True)  # mask = high << n_low | low

    i3 = sums / n + _mi_io(xx)  # I3 = (F(S,xin) + F(S,xout) - F(S) - F(S,xin,xout)) / n + I(xin; xout)
    i3[0] = 0.0
    return i3


def greedy_from_table(table: np.ndarray) -> tuple[list[int], list[float]]:
    """`greedy_order` computed from an `interaction_table` (same rules, no recounting)."""
    table = np.asarray(table, dtype=np.float64)
    n_nodes = int(round(np.log2(table.size)))
    if table.size != 1 << n_nodes:
        raise ValueError(f"table length {table.size} is not a power of two")
    total = table[-1]
    y0 = 0
    remaining = list(range(n_nodes))
    order, info = [], []
    for _ in range(n_nodes):
        info.append(float(total - table[y0]))
        values = [total - table[y0 | (1 << j)] for j in remaining]
        j = _argmax_low(values, remaining)
        order.append(j)
        remaining.remove(j)
        y0 |= 1 << j
    return order, info


@functools.lru_cache(maxsize=8)
def _mask_layout(n_nodes: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every mask, its size, and its bit-reversed value (for lexicographic tie-breaks)."""
    masks = np.arange(1 << n_nodes, dtype=np.int64)
    size = _popcount(masks)
    # among sets of one size, a larger bit-reversed mask is a lexicographically smaller node list
    rev = np.zeros_like(masks)
    for j in range(n_nodes):
        rev |= ((masks >> j) & 1) << (n_nodes - 1 - j)
    return masks, size, rev


def best_per_size(table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For sizes 1..N: the mask of the best relaying set and its I_R (from an `interaction_table`)."""
    table = np.asarray(table, dtype=np.float64)
    n_nodes = int(round(np.log2(table.size)))
    if table.size != 1 << n_nodes:
        raise ValueError(f"table length {table.size} is not a power of two")
    masks, size, rev = _mask_layout(n_nodes)
    relay = table[-1] - table[masks[-1] ^ masks]  # I_R of every mask R
    best_mask = np.zeros(n_nodes, dtype=np.int64)
    best_info = np.zeros(n_nodes)
    for k in range(1, n_nodes + 1):
        sel = masks[size == k]
        v = relay[sel]
        tied = sel[v >= v.max() - TIE_TOL]
        pick = tied[np.argmax(rev[tied])]
        best_mask[k - 1] = pick
        best_info[k - 1] = relay[pick]
    return best_mask, best_info


def mask_nodes(mask: int, n_nodes: int) -> tuple[int, ...]:
    """Sorted node indices of a bit mask."""
    return tuple(j for j in range(n_nodes) if (int(mask) >> j) & 1)


def exhaustive_from_table(table: np.ndarray) -> pd.DataFrame:
    """Best node set of every size 1..N from an `interaction_table`.

    Ties (within `TIE_TOL`) go to the set whose sorted node list is
    lexicographically smallest (the lower indices).
    """
    best_mask, best_info = best_per_size(table)
    n_nodes = len(best_mask)
    return pd.DataFrame(
        {
            "size": np.arange(1, n_nodes + 1),
            "nodes": [mask_nodes(m, n_nodes) for m in best_mask],
            "info": best_info,
        }
    )


def exhaustive(bits, x_in, x_out) -> pd.DataFrame:
    """Best relaying set of every size by trying all 2^N sets (N <= 16).

    DataFrame(size, nodes, info): ``size`` 1..N, ``nodes`` a sorted tuple of
    node indices, ``info`` its I_R in bits. Ties go to the lower indices.
    """
    return exhaustive_from_table(interaction_table(bits, x_in, x_out))
