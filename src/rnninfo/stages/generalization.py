"""Stage `generalization`: accuracy per (seed, evaluation delay, concept) for one condition."""

from __future__ import annotations

import pandas as pd

from rnninfo.generalization import accuracy_by_delay
from rnninfo.stages._condition import condition_parser, parse_condition
from rnninfo.io import load_npz, write_tsv


def main(argv: list[str]) -> int:
    ap = condition_parser("generalization", __doc__)
    ap.add_argument("--traces", nargs="+", required=True)
    ap.add_argument("--out", required=True)
    args = parse_condition(ap, argv, "traces")
    parts = []
    for seed, path in zip(args.seeds, args.traces):
        part = accuracy_by_delay(load_npz(path), args.task)
        part.insert(0, "seed", seed)
        parts.append(part)
    table = pd.concat(parts, ignore_index=True)
    for col, value in (("delay", args.delay), ("arch", args.arch), ("task", args.task)):
        table.insert(0, col, value)
    write_tsv(table, args.out)
    return 0
