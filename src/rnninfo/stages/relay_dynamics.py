"""Stage `relay_dynamics`: how relayed information moves over time in one condition.

Reads the condition's relay shares table and writes tidy tables (see
rnninfo.dynamics): correlation (Fig. 8), overlap (Fig. 9), membership
(relaying cells of every 12 x 3 matrix) and counts (concepts per node, nodes
per concept at the matrix step; Figs. 10, 11).
"""

from __future__ import annotations

import argparse

from rnninfo.dynamics import dynamics_tables
from rnninfo.io import parse_json_arg, read_tsv, with_defaults, write_tsv

DEFAULTS = {"relaying": "kmeans", "min_share": 0.05, "dynamics_start": "onset", "matrix_time": None}
OUTPUTS = ("correlation", "overlap", "membership", "counts")


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(
        prog="rnninfo.cli relay_dynamics", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--shares", required=True, help="shares.tsv of the relay stage")
    for name in OUTPUTS:
        ap.add_argument(f"--{name}", required=True, help="output TSV")
    ap.add_argument("--params", default="{}", help="JSON: relaying, min_share, dynamics_start, matrix_time")
    args = ap.parse_args(argv)
    raw = parse_json_arg(args.params)
    p = with_defaults(raw, DEFAULTS, "relay_dynamics")
    if p["relaying"] not in ("kmeans", "threshold"):
        raise SystemExit(f"relay_dynamics: relaying must be 'kmeans' or 'threshold', got {p['relaying']!r}")
    if p["dynamics_start"] not in ("onset", "complete"):
        raise SystemExit(f"relay_dynamics: dynamics_start must be 'onset' or 'complete', got {p['dynamics_start']!r}")
    shares = read_tsv(args.shares)
    need = {"task", "arch", "delay", "seed", "concept", "concept_name", "onset", "n_info", "t", "node", "share"}
    missing = need - set(shares.columns)
    if missing:
        raise SystemExit(f"relay_dynamics: {args.shares} lacks column(s) {sorted(missing)}")
    if shares.empty:
        raise SystemExit(f"relay_dynamics: {args.shares} has no rows")
    shares["delay"] = shares["delay"].astype(str)
    try:
        tables = dynamics_tables(
            shares,
            relaying=p["relaying"],
            min_share=float(p["min_share"]),
            start=p["dynamics_start"],
            matrix_time=p["matrix_time"],
        )
    except ValueError as err:
        raise SystemExit(f"relay_dynamics: {args.shares}: {err}") from None
    for name in OUTPUTS:
        write_tsv(tables[name], getattr(args, name))
    return 0
