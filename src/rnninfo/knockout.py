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

**How.** Every set of every seed runs in one batched pass of an
`rnninfo.models.Ensemble` (`knockout_accuracy`): steps 0..t run once per
sample; then every (set, sample) pair continues from the masked state after
step t, sets x samples along the batch axis, each row with its own 0/1
``keep`` mask, each sample stopping at its own readout step. A set that comes
up twice for a seed (every size-N set is the whole layer) runs once. Passes
are split into chunks of at most ``max_rows`` rows to bound memory (and to
stay in cache). The model is never copied or edited. The result equals
running one set at a time (`knockout_accuracy_one_by_one`, the reference).

**LSTM.** ``lstm_state="hidden+cell"`` sets both the hidden and the cell
state of the knocked-out nodes to 0; ``"hidden"`` only the hidden state (the
paper speaks of hidden nodes), so the cell state carries on and the node's
output recovers at the next step as far as its cell state allows.

Only the numpy helpers are needed without torch; torch is imported where it
is used, so a stage that only summarises tables does not pay for it.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from rnninfo.intervals import mean_ci, paired_t, t_quantile  # noqa: F401  (mean_ci, paired_t: public here too)

__all__ = [
    "knockout_time",
    "top_relay_set",
    "random_sets",
    "relay_orders",
    "keep_mask",
    "knockout_accuracy",
    "knockout_accuracy_one_by_one",
    "LSTM_STATES",
    "mean_ci",
    "paired_t",
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


def relay_orders(states, x_in, x_out, method: str = "median", atol: float = 1e-6):
    """Greedy relay order of every concept from states at one step: (orders, infos), one list per concept.

    states: (n, N) node values of the samples the order is estimated on; x_in,
    x_out: (n, C) binary labels and answers. Nodes are binarised with
    `rnninfo.relay.binarize` (a node whose range is at most ``atol`` is all
    zeros) and ordered with `rnninfo.relay.greedy_order` (least relaying
    first); ``infos[c][k]`` is I_R of the N - k nodes left before ``orders[c][k]``
    leaves.
    """
    from rnninfo import relay

    bits = relay.binarize(np.asarray(states, dtype=np.float64), method, constant="zero", atol=float(atol))
    x_in = np.asarray(x_in, dtype=np.uint8)
    x_out = np.asarray(x_out, dtype=np.uint8)
    if x_in.shape != x_out.shape or x_in.ndim != 2 or x_in.shape[0] != bits.shape[0]:
        raise ValueError(f"relay_orders: x_in {x_in.shape} and x_out {x_out.shape} must both be ({bits.shape[0]}, C)")
    found = [relay.greedy_order(bits, x_in[:, c], x_out[:, c]) for c in range(x_in.shape[1])]
    return [list(o) for o, _ in found], [list(i) for _, i in found]


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


LSTM_STATES = ("hidden", "hidden+cell")


def knockout_accuracy(
    ensemble, x, y, t_end, t: int, keep, max_rows: int = 50_000, lstm_state: str = "hidden+cell"
) -> np.ndarray:
    """Per-concept accuracy of every seed under every knockout set: (S, K, 3) float64.

    ensemble: `rnninfo.models.Ensemble` of S networks.
    x: (S, n, T, d) test inputs per seed (or (n, T, d) shared); y: (S, n, 3)
        (or (n, 3)) targets +-1; t_end: (S, n) (or (n,)) readout steps.
    t: knockout step (the state after step t is multiplied by the mask).
    keep: (S, K, H) or (K, H) 0/1 masks; an all-ones mask is the unperturbed net.
    max_rows: most sample rows (seeds x sets x samples) in one forward pass.
    lstm_state: for an LSTM, "hidden+cell" masks both states, "hidden" only
        the hidden state (the cell state carries on); other archs have no cell.

    Steps 0..t are the same for every set, so they run once (S x n rows). The
    K sets (each distinct set once) then continue from the masked state after step t in one batched
    pass (S x K x n rows, in chunks of at most ``max_rows``), one step at a
    time, and a sample stops at its own readout: samples are sorted by readout
    step (latest first) and laid out sample-major, so the rows still running
    are a prefix of the batch. Each row runs exactly the steps t+1 .. t_end it
    needs; steps after a readout cannot change that answer. The continuation
    calls the ensemble's recurrence (`rnninfo.recurrence.recur`) directly: the
    input projection of steps t+1.. is computed once per sample (not per set),
    and the readout only for the rows whose sample reads out at that step.
    """
    import torch

    from rnninfo.recurrence import input_projection, recur

    if lstm_state not in LSTM_STATES:
        raise ValueError(f"knockout_accuracy: lstm_state must be one of {LSTM_STATES}, got {lstm_state!r}")
    S, H = ensemble.n_seeds, ensemble.hidden_size
    x, y, t_end, keep = _seed_tensors(ensemble, x, y, t_end, keep, t)
    n = x.shape[1]
    keep, repeat = _distinct_masks(keep.numpy())  # a set drawn twice (e.g. every node) runs once
    keep = torch.from_numpy(keep)  # (S, K', H)
    K = keep.shape[1]
    late_first = torch.argsort(t_end, dim=1, descending=True, stable=True)  # (S, n)
    x = x.gather(1, late_first[:, :, None, None].expand_as(x))
    y = y.gather(1, late_first[:, :, None].expand_as(y))
    t_end = t_end.gather(1, late_first)  # (S, n), non-increasing along samples
    last = int(t_end.max())
    running = {j: int((t_end >= j).sum(dim=1).max()) for j in range(t + 1, last + 1)}  # samples still running
    # samples read out at step j: positions first[j] .. running[j] - 1 of some seed (sorted per seed)
    first = {j: int((t_end > j).sum(dim=1).min()) for j in running}
    chunk = max(1, int(max_rows) // max(1, S * n))
    out = np.empty((S, K, 3), dtype=np.float64)
    with torch.no_grad():
        pre = ensemble(x[:, :, : t + 1])
        h_t = pre["hidden"][:, :, t]  # (S, n, H): the state after step t
        c_t = pre["cell"][:, :, t] if "cell" in pre else None  # (S, n, H) for LSTM
        w_ih_t, w_t, b_gh = ensemble.recurrence_weights()
        x1 = torch.cat([x[:, :, t + 1 : last + 1].transpose(1, 2), x.new_ones(S, last - t, n, 1)], dim=3)
        gx_all = input_projection(x1, w_ih_t)  # (S, last - t, n, G*H): steps t+1..last, once per sample
        for k0 in range(0, K, chunk):
            k = min(chunk, K - k0)
            mask = keep[:, None, k0 : k0 + k, :]  # (S, 1, k, H)
            h = (h_t.unsqueeze(2) * mask).reshape(S, n * k, H)  # row i * k + v: sample i under set v
            c = None
            if c_t is not None:
                c = c_t.unsqueeze(2) * mask if lstm_state == "hidden+cell" else c_t.unsqueeze(2).expand(S, n, k, H)
                c = c.reshape(S, n * k, H)
            correct = torch.zeros(S, n, k, 3, dtype=torch.bool)
            for j, m in running.items():
                gx = gx_all[:, j - t - 1, :m, None, :].expand(S, m, k, gx_all.shape[3]).reshape(S, 1, m * k, -1)
                c_in = None if c is None else c[:, : m * k]
                hidden, cell, _ = recur(ensemble.arch, gx, w_t, b_gh, h[:, : m * k], c_in)
                h = hidden[0]  # (S, m*k, H)
                c = cell[0] if c is not None else None
                lo = first[j]  # samples before lo read out later in every seed
                answer = ensemble.readout(h[:, lo * k :]).reshape(S, m - lo, k, 3)
                now = (t_end[:, lo:m] == j)[:, :, None, None]  # (S, m - lo, 1, 1): samples read out at step j
                correct[:, lo:m] |= now & (torch.sign(answer) == y[:, lo:m, None, :])
            out[:, k0 : k0 + k] = correct.sum(dim=1).double().numpy() / n  # exact fractions
    return np.take_along_axis(out, repeat[:, :, None], axis=1)  # (S, K, 3)


def _distinct_masks(keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each seed's distinct masks, padded with all-ones to a common count: (S, K', H), and (S, K) positions."""
    S, K, H = keep.shape
    distinct, repeat = [], np.empty((S, K), dtype=np.int64)
    for s in range(S):
        u, inverse = np.unique(keep[s], axis=0, return_inverse=True)
        distinct.append(u)
        repeat[s] = inverse.reshape(-1)
    width = max(len(u) for u in distinct)
    padded = np.ones((S, width, H), dtype=keep.dtype)
    for s, u in enumerate(distinct):
        padded[s, : len(u)] = u
    return padded, repeat


def knockout_accuracy_one_by_one(ensemble, x, y, t_end, t: int, keep, lstm_state: str = "hidden+cell") -> np.ndarray:
    """The same as `knockout_accuracy`, one set at a time and every step from 0 (reference and bench).

    Each set runs the whole sequence through ``ensemble`` with the mask applied
    after step t through the forward pass's own ``knockout`` hook (hidden and
    cell), or, for ``lstm_state="hidden"``, by stopping after step t, masking
    the hidden state only and continuing.
    """
    import torch

    from rnninfo.train import at_readout

    if lstm_state not in LSTM_STATES:
        raise ValueError(f"knockout_accuracy_one_by_one: lstm_state must be one of {LSTM_STATES}, got {lstm_state!r}")
    S = ensemble.n_seeds
    x, y, t_end, keep = _seed_tensors(ensemble, x, y, t_end, keep, t)
    out = np.empty((S, keep.shape[1], 3), dtype=np.float64)
    with torch.no_grad():
        for k in range(keep.shape[1]):
            mask = keep[:, k, None, :]  # (S, 1, H)
            if ensemble.arch == "LSTM" and lstm_state == "hidden":
                pre = ensemble(x[:, :, : t + 1])
                state = (pre["hidden"][:, :, t] * mask, pre["cell"][:, :, t])
                post = ensemble(x[:, :, t + 1 :], state=state)["outputs"]
                outputs = torch.cat([pre["outputs"], post], dim=2)  # (S, n, T, 3)
            else:
                outputs = ensemble(x, knockout=(t, mask))["outputs"]
            correct = torch.sign(at_readout(outputs, t_end)) == y
            out[:, k] = correct.double().mean(dim=1).numpy()
    return out


def _seed_tensors(ensemble, x, y, t_end, keep, t: int):
    """Inputs of `knockout_accuracy` as tensors with a leading seed axis, checked."""
    import torch

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
    return x, y, t_end, keep


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
    per_seed = per_seed.sort_values(keys + ["seed"], kind="stable", ignore_index=True)  # each group's rows together
    groups = per_seed.groupby(keys, sort=True)
    acc = per_seed["accuracy"].to_numpy()
    counts = groups.size()
    if len(counts) and counts.nunique() == 1 and not np.isnan(acc).any():
        # every group holds one value per seed, rows sorted by (keys, seed): one (G, S) array,
        # the same numbers as mean_ci group by group (each row reduced as a 1-D array would be)
        v = acc.reshape(len(counts), int(counts.iloc[0]))  # (groups, seeds)
        out = counts.reset_index()[keys]
        out["n_seeds"] = v.shape[1]
        out["accuracy"] = v.mean(axis=1)
        if v.shape[1] < 2:
            out["ci_low"] = out["ci_high"] = np.nan
        else:
            half = t_quantile(0.5 + level / 2, v.shape[1] - 1) * v.std(axis=1, ddof=1) / np.sqrt(v.shape[1])
            out["ci_low"] = out["accuracy"] - half
            out["ci_high"] = out["accuracy"] + half
        return out
    rows = []
    for key, g in groups:
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
    every set is the same). Mean and CI are over seeds; ``t`` and ``p`` are the
    paired t-test over seeds (relay vs other concepts, relay vs random sets).
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
                    t_stat, p = paired_t(per)
                    out.append(cond + (tname, gname, margin, int(np.isfinite(per).sum()), m, lo, hi, t_stat, p))
    cols = CONDITION + ["target_name", "sizes", "margin", "n_seeds", "mean", "ci_low", "ci_high", "t", "p"]
    return pd.DataFrame(out, columns=cols)
