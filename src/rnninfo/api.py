"""Analyses of a trace for users' own networks and recordings (the middle floor).

Every function takes a `rnninfo.recording.Trace` (or, where it needs the model, the
model and its input) and returns tidy pandas tables, one observation a row:

  relay_table(trace, labels, answers)       relay shares per (concept, t, node) with a permutation null
  knockout(model, x, nodes, time)           (in rnninfo.recording) outputs with units held at 0
  accuracy(outputs, labels)                 share of correct signs per concept
  pca_table(trace, labels, t)               PCA cluster scores while nodes are removed in
                                            relay / supervised / random order
  flow_table(trace)                         flow graph edges with surrogate p and BH q, and node ranks
  generalization_table(model, make_input, conditions)   accuracy per input condition, with CIs
  plot_relay(table)                         Fig. 3-style curve and shares, Fig. 6-style node x time maps

Conventions (the same in every function):

* ``labels`` and ``answers`` are [batch, C]: C binary concepts as 0/1, ±1 or bool
  (a 1-D array is one concept). ``answers`` defaults to the sign of the model's
  outputs at the last step (``outputs[:, -1, :] > 0`` for [batch, T, C] outputs,
  ``outputs > 0`` for [batch, C]).
* ``names`` are the concepts' names, default ``0 .. C-1``.
* ``seed`` is the only source of randomness.
"""

from __future__ import annotations

import warnings
from typing import Callable, Sequence

import numpy as np
import pandas as pd

from rnninfo.recording import Trace

__all__ = [
    "RelayBiasWarning",
    "binary_labels",
    "relay_table",
    "accuracy",
    "pca_table",
    "flow_table",
    "generalization_table",
    "plot_relay",
]

class RelayBiasWarning(UserWarning):
    """The relay estimate is mostly plug-in bias (too few samples for the number of states)."""


# --------------------------------------------------------------------------- checks


def _as_trace(trace, name: str = "trace") -> Trace:
    if isinstance(trace, Trace):
        return trace
    if isinstance(trace, np.ndarray):
        return Trace(hidden=trace)
    raise TypeError(f"{name}: expected an rnninfo.Trace (or a hidden array [batch, T, N]), found {type(trace).__name__}")


def binary_labels(values, name: str, batch: int, n_concepts: int | None = None) -> np.ndarray:
    """[batch, C] 0/1 uint8 from 0/1, ±1 or bool values; errors name the argument and shapes."""
    a = np.asarray(values)
    if hasattr(values, "detach"):
        a = values.detach().cpu().numpy()
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2:
        raise ValueError(f"{name}: expected shape [batch={batch}, C] (or [batch]), found shape {a.shape}")
    if a.shape[0] != batch:
        raise ValueError(f"{name}: expected {batch} rows (the trace's batch), found shape {a.shape}")
    if n_concepts is not None and a.shape[1] != n_concepts:
        raise ValueError(f"{name}: expected shape [{batch}, {n_concepts}] (as labels), found shape {a.shape}")
    if a.dtype == bool:
        return a.astype(np.uint8)
    if a.dtype == object or not np.issubdtype(a.dtype, np.number):
        raise ValueError(f"{name}: expected numeric 0/1 or ±1 values, found dtype {a.dtype}")
    vals = set(np.unique(a).tolist())
    if vals <= {0, 1}:
        return a.astype(np.uint8)
    if vals <= {-1, 1}:
        return (a > 0).astype(np.uint8)
    shown = sorted(vals)[:6]
    raise ValueError(
        f"{name}: expected binary values (0/1 or -1/+1) per concept, found values {shown}"
        + (" ..." if len(vals) > 6 else "")
        + "; binarise continuous targets first (e.g. y > median)"
    )


def _default_answers(trace: Trace, n_concepts: int) -> np.ndarray:
    out = trace.outputs
    if out is None:
        raise ValueError("answers: not given and the trace has no outputs; pass answers [batch, C]")
    last = out[:, -1, :] if out.ndim == 3 else out if out.ndim == 2 else None
    if last is None or last.shape[1] != n_concepts:
        raise ValueError(
            f"answers: not given, and the trace's outputs (shape {out.shape}) are not [batch, T, C={n_concepts}] "
            f"or [batch, C={n_concepts}]; pass answers [batch, {n_concepts}]"
        )
    return (last > 0).astype(np.uint8)


def _names(names, n_concepts: int) -> list[str]:
    if names is None:
        return [str(c) for c in range(n_concepts)]
    names = [str(v) for v in names]
    if len(names) != n_concepts:
        raise ValueError(f"names: expected {n_concepts} names (one per concept), found {len(names)}")
    return names


def _times(times, T: int) -> list[int]:
    if times is None:
        return list(range(T))
    out = [int(t) for t in np.atleast_1d(times)]
    bad = [t for t in out if not 0 <= t < T]
    if bad:
        raise ValueError(f"times: steps {bad} outside 0..{T - 1} (the trace has T={T})")
    return out


def _states(trace: Trace, state: str) -> np.ndarray:
    if state == "hidden":
        return trace.hidden
    if state == "cell":
        if trace.cell is None:
            raise ValueError("state='cell': the trace has no cell states (LSTM only)")
        return trace.cell
    raise ValueError(f"state: expected 'hidden' or 'cell', found {state!r}")


def _single_node_info(bits: np.ndarray, x_in: np.ndarray) -> np.ndarray:
    """Plug-in I(unit; label) in bits of every binarised unit (`rnninfo.pca.node_label_information`)."""
    from rnninfo import pca

    return pca.node_label_information(bits, x_in)


# --------------------------------------------------------------------------- relay


RELAY_COLUMNS = [
    "concept", "concept_name", "t", "node", "unit", "share", "rank", "info_before", "analysed", "constant",
    "info_all", "null_mean", "null_q95", "p", "corrected", "share_null_q95", "relaying",
    "mi_in_out", "occupied", "n",
]


def relay_table(
    trace,
    labels,
    answers=None,
    times=None,
    n_perm: int = 200,
    names: Sequence[str] | None = None,
    seed: int = 0,
    binarize: str = "median",
    state: str = "hidden",
    top_k: int | None = None,
    constant_atol: float = 1e-6,
    n_share_perm: int = 20,
) -> pd.DataFrame:
    """Relay information of every concept, step and node of a trace: tidy DataFrame.

    For concept c at step t: X_in = labels[:, c], X_out = answers[:, c], the
    nodes' states at t binarised per node (``binarize``: "median" | "kmeans";
    a node constant within ``constant_atol`` becomes 0). The greedy order gives
    each node's ``share`` (bits it took with it; shares add up to ``info_all`` =
    I_R(all)) and ``rank`` (0 = removed first, least relaying); ``info_before``
    is I_R of the set the node left from (the Fig. 3 curve). The permutation
    null (`rnninfo.relay.relay_null`, ``n_perm`` permutations, ``seed``) gives
    ``null_mean``, ``null_q95``, ``p`` (add-one) and ``corrected`` = info_all -
    null_mean per (concept, t); ``share_null_q95`` the 95th percentile of a
    node's greedy share under the null (from the first ``n_share_perm``
    permutations), and ``relaying`` = share above it.

    Diagnostics per (concept, t) (from `relay_null`): ``occupied`` = occupied
    joint cells of (states, X_in, X_out) / n, ``mi_in_out`` = I(X_in; X_out). One
    `RelayBiasWarning` is raised when the null mean exceeds
    `rnninfo.relay.BIAS_WARN_FRACTION` (10%) of I(X_in; X_out) somewhere: the estimate is then mostly
    bias (too many states for n samples). ``top_k`` restricts the analysis to
    the k nodes with the largest single-node information I(node; X_in) at that
    step (other nodes get ``analysed = False`` and NaN share and rank).

    Errors: labels/answers not [batch, C] or not binary; times outside the trace.
    """
    from rnninfo import relay

    tr = _as_trace(trace)
    states = _states(tr, state)
    n, T, N = states.shape
    x_in = binary_labels(labels, "labels", n)
    C = x_in.shape[1]
    x_out = _default_answers(tr, C) if answers is None else binary_labels(answers, "answers", n, C)
    names = _names(names, C)
    ts = _times(times, T)
    if not isinstance(n_perm, (int, np.integer)) or n_perm < 1:
        raise ValueError(f"n_perm: expected an integer >= 1, found {n_perm!r}")
    if top_k is not None and not (isinstance(top_k, (int, np.integer)) and 1 <= top_k <= N):
        raise ValueError(f"top_k: expected an integer in 1..{N} or None, found {top_k!r}")
    units = tr.units
    rows = []
    biased = []
    for t in ts:
        s = states[:, t, :].astype(np.float64)
        constant = (s.max(axis=0) - s.min(axis=0)) <= constant_atol
        bits = relay.binarize(s, binarize, constant="zero", atol=constant_atol)
        for c in range(C):
            xi, xo = x_in[:, c], x_out[:, c]
            if top_k is not None and top_k < N:
                info1 = _single_node_info(bits, xi)
                keep = np.sort(np.argsort(-info1, kind="stable")[:top_k])
            else:
                keep = np.arange(N)
            sub = bits[:, keep]
            order, info = relay.greedy_order(sub, xi, xo)
            share = relay.relay_shares(order, info)
            rank = np.empty(len(keep), dtype=np.int64)
            rank[order] = np.arange(len(keep))
            before = np.asarray(info)[rank]
            null = relay.relay_null(
                sub, xi, xo, n_perm=int(n_perm), seed=int(seed), n_share_perm=min(int(n_share_perm), int(n_perm)),
                warn=False,
            )
            share_q95 = float(null.share_q95)
            mi, occupied, null_mean = float(null.mi_io), float(null.occupancy), float(null.null_mean)
            if null.biased:
                biased.append((names[c], t, null_mean, mi, occupied))
            full = {
                "share": np.full(N, np.nan), "rank": np.full(N, np.nan), "info_before": np.full(N, np.nan),
            }
            full["share"][keep] = share
            full["rank"][keep] = rank
            full["info_before"][keep] = before
            analysed = np.zeros(N, dtype=bool)
            analysed[keep] = True
            for j in range(N):
                sh = full["share"][j]
                rows.append((
                    c, names[c], t, j, units[j], sh, full["rank"][j], full["info_before"][j], bool(analysed[j]),
                    bool(constant[j]), float(null.observed), null_mean,
                    float(null.null_q95), float(null.p), float(null.corrected),
                    share_q95, bool(analysed[j] and sh > share_q95) if np.isfinite(share_q95) else False,
                    mi, occupied, n,
                ))
    if biased:
        frac = relay.BIAS_WARN_FRACTION
        worst = max(biased, key=lambda r: r[2] - frac * r[3])
        warnings.warn(
            f"relay_table: in {len(biased)} of {len(ts) * C} (concept, step) cells the permutation null's mean "
            f"exceeds {frac:.0%} of I(X_in; X_out) (worst: concept {worst[0]}, step {worst[1]}: null mean "
            f"{worst[2]:.3f} bits vs I(X_in; X_out) {worst[3]:.3f} bits; occupied states / n = {worst[4]:.2f}). "
            "The plug-in estimate there is mostly bias. Use more samples, restrict to the nodes with the largest "
            "single-node information (top_k=...), or analyse coarser groups of units; read 'corrected' and 'p'.",
            RelayBiasWarning,
            stacklevel=2,
        )
    df = pd.DataFrame(rows, columns=RELAY_COLUMNS)
    return df.astype({"rank": "Int64"})


# --------------------------------------------------------------------------- accuracy


def accuracy(outputs, labels, t: int | None = -1) -> np.ndarray:
    """Share of samples whose output sign matches the label, per concept: [C].

    outputs: [batch, T, C] (read at step ``t``) or [batch, C]; labels [batch, C]
    0/1 or ±1 (an output > 0 answers 1).
    """
    out = np.asarray(outputs, dtype=np.float64)
    if out.ndim == 3:
        out = out[:, t, :]
    if out.ndim == 1:
        out = out[:, None]
    if out.ndim != 2:
        raise ValueError(f"outputs: expected shape [batch, T, C] or [batch, C], found shape {np.shape(outputs)}")
    lab = binary_labels(labels, "labels", out.shape[0], out.shape[1])
    return ((out > 0).astype(np.uint8) == lab).mean(axis=0)


# --------------------------------------------------------------------------- PCA


def pca_table(
    trace,
    labels,
    t: int,
    n_random: int = 10,
    names: Sequence[str] | None = None,
    seed: int = 0,
    answers=None,
    binarize: str = "median",
    n_components: int = 2,
) -> pd.DataFrame:
    """PCA cluster scores at step ``t`` while nodes are removed one at a time: tidy DataFrame.

    For every concept c three removal orders: ``relay`` (greedy relay order of c
    at t, least relaying first), ``supervised`` (nodes by their own plug-in
    I(binarised node; label c), least informative first) and ``random``
    (``n_random`` permutations from ``seed``); supervised order and scores come
    from `rnninfo.pca` (``supervised_order``, ``removal_scores``). After removing
    k nodes the PCA of the rest is scored for concept c's two classes (`rnninfo.pca.METRICS`).
    Columns: concept, concept_name, order, draw, removed, metric, value.
    """
    from rnninfo import pca, relay

    tr = _as_trace(trace)
    n, T, N = tr.hidden.shape
    x_in = binary_labels(labels, "labels", n)
    C = x_in.shape[1]
    x_out = _default_answers(tr, C) if answers is None else binary_labels(answers, "answers", n, C)
    names = _names(names, C)
    (t,) = _times([t], T)
    s = tr.hidden[:, t, :].astype(np.float64)
    bits = relay.binarize(s, binarize, constant="zero", atol=1e-6)
    rng = np.random.default_rng(seed)
    randoms = pca.random_orders(N, n_random, rng)
    rows = []
    for c in range(C):
        kinds = [("relay", 0), ("supervised", 0)] + [("random", d) for d in range(len(randoms))]
        orders = np.vstack([
            relay.greedy_order(bits, x_in[:, c], x_out[:, c])[0],
            pca.supervised_order(bits, x_in[:, c]),
            randoms.reshape(-1, N),
        ])  # (R, N)
        scores = pca.removal_scores(s, orders, x_in[:, c], n_components=n_components)  # (R, N, 1, 3)
        for r, (kind, draw) in enumerate(kinds):
            for k in range(N):
                for m, metric in enumerate(pca.METRICS):
                    rows.append((c, names[c], kind, draw, k, metric, float(scores[r, k, 0, m])))
    return pd.DataFrame(rows, columns=["concept", "concept_name", "order", "draw", "removed", "metric", "value"])


# --------------------------------------------------------------------------- flow


def flow_table(
    trace,
    k: int = 3,
    seed: int = 0,
    measure: str = "tdmi",
    n_surrogates: int = 100,
    threshold: float = 0.0,
    alpha: float = 0.05,
    include: Sequence[str] = ("input", "hidden", "output"),
    units: Sequence[int] | None = None,
    workers: int = 1,
    p_method: str = "empirical",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Information-flow graph of continuous activity, its significance and the node ranking.

    Activity [batch, T, nodes] = the trace's inputs ``x``, ``hidden`` and
    ``outputs`` (when [batch, T, ·] with the hidden's T) concatenated, as
    ``include`` selects; ``units`` picks hidden columns (default all). Each (window, step) pair is one sample (paper B,
    `rnninfo.flow`). `rnninfo.flow.flow_null` (``k``, ``seed``, ``measure``,
    ``n_surrogates``, ``workers`` threads) gives flow(A->B) in bits (equal to
    ``flow_matrix(activity, k, seed, measure=measure)``) and each edge's
    window-shuffle p (``p_method``: "empirical" add-one, at least 1/(1 + n_surrogates);
    "normal" from the surrogates' mean and sd, for few surrogates); Benjamini-Hochberg q (`rnninfo.flow.bh_qvalues`) over the
    off-diagonal pairs. Duplicated samples are refused by the estimator (an
    input channel that is mostly 0 duplicates rows: leave it out with ``include``). An edge is
    significant when q <= ``alpha`` and its flow > ``threshold``; nodes are
    ranked on the significant edges (`rnninfo.flow.rank_nodes`).

    Returns (edges, nodes): edges with source, target, source_layer,
    target_layer, flow, p, q, edge; nodes with node, name, layer, rank,
    in_degree, out_degree.
    """
    from rnninfo import flow

    tr = _as_trace(trace)
    n, T, N = tr.hidden.shape
    cols = np.arange(N) if units is None else np.asarray(units, dtype=np.int64).reshape(-1)
    if cols.size < 1 or cols.min() < 0 or cols.max() >= N or len(set(cols.tolist())) != cols.size:
        raise ValueError(f"units: expected distinct hidden columns in 0..{N - 1}, found {cols.tolist()}")
    blocks, layer, names = [], [], []
    for part in include:
        if part not in ("input", "hidden", "output"):
            raise ValueError(f"include: expected a subset of ('input', 'hidden', 'output'), found {part!r}")
    for part in include:
        arr = {"input": tr.x, "hidden": tr.hidden[:, :, cols], "output": tr.outputs}[part]
        if arr is None:
            if part == "hidden":
                raise ValueError("flow_table: the trace has no hidden states")
            continue
        if arr.ndim != 3 or arr.shape[1] != T:
            if part == "hidden":
                raise ValueError(f"flow_table: hidden must be [batch, T, N], found shape {arr.shape}")
            warnings.warn(f"flow_table: {part} has shape {arr.shape}, not [batch, T={T}, ·]; left out", stacklevel=2)
            continue
        blocks.append(arr)
        layer += [part] * arr.shape[2]
        names += [tr.units[j] for j in cols] if part == "hidden" else [f"{part}:{j}" for j in range(arr.shape[2])]
    activity = np.concatenate(blocks, axis=2).astype(np.float64)
    null = flow.flow_null(
        activity, k=k, seed=seed, measure=measure, n_surrogates=n_surrogates, workers=workers, p_method=p_method
    )
    fm, p = np.asarray(null.observed, dtype=np.float64), np.asarray(null.p, dtype=np.float64)
    m = activity.shape[2]
    off = ~np.eye(m, dtype=bool) & np.isfinite(fm)
    q = np.full((m, m), np.nan)
    q[off] = flow.bh_qvalues(p[off])
    edge = off & (q <= alpha) & (fm > threshold)
    ranks = np.asarray(flow.rank_nodes(edge), dtype=np.float64)
    src, dst = np.nonzero(~np.eye(m, dtype=bool))
    edges = pd.DataFrame({
        "source": src, "target": dst,
        "source_layer": np.asarray(layer)[src], "target_layer": np.asarray(layer)[dst],
        "flow": fm[src, dst], "p": p[src, dst], "q": q[src, dst], "edge": edge[src, dst],
    })
    nodes = pd.DataFrame({
        "node": np.arange(m), "name": names, "layer": layer, "rank": ranks,
        "in_degree": edge.sum(axis=0), "out_degree": edge.sum(axis=1),
    })
    return edges, nodes


# --------------------------------------------------------------------------- generalisation


def generalization_table(model, make_input: Callable, conditions: Sequence, names=None, level: float = 0.95) -> pd.DataFrame:
    """Accuracy of ``model`` on inputs from ``make_input(condition)`` for every condition (e.g. delay).

    ``make_input(condition)`` returns ``(x, labels)`` or ``(x, labels, readout)``:
    x [batch, T, d], labels [batch, C] (0/1 or ±1), readout [batch] the step at
    which each sample's answer is read (default the last step). The answer is
    the sign of the output there. Columns: condition, concept, concept_name,
    accuracy, ci_low, ci_high (Wilson interval at ``level``), n.
    """
    from scipy import stats

    from rnninfo.recording import _as_input, _EvalMode, _on_device, _to_numpy_outputs

    import torch

    z = stats.norm.ppf(0.5 + level / 2)
    rows = []
    for cond in conditions:
        got = make_input(cond)
        if not isinstance(got, tuple) or len(got) not in (2, 3):
            raise ValueError(f"make_input({cond!r}): expected (x, labels) or (x, labels, readout)")
        x, labels = got[0], got[1]
        xt = _on_device(model, _as_input(x))
        with torch.no_grad(), _EvalMode(model):
            out = _to_numpy_outputs(model(xt))
        if out is None or out.ndim != 3 or out.shape[:2] != tuple(xt.shape[:2]):
            raise ValueError(
                f"generalization_table: model outputs must be [batch, T, C] for x {tuple(xt.shape)}, "
                f"found {None if out is None else out.shape}"
            )
        b, T, _ = out.shape
        readout = np.full(b, T - 1) if len(got) == 2 else np.asarray(got[2], dtype=np.int64)
        if readout.shape != (b,) or readout.min() < 0 or readout.max() >= T:
            raise ValueError(f"make_input({cond!r}): readout must be [batch={b}] steps in 0..{T - 1}")
        lab = binary_labels(labels, "labels", b, out.shape[2])
        ans = (out[np.arange(b), readout, :] > 0).astype(np.uint8)
        cname = _names(names, lab.shape[1])
        for c in range(lab.shape[1]):
            k = int((ans[:, c] == lab[:, c]).sum())
            ph = k / b
            centre = (ph + z * z / (2 * b)) / (1 + z * z / b)
            half = z * np.sqrt(ph * (1 - ph) / b + z * z / (4 * b * b)) / (1 + z * z / b)
            lo, hi = min(max(centre - half, 0.0), ph), max(min(centre + half, 1.0), ph)  # rounding at 0 and 1
            rows.append((cond, c, cname[c], ph, lo, hi, b))
    return pd.DataFrame(rows, columns=["condition", "concept", "concept_name", "accuracy", "ci_low", "ci_high", "n"])


# --------------------------------------------------------------------------- figures


def plot_relay(table: pd.DataFrame, t: int | None = None, concepts: Sequence[int] | None = None):
    """Relay figures of a `relay_table`: (fig3, fig6) matplotlib figures.

    fig3 (paper A, Fig. 3 style): per concept at step ``t`` (default the last
    step), I_R of the remaining set as nodes leave in greedy order, and each
    node's share, with the null's share threshold. fig6 (Fig. 6 style): node x
    step maps of the shares of each concept; cells that are not significant
    (p of I_R(all) > 0.05) are hatched out.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    need = {"concept", "concept_name", "t", "node", "share", "rank", "info_before", "p", "share_null_q95"}
    missing = need - set(table.columns)
    if missing:
        raise ValueError(f"plot_relay: table lacks column(s) {sorted(missing)} (use relay_table's output)")
    concepts = sorted(table["concept"].unique()) if concepts is None else list(concepts)
    t = int(table["t"].max()) if t is None else int(t)
    fig3, axes = plt.subplots(2, len(concepts), figsize=(4.2 * len(concepts), 5.6), squeeze=False)
    for k, c in enumerate(concepts):
        d = table[(table.concept == c) & (table.t == t) & table["analysed"].astype(bool)].sort_values("rank")
        name = d["concept_name"].iloc[0] if len(d) else str(c)
        ax = axes[0, k]
        curve = np.append(d["info_before"].to_numpy(dtype=float), 0.0)
        ax.plot(np.arange(len(curve)), curve, "k-", lw=1)
        ax.set_xlabel("nodes removed (least relaying first)")
        ax.set_ylabel("$I_R$ of the remaining set (bits)")
        p = d["p"].iloc[0] if len(d) else np.nan
        ax.set_title(f"concept {name}, step {t} (p={p:.3g})", fontsize=9)
        ax = axes[1, k]
        d = d.sort_values("node")
        ax.bar(d["node"], d["share"], color="tab:blue", width=1.0)
        thr = d["share_null_q95"].iloc[0] if len(d) else np.nan
        if np.isfinite(thr):
            ax.axhline(thr, color="tab:red", lw=0.8, ls="--", label="null 95%")
            ax.legend(fontsize=7)
        ax.set_xlabel("unit")
        ax.set_ylabel("relay share (bits)")
    fig3.tight_layout()
    ts = np.sort(table["t"].unique())
    nodes = np.sort(table["node"].unique())
    fig6, axes = plt.subplots(1, len(concepts), figsize=(3.6 * len(concepts), 3.8), squeeze=False)
    vmax = max(float(np.nanmax(table["share"].to_numpy(dtype=float))), 1e-9)
    for k, c in enumerate(concepts):
        d = table[table.concept == c]
        grid = d.pivot(index="node", columns="t", values="share").reindex(index=nodes, columns=ts)
        ax = axes[0, k]
        im = ax.imshow(grid.to_numpy(dtype=float), aspect="auto", origin="lower", cmap="viridis", vmin=0, vmax=vmax,
                       extent=(ts[0] - 0.5, ts[-1] + 0.5, -0.5, len(nodes) - 0.5), interpolation="nearest")
        nonsig = d.groupby("t")["p"].first().reindex(ts) > 0.05
        for tt in ts[nonsig.to_numpy()]:
            ax.axvspan(tt - 0.5, tt + 0.5, facecolor="none", hatch="///", edgecolor="0.6", lw=0)
        ax.set_title(f"concept {d['concept_name'].iloc[0]}", fontsize=9)
        ax.set_xlabel("step")
        ax.set_ylabel("unit")
    fig6.colorbar(im, ax=axes[0].tolist(), label="relay share (bits)")
    return fig3, fig6
