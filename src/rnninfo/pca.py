"""PCA of hidden states, guided by relay information (paper A, Figs. 12, 13).

The hidden states of one network (samples x nodes) are projected on their
first principal components. Nodes are then removed one at a time, either in
relay order (the greedy order of a concept: least relaying first) or in a
random order, and after every removal the PCA is redone on what is left. How
well the concept's two classes separate in the projection is scored with
scikit-learn's

  silhouette         in [-1, 1], larger = better separated
  Davies-Bouldin     >= 0, *smaller* = better separated
  Calinski-Harabasz  >= 0, larger = better separated

(the paper's Fig. 13 caption has the directions of the last two swapped).

Everything is deterministic: PCA uses the full SVD (sign fixed by
scikit-learn's svd_flip) and random orders come from an explicit numpy
generator.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

__all__ = [
    "METRICS",
    "label_states",
    "project",
    "cluster_scores",
    "removal_scores",
    "random_orders",
]

METRICS = ("silhouette", "davies_bouldin", "calinski_harabasz")


def label_states(y) -> np.ndarray:
    """The joint state of the three binary concepts as 0..7: 4*[y_0 > 0] + 2*[y_1 > 0] + [y_2 > 0]."""
    y = np.asarray(y)
    if y.ndim != 2:
        raise ValueError(f"label_states: y must be (n, concepts), got shape {y.shape}")
    bits = (y > 0).astype(np.int64)
    weights = 2 ** np.arange(y.shape[1] - 1, -1, -1)
    return bits @ weights


def _check_states(states) -> np.ndarray:
    a = np.asarray(states, dtype=np.float64)
    if a.ndim != 2:
        raise ValueError(f"pca: states must be (samples, nodes), got shape {a.shape}")
    if a.shape[0] < 3:
        raise ValueError(f"pca: need at least 3 samples, got {a.shape[0]}")
    if not np.isfinite(a).all():
        raise ValueError("pca: states contain NaN or inf")
    return a


def project(states, n_components: int = 2, standardize: bool = False) -> np.ndarray:
    """Scores on the first ``min(n_components, nodes)`` principal components: (n, k).

    ``standardize`` z-scores every node first (a constant node stays 0).
    """
    from sklearn.decomposition import PCA

    a = _check_states(states)
    if a.shape[1] == 0:
        raise ValueError("pca: no nodes left to project")
    if standardize:
        sd = a.std(axis=0)
        a = (a - a.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    k = max(1, min(int(n_components), a.shape[1], a.shape[0]))
    return PCA(n_components=k, svd_solver="full").fit_transform(a)


def cluster_scores(z, labels) -> np.ndarray:
    """Silhouette, Davies-Bouldin, Calinski-Harabasz of every labelling: (L, 3).

    z: (n, k) points; labels: (n,) or (n, L) class labels (two or more classes
    per column). One distance matrix serves every labelling. A labelling
    whose points do not spread (all equal) scores NaN.
    """
    from scipy.spatial.distance import cdist
    from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score

    z = np.asarray(z, dtype=np.float64)
    if z.ndim == 1:
        z = z[:, None]
    lab = np.asarray(labels)
    if lab.ndim == 1:
        lab = lab[:, None]
    if lab.shape[0] != z.shape[0]:
        raise ValueError(f"cluster_scores: {z.shape[0]} points but {lab.shape[0]} labels")
    out = np.full((lab.shape[1], len(METRICS)), np.nan)
    if not np.ptp(z, axis=0).any():
        return out
    dist = cdist(z, z)
    for j in range(lab.shape[1]):
        if len(np.unique(lab[:, j])) < 2:
            raise ValueError(f"cluster_scores: labelling {j} has a single class")
        out[j] = (
            silhouette_score(dist, lab[:, j], metric="precomputed"),
            davies_bouldin_score(z, lab[:, j]),
            calinski_harabasz_score(z, lab[:, j]),
        )
    return out


def removal_scores(
    states,
    order: Sequence[int],
    labels,
    n_components: int = 2,
    standardize: bool = False,
) -> np.ndarray:
    """Scores after removing ``order[:k]`` for k = 0 .. N-1: (N, L, 3).

    Row k: PCA of the nodes left after the first k nodes of ``order`` were
    removed (N - k nodes; with a single node left, one component), scored for
    every labelling in ``labels`` ((n,) or (n, L)).
    """
    a = _check_states(states)
    n_nodes = a.shape[1]
    order = [int(j) for j in order]
    if sorted(order) != list(range(n_nodes)):
        raise ValueError(f"removal_scores: order must be a permutation of 0..{n_nodes - 1}, got {order}")
    lab = np.asarray(labels)
    n_lab = 1 if lab.ndim == 1 else lab.shape[1]
    out = np.empty((n_nodes, n_lab, len(METRICS)))
    for k in range(n_nodes):
        left = sorted(order[k:])
        out[k] = cluster_scores(project(a[:, left], n_components, standardize), lab)
    return out


def random_orders(n_nodes: int, n_orders: int, rng: np.random.Generator) -> np.ndarray:
    """``n_orders`` random removal orders (permutations of the nodes): (n_orders, n_nodes) int64."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError("random_orders: rng must be a numpy Generator (seeded by the caller)")
    if n_orders < 0:
        raise ValueError(f"random_orders: n_orders must be >= 0, got {n_orders}")
    return np.array([rng.permutation(n_nodes) for _ in range(n_orders)], dtype=np.int64).reshape(n_orders, n_nodes)
