"""Stage `pca`: relay-guided PCA of one network's hidden states (paper A, Figs. 12, 13).

One job per network (seed), so the seeds of a condition run side by side
(locally or on SLURM); `pca_summary` gathers them.

States: the hidden (or, with relay.state = cell, LSTM cell) states at one
fixed step `time` (null = n_info - 1, the state after all information has
been fed in, the knockout step; an integer = that zero-based step). The test
samples are split in halves (rnninfo.traces.split_halves(n, seed, root_seed)):

  estimate  the node orders: per concept the greedy relay order (relay
            binarisation; X_out = the network's answer at each sample's
            readout; rnninfo.knockout.relay_orders) and the supervised order
            (each node's own I(node; label) on the binarised node, least first,
            ties to the lower index; rnninfo.pca.supervised_order)
  evaluate  the PCA and its cluster scores, so no score reuses the samples
            that chose the order

Nodes are removed in relay order, in supervised order and in `random_orders`
random orders (np.random.default_rng([root_seed, PCA_STREAM, seed]), shared by
the three concepts); after each removal a PCA on the nodes left is scored for
the concept's two classes (rnninfo.pca). Writes:

  scores      seed, time, n_estimate, n_evaluate, concept, order (relay |
              supervised | random), draw, n_removed, n_left, removed (node that
              left last, -1 for none), info (relay: I_R of the nodes left on
              the estimation half; supervised: I(node; label) of the node that
              left last), silhouette, davies_bouldin, calinski_harabasz
  projection  only for the figure's network (`figure_seed`; empty otherwise):
              the 2-D PCA of every evaluation sample with its 8-state label,
              nothing removed and after the `panels` removals of each
              concept's relay order (Figs. 12, 13)
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from rnninfo import relay
from rnninfo.io import parse_json_arg, with_defaults, write_tsv
from rnninfo.tasks import CONCEPTS
from rnninfo.traces import read_trace, split_halves

import rnninfo.pca as pca

PCA_STREAM = 0x5043  # "PC": keeps PCA draws apart from every other stream
DEFAULTS = {
    "seed": 2024,
    "figure_seed": None,
    "time": None,
    "random_orders": 50,
    "components": 2,
    "standardize": False,
    "panels": [0, 4, 8, 10],
    "binarize": "median",
    "state": "hidden",
    "constant_atol": 1e-6,
}
SCORE_COLUMNS = ["task", "arch", "delay", "seed", "time", "n_estimate", "n_evaluate", "concept", "concept_name",
                 "order", "draw", "n_removed", "n_left", "removed", "info", *pca.METRICS]
PROJECTION_COLUMNS = ["task", "arch", "delay", "seed", "time", "concept", "concept_name", "n_removed", "nodes_left",
                      "sample", "state", "label", "pc1", "pc2"]


def pca_params(raw: dict) -> dict:
    p = with_defaults(raw, DEFAULTS, "pca")
    t = p["time"]
    if not (t is None or (isinstance(t, int) and not isinstance(t, bool) and t >= 0)):
        raise SystemExit(f"pca: time must be null (n_info - 1) or an integer >= 0, got {t!r}")
    if not isinstance(p["random_orders"], int) or p["random_orders"] < 0:
        raise SystemExit(f"pca: random_orders must be an integer >= 0, got {p['random_orders']!r}")
    if not isinstance(p["components"], int) or p["components"] < 1:
        raise SystemExit(f"pca: components must be an integer >= 1, got {p['components']!r}")
    if p["binarize"] not in ("median", "kmeans"):
        raise SystemExit(f"pca: binarize must be 'median' or 'kmeans', got {p['binarize']!r}")
    if p["state"] not in ("hidden", "cell"):
        raise SystemExit(f"pca: state must be 'hidden' or 'cell', got {p['state']!r}")
    if not all(isinstance(k, int) and k >= 0 for k in p["panels"]):
        raise SystemExit(f"pca: panels must be integers >= 0, got {p['panels']!r}")
    return p


def seed_states(path: str, p: dict) -> dict:
    """States at the analysed step, labels and answers (at each readout) of one trace."""
    tr = read_trace(path, "pca", p["state"])
    states, y, out, t_end = tr["states"], tr["y"], tr["outputs"], tr["t_end"]
    n, T, _ = states.shape
    t = int(tr["n_info"]) - 1 if p["time"] is None else int(p["time"])
    if t >= T:
        raise SystemExit(f"pca: step {t} is outside the trace {path} (0..{T - 1})")
    return dict(
        states=states[:, t].astype(np.float64),  # (n, N)
        y=y,  # (n, 3)
        x_out=(out[np.arange(n), t_end] > 0).astype(np.uint8),  # (n, 3): the answer at each readout
        time=t,
    )


def node_orders(d: dict, est: np.ndarray, p: dict) -> dict:
    """Relay and supervised order of each concept, from the estimation rows only."""
    from rnninfo.knockout import relay_orders

    states, x_in, x_out = d["states"][est], (d["y"][est] > 0).astype(np.uint8), d["x_out"][est]
    rel, info = relay_orders(states, x_in, x_out, p["binarize"], p["constant_atol"])
    bits = relay.binarize(states, p["binarize"], constant="zero", atol=float(p["constant_atol"]))
    sup, mi = [], []
    for c in range(x_in.shape[1]):
        sup.append(pca.supervised_order(bits, x_in[:, c]))
        mi.append(pca.node_label_information(bits, x_in[:, c]))
    return dict(relay=rel, relay_info=info, supervised=sup, supervised_info=mi)


def analyse_seed(d: dict, seed: int, p: dict):
    """Score rows of one network (seed, concept, order, draw, n_removed, n_left, removed, info, *scores)."""
    n, n_nodes = d["states"].shape
    est, ev = split_halves(n, seed, p["seed"])
    orders = node_orders(d, est, p)
    states = d["states"][ev]
    labels = (d["y"][ev] > 0).astype(np.int64)  # (n_ev, 3)
    rng = np.random.default_rng([p["seed"], PCA_STREAM, seed])
    random = pca.random_orders(n_nodes, p["random_orders"], rng)  # (R, N)
    rows = []
    for c in range(3):
        fixed = np.array([orders["relay"][c], orders["supervised"][c]])
        sc = pca.removal_scores(states, fixed, labels[:, c], p["components"], p["standardize"])  # (2, N, 1, 3)
        for i, name in enumerate(("relay", "supervised")):
            order = fixed[i]
            for k in range(n_nodes):
                removed = int(order[k - 1]) if k else -1
                if name == "relay":
                    info = orders["relay_info"][c][k]
                else:
                    info = float(orders["supervised_info"][c][removed]) if k else np.nan
                rows.append((c, name, 0, k, n_nodes - k, removed, info, *sc[i, k, 0]))
    sc = pca.removal_scores(states, random, labels, p["components"], p["standardize"]) if len(random) else None
    for draw, order in enumerate(random):  # sc: (R, N, 3 concepts, 3 metrics)
        for c in range(3):
            for k in range(n_nodes):
                rows.append((c, "random", draw, k, n_nodes - k, int(order[k - 1]) if k else -1, np.nan,
                             *sc[draw, k, c]))
    return rows, orders, (len(est), len(ev)), ev


def projection_rows(d: dict, ev: np.ndarray, orders, p: dict) -> list:
    """2-D projections of the evaluation half: nothing removed and each panel of each concept's relay order."""
    states, y = d["states"][ev], d["y"][ev]
    n, n_nodes = states.shape
    state = pca.label_states(y)
    rows = []
    for c in range(3):
        for k in sorted({k for k in p["panels"] if k < n_nodes} | {0}):
            left = sorted(orders[c][k:])
            z = pca.project(states[:, left], 2, p["standardize"])
            z2 = np.zeros((n, 2))
            z2[:, : z.shape[1]] = z
            nodes = ",".join(map(str, left))
            for i in range(n):
                rows.append((c, k, nodes, int(ev[i]), int(state[i]), int(np.sign(y[i, c])), z2[i, 0], z2[i, 1]))
    return rows


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="rnninfo.cli pca", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--task", required=True)
    ap.add_argument("--arch", required=True)
    ap.add_argument("--delay", required=True)
    ap.add_argument("--seed", type=int, required=True, help="the network analysed")
    ap.add_argument("--trace", required=True, help="its trace .npz")
    ap.add_argument("--scores", required=True, help="output TSV")
    ap.add_argument("--projection", required=True, help="output TSV (rows only for figure_seed)")
    ap.add_argument("--params", default="{}", help="JSON: " + ", ".join(DEFAULTS))
    args = ap.parse_args(argv)
    if args.task not in CONCEPTS:
        raise SystemExit(f"pca: unknown task {args.task!r}")
    if not Path(args.trace).is_file():
        raise SystemExit(f"pca: trace {args.trace} does not exist")
    p = pca_params(parse_json_arg(args.params))
    names = CONCEPTS[args.task]
    cond = (args.task, args.arch, args.delay, args.seed)
    d = seed_states(args.trace, p)
    # One BLAS thread: the job has one core, and OpenBLAS's threads on a busy machine make the
    # thin (n x n) @ (n x classes) products 30x slower.
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        rows, orders, (n_est, n_ev), ev = analyse_seed(d, args.seed, p)
    scores = [cond + (d["time"], n_est, n_ev, r[0], names[r[0]]) + r[1:] for r in rows]
    proj = []
    if p["figure_seed"] is not None and args.seed == int(p["figure_seed"]):
        proj = [cond + (d["time"], r[0], names[r[0]]) + r[1:] for r in projection_rows(d, ev, orders["relay"], p)]
    print(f"seed {args.seed}, step {d['time']}: orders from {n_est} samples, scores on {n_ev}; "
          f"relay orders {orders['relay']}; supervised orders {orders['supervised']}", flush=True)
    write_tsv(pd.DataFrame(scores, columns=SCORE_COLUMNS), args.scores)
    write_tsv(pd.DataFrame(proj, columns=PROJECTION_COLUMNS), args.projection)
    return 0
