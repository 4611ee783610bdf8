"""Stage ``weather_flow``: paper B's information-flow graph and neuron ranking for one network.

Reads one seed's ``activations.npz`` (written by ``weather_train``), takes the
trained network (the last snapshot) and its test windows, and treats inputs,
hidden units and outputs as the nodes of one graph: activity
``[windows, T, d_in + hidden + outputs]``. Writes tidy TSVs:

- ``--flow``: every ordered pair of distinct nodes: I(A_t; B_{t+1}), I(A_t; B_t)
  and flow = their difference, in bits (:func:`rnninfo.flow.flow_terms`).
- ``--edges``: the edges (flow > threshold) for every threshold.
- ``--nodes``: in/out degree and rank of every node at every threshold.
- ``--summary``: per threshold: edges, in- vs out-degree correlation, order
  scores (inputs < hidden < outputs), mean rank per layer, rank convergence.

Every row carries the network ``seed`` and the snapshot ``epoch``. The KSG jitter
comes from ``default_rng([root_seed, FLOW_STREAM, seed])``.
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

DEFAULTS = dict(
    k=3,
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


def analyse(acts: dict[str, np.ndarray], params: dict, seed: int, workers: int = 1) -> dict[str, pd.DataFrame]:
    """All four tables for one network."""
    p = {**DEFAULTS, **params}
    unknown = set(params) - set(DEFAULTS)
    if unknown:
        raise ValueError(f"--params: unknown key(s) {sorted(unknown)}; known: {sorted(DEFAULTS)}")
    activity, names, layers = network_nodes(acts)
    epoch = int(np.asarray(acts["epochs"])[-1]) if "epochs" in acts else -1
    terms = flow.flow_terms(activity, k=int(p["k"]), seed=[int(p["root_seed"]), FLOW_STREAM, int(seed)], workers=workers)
    f = terms.flow
    m = len(names)
    a, b = np.nonzero(~np.eye(m, dtype=bool))
    flow_table = pd.DataFrame(
        dict(
            source=names[a],
            target=names[b],
            source_layer=layers[a],
            target_layer=layers[b],
            mi_next=terms.mi_next[a, b],
            mi_now=terms.mi_now[a, b],
            flow=f[a, b],
        )
    )
    edges, nodes, summary = flow.threshold_analysis(
        f,
        p["thresholds"],
        names,
        layers,
        tol=float(p["rank_tol"]),
        max_iter=int(p["rank_max_iter"]),
        step=float(p["rank_step"]),
        on_max_iter={"error": "raise"}.get(p["on_max_iter"], p["on_max_iter"]),
    )
    nodes.insert(4, "constant", terms.constant[nodes.node_index.to_numpy()])
    summary.insert(1, "n_constant", int(terms.constant.sum()))
    summary.insert(1, "n_samples", activity.shape[0] * (activity.shape[1] - 1))
    out = {}
    for key, table in (("flow", flow_table), ("edges", edges), ("nodes", nodes), ("summary", summary)):
        table.insert(0, "epoch", epoch)
        table.insert(0, "seed", int(seed))
        out[key] = table
    return out


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
    constant = tables["nodes"].drop_duplicates("node").query("constant").node.tolist()
    if constant:
        print(f"constant over all test windows (no flow, no edges): {', '.join(constant)}", flush=True)
    print(
        f"weather_flow seed {args.seed}: {s.n_nodes.iloc[0]} nodes, {s.n_samples.iloc[0]} samples, "
        f"{time.perf_counter() - start:.1f} s",
        flush=True,
    )
    cols = ["threshold", "n_edges", "indeg_outdeg_pearson", "order_all", "order_kendall_tau", "rank_iterations"]
    print(s[cols].to_string(index=False), flush=True)
    return 0
