"""Stage `figure_generalization`: the Fig. 2 table (all conditions) and figure."""

from __future__ import annotations

import argparse

from rnninfo.generalization import plot_generalization
from rnninfo.io import read_tables, save_figure, write_tsv


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="rnninfo.cli figure_generalization", description=__doc__)
    ap.add_argument("--tables", nargs="+", required=True, help="per-condition generalization tables")
    ap.add_argument("--table", required=True, help="combined table (TSV)")
    ap.add_argument("--figure", required=True)
    args = ap.parse_args(argv)
    table = read_tables(args.tables)
    write_tsv(table, args.table)
    save_figure(plot_generalization(table), args.figure)
    return 0
