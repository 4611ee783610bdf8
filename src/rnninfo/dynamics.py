"""How relayed information moves between nodes over time (paper A, Figs. 8-11).

Inputs are relay shares: for one network, a (T, N, C) array of the
information node n relays about concept c at step t (`rnninfo.relay.relay_shares`).

* Stability (Fig. 8): Pearson r between a concept's share vectors (over the
  N nodes) at consecutive steps t, t+1 inside the common window (below).
* Noise ceiling (beside Fig. 8): r between the share vectors of two disjoint
  halves of the test samples at the same step (computed by the relay stage):
  how high the step-to-step r could be if nothing moved.
* Overlap (Fig. 9): Jaccard index |A & B| / |A | B| of the sets of nodes
  relaying the concept at t and at t+1.

The window (`window_bounds`) is the same for every training regime: for
concept c, step pairs (t, t+1) with onset_c + ``window_start`` <= t and
t + 1 <= ``window_end`` (default n_info + 4, the random regime's last
readout; the traces of every regime run that far, so a delay-1 network is
followed past its own readout on blank inputs, as at evaluation delay 5).
Starting one step after the onset skips the settling transient at the onset.
Only pairs where I_R(all) is significant at both steps enter (p <= alpha).
* Which nodes relay what (Figs. 10, 11): the N x C share matrix at one step is
  binarised with 2-means (k = 2) over its N*C values; the high cluster relays.
  Counts: concepts per node and nodes per concept.

"Relaying" (used by overlap and counts): a cell is eligible if the concept's
I_R(all) at that step is significant (permutation p <= alpha) and its share
exceeds the threshold: by default the step's null threshold (95th percentile
of per-node shares under the permutation null, column ``share_threshold`` of
the relay shares table), or a fixed ``min_share`` in bits (`eligible_cells`).
With ``method="kmeans"`` an eligible cell relays if it also falls in the high
cluster of the exact 1-D 2-means split of the matrix's values
(`rnninfo.relay.kmeans2_split`: the global optimum, no seed needed); with
``method="threshold"`` every eligible cell relays. (`relaying_mask` without
``eligible`` keeps the plain ``share >= min_share`` cut.)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rnninfo.relay import kmeans2_split
from rnninfo.tasks import RANDOM_DELAYS

__all__ = [
    "pearson",
    "consecutive_correlation",
    "jaccard",
    "relaying_mask",
    "membership_counts",
    "share_array",
    "window_bounds",
    "eligible_cells",
    "dynamics_tables",
]


def window_bounds(n_info: int, onsets, window_start: int = 1, window_end: int | None = None, n_steps: int | None = None):
    """The common step window: (first step per concept (C,), last step).

    First step of concept c: onset_c + window_start. Last step: ``window_end``
    (None: n_info + max random delay - 1, the random regime's last readout),
    clamped to ``n_steps - 1`` when given.
    """
    lo = np.asarray(onsets, dtype=np.int64) + int(window_start)
    hi = int(n_info) + max(RANDOM_DELAYS) - 1 if window_end is None else int(window_end)
    if n_steps is not None:
        hi = min(hi, int(n_steps) - 1)
    return lo, hi


def eligible_cells(shares: pd.DataFrame, min_share: float | None = None, alpha: float = 0.05) -> np.ndarray:
    """Boolean per row of a shares table: I_R(all) significant (p <= alpha) and share > threshold.

    Threshold: ``min_share`` bits if given, else the row's null-derived ``share_threshold``.
    """
    thr = shares["share_threshold"].to_numpy(dtype=np.float64) if min_share is None else float(min_share)
    return ((shares["p"].to_numpy() <= alpha) & (shares["share"].to_numpy() > thr))


def pearson(a, b) -> float:
    """Pearson r of two vectors; NaN when either is constant (r undefined)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"pearson: need two 1-D vectors of one length, got {a.shape} and {b.shape}")
    da, db = a - a.mean(), b - b.mean()
    na, nb = np.sqrt((da * da).sum()), np.sqrt((db * db).sum())
    scale = max(np.abs(a).max(initial=0), np.abs(b).max(initial=0), 1e-300)
    if na <= 1e-12 * scale * np.sqrt(a.size) or nb <= 1e-12 * scale * np.sqrt(b.size):
        return float("nan")
    return float(np.clip((da * db).sum() / (na * nb), -1.0, 1.0))


def consecutive_correlation(vectors) -> np.ndarray:
    """r between rows t and t+1 of a (T, N) array: T-1 values (NaN where a row is constant)."""
    v = np.asarray(vectors, dtype=np.float64)
    if v.ndim != 2:
        raise ValueError(f"consecutive_correlation: need (T, N), got shape {v.shape}")
    return np.array([pearson(v[t], v[t + 1]) for t in range(len(v) - 1)])


def jaccard(a, b) -> float:
    """|a & b| / |a | b| of two boolean node masks; NaN when both are empty."""
    a = np.asarray(a, dtype=bool)
    b = np.asarray(b, dtype=bool)
    if a.shape != b.shape:
        raise ValueError(f"jaccard: masks differ in shape {a.shape} vs {b.shape}")
    union = np.logical_or(a, b).sum()
    if union == 0:
        return float("nan")
    return float(np.logical_and(a, b).sum() / union)


def relaying_mask(matrix, method: str = "kmeans", min_share: float = 0.05, eligible=None) -> np.ndarray:
    """Boolean mask of relaying cells of a share matrix (any shape, e.g. N x C).

    ``eligible`` (same shape, optional) replaces the ``min_share`` cut (see module docstring).
    """
    m = np.asarray(matrix, dtype=np.float64)
    if not np.isfinite(m).all():
        raise ValueError("relaying_mask: shares contain NaN or inf")
    ok = m >= min_share if eligible is None else np.asarray(eligible, dtype=bool)
    if method == "threshold":
        return ok
    if method != "kmeans":
        raise ValueError(f"relaying_mask: method must be 'kmeans' or 'threshold', got {method!r}")
    high = kmeans2_split(m.reshape(-1)).reshape(m.shape)
    return high & ok


def membership_counts(mask) -> tuple[np.ndarray, np.ndarray]:
    """(concepts per node [N], nodes per concept [C]) of a boolean N x C mask."""
    mask = np.asarray(mask, dtype=bool)
    if mask.ndim != 2:
        raise ValueError(f"membership_counts: need an N x C mask, got shape {mask.shape}")
    return mask.sum(axis=1), mask.sum(axis=0)


def share_array(shares: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One network's shares as (T, N, C) plus the step, node and concept labels.

    ``shares`` has columns t, node, concept, share (one network: one seed).
    """
    ts = np.sort(shares["t"].unique())
    nodes = np.sort(shares["node"].unique())
    concepts = np.sort(shares["concept"].unique())
    arr = np.full((len(ts), len(nodes), len(concepts)), np.nan)
    ti = np.searchsorted(ts, shares["t"].to_numpy())
    ni = np.searchsorted(nodes, shares["node"].to_numpy())
    ci = np.searchsorted(concepts, shares["concept"].to_numpy())
    arr[ti, ni, ci] = shares["share"].to_numpy(dtype=np.float64)
    if np.isnan(arr).any():
        raise ValueError("share table is not complete: some (t, node, concept) rows are missing")
    return arr, ts, nodes, concepts


def dynamics_tables(
    shares: pd.DataFrame,
    relaying: str = "kmeans",
    min_share: float | None = None,
    alpha: float = 0.05,
    window_start: int = 1,
    window_end: int | None = None,
    matrix_time: int | None = None,
    ceiling: pd.DataFrame | None = None,
) -> dict[str, pd.DataFrame]:
    """Correlation, overlap, membership, count and per-network summary tables.

    ``shares``: the relay stage's shares table (with p and share_threshold).
    Pairs lie in the common window (`window_bounds`); ``significant`` marks
    pairs with I_R(all) significant at both steps. ``matrix_time``: step of
    the matrix whose relaying cells are counted (None: n_info, the first step
    after all information; clamped to the last analysed step). ``ceiling``:
    the relay stage's split-half table; the summary's ``r_split`` is its mean
    over the window's significant steps.
    """
    keys = ["task", "arch", "delay", "seed"]
    corr, over, memb, counts, summ = [], [], [], [], []
    eligible_all = eligible_cells(shares, min_share, alpha)
    shares = shares.assign(_eligible=eligible_all.astype(float), _sig=(shares["p"] <= alpha).astype(float))
    ceil = None
    if ceiling is not None and not ceiling.empty:
        ceil = ceiling.set_index(keys + ["concept", "t"])["r_split"]
    for key, net in shares.groupby(keys, sort=True):
        arr, ts, nodes, concepts = share_array(net)
        elig = share_array(net.assign(share=net["_eligible"]))[0] > 0  # (T, N, C)
        sig = share_array(net.assign(share=net["_sig"]))[0][:, 0, :] > 0  # (T, C)
        name = net.drop_duplicates("concept").set_index("concept")["concept_name"]
        onset = net.drop_duplicates("concept").set_index("concept")["onset"]
        n_info = int(net["n_info"].iloc[0])
        lo, hi = window_bounds(n_info, onset.loc[concepts].to_numpy(), window_start, window_end, int(ts[-1]) + 1)
        masks = np.stack([relaying_mask(arr[i], relaying, eligible=elig[i]) for i in range(len(ts))])  # (T, N, C)
        for ci, c in enumerate(concepts):
            rs, js, cs = [], [], []
            for i in range(len(ts) - 1):
                if ts[i] < lo[ci] or ts[i + 1] > hi or ts[i + 1] != ts[i] + 1:
                    continue
                a, b = masks[i, :, ci], masks[i + 1, :, ci]
                both = int(sig[i, ci] and sig[i + 1, ci])
                r = pearson(arr[i, :, ci], arr[i + 1, :, ci])
                jac = jaccard(a, b)
                corr.append(key + (c, name[c], ts[i], ts[i + 1], r, both))
                over.append(key + (c, name[c], ts[i], ts[i + 1], jac, int(a.sum()), int(b.sum()), both))
                if both:
                    rs.append(r)
                    js.append(jac)
            if ceil is not None:
                for i, t in enumerate(ts):
                    if lo[ci] <= t <= hi and sig[i, ci] and key + (c, t) in ceil.index:
                        cs.append(ceil.loc[key + (c, t)])
            summ.append(key + (c, name[c], int(lo[ci]), hi, len(rs), _nanmean(rs), _nanmean(js), _nanmean(cs)))
        for i, t in enumerate(ts):
            for ni, node in enumerate(nodes):
                for ci, c in enumerate(concepts):
                    memb.append(key + (t, node, c, name[c], arr[i, ni, ci], int(masks[i, ni, ci])))
        want = n_info if matrix_time is None else int(matrix_time)
        i = int(np.searchsorted(ts, min(want, ts[-1])))
        if ts[i] != min(want, ts[-1]):
            raise ValueError(f"matrix_time {want}: step not analysed for {key}")
        per_node, per_concept = membership_counts(masks[i])
        for ni, node in enumerate(nodes):
            counts.append(key + (ts[i], "concepts_per_node", int(node), int(per_node[ni])))
        for ci, c in enumerate(concepts):
            counts.append(key + (ts[i], "nodes_per_concept", int(c), int(per_concept[ci])))
    return {
        "correlation": pd.DataFrame(corr, columns=keys + ["concept", "concept_name", "t", "t_next", "r", "significant"]),
        "overlap": pd.DataFrame(
            over,
            columns=keys
            + ["concept", "concept_name", "t", "t_next", "jaccard", "n_relaying", "n_relaying_next", "significant"],
        ),
        "membership": pd.DataFrame(memb, columns=keys + ["t", "node", "concept", "concept_name", "share", "relaying"]),
        "counts": pd.DataFrame(counts, columns=keys + ["t", "kind", "index", "count"]),
        "summary": pd.DataFrame(
            summ,
            columns=keys
            + ["concept", "concept_name", "window_first", "window_last", "n_pairs", "r", "jaccard", "r_split"],
        ),
    }


def _nanmean(values) -> float:
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    return float(v.mean()) if v.size else float("nan")
