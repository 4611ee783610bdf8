"""PCA of hidden states, guided by relay information (paper A, Figs. 12, 13).

The hidden states of one network (samples x nodes) are projected on their
first principal components. Nodes are then removed one at a time in a given
order: relay order (the greedy order of a concept: least relaying first), a
supervised order (`supervised_order`: least informative about the concept's
label first) or a random order; after every removal the PCA is redone on what
is left. How well the concept's two classes separate in the projection is
scored with

  silhouette         in [-1, 1], larger = better separated
  Davies-Bouldin     >= 0, *smaller* = better separated
  Calinski-Harabasz  >= 0, larger = better separated

(the paper's Fig. 13 caption has the directions of the last two swapped).

The scores are scikit-learn's definitions, computed here from class sums
(`cluster_scores`): Davies-Bouldin and Calinski-Harabasz need only class
means and within-class distances (O(n k)); the silhouette needs every pairwise
distance, computed exactly in float64 (direct differences as scipy's cdist,
not the Gram-matrix shortcut) once per projection and shared by every labelling;
the per-class distance sums of all labellings are one matrix product.
Equal to sklearn to 1e-9
(tests/test_pca.py); `bench/pca.py` prints the speed-up. PCA is a float64 SVD
with sklearn's sign convention (the largest loading of each component
positive, `svd_flip(u_based_decision=False)`), so neither path imports sklearn.

Everything is deterministic: random orders come from an explicit numpy
generator; a node set that comes up in several orders is projected once.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "METRICS",
    "label_states",
    "project",
    "cluster_scores",
    "removal_scores",
    "random_orders",
    "node_label_information",
    "supervised_order",
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

    ``standardize`` z-scores every node first (a constant node stays 0). Same
    numbers as ``sklearn.decomposition.PCA(k, svd_solver="full").fit_transform``.
    """
    a = _check_states(states)
    if a.shape[1] == 0:
        raise ValueError("pca: no nodes left to project")
    if standardize:
        sd = a.std(axis=0)
        a = (a - a.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    k = max(1, min(int(n_components), a.shape[1], a.shape[0]))
    a = a - a.mean(axis=0)
    u, s, vt = np.linalg.svd(a, full_matrices=False)  # (n, r), (r,), (r, N)
    big = np.argmax(np.abs(vt), axis=1)
    signs = np.sign(vt[np.arange(vt.shape[0]), big])
    signs[signs == 0] = 1.0
    return (u[:, :k] * s[:k]) * signs[:k]  # (n, k)


def cluster_scores(z, labels) -> np.ndarray:
    """Silhouette, Davies-Bouldin, Calinski-Harabasz of every labelling: (L, 3), or (B, L, 3).

    z: (n, k) points, or (B, n, k) B sets of points scored with the same
    labels; labels: (n,) or (n, L) class labels (two or more classes per
    column). scikit-learn's definitions (Euclidean), from class sums; one
    distance matrix per point set serves every labelling. A point set that does
    not spread (all points equal) scores NaN.
    """
    z = np.asarray(z, dtype=np.float64)
    single = z.ndim <= 2
    if z.ndim == 1:
        z = z[:, None]
    if z.ndim == 2:
        z = z[None]
    if z.ndim != 3:
        raise ValueError(f"cluster_scores: z must be (n, k) or (B, n, k), got shape {z.shape}")
    B, n, _ = z.shape
    onehots = _onehots(labels, n)
    out = np.full((B, len(onehots), len(METRICS)), np.nan)
    work = (np.empty((n, n)), np.empty((n, n)))
    for b in range(B):
        out[b] = _score_points(z[b], onehots, work)
    return out[0] if single else out


def _onehots(labels, n: int) -> list[np.ndarray]:
    """Each labelling's classes as a 0/1 matrix (n, L_j); labels (n,) or (n, L)."""
    lab = np.asarray(labels)
    if lab.ndim == 1:
        lab = lab[:, None]
    if lab.shape[0] != n:
        raise ValueError(f"cluster_scores: {n} points but {lab.shape[0]} labels")
    onehots = []
    for j in range(lab.shape[1]):
        _, code = np.unique(lab[:, j], return_inverse=True)
        if code.max() < 1:
            raise ValueError(f"cluster_scores: labelling {j} has a single class")
        onehots.append(np.eye(code.max() + 1)[code.reshape(-1)])  # (n, L_j)
    return onehots


def _score_points(z: np.ndarray, onehots: list[np.ndarray], work: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Scores of one point set z (n, k) for every labelling: (L, 3); NaN if the points do not spread.

    work: two (n, n) float64 buffers for the distances (reused, so no page faults per call).
    """
    out = np.full((len(onehots), len(METRICS)), np.nan)
    if not np.ptp(z, axis=0).any():
        return out
    every = np.concatenate(onehots, axis=1)  # (n, sum of L_j): every labelling's classes side by side
    sums = _distances(z, *work) @ every  # (n, sum L_j): summed distance of each point to each class
    start = 0
    for j, onehot in enumerate(onehots):
        out[j] = _scores(z, sums[:, start : start + onehot.shape[1]], onehot)
        start += onehot.shape[1]
    return out


def _distances(z: np.ndarray, out: np.ndarray, tmp: np.ndarray) -> np.ndarray:
    """Euclidean distances between all rows of z (n, k), float64, from direct differences: (n, n) in ``out``.

    Exactly scipy's cdist(z, z) (same sums of squared differences, same order); ``tmp`` is scratch.
    """
    np.subtract.outer(z[:, 0], z[:, 0], out=out)
    np.multiply(out, out, out=out)
    for j in range(1, z.shape[1]):
        np.subtract.outer(z[:, j], z[:, j], out=tmp)
        np.multiply(tmp, tmp, out=tmp)
        out += tmp
    return np.sqrt(out, out=out)


def _scores(z: np.ndarray, sums: np.ndarray, onehot: np.ndarray) -> tuple[float, float, float]:
    """(silhouette, Davies-Bouldin, Calinski-Harabasz) of points z (n, k) in classes onehot (n, L).

    sums: (n, L) summed distance of each point to the points of each class.
    """
    n, L = onehot.shape
    count = onehot.sum(axis=0)  # (L,)
    own = onehot.astype(bool)  # (n, L)
    # silhouette: mean distance to the own class (without the point itself) and to the nearest other class
    size_own = count[own.argmax(axis=1)]  # (n,)
    a = np.where(size_own > 1, sums[own] / np.maximum(size_own - 1, 1), 0.0)
    b = np.where(own, np.inf, sums / count).min(axis=1)
    denom = np.maximum(a, b)
    sil = np.where((size_own > 1) & (denom > 0), (b - a) / np.where(denom > 0, denom, 1.0), 0.0)
    # class means and within-class spread
    centroids = (onehot.T @ z) / count[:, None]  # (L, k)
    resid = z - onehot @ centroids  # (n, k)
    within = np.sqrt((resid * resid).sum(axis=1))  # (n,) distance to the own centroid
    intra = (onehot.T @ within) / count  # (L,)
    cdist = np.sqrt(((centroids[:, None, :] - centroids[None, :, :]) ** 2).sum(axis=-1))  # (L, L)
    if (np.abs(intra) <= 1e-8).all() or (np.abs(cdist) <= 1e-8).all():  # sklearn: np.allclose(., 0)
        db = 0.0
    else:
        cdist[cdist == 0] = np.inf
        db = float(np.mean(np.max((intra[:, None] + intra[None, :]) / cdist, axis=1)))
    extra = float((count * ((centroids - z.mean(axis=0)) ** 2).sum(axis=1)).sum())
    intra_disp = float((resid * resid).sum())
    ch = 1.0 if intra_disp == 0 else extra * (n - L) / (intra_disp * (L - 1))
    return float(sil.mean()), db, ch


def removal_scores(
    states,
    order,
    labels,
    n_components: int = 2,
    standardize: bool = False,
) -> np.ndarray:
    """Scores after removing ``order[:k]`` for k = 0 .. N-1: (N, L, 3), or (R, N, L, 3) for R orders.

    order: one permutation of the nodes (N,) or several (R, N). Row k: PCA of
    the nodes left after the first k nodes of the order were removed (N - k
    nodes; with a single node left, one component), scored for every
    labelling in ``labels`` ((n,) or (n, L)). A node set that comes up in
    several orders (e.g. all nodes at k = 0) is projected and scored once.
    """
    a = _check_states(states)
    n_nodes = a.shape[1]
    orders = np.asarray(order, dtype=np.int64)
    single = orders.ndim == 1
    if orders.ndim not in (1, 2) or orders.shape[-1] != n_nodes:
        raise ValueError(f"removal_scores: order must be a permutation of 0..{n_nodes - 1} (or rows of them), "
                         f"got shape {orders.shape}")
    orders = orders.reshape(-1, n_nodes)
    for o in orders:
        if sorted(o.tolist()) != list(range(n_nodes)):
            raise ValueError(f"removal_scores: order must be a permutation of 0..{n_nodes - 1}, got {o.tolist()}")
    onehots = _onehots(labels, a.shape[0])
    n_lab = len(onehots)
    work = (np.empty((a.shape[0], a.shape[0])), np.empty((a.shape[0], a.shape[0])))
    sets = {}
    for o in orders:
        for k in range(n_nodes):
            sets.setdefault(tuple(sorted(o[k:].tolist())), len(sets))
    scored = np.empty((len(sets), n_lab, len(METRICS)))
    for left, i in sets.items():
        scored[i] = _score_points(project(a[:, list(left)], n_components, standardize), onehots, work)
    out = np.empty((len(orders), n_nodes, n_lab, len(METRICS)))
    for r, o in enumerate(orders):
        for k in range(n_nodes):
            out[r, k] = scored[sets[tuple(sorted(o[k:].tolist()))]]
    return out[0] if single else out


def node_label_information(bits, label) -> np.ndarray:
    """Plug-in I(node; label) in bits of every binary node: (N,).

    bits: (n, N) 0/1 nodes; label: (n,) class labels (any values).
    """
    b = np.asarray(bits)
    if b.ndim != 2 or not np.isin(b, (0, 1)).all():
        raise ValueError(f"node_label_information: bits must be (n, N) of 0/1, got shape {b.shape}")
    _, code = np.unique(np.asarray(label), return_inverse=True)
    code = code.reshape(-1)
    if code.shape[0] != b.shape[0]:
        raise ValueError(f"node_label_information: {b.shape[0]} samples but {code.shape[0]} labels")
    n = b.shape[0]
    onehot = np.eye(code.max() + 1)[code]  # (n, L)
    ones = b.T.astype(np.float64) @ onehot  # (N, L): count of node = 1 per class
    joint = np.stack([onehot.sum(axis=0)[None, :] - ones, ones], axis=1) / n  # (N, 2, L)
    p_node = joint.sum(axis=2, keepdims=True)  # (N, 2, 1)
    p_label = joint.sum(axis=1, keepdims=True)  # (N, 1, L)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(joint > 0, joint * np.log2(joint / (p_node * p_label)), 0.0)
    return np.maximum(terms.sum(axis=(1, 2)), 0.0)


def supervised_order(bits, label, tol: float = 1e-12) -> list[int]:
    """Removal order by each node's own I(node; label): least informative first, ties (within tol) to the lower index.

    The label-aware control for relay order: it knows the concept but not the
    network's answer nor how nodes combine.
    """
    info = node_label_information(bits, label)
    order, left = [], list(range(len(info)))
    while left:
        low = min(info[j] for j in left)
        j = min(j for j in left if info[j] <= low + tol)
        order.append(j)
        left.remove(j)
    return order


def random_orders(n_nodes: int, n_orders: int, rng: np.random.Generator) -> np.ndarray:
    """``n_orders`` random removal orders (permutations of the nodes): (n_orders, n_nodes) int64."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError("random_orders: rng must be a numpy Generator (seeded by the caller)")
    if n_orders < 0:
        raise ValueError(f"random_orders: n_orders must be >= 0, got {n_orders}")
    return np.array([rng.permutation(n_nodes) for _ in range(n_orders)], dtype=np.int64).reshape(n_orders, n_nodes)
