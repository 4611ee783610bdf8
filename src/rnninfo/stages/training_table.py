"""Stage `training_table`: stack the per-condition training tables and say which networks missed.

One row per attempt (see rnninfo.train). A network kept although no attempt
reached the accuracy criterion has ``below_criterion`` true; the stage lists
them in its log, and the workflow prints the same lines at the end of a run
(`summary_lines`, called from the Snakefile's ``onsuccess``).
"""

from __future__ import annotations

import argparse

from rnninfo.io import read_tsv, write_tsv


def summary_lines(table) -> list[str]:
    """One line per kept network below the criterion, and a total; empty when none."""
    if "below_criterion" not in table.columns:
        return []
    below = table[table.below_criterion.astype(bool)]
    lines = [
        f"{r.task}/{r.arch}/delay {r.delay} seed {r.seed}: no network reached the criterion in "
        f"{r.attempt + 1} attempt(s), kept the last (accuracy {r.accuracy:.4f})"
        for r in below.itertuples()
    ]
    if lines:
        lines.append(f"{len(lines)} of {int(table.kept.sum())} networks are below the accuracy criterion")
    return lines


def print_summary(path) -> None:
    """End-of-run summary of a finished training table (for the Snakefile's ``onsuccess``)."""
    from pathlib import Path

    if Path(path).exists():
        for line in summary_lines(read_tsv(path)):
            print(f"training: {line}")


def main(argv: list[str]) -> int:
    import pandas as pd

    ap = argparse.ArgumentParser(prog="rnninfo.cli training_table", description=__doc__)
    ap.add_argument("--inputs", nargs="+", required=True, help="per-condition training.tsv files")
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)
    tables = [read_tsv(p) for p in args.inputs]
    for path, t in zip(args.inputs, tables):
        if list(t.columns) != list(tables[0].columns):
            raise SystemExit(f"training_table: {path} has columns {list(t.columns)}, expected {list(tables[0].columns)}")
    table = pd.concat(tables, ignore_index=True)
    write_tsv(table, args.out)
    for line in summary_lines(table) or ["every kept network reached the accuracy criterion"]:
        print(line, flush=True)
    return 0
