"""Stage `knockout`: node knockouts of every seed of one condition (paper A, Figs. 4, 5).

For each seed, its held-out test set (the trace) is split in two halves with
`rnninfo.traces.split_halves(n, seed, root_seed)`:

  estimate  the greedy relay order of every concept at the knockout step t
            (default n_info - 1: the state after the last concept was shown):
            nodes binarised as in the relay stage (relay.binarize, .state,
            .constant_atol), X_in = the label, X_out = the network's answer at
            each sample's readout (rnninfo.knockout.relay_orders)
  evaluate  knockout accuracy, so no accuracy reuses the samples that chose
            the nodes

Knocked out, as one batched ensemble pass from step t (rnninfo.knockout):

  baseline   no node (size 0)
  relay      for each concept c and size s = N .. 1: the top-s relay nodes of c
  random     for each size s = N .. 1: `random_draws` random sets of s nodes,
             drawn from np.random.default_rng([seed, KNOCKOUT_STREAM, replicate])

For an LSTM, `lstm_state` says what is set to 0: the hidden state only
("hidden", the paper's "hidden nodes") or hidden and cell ("hidden+cell").

One tidy row per (knockout set, concept whose accuracy is measured):
task, arch, delay, seed, t_knockout, lstm_state, n_estimate, n_evaluate, kind,
target, target_name, size, draw, nodes, concept, concept_name, accuracy.
`target` is the concept whose relay nodes were knocked out (-1 for baseline and
random sets); `lstm_state` is "hidden" for RNN and GRU (they have no cell).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from rnninfo.io import parse_json_arg, with_defaults, write_tsv
from rnninfo.stages._condition import condition_parser, parse_condition
from rnninfo.tasks import CONCEPTS
from rnninfo.traces import read_trace, split_halves

KNOCKOUT_STREAM = 0x4B4F  # "KO": keeps knockout draws apart from every other stream
DEFAULTS = {
    "seed": 2024,
    "time": None,
    "random_draws": 20,
    "max_rows": 50_000,
    "lstm_state": "hidden+cell",
    "binarize": "median",
    "state": "hidden",
    "constant_atol": 1e-6,
}
COLUMNS = [
    "task",
    "arch",
    "delay",
    "seed",
    "t_knockout",
    "lstm_state",
    "n_estimate",
    "n_evaluate",
    "kind",
    "target",
    "target_name",
    "size",
    "draw",
    "nodes",
    "concept",
    "concept_name",
    "accuracy",
]


def knockout_params(raw: dict) -> dict:
    from rnninfo.knockout import LSTM_STATES

    p = with_defaults(raw, DEFAULTS, "knockout")
    if p["time"] is not None and (not isinstance(p["time"], int) or p["time"] < 0):
        raise SystemExit(f"knockout: time must be null or an integer >= 0, got {p['time']!r}")
    if not isinstance(p["random_draws"], int) or p["random_draws"] < 0:
        raise SystemExit(f"knockout: random_draws must be an integer >= 0, got {p['random_draws']!r}")
    if not isinstance(p["max_rows"], int) or p["max_rows"] < 1:
        raise SystemExit(f"knockout: max_rows must be an integer >= 1, got {p['max_rows']!r}")
    if p["lstm_state"] not in LSTM_STATES:
        raise SystemExit(f"knockout: lstm_state must be one of {list(LSTM_STATES)}, got {p['lstm_state']!r}")
    if p["binarize"] not in ("median", "kmeans"):
        raise SystemExit(f"knockout: binarize must be 'median' or 'kmeans', got {p['binarize']!r}")
    if p["state"] not in ("hidden", "cell"):
        raise SystemExit(f"knockout: state must be 'hidden' or 'cell', got {p['state']!r}")
    return p


def estimated_orders(tr: dict, t: int, est: np.ndarray, p: dict) -> list[list[int]]:
    """Greedy relay order of each concept at step t, from the estimation rows ``est`` of one trace only."""
    from rnninfo.knockout import relay_orders

    states = tr["states"][est, t]  # (n_est, N)
    x_in = tr["y"][est] > 0  # (n_est, 3)
    x_out = tr["outputs"][est, tr["t_end"][est]] > 0  # (n_est, 3): the answer at each readout
    return relay_orders(states, x_in, x_out, p["binarize"], p["constant_atol"])[0]


def knockout_sets(orders: list[list[int]], n_nodes: int, n_draws: int, rng: np.random.Generator) -> list[dict]:
    """Every knockout set of one seed with its labels: baseline, relay sets, random sets."""
    from rnninfo.knockout import random_sets, top_relay_set

    sizes = list(range(n_nodes, 0, -1))
    sets = [dict(kind="baseline", target=-1, size=0, draw=0, nodes=())]
    for c, order in enumerate(orders):
        sets += [dict(kind="relay", target=c, size=s, draw=0, nodes=top_relay_set(order, s)) for s in sizes]
    drawn = random_sets(n_nodes, sizes, n_draws, rng)
    for i, nodes in enumerate(drawn):
        sets.append(dict(kind="random", target=-1, size=len(nodes), draw=i % n_draws, nodes=nodes))
    return sets


def run(task, arch, delay, seeds, models, traces, p) -> pd.DataFrame:
    import torch

    from rnninfo.knockout import keep_mask, knockout_accuracy, knockout_time
    from rnninfo.models import Ensemble, load_model

    torch.set_num_threads(1)
    names = CONCEPTS[task]
    trs = [read_trace(path, "knockout", p["state"]) for path in traces]
    n_info = {int(tr["n_info"]) for tr in trs}
    shapes = {(tr["x"].shape, tr["hidden"].shape[2]) for tr in trs}
    if len(n_info) != 1 or len(shapes) != 1:
        raise SystemExit(f"knockout: the traces of one condition differ in n_info {n_info} or shapes {shapes}")
    n_info = n_info.pop()
    (n, T, d), n_nodes = shapes.pop()
    t = knockout_time(n_info, p["time"])
    if t >= int(min(tr["t_end"].min() for tr in trs)):
        raise SystemExit(f"knockout: knockout step {t} is not before every readout of the traces")
    lstm_state = p["lstm_state"] if arch == "LSTM" else "hidden"
    state_dicts = [load_model(m, arch, d, n_nodes).state_dict() for m in models]
    ensemble = Ensemble(arch, state_dicts)
    all_sets, evals = [], []
    for seed, tr in zip(seeds, trs):
        est, ev = split_halves(n, seed, p["seed"])
        evals.append(ev)
        orders = estimated_orders(tr, t, est, p)
        rng = np.random.default_rng([p["seed"], KNOCKOUT_STREAM, seed])
        all_sets.append(knockout_sets(orders, n_nodes, p["random_draws"], rng))
    keep = np.stack([keep_mask([s["nodes"] for s in sets], n_nodes) for sets in all_sets])  # (S, K, H)
    x = np.stack([tr["x"][ev] for tr, ev in zip(trs, evals)])  # (S, n_eval, T, d)
    y = np.stack([tr["y"][ev] for tr, ev in zip(trs, evals)])  # (S, n_eval, 3)
    t_end = np.stack([tr["t_end"][ev] for tr, ev in zip(trs, evals)])  # (S, n_eval)
    n_est, n_ev = n - len(evals[0]), len(evals[0])
    print(f"{len(seeds)} seeds x {keep.shape[1]} sets x {n_ev} evaluation samples (orders from {n_est} others); "
          f"knockout after step {t} ({lstm_state})", flush=True)
    acc = knockout_accuracy(ensemble, x, y, t_end, t, keep, max_rows=p["max_rows"], lstm_state=lstm_state)

    rows = []
    for i, (seed, tr, ev, sets) in enumerate(zip(seeds, trs, evals, all_sets)):
        # The unperturbed pass must reproduce the trace: same model, same samples.
        answers = tr["outputs"][ev, tr["t_end"][ev], :]
        traced = (np.sign(answers) == tr["y"][ev]).mean(axis=0)
        if np.abs(traced - acc[i, 0]).max() > 2.0 / n_ev:
            raise SystemExit(
                f"knockout: seed {seed}: accuracy without knockout {acc[i, 0].round(4).tolist()} differs from "
                f"the trace's {traced.round(4).tolist()}; model and trace do not belong together"
            )
        print(f"seed {seed}: baseline accuracy {acc[i, 0].round(4).tolist()}", flush=True)
        for k, s in enumerate(sets):
            target_name = names[s["target"]] if s["kind"] == "relay" else s["kind"]
            nodes = ",".join(str(j) for j in s["nodes"])
            for c in range(3):
                rows.append(
                    (task, arch, delay, seed, t, lstm_state, n_est, n_ev, s["kind"], s["target"], target_name,
                     s["size"], s["draw"], nodes, c, names[c], float(acc[i, k, c]))
                )
    return pd.DataFrame(rows, columns=COLUMNS)


def main(argv: list[str]) -> int:
    ap = condition_parser("knockout", __doc__)
    ap.add_argument("--models", nargs="+", required=True, help="one model .pt per seed")
    ap.add_argument("--traces", nargs="+", required=True, help="one trace .npz per seed")
    ap.add_argument("--out", required=True, help="output TSV")
    ap.add_argument("--params", default="{}", help="JSON: " + ", ".join(DEFAULTS))
    args = parse_condition(ap, argv, "models", "traces")
    for path in args.models + args.traces:
        if not Path(path).is_file():
            raise SystemExit(f"knockout: {path} does not exist")
    p = knockout_params(parse_json_arg(args.params))
    df = run(args.task, args.arch, args.delay, args.seeds, args.models, args.traces, p)
    write_tsv(df, args.out)
    return 0
