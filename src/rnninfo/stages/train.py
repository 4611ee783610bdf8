"""Stage `train`: all seeds of one (task, arch, delay) condition as one ensemble.

Writes one state dict per seed and a table with one row per attempt
(seed, attempt, epochs, accuracy, per-concept accuracy, converged, kept).
"""

from __future__ import annotations

import pandas as pd
import torch

from rnninfo.stages._condition import condition_parser, parse_condition
from rnninfo.io import parse_json_arg, save_torch, write_tsv
from rnninfo.train import TrainConfig, train_condition


def main(argv: list[str]) -> int:
    ap = condition_parser("train", __doc__)
    ap.add_argument("--models", nargs="+", required=True, help="one model file per seed, same order")
    ap.add_argument("--table", required=True, help="training log table (TSV)")
    ap.add_argument("--params", required=True, help="JSON: seed, hidden_size, train, task_params")
    args = parse_condition(ap, argv, "models")
    cfg = TrainConfig.from_params(parse_json_arg(args.params))
    torch.set_num_threads(cfg.threads)
    torch.use_deterministic_algorithms(True)

    print(f"training {args.task}/{args.arch}/delay {args.delay}: seeds {args.seeds}", flush=True)
    models, rows = train_condition(
        args.task, args.arch, args.delay, args.seeds, cfg, log=lambda m: print(m, flush=True)
    )
    for seed, path in zip(args.seeds, args.models):
        save_torch(models[seed], path)
    table = pd.DataFrame(rows)
    table.insert(0, "delay", args.delay)
    table.insert(0, "arch", args.arch)
    table.insert(0, "task", args.task)
    write_tsv(table, args.table)
    print(f"done: {len(models)} networks, {int((table.attempt > 0).sum())} restarts, "
          f"{int(table.below_criterion.sum())} kept below the criterion", flush=True)
    return 0
