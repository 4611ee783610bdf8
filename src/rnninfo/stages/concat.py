"""Stage `concat`: stack tidy tables with the same columns into one."""

from __future__ import annotations

import argparse

import pandas as pd

from rnninfo.io import read_tsv, write_tsv


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="rnninfo.cli concat", description=__doc__)
    ap.add_argument("--inputs", nargs="+", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)
    tables = [read_tsv(p) for p in args.inputs]
    columns = list(tables[0].columns)
    for path, t in zip(args.inputs, tables):
        if list(t.columns) != columns:
            raise SystemExit(f"concat: {path} has columns {list(t.columns)}, expected {columns}")
    write_tsv(pd.concat(tables, ignore_index=True), args.out)
    return 0
