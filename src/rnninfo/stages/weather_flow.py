"""Stage ``weather_flow``: paper B's information-flow graph and neuron ranking for one network.

Reads one seed's ``activations.npz`` (written by ``weather_train``), takes the
trained network (the last snapshot) and its test windows, and treats inputs,
hidden units and outputs as the nodes of one graph. For every flow ``measure``
and every readout timing ``output_lag`` (the conditions) it estimates the flow
of every ordered node pair with a surrogate p-value (:func:`rnninfo.flow.flow_null`),
Benjamini-Hochberg q-values over the pairs, and the graph at each threshold.

**Measures.** ``tdmi``: paper B's ``I(A_t; B_{t+1}) - I(A_t; B_t)``; ``te``:
transfer entropy ``I(A_t; B_{t+1} | B_t)``. KSG (k neighbours), bits.

**Samples: each (day, step) observation once** (``samples``). The test windows
overlap (window i holds days i .. i+T-1), so pooling the (t, t+1) step pairs of
every window repeats each day pair up to T-1 times; KSG counts the repeats as
nearest neighbours and inflates every MI (issue 10). ``last_pair`` (default):
each window contributes only its last step pair (steps T-2, T-1), the one pair
no other window has: every day pair enters once, every sample is the same step
of the recursion (the hidden state has seen T-1 days, as at the readout), and
the sample count is the number of test windows. ``nonoverlapping``: all step
pairs of every T-th window (disjoint days), fewer samples (windows/T * (T-1))
that mix early and late steps of the recursion. ``all_pairs``: the old pooled
samples, repeats included, for comparison only.

**Readout timing** (``output_lags``). The readout ``y_t = W_out h_t`` is
computed in the same step as ``h_t``, so with lag 0 ``I(h_t; y_t)`` is large and
``flow(h -> y) = I(h_t; y_{t+1}) - I(h_t; y_t)`` is near zero or negative:
hidden-before-output cannot show. With lag 1 the readout is treated as the next
processing step: the output series is shifted one step later (``y'_{t+1} = y_t``,
inputs and hidden units at steps 1 .. T-1, outputs at 0 .. T-2) before the
samples are cut, so ``flow(h -> y') = I(h_t; y_t) - I(h_{t}; y_{t-1})``.

**Significance.** :func:`rnninfo.flow.flow_null` shuffles which window's source
values meet which window's target values (``n_surrogates`` times; each marginal
kept, the dependence broken); p-values are one-sided, ``p_method="normal"``
(default) the upper tail of a normal fitted to the surrogates, or
``"empirical"``, add-one counts. Empirical p-values cannot go below
1 / (n_surrogates + 1), and Benjamini-Hochberg over the ~420 ordered pairs then
rejects nothing unless thousands of surrogates are drawn (each costs a full
flow matrix); the normal tail resolves small p-values from a few hundred.

**Edges.** An edge A -> B at threshold c: ``q <= alpha`` and the measure > c.
Tables (tidy TSV, every row with ``seed``, ``epoch``, ``measure``, ``output_lag``):

- ``--flow``: every ordered pair of distinct nodes: the measure, the surrogate
  null's mean and 95th percentile, p and q, ``significant`` (q <= alpha).
- ``--edges``: the edges for every threshold.
- ``--nodes``: in/out degree and rank of every node at every threshold.
- ``--summary``: per threshold: edges, significant pairs, chance edges (below),
  in- vs out-degree correlation, order scores (inputs < hidden < outputs), mean
  rank per layer, rank convergence, sample count.

Chance edges: ``chance_above_threshold`` is the mean number of pairs whose
surrogate value exceeds the threshold (the edges a threshold alone would draw
by chance); ``expected_false_edges = alpha * n_edges`` bounds the expected
number of false edges among the drawn ones (BH controls the false discovery
rate at alpha).

**Seeds, and pairs shared across output lags.** With ``samples="last_pair"`` the
output lag changes only the output nodes' columns of the sample array (inputs and
hidden units are steps T-2, T-1 for every lag), so the KSG jitter and the
surrogate permutations come from ``default_rng([root_seed, FLOW_STREAM, seed,
measure, 0])``, one draw per measure for all lags (lag 0's key, so lag 0's
numbers are unchanged from the per-lag seeding): the pairs between non-output
nodes are then the same data with the same jitter and permutations, and are
estimated once (for the first lag) and shared; only the pairs into or out of an
output node are estimated per lag (:func:`condition_flows`). Every lag's matrices
equal a full :func:`rnninfo.flow.flow_null` run on its samples with that seed
(tests/test_flow.py). With ``nonoverlapping`` and ``all_pairs`` the lag changes
which steps every node contributes (lag 1 drops step 0), so nothing is shared
and each (measure, lag) keeps its own draw, ``[root_seed, FLOW_STREAM, seed,
measure, lag]``.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings

import numpy as np
import pandas as pd

from rnninfo import flow
from rnninfo.io import load_npz, parse_json_arg, write_tsv

FLOW_STREAM = 0x464C4F57  # "FLOW": the jitter's stream, apart from every other stage's
MEASURES = ("tdmi", "te")
SAMPLES = ("last_pair", "nonoverlapping", "all_pairs")

DEFAULTS = dict(
    k=3,
    samples="last_pair",
    measures=["tdmi", "te"],
    output_lags=[0, 1],
    n_surrogates=100,
    p_method="normal",
    alpha=0.05,
    thresholds=[0.05, 0.1, 0.2, 0.3],
    rank_tol=1e-9,
    rank_max_iter=100_000,
    rank_step=0.5,
    on_max_iter="warn",
    root_seed=2024,
)


def network_nodes(acts: dict[str, np.ndarray], snapshot: int = -1):
    """(activity [windows, T, nodes], names, layers) of one snapshot of an activations file."""
    inputs = np.asarray(acts["inputs"])
    hidden = np.asarray(acts["hidden"])[snapshot]
    outputs = np.asarray(acts["outputs"])[snapshot]
    if not (inputs.ndim == hidden.ndim == outputs.ndim == 3) or not (
        inputs.shape[:2] == hidden.shape[:2] == outputs.shape[:2]
    ):
        raise ValueError(
            f"activations: inputs {inputs.shape}, hidden {hidden.shape}, outputs {outputs.shape} "
            "must share [windows, T]"
        )
    d_in, n_hidden, n_out = inputs.shape[2], hidden.shape[2], outputs.shape[2]
    in_names = [str(s) for s in acts["input_names"]] if "input_names" in acts else [f"x{i}" for i in range(d_in)]
    out_names = [str(s) for s in acts["target_names"]] if "target_names" in acts else [f"y{i}" for i in range(n_out)]
    if len(in_names) != d_in or len(out_names) != n_out:
        raise ValueError(f"activations: {len(in_names)} input names for {d_in} inputs, {len(out_names)} target names for {n_out} outputs")
    names = [f"in:{s}" for s in in_names] + [f"h{i}" for i in range(n_hidden)] + [f"out:{s}" for s in out_names]
    layers = ["input"] * d_in + ["hidden"] * n_hidden + ["output"] * n_out
    activity = np.concatenate([inputs, hidden, outputs], axis=-1)
    return activity, np.array(names), np.array(layers)


def shift_outputs(activity: np.ndarray, layers: np.ndarray, output_lag: int) -> np.ndarray:
    """Readout timing: with lag 1, output nodes one step later than the rest (module doc).

    activity [windows, T, nodes] -> [windows, T - output_lag, nodes].
    """
    if output_lag not in (0, 1):
        raise ValueError(f"output_lag: expected 0 or 1, got {output_lag!r}")
    if output_lag == 0:
        return activity
    out = np.asarray(layers) == "output"
    shifted = activity[:, 1:, :].copy()                     # inputs, hidden: steps 1 .. T-1
    shifted[:, :, out] = activity[:, :-1, out]              # outputs: steps 0 .. T-2
    return shifted


def select_samples(activity: np.ndarray, samples: str, window: int) -> np.ndarray:
    """The windows and steps whose (t, t+1) pairs are the flow samples (module doc).

    activity [windows, T, nodes] of overlapping windows with stride one day;
    ``window`` is the number of days per window (the stride that makes windows
    disjoint). Returns [windows', T', nodes] for :func:`rnninfo.flow.flow_matrix`.
    """
    if samples == "last_pair":
        return activity[:, -2:, :]
    if samples == "nonoverlapping":
        return activity[::window]
    if samples == "all_pairs":
        return activity
    raise ValueError(f"samples: expected one of {SAMPLES}, got {samples!r}")


def _null_stack(null: np.ndarray, m: int) -> np.ndarray:
    null = np.asarray(null, dtype=np.float64)
    if null.shape[-2:] != (m, m):
        raise ValueError(f"flow_null: expected surrogates [n, {m}, {m}], got {null.shape}")
    return null.reshape(-1, m, m)


def shares_lags(samples: str) -> bool:
    """Whether the output lags' sample arrays agree on every non-output node (module doc)."""
    return samples == "last_pair"


def condition_seed(p: dict, seed: int, measure: str, output_lag: int) -> list[int]:
    """The jitter's and surrogates' seed of one condition (module doc).

    When the lags share pairs every lag uses lag 0's key (the lag slot fixed at 0),
    so lag 0's numbers are those of the per-lag seeding.
    """
    lag = 0 if shares_lags(p["samples"]) else int(output_lag)
    return [int(p["root_seed"]), FLOW_STREAM, int(seed), MEASURES.index(measure), lag]


def condition_flows(activity, layers, p: dict, seed: int, measure: str, workers: int = 1, engine: str = "compiled"):
    """``{lag: (samples [windows', T', nodes], FlowNull)}`` of one measure, every output lag.

    When the lags share their non-output columns (:func:`shares_lags`) the first
    lag is estimated in full and each later one only on the pairs into or out of
    an output node; its other entries (observed, surrogates, p) are the first
    lag's, which are what a full run would give (same data, same seed).
    """
    layers = np.asarray(layers)
    out_nodes = layers == "output"
    out_pairs = out_nodes[:, None] | out_nodes[None, :]  # [nodes, nodes]: pairs touching an output
    window = activity.shape[1]
    results = {}
    first = None
    for lag in p["output_lags"]:
        lag = int(lag)
        act = select_samples(shift_outputs(activity, layers, lag), p["samples"], window)
        kwargs = dict(
            k=int(p["k"]), seed=condition_seed(p, seed, measure, lag), measure=measure,
            n_surrogates=int(p["n_surrogates"]), workers=workers, p_method=p["p_method"], engine=engine,
        )
        if first is not None and shares_lags(p["samples"]):
            first_act, first_res = first
            if act.shape != first_act.shape or not np.array_equal(act[..., ~out_nodes], first_act[..., ~out_nodes]):
                raise RuntimeError(f"output lag {lag}: non-output samples differ from the first lag's; cannot share")
            part = flow.flow_null(act, pairs=out_pairs, **kwargs)
            res = flow.FlowNull(*(np.where(out_pairs, new, old) for new, old in zip(part, first_res)))
        else:
            res = flow.flow_null(act, **kwargs)
            first = first or (act, res)
        results[lag] = (act, res)
    return results


def analyse_condition(act, result: flow.FlowNull, names, layers, p: dict):
    """(flow, edges, nodes, summary) tables of one condition from its samples and flow_null result."""
    observed, null, pval = result
    m = len(names)
    observed = np.asarray(observed, dtype=np.float64)
    null = _null_stack(null, m)
    pval = np.asarray(pval, dtype=np.float64)
    off = ~np.eye(m, dtype=bool)
    q = np.full((m, m), np.nan)
    q[off] = flow.bh_qvalues(pval[off])
    alpha = float(p["alpha"])
    significant = np.nan_to_num(q, nan=np.inf) <= alpha
    a, b = np.nonzero(off)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns of constant nodes
        null_mean = np.nanmean(null, axis=0)
        null_q95 = np.nanpercentile(null, 95, axis=0)
    flow_table = pd.DataFrame(
        dict(
            source=names[a],
            target=names[b],
            source_layer=layers[a],
            target_layer=layers[b],
            flow=observed[a, b],
            null_mean=null_mean[a, b],
            null_q95=null_q95[a, b],
            p=pval[a, b],
            q=q[a, b],
            significant=significant[a, b],
        )
    )
    kept = np.where(significant, observed, np.nan)  # NaN never becomes an edge
    edges, nodes, summary = flow.threshold_analysis(
        kept,
        p["thresholds"],
        names,
        layers,
        tol=float(p["rank_tol"]),
        max_iter=int(p["rank_max_iter"]),
        step=float(p["rank_step"]),
        on_max_iter={"error": "raise"}.get(p["on_max_iter"], p["on_max_iter"]),
    )
    constant = np.ptp(act.reshape(-1, m), axis=0) == 0
    nodes.insert(4, "constant", constant[nodes.node_index.to_numpy()])
    thr = np.asarray(summary.threshold, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        chance = [(np.nan_to_num(null[:, off], nan=-np.inf) > c).sum(axis=1).mean() for c in thr]
    summary.insert(2, "n_significant", int(significant[off].sum()))
    summary.insert(3, "chance_above_threshold", chance)
    summary.insert(4, "expected_false_edges", alpha * summary.n_edges.to_numpy())
    summary.insert(1, "n_constant", int(constant.sum()))
    summary.insert(1, "n_samples", act.shape[0] * (act.shape[1] - 1))
    return flow_table, edges, nodes, summary


def analyse(acts: dict[str, np.ndarray], params: dict, seed: int, workers: int = 1) -> dict[str, pd.DataFrame]:
    """All four tables for one network, every condition stacked (``measure``, ``output_lag`` columns)."""
    p = {**DEFAULTS, **params}
    unknown = set(params) - set(DEFAULTS)
    if unknown:
        raise ValueError(f"--params: unknown key(s) {sorted(unknown)}; known: {sorted(DEFAULTS)}")
    if p["samples"] not in SAMPLES:
        raise ValueError(f"samples: expected one of {SAMPLES}, got {p['samples']!r}")
    bad = [m for m in p["measures"] if m not in MEASURES]
    if bad:
        raise ValueError(f"measures: unknown {bad}; expected a subset of {MEASURES}")
    activity, names, layers = network_nodes(acts)
    epoch = float(np.asarray(acts["epochs"])[-1]) if "epochs" in acts else -1.0
    out: dict[str, list] = {key: [] for key in ("flow", "edges", "nodes", "summary")}
    for measure in p["measures"]:
        flows = condition_flows(activity, layers, p, seed, measure, workers)
        for lag in p["output_lags"]:
            tables = analyse_condition(*flows[int(lag)], names, layers, p)
            for key, table in zip(("flow", "edges", "nodes", "summary"), tables):
                table.insert(0, "output_lag", int(lag))
                table.insert(0, "measure", measure)
                table.insert(0, "epoch", epoch)
                table.insert(0, "seed", int(seed))
                out[key].append(table)
    return {key: pd.concat(tables, ignore_index=True) for key, tables in out.items()}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="rnninfo.cli weather_flow", description=__doc__.split("\n\n")[0])
    ap.add_argument("--activations", required=True, help="activations.npz of one network")
    ap.add_argument("--seed", type=int, required=True, help="the network's seed (names rows, seeds the jitter)")
    ap.add_argument("--params", default="{}", help="JSON: " + ", ".join(sorted(DEFAULTS)))
    ap.add_argument("--threads", type=int, default=1, help="threads for the all-pairs KSG")
    ap.add_argument("--flow", required=True)
    ap.add_argument("--edges", required=True)
    ap.add_argument("--nodes", required=True)
    ap.add_argument("--summary", required=True)
    args = ap.parse_args(argv)
    params = parse_json_arg(args.params)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.showwarning = lambda msg, cat, *a, **k: print(f"warning: {msg}", file=sys.stderr)
        tables = analyse(load_npz(args.activations), params, args.seed, workers=args.threads)
    for key in ("flow", "edges", "nodes", "summary"):
        write_tsv(tables[key], getattr(args, key))
    s = tables["summary"]
    constant = tables["nodes"].query("constant").node.unique().tolist()
    if constant:
        print(f"constant over the samples (no flow, no edges): {', '.join(constant)}", flush=True)
    print(
        f"weather_flow seed {args.seed}: {s.n_nodes.iloc[0]} nodes, {s.n_samples.iloc[0]} samples, "
        f"{time.perf_counter() - start:.1f} s",
        flush=True,
    )
    cols = ["measure", "output_lag", "threshold", "n_significant", "n_edges", "chance_above_threshold",
            "expected_false_edges", "indeg_outdeg_pearson", "order_all", "order_hidden_output", "rank_iterations"]
    print(s[cols].to_string(index=False), flush=True)
    return 0
