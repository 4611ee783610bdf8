"""Stage `knockout`: node knockouts of every seed of one condition (paper A, Figs. 4, 5).

For each seed: its held-out test set (the trace's inputs, targets and readout
steps, the very samples the relay stage analysed), its model, and the greedy
relay order of every concept at the knockout step t (default n_info - 1: the
state after the last concept was shown, which is where relay information is
computed). Knocked out, as one batched ensemble pass (rnninfo.knockout):

  baseline   no node (size 0)
  relay      for each concept c and size s = N .. 1: the top-s relay nodes of c
  random     for each size s = N .. 1: `random_draws` random sets of s nodes,
             drawn from np.random.default_rng([seed, KNOCKOUT_STREAM, replicate])

One tidy row per (knockout set, concept whose accuracy is measured):
task, arch, delay, seed, t_knockout, kind, target, target_name, size, draw,
nodes, concept, concept_name, accuracy. `target` is the concept whose relay
nodes were knocked out (-1 for baseline and random sets).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from rnninfo.io import parse_json_arg, read_tsv, with_defaults, write_tsv
from rnninfo.stages._condition import condition_parser, parse_condition
from rnninfo.tasks import CONCEPTS
from rnninfo.traces import read_trace

KNOCKOUT_STREAM = 0x4B4F  # "KO": keeps knockout draws apart from every other stream
DEFAULTS = {"seed": 2024, "time": None, "random_draws": 20, "max_rows": 50_000}
COLUMNS = [
    "task",
    "arch",
    "delay",
    "seed",
    "t_knockout",
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
    p = with_defaults(raw, DEFAULTS, "knockout")
    if p["time"] is not None and (not isinstance(p["time"], int) or p["time"] < 0):
        raise SystemExit(f"knockout: time must be null or an integer >= 0, got {p['time']!r}")
    if not isinstance(p["random_draws"], int) or p["random_draws"] < 0:
        raise SystemExit(f"knockout: random_draws must be an integer >= 0, got {p['random_draws']!r}")
    if not isinstance(p["max_rows"], int) or p["max_rows"] < 1:
        raise SystemExit(f"knockout: max_rows must be an integer >= 1, got {p['max_rows']!r}")
    return p


def greedy_orders(greedy: pd.DataFrame, seed: int, t: int, n_nodes: int, path: str) -> list[list[int]]:
    """Greedy removal order (least relaying first) of each concept of one seed at step t."""
    g = greedy[(greedy["seed"] == seed) & (greedy["t"] == t)]
    if g.empty:
        steps = sorted(greedy.loc[greedy["seed"] == seed, "t"].unique().tolist())
        raise SystemExit(
            f"knockout: {path} has no greedy order for seed {seed} at step {t} "
            f"(steps present: {steps[:3]}..{steps[-3:] if steps else []}); widen relay.horizon or change knockout.time"
        )
    orders = []
    for c in range(3):
        gc = g[g["concept"] == c].sort_values("rank")
        order = gc["node"].astype(int).tolist()
        if sorted(order) != list(range(n_nodes)):
            raise SystemExit(f"knockout: {path}: seed {seed}, concept {c}, step {t}: order {order} is not 0..{n_nodes - 1}")
        orders.append(order)
    return orders


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


def run(task, arch, delay, seeds, models, traces, greedy_path, p) -> pd.DataFrame:
    import torch

    from rnninfo.knockout import keep_mask, knockout_accuracy, knockout_time
    from rnninfo.models import Ensemble, load_model

    torch.set_num_threads(1)
    names = CONCEPTS[task]
    trs = [read_trace(path, "knockout") for path in traces]
    n_info = {int(tr["n_info"]) for tr in trs}
    shapes = {(tr["x"].shape, tr["hidden"].shape[2]) for tr in trs}
    if len(n_info) != 1 or len(shapes) != 1:
        raise SystemExit(f"knockout: the traces of one condition differ in n_info {n_info} or shapes {shapes}")
    n_info = n_info.pop()
    (n, T, d), n_nodes = shapes.pop()
    t = knockout_time(n_info, p["time"])
    t_end = np.stack([tr["t_end"] for tr in trs])
    if t >= int(t_end.min()):
        raise SystemExit(
            f"knockout: knockout step {t} is not before every readout (earliest readout {int(t_end.min())})"
        )
    greedy = read_tsv(greedy_path)
    missing = {"seed", "concept", "t", "rank", "node"} - set(greedy.columns)
    if missing:
        raise SystemExit(f"knockout: {greedy_path} lacks column(s) {sorted(missing)}")
    state_dicts = [load_model(m, arch, d, n_nodes).state_dict() for m in models]
    ensemble = Ensemble(arch, state_dicts)
    all_sets = []
    for seed in seeds:
        orders = greedy_orders(greedy, seed, t, n_nodes, greedy_path)
        rng = np.random.default_rng([p["seed"], KNOCKOUT_STREAM, seed])
        all_sets.append(knockout_sets(orders, n_nodes, p["random_draws"], rng))
    keep = np.stack([keep_mask([s["nodes"] for s in sets], n_nodes) for sets in all_sets])  # (S, K, H)
    x = np.stack([tr["x"] for tr in trs])
    y = np.stack([tr["y"] for tr in trs])
    print(f"{len(seeds)} seeds x {keep.shape[1]} sets x {n} samples; knockout after step {t}", flush=True)
    acc = knockout_accuracy(ensemble, x, y, t_end, t, keep, max_rows=p["max_rows"])  # (S, K, 3)

    rows = []
    for i, (seed, tr, sets) in enumerate(zip(seeds, trs, all_sets)):
        # The unperturbed pass must reproduce the trace: same model, same samples.
        answers = tr["outputs"][np.arange(n), tr["t_end"], :]
        traced = (np.sign(answers) == tr["y"]).mean(axis=0)
        if np.abs(traced - acc[i, 0]).max() > 2.0 / n:
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
                    (task, arch, delay, seed, t, s["kind"], s["target"], target_name, s["size"], s["draw"], nodes,
                     c, names[c], float(acc[i, k, c]))
                )
    return pd.DataFrame(rows, columns=COLUMNS)


def main(argv: list[str]) -> int:
    ap = condition_parser("knockout", __doc__)
    ap.add_argument("--models", nargs="+", required=True, help="one model .pt per seed")
    ap.add_argument("--traces", nargs="+", required=True, help="one trace .npz per seed")
    ap.add_argument("--greedy", required=True, help="greedy.tsv of the relay stage for this condition")
    ap.add_argument("--out", required=True, help="output TSV")
    ap.add_argument("--params", default="{}", help="JSON: seed, time, random_draws, max_rows")
    args = parse_condition(ap, argv, "models", "traces")
    for path in args.models + args.traces + [args.greedy]:
        if not Path(path).is_file():
            raise SystemExit(f"knockout: {path} does not exist")
    p = knockout_params(parse_json_arg(args.params))
    df = run(args.task, args.arch, args.delay, args.seeds, args.models, args.traces, args.greedy, p)
    write_tsv(df, args.out)
    return 0
