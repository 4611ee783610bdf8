"""Stage `knockout_summary`: knockout tables of every condition -> two summary tables.

  summary   accuracy per condition, set kind (baseline / relay / random),
            target concept, set size and measured concept: mean and 95% CI
            over seeds (random sets first averaged over draws per seed)
  margins   per condition and target: (drop of the targeted concept - mean
            drop of the others) and (targeted drop - random-set drop), per size
            and averaged over sizes 1..N-1; mean and 95% CI over seeds, paired
            t-test over seeds (t, p)
"""

from __future__ import annotations

import argparse

from rnninfo.io import parse_json_arg, read_tables, write_tsv
from rnninfo.knockout import margins, summarise

NEED = {"task", "arch", "delay", "seed", "kind", "target", "target_name", "size", "draw", "concept", "concept_name",
        "accuracy"}


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(
        prog="rnninfo.cli knockout_summary", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--inputs", nargs="+", required=True, help="knockout TSVs (one per condition)")
    ap.add_argument("--summary", required=True, help="output TSV")
    ap.add_argument("--margins", required=True, help="output TSV")
    ap.add_argument("--params", default="{}", help="JSON: ci (confidence level, default 0.95)")
    args = ap.parse_args(argv)
    p = parse_json_arg(args.params)
    level = float(p.get("ci", 0.95))
    if not 0 < level < 1:
        raise SystemExit(f"knockout_summary: ci must be in (0, 1), got {level}")
    df = read_tables(args.inputs, columns=sorted(NEED))
    write_tsv(summarise(df, level), args.summary)
    write_tsv(margins(df, level), args.margins)
    return 0
