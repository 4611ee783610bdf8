"""Stage `relay`: relay information of every seed, concept and time point of one condition.

For each seed's trace, each concept c and each analysed step t: X_in = the
concept's label bit, X_out = the sign of the network's output for c at each
sample's readout step (t_end, training regime), Y = the hidden (or LSTM cell)
state at step t binarised per node. Writes three tidy tables:

  greedy      one row per greedy removal step: the node that leaves and I_R of
              the set (of `size` nodes) it leaves from
  shares      one row per node: its relay share (information lost when it
              left), its removal rank, whether it was constant at t
  exhaustive  one row per set size: the best set of all 2^N, the greedy set,
              and the greedy shortfall (bits)
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from rnninfo import relay
from rnninfo.io import parse_json_arg, with_defaults, write_tsv
from rnninfo.tasks import CONCEPTS
from rnninfo.traces import read_trace
from rnninfo.stages._condition import condition_parser, parse_condition


DEFAULTS = {
    "binarize": "median",
    "state": "hidden",
    "horizon": "training",
    "constant_atol": 1e-6,
    "exhaustive": True,
}

# Every relay table starts with the network and concept it describes.
KEY_COLUMNS = ["task", "arch", "delay", "seed", "concept", "concept_name"]
GREEDY_COLUMNS = [*KEY_COLUMNS, "t", "rank", "size", "node", "info"]
SHARE_COLUMNS = [
    *KEY_COLUMNS,
    "onset",
    "n_info",
    "t",
    "node",
    "rank",
    "share",
    "constant",
]
EXHAUSTIVE_COLUMNS = [
    *KEY_COLUMNS,
    "onset",
    "t",
    "size",
    "best_nodes",
    "best_info",
    "greedy_nodes",
    "greedy_info",
    "shortfall",
    "optimal",
    "same_set",
]


def relay_params(raw: dict) -> dict:
    """Stage parameters with defaults filled in and checked."""
    p = with_defaults(raw, DEFAULTS, "relay")
    if p["binarize"] not in ("median", "kmeans"):
        raise SystemExit(f"relay: binarize must be 'median' or 'kmeans', got {p['binarize']!r}")
    if p["state"] not in ("hidden", "cell"):
        raise SystemExit(f"relay: state must be 'hidden' or 'cell', got {p['state']!r}")
    if p["horizon"] not in ("training", "full"):
        raise SystemExit(f"relay: horizon must be 'training' or 'full', got {p['horizon']!r}")
    if not (isinstance(p["constant_atol"], (int, float)) and p["constant_atol"] >= 0):
        raise SystemExit(f"relay: constant_atol must be a number >= 0, got {p['constant_atol']!r}")
    return p


def load_trace(path: str, state: str) -> dict:
    """Read and check one trace file; returns the arrays the analysis needs."""
    tr = read_trace(path, "relay", state)
    onsets = np.asarray(tr.get("concept_onsets", np.zeros(3, dtype=np.int64)), dtype=np.int64)
    return dict(
        states=tr["states"], state=tr["state"], y=tr["y"], outputs=tr["outputs"],
        t_end=tr["t_end"], n_info=int(tr["n_info"]), onsets=onsets,
    )


def analyse_seed(tr: dict, params: dict, exhaustive: bool) -> tuple[list, list, list]:
    """Rows of the three tables for one seed (without the condition columns)."""
    states, y, out, t_end = tr["states"], tr["y"], tr["outputs"], tr["t_end"]
    n, T, n_nodes = states.shape
    horizon = T if params["horizon"] == "full" else int(t_end.max()) + 1
    x_in = (y > 0).astype(np.uint8)  # (n, 3)
    x_out = (out[np.arange(n), t_end, :] > 0).astype(np.uint8)  # answer at each sample's readout
    g_rows, s_rows, e_rows = [], [], []
    atol = float(params["constant_atol"])
    for t in range(horizon):
        s = states[:, t, :].astype(np.float64)
        constant = (s.max(axis=0) - s.min(axis=0)) <= atol
        bits = relay.binarize(s, params["binarize"], constant="zero", atol=atol)
        for c in range(3):
            if exhaustive:
                table = relay.interaction_table(bits, x_in[:, c], x_out[:, c])
                order, info = relay.greedy_from_table(table)
            else:
                order, info = relay.greedy_order(bits, x_in[:, c], x_out[:, c])
            share = relay.relay_shares(order, info)
            rank = np.empty(n_nodes, dtype=np.int64)
            rank[order] = np.arange(n_nodes)
            for k, (node, v) in enumerate(zip(order, info)):
                g_rows.append((c, t, k, n_nodes - k, node, v))
            for node in range(n_nodes):
                s_rows.append(
                    (c, int(tr["onsets"][c]), tr["n_info"], t, node, int(rank[node]), share[node], int(constant[node]))
                )
            if exhaustive:
                best_mask, best_info = relay.best_per_size(table)
                for size in range(1, n_nodes + 1):
                    greedy_set = tuple(sorted(order[n_nodes - size :]))
                    g_info = info[n_nodes - size]
                    b_nodes = relay.mask_nodes(best_mask[size - 1], n_nodes)
                    # both come from the same table, so the shortfall is >= 0 exactly
                    shortfall = float(best_info[size - 1] - g_info)
                    e_rows.append(
                        (
                            c,
                            int(tr["onsets"][c]),
                            t,
                            size,
                            _fmt(b_nodes),
                            best_info[size - 1],
                            _fmt(greedy_set),
                            g_info,
                            shortfall,
                            int(shortfall <= relay.TIE_TOL),
                            int(b_nodes == greedy_set),
                        )
                    )
    return g_rows, s_rows, e_rows


def _fmt(nodes) -> str:
    return ",".join(str(j) for j in nodes)


def run(task: str, arch: str, delay: str, seeds: list[int], traces: list[str], params: dict):
    """All three tables of one condition as DataFrames."""
    if task not in CONCEPTS:
        raise SystemExit(f"relay: unknown task {task!r} (expected one of {sorted(CONCEPTS)})")
    names = CONCEPTS[task]
    greedy, shares, exh = [], [], []
    for seed, path in zip(seeds, traces):
        tr = load_trace(path, params["state"])
        n_nodes = tr["states"].shape[2]
        exhaustive = bool(params["exhaustive"])
        if exhaustive and n_nodes > relay.MAX_EXHAUSTIVE_NODES:
            raise SystemExit(
                f"relay: {path}: {n_nodes} nodes; the exhaustive search handles at most "
                f"{relay.MAX_EXHAUSTIVE_NODES} (set relay.exhaustive: false)"
            )
        g, s, e = analyse_seed(tr, params, exhaustive)
        head = lambda rows: [(task, arch, delay, seed, r[0], names[r[0]]) + tuple(r[1:]) for r in rows]  # noqa: E731
        greedy += head(g)
        shares += head(s)
        exh += head(e)
        print(f"seed {seed}: {len(s) // (3 * n_nodes)} time points, state {tr['state']}", flush=True)
    return (
        pd.DataFrame(greedy, columns=GREEDY_COLUMNS),
        pd.DataFrame(shares, columns=SHARE_COLUMNS),
        pd.DataFrame(exh, columns=EXHAUSTIVE_COLUMNS),
    )


def main(argv: list[str]) -> int:
    ap = condition_parser("relay", __doc__)
    ap.add_argument("--traces", nargs="+", required=True, help="one trace .npz per seed")
    ap.add_argument("--greedy", required=True, help="output TSV")
    ap.add_argument("--shares", required=True, help="output TSV")
    ap.add_argument("--exhaustive", required=True, help="output TSV (header only if relay.exhaustive is false)")
    ap.add_argument("--params", default="{}", help="JSON: the config's relay section")
    args = parse_condition(ap, argv, "traces")
    for p in args.traces:
        if not Path(p).is_file():
            raise SystemExit(f"relay: trace {p} does not exist")
    params = relay_params(parse_json_arg(args.params))
    greedy, shares, exh = run(args.task, args.arch, args.delay, args.seeds, args.traces, params)
    write_tsv(greedy, args.greedy)
    write_tsv(shares, args.shares)
    write_tsv(exh, args.exhaustive)
    return 0
