"""How relayed information moves between nodes over time (paper A, Figs. 8-11).

Inputs are relay shares: for one network, a (T, N, C) array of the
information node n relays about concept c at step t (`rnninfo.relay.relay_shares`).

* Stability (Fig. 8): Pearson r between a concept's share vectors (over the
  N nodes) at consecutive steps t, t+1, for t from the concept's onset on.
* Overlap (Fig. 9): Jaccard index |A & B| / |A | B| of the sets of nodes
  relaying the concept at t and at t+1.
* Which nodes relay what (Figs. 10, 11): the N x C share matrix at one step is
  binarised with 2-means (k = 2) over its N*C values; the high cluster relays.
  Counts: concepts per node and nodes per concept.

"Relaying" (used by overlap and counts): with ``method="kmeans"`` a cell is
relaying if it falls in the high cluster of the exact 1-D 2-means split of the
matrix's values (`rnninfo.relay.kmeans2_split`: the global optimum, so no seed
is needed) *and* carries at least ``min_share`` bits (the floor stops a matrix
with no information from being split into "relaying" noise); with
``method="threshold"`` a cell is relaying if its share is at least ``min_share``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rnninfo.relay import kmeans2_split

__all__ = [
    "pearson",
    "consecutive_correlation",
    "jaccard",
    "relaying_mask",
    "membership_counts",
    "share_array",
    "dynamics_tables",
]


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


def relaying_mask(matrix, method: str = "kmeans", min_share: float = 0.05) -> np.ndarray:
    """Boolean mask of relaying cells of a share matrix (any shape, e.g. N x C)."""
    m = np.asarray(matrix, dtype=np.float64)
    if not np.isfinite(m).all():
        raise ValueError("relaying_mask: shares contain NaN or inf")
    if method == "threshold":
        return m >= min_share
    if method != "kmeans":
        raise ValueError(f"relaying_mask: method must be 'kmeans' or 'threshold', got {method!r}")
    high = kmeans2_split(m.reshape(-1)).reshape(m.shape)
    return high & (m >= min_share)


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
    min_share: float = 0.05,
    start: str = "onset",
    matrix_time: int | None = None,
) -> dict[str, pd.DataFrame]:
    """Correlation, overlap, membership and count tables of a relay `shares` table.

    ``start``: "onset" pairs steps from each concept's onset on; "complete"
    from the step the last information arrives (n_info - 1) on.
    ``matrix_time``: step of the matrix whose relaying cells are counted
    (None: n_info, the first step after all information; clamped to the last
    analysed step).
    """
    if start not in ("onset", "complete"):
        raise ValueError(f"start must be 'onset' or 'complete', got {start!r}")
    keys = ["task", "arch", "delay", "seed"]
    corr, over, memb, counts = [], [], [], []
    for key, net in shares.groupby(keys, sort=True):
        arr, ts, nodes, concepts = share_array(net)
        name = net.drop_duplicates("concept").set_index("concept")["concept_name"]
        onset = net.drop_duplicates("concept").set_index("concept")["onset"]
        n_info = int(net["n_info"].iloc[0])
        masks = np.stack([relaying_mask(arr[i], relaying, min_share) for i in range(len(ts))])  # (T, N, C)
        for ci, c in enumerate(concepts):
            first = int(onset[c]) if start == "onset" else n_info - 1
            for i in range(len(ts) - 1):
                if ts[i] < first or ts[i + 1] != ts[i] + 1:
                    continue
                a, b = masks[i, :, ci], masks[i + 1, :, ci]
                corr.append(key + (c, name[c], ts[i], ts[i + 1], pearson(arr[i, :, ci], arr[i + 1, :, ci])))
                over.append(key + (c, name[c], ts[i], ts[i + 1], jaccard(a, b), int(a.sum()), int(b.sum())))
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
        "correlation": pd.DataFrame(corr, columns=keys + ["concept", "concept_name", "t", "t_next", "r"]),
        "overlap": pd.DataFrame(
            over, columns=keys + ["concept", "concept_name", "t", "t_next", "jaccard", "n_relaying", "n_relaying_next"]
        ),
        "membership": pd.DataFrame(memb, columns=keys + ["t", "node", "concept", "concept_name", "share", "relaying"]),
        "counts": pd.DataFrame(counts, columns=keys + ["t", "kind", "index", "count"]),
    }
