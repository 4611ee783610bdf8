"""Stage `pca`: relay-guided PCA of the hidden states of one condition (paper A, Figs. 12, 13).

For every seed: the hidden (or, with relay.state = cell, LSTM cell) states at
the analysed step, by default each sample's readout step t_end ("readout"; an
integer picks one zero-based step, null the knockout step n_info - 1). Per
concept the greedy relay order on those same states (rnninfo.relay with the
relay stage's binarisation; X_out = the network's answer at t_end). Nodes are
removed in that order (least relaying first) and in `random_orders` random
orders (np.random.default_rng([seed, PCA_STREAM, replicate]), shared by the
three concepts); after each removal a PCA on the nodes left is scored for the
concept's two classes (rnninfo.pca). Writes:

  scores      seed, concept, order (relay | random), draw, n_removed, n_left,
              removed (node that left last, -1 for none), info (I_R of the
              nodes left, relay order only), silhouette, davies_bouldin,
              calinski_harabasz
  summary     per concept, n_removed, metric and order (relay, random, and
              relay - random): mean and 95% CI over seeds (random orders
              first averaged per seed)
  projection  for the figure's seed: the 2-D PCA of every sample with its
              8-state label, with nothing removed and after the `panels`
              removals of each concept's relay order (Figs. 12, 13)
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from rnninfo import pca, relay
from rnninfo.io import parse_json_arg, with_defaults, write_tsv
from rnninfo.knockout import mean_ci
from rnninfo.tasks import CONCEPTS
from rnninfo.traces import read_trace

PCA_STREAM = 0x5043  # "PC": keeps PCA draws apart from every other stream
DEFAULTS = {
    "seed": 2024,
    "figure_seed": None,
    "time": "readout",
    "random_orders": 50,
    "components": 2,
    "standardize": False,
    "panels": [0, 4, 8, 10],
    "binarize": "median",
    "state": "hidden",
    "constant_atol": 1e-6,
    "ci": 0.95,
}
SCORE_COLUMNS = ["task", "arch", "delay", "seed", "time", "concept", "concept_name", "order", "draw", "n_removed",
                 "n_left", "removed", "info", *pca.METRICS]
SUMMARY_COLUMNS = ["task", "arch", "delay", "time", "concept", "concept_name", "n_removed", "n_left", "metric",
                   "order", "n_seeds", "mean", "ci_low", "ci_high"]
PROJECTION_COLUMNS = ["task", "arch", "delay", "seed", "time", "concept", "concept_name", "n_removed", "nodes_left",
                      "sample", "state", "label", "pc1", "pc2"]


def pca_params(raw: dict) -> dict:
    p = with_defaults(raw, DEFAULTS, "pca")
    t = p["time"]
    if not (t is None or t == "readout" or (isinstance(t, int) and t >= 0)):
        raise SystemExit(f"pca: time must be 'readout', null or an integer >= 0, got {t!r}")
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
    """States at the analysed step, labels and answers of one trace."""
    tr = read_trace(path, "pca", p["state"])
    key = tr["state"]
    states, y, out, t_end = tr["states"], tr["y"], tr["outputs"], tr["t_end"]
    n, T, _ = states.shape
    rows = np.arange(n)
    if p["time"] == "readout":
        s, label = states[rows, t_end], "readout"
    else:
        t = int(tr["n_info"]) - 1 if p["time"] is None else int(p["time"])
        if t >= T:
            raise SystemExit(f"pca: step {t} is outside the trace {path} (0..{T - 1})")
        s, label = states[:, t], str(t)
    if not np.isfinite(s).all():
        raise SystemExit(f"pca: {path}: {key} states contain NaN or inf")
    return dict(states=s.astype(np.float64), y=y, x_out=(out[rows, t_end] > 0).astype(np.uint8), time=label)


def analyse_seed(d: dict, seed: int, p: dict):
    """Score rows of one seed, and each concept's greedy order."""
    states, y = d["states"], d["y"]
    n_nodes = states.shape[1]
    labels = (y > 0).astype(np.int64)  # (n, 3)
    bits = relay.binarize(states, p["binarize"], constant="zero", atol=float(p["constant_atol"]))
    rows, orders = [], []
    for c in range(3):
        order, info = relay.greedy_order(bits, labels[:, c].astype(np.uint8), d["x_out"][:, c])
        orders.append(order)
        sc = pca.removal_scores(states, order, labels[:, c], p["components"], p["standardize"])
        for k in range(n_nodes):
            rows.append((seed, c, "relay", 0, k, n_nodes - k, order[k - 1] if k else -1, info[k], *sc[k, 0]))
    rng = np.random.default_rng([p["seed"], PCA_STREAM, seed])
    for draw, order in enumerate(pca.random_orders(n_nodes, p["random_orders"], rng)):
        sc = pca.removal_scores(states, order, labels, p["components"], p["standardize"])  # (N, 3, 3)
        for c in range(3):
            for k in range(n_nodes):
                rows.append((seed, c, "random", draw, k, n_nodes - k, int(order[k - 1]) if k else -1, np.nan,
                             *sc[k, c]))
    return rows, orders


def summarise(scores: pd.DataFrame, level: float) -> pd.DataFrame:
    """Mean and CI over seeds of relay, random (draws averaged per seed) and relay - random."""
    keys = ["task", "arch", "delay", "time", "concept", "concept_name", "n_removed", "n_left"]
    long = scores.melt(id_vars=keys + ["seed", "order", "draw"], value_vars=list(pca.METRICS), var_name="metric")
    per_seed = long.groupby(keys + ["metric", "seed", "order"], as_index=False, sort=True)["value"].mean()
    wide = per_seed.set_index(keys + ["metric", "seed", "order"])["value"].unstack("order")
    wide = wide.reindex(columns=["relay", "random"])
    wide["relay-random"] = wide["relay"] - wide["random"]
    rows = []
    for key, g in wide.groupby(level=list(range(len(keys) + 1)), sort=True):
        for order in ("relay", "random", "relay-random"):
            v = g[order].to_numpy()
            m, lo, hi = mean_ci(v, level)
            rows.append(key + (order, int(np.isfinite(v).sum()), m, lo, hi))
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def projection_rows(d: dict, orders, p: dict) -> list:
    """2-D projections of the figure's network: nothing removed and each panel of each concept."""
    states, y = d["states"], d["y"]
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
                rows.append((c, k, nodes, i, int(state[i]), int(np.sign(y[i, c])), z2[i, 0], z2[i, 1]))
    return rows


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="rnninfo.cli pca", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--task", required=True)
    ap.add_argument("--arch", required=True)
    ap.add_argument("--delay", required=True)
    ap.add_argument("--seeds", type=int, nargs="+", required=True)
    ap.add_argument("--traces", nargs="+", required=True, help="one trace .npz per seed")
    ap.add_argument("--scores", required=True, help="output TSV")
    ap.add_argument("--summary", required=True, help="output TSV")
    ap.add_argument("--projection", required=True, help="output TSV")
    ap.add_argument("--params", default="{}", help="JSON: the config's pca section plus seed, binarize, state")
    args = ap.parse_args(argv)
    if len(args.seeds) != len(args.traces):
        ap.error(f"--seeds ({len(args.seeds)}) and --traces ({len(args.traces)}) must have the same length")
    if args.task not in CONCEPTS:
        raise SystemExit(f"pca: unknown task {args.task!r}")
    for path in args.traces:
        if not Path(path).is_file():
            raise SystemExit(f"pca: trace {path} does not exist")
    p = pca_params(parse_json_arg(args.params))
    fig_seed = args.seeds[0] if p["figure_seed"] is None else int(p["figure_seed"])
    if fig_seed not in args.seeds:
        raise SystemExit(f"pca: figure_seed {fig_seed} is not one of the seeds {args.seeds}")
    names = CONCEPTS[args.task]
    cond = (args.task, args.arch, args.delay)
    scores, proj = [], []
    for seed, path in zip(args.seeds, args.traces):
        d = seed_states(path, p)
        rows, orders = analyse_seed(d, seed, p)
        scores += [cond + (r[0], d["time"], r[1], names[r[1]]) + r[2:] for r in rows]
        if seed == fig_seed:
            proj = [cond + (seed, d["time"], r[0], names[r[0]]) + r[1:] for r in projection_rows(d, orders, p)]
        print(f"seed {seed}: relay orders {orders}", flush=True)
    scores = pd.DataFrame(scores, columns=SCORE_COLUMNS)
    write_tsv(scores, args.scores)
    write_tsv(summarise(scores, float(p["ci"])), args.summary)
    write_tsv(pd.DataFrame(proj, columns=PROJECTION_COLUMNS), args.projection)
    return 0
