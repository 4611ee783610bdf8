"""Node knockouts (paper A, Figs. 4 and 5).

A knockout sets a set of hidden nodes (and, for an LSTM, their cell states)
to 0.0 after step ``t`` and lets the network run the rest of the sequence;
the answer is read at each sample's own readout step ``t_end``.

**When.** By default ``t = n_info - 1``: the step that shows the last concept
(zero-based), so the knocked-out state is the one *after* all information has
been fed in and the knockout affects steps ``>= n_info``. This is the same
state the relay information is computed on (``hidden[:, n_info - 1]`` in a
trace, relay time point ``t = n_info - 1``), as the paper prescribes ("the
relay information is computed at the time point after all information has been
fed into the network, which is also when we perform the node knockouts").

**Which sets.** For a concept ``c`` and size ``s`` the targeted set is the
top-``s`` relay nodes of ``c``: the last ``s`` nodes the greedy algorithm
removed (`top_relay_set`). The control is random sets of the same size drawn
with an explicit ``numpy`` generator (`random_sets`).

**How.** Every set of every seed runs in one batched forward pass of an
`rnninfo.models.Ensemble`: the test samples are repeated once per set along
the batch axis and each copy gets its own 0/1 ``keep`` mask
(`knockout_accuracy`). Passes are split into chunks of at most ``max_rows``
sample rows to bound memory. The model is never copied or edited.

Only the numpy helpers are needed without torch; torch is imported where it
is used, so a stage that only summarises tables does not pay for it.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

__all__ = [
    "knockout_time",
    "top_relay_set",
    "random_sets",
    "keep_mask",
    "knockout_accuracy",
    "mean_ci",
    "summarise",
    "margins",
]


def knockout_time(n_info: int, time: int | None = None) -> int:
    """Zero-based step after which states are knocked out: ``time`` or ``n_info - 1``."""
    if time is None:
        if n_info < 1:
            raise ValueError(f"knockout_time: n_info must be >= 1, got {n_info}")
        return int(n_info) - 1
    if int(time) < 0:
        raise ValueError(f"knockout_time: time must be >= 0, got {time}")
    return int(time)


def top_relay_set(order: Sequence[int], size: int) -> tuple[int, ...]:
    """The ``size`` most relaying nodes of a greedy removal order (the last ``size`` removed), sorted."""
    order = [int(j) for j in order]
    if len(set(order)) != len(order):
        raise ValueError(f"top_relay_set: order has repeated nodes: {order}")
    if not 0 <= size <= len(order):
        raise ValueError(f"top_relay_set: size must be 0..{len(order)}, got {size}")
    return tuple(sorted(order[len(order) - size :]))


def random_sets(n_nodes: int, sizes: Sequence[int], n_draws: int, rng: np.random.Generator) -> list[tuple[int, ...]]:
    """``n_draws`` uniformly random node sets of every size in ``sizes`` (in that order), each sorted.

    Draws are independent (the same set may come up twice). Everything comes
    from ``rng``, so the same generator state gives the same sets.
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError("random_sets: rng must be a numpy Generator (seeded by the caller)")
    if n_draws < 0:
        raise ValueError(f"random_sets: n_draws must be >= 0, got {n_draws}")
    out = []
    for size in sizes:
        if not 0 <= size <= n_nodes:
            raise ValueError(f"random_sets: size must be 0..{n_nodes}, got {size}")
        for _ in range(n_draws):
            out.append(tuple(sorted(int(j) for j in rng.choice(n_nodes, size=size, replace=False))))
    return out


def keep_mask(sets: Sequence[Sequence[int]], n_nodes: int) -> np.ndarray:
    """float32 (K, n_nodes): 0.0 on the knocked-out nodes of each set, 1.0 elsewhere."""
    keep = np.ones((len(sets), n_nodes), dtype=np.float32)
    for k, nodes in enumerate(sets):
        nodes = list(nodes)
        if nodes and (min(nodes) < 0 or max(nodes) >= n_nodes):
            raise ValueError(f"keep_mask: set {k} has nodes outside 0..{n_nodes - 1}: {nodes}")
        keep[k, nodes] = 0.0
    return keep


def knockout_accuracy(ensemble, x, y, t_end, t: int, keep, max_rows: int = 50_000) -> np.ndarray:
    """Per-concept accuracy of every seed under every knockout set: (S, K, 3) float64.

    ensemble: `rnninfo.models.Ensemble` of S networks.
    x: (S, n, T, d) test inputs per seed (or (n, T, d) shared); y: (S, n, 3)
        (or (n, 3)) targets +-1; t_end: (S, n) (or (n,)) readout steps.
    t: knockout step (state after step t is multiplied by the mask).
    keep: (S, K, H) or (K, H) 0/1 masks; an all-ones mask is the unperturbed net.
    max_rows: most sample rows (seeds x sets x samples) in one forward pass.
    Steps after the last readout are not run (they cannot change an answer).
    """
    import torch

    from rnninfo.train import at_readout

    S, H = ensemble.n_seeds, ensemble.hidden_size
    x = torch.as_tensor(np.asarray(x, dtype=np.float32))
    y = torch.as_tensor(np.asarray(y, dtype=np.float32))
    t_end = torch.as_tensor(np.asarray(t_end, dtype=np.int64))
    keep = torch.as_tensor(np.asarray(keep, dtype=np.float32))
    if x.dim() == 3:
        x = x.unsqueeze(0).expand(S, *x.shape)
    if y.dim() == 2:
        y = y.unsqueeze(0).expand(S, *y.shape)
    if t_end.dim() == 1:
        t_end = t_end.unsqueeze(0).expand(S, *t_end.shape)
    if keep.dim() == 2:
        keep = keep.unsqueeze(0).expand(S, *keep.shape)
    if x.dim() != 4 or x.shape[0] != S:
        raise ValueError(f"knockout_accuracy: x must be (S={S}, n, T, d), got {tuple(x.shape)}")
    n, T = x.shape[1], x.shape[2]
    if y.shape != (S, n, 3) or t_end.shape != (S, n):
        raise ValueError(f"knockout_accuracy: y must be ({S}, {n}, 3) and t_end ({S}, {n})")
    if keep.dim() != 3 or keep.shape[0] != S or keep.shape[2] != H:
        raise ValueError(f"knockout_accuracy: keep must be ({S}, K, {H}), got {tuple(keep.shape)}")
    if int(t_end.min()) < 0 or int(t_end.max()) >= T:
        raise ValueError(f"knockout_accuracy: t_end outside 0..{T - 1}")
    if not 0 <= t < T:
        raise ValueError(f"knockout_accuracy: knockout step {t} outside 0..{T - 1}")
    if int(t_end.min()) <= t:
        raise ValueError(
            f"knockout_accuracy: some readouts (step {int(t_end.min())}) are not after the knockout step {t}"
        )
    x = x[:, :, : int(t_end.max()) + 1]
    K = keep.shape[1]
    chunk = max(1, int(max_rows) // max(1, S * n))
    out = np.empty((S, K, 3), dtype=np.float64)
    with torch.no_grad():
        for k0 in range(0, K, chunk):
            k = min(chunk, K - k0)
            xb = x.unsqueeze(1).expand(S, k, *x.shape[1:]).reshape(S, k * n, *x.shape[2:])
            kb = keep[:, k0 : k0 + k, None, :].expand(S, k, n, H).reshape(S, k * n, H)
            tb = t_end.unsqueeze(1).expand(S, k, n).reshape(S, k * n)
            answers = at_readout(ensemble(xb, knockout=(t, kb))["outputs"], tb)  # (S, k*n, 3)
            correct = torch.sign(answers.reshape(S, k, n, 3)) == y.unsqueeze(1)
            out[:, k0 : k0 + k] = correct.sum(dim=2).double().numpy() / n  # exact fractions
    return out


def mean_ci(values, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and Student-t confidence interval of the mean: (mean, low, high).

    NaN values are dropped; with fewer than two values the bounds are NaN.
    """
    from scipy import stats

    v = np.asarray(values, dtype=np.float64)
    v = v[~np.isnan(v)]
    if v.size == 0:
        return float("nan"), float("nan"), float("nan")
    m = float(v.mean())
    if v.size < 2:
        return m, float("nan"), float("nan")
    half = float(stats.t.ppf(0.5 + level / 2, v.size - 1) * v.std(ddof=1) / np.sqrt(v.size))
    return m, m - half, m + half


CONDITION = ["task", "arch", "delay"]


def _per_seed(df: pd.DataFrame) -> pd.DataFrame:
    """Random draws averaged per seed, so that every set kind has one value per seed."""
    keys = CONDITION + ["seed", "kind", "target", "target_name", "size", "concept", "concept_name"]
    return df.groupby(keys, as_index=False, sort=True)["accuracy"].mean()


def summarise(df: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Accuracy per condition, set kind, target, size and concept: mean and CI over seeds.

    ``df`` is the knockout stage's table (one or more conditions). Random sets
    are first averaged over draws within each seed.
    """
    per_seed = _per_seed(df)
    keys = CONDITION + ["kind", "target", "target_name", "size", "concept", "concept_name"]
    rows = []
    for key, g in per_seed.groupby(keys, sort=True):
        m, lo, hi = mean_ci(g["accuracy"].to_numpy(), level)
        rows.append(key + (int(g["seed"].nunique()), m, lo, hi))
    return pd.DataFrame(rows, columns=keys + ["n_seeds", "accuracy", "ci_low", "ci_high"])


def margins(df: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """How much more a concept's top relay nodes cost that concept, per seed then over seeds.

    For a seed, target concept c and size s, with drop = baseline accuracy minus
    accuracy under the knockout of c's top-s relay nodes:

      vs_other  = drop of c  -  mean drop of the other concepts (same knockout)
      vs_random = drop of c  -  drop of c under random sets of size s (mean over draws)

    Rows: every target (and "all" = mean over targets) and every size, plus
    sizes "1-<N-1>" = the mean over every size short of the whole layer (where
    every set is the same). Mean and CI are over seeds.
    """
    per_seed = _per_seed(df)
    out = []
    for cond, g in per_seed.groupby(CONDITION, sort=True):
        names = g.drop_duplicates("concept").set_index("concept")["concept_name"].sort_index()
        n_c = len(names)
        n_nodes = int(g["size"].max())
        seeds = sorted(g["seed"].unique())
        sizes = list(range(1, n_nodes + 1))
        base = g[g["kind"] == "baseline"].pivot(index="seed", columns="concept", values="accuracy")
        base = base.reindex(index=seeds, columns=names.index).to_numpy()  # (S, C)
        rel = g[g["kind"] == "relay"].set_index(["seed", "target", "size", "concept"])["accuracy"]
        idx = pd.MultiIndex.from_product([seeds, names.index, sizes, names.index])
        rel = rel.reindex(idx).to_numpy().reshape(len(seeds), n_c, len(sizes), n_c)  # (S, target, size, C)
        ran = g[g["kind"] == "random"].set_index(["seed", "size", "concept"])["accuracy"]
        ran = ran.reindex(pd.MultiIndex.from_product([seeds, sizes, names.index])).to_numpy()
        ran = ran.reshape(len(seeds), len(sizes), n_c)  # (S, size, C); NaN without random sets
        drop = base[:, None, None, :] - rel  # (S, target, size, C)
        diag = np.stack([drop[:, c, :, c] for c in range(n_c)], axis=1)  # (S, target, size)
        others = np.stack(
            [np.delete(drop[:, c], c, axis=-1).mean(axis=-1) for c in range(n_c)], axis=1
        )  # (S, target, size)
        rand_drop = np.stack([base[:, None, c] - ran[:, :, c] for c in range(n_c)], axis=1)  # (S, target, size)
        values = {"vs_other": diag - others, "vs_random": diag - rand_drop}
        targets = [(str(names[c]), [c]) for c in names.index] + [("all", list(range(n_c)))]
        groups = [(str(s), [s - 1]) for s in sizes] + [(f"1-{n_nodes - 1}", list(range(n_nodes - 1)))]
        for margin, v in values.items():
            for tname, tc in targets:
                for gname, gs in groups:
                    per = v[:, tc][:, :, gs].mean(axis=(1, 2)) if gs else np.full(len(seeds), np.nan)
                    m, lo, hi = mean_ci(per, level)
                    out.append(cond + (tname, gname, margin, int(np.isfinite(per).sum()), m, lo, hi))
    cols = CONDITION + ["target_name", "sizes", "margin", "n_seeds", "mean", "ci_low", "ci_high"]
    return pd.DataFrame(out, columns=cols)
