"""Stage `relay_dynamics`: how relayed information moves over time in one condition.

Reads the condition's relay shares and split-half ceiling tables and writes
tidy tables (see rnninfo.dynamics): correlation (Fig. 8), overlap (Fig. 9),
membership (relaying cells of every 12 x 3 matrix), counts (concepts per node,
nodes per concept at the matrix step; Figs. 10, 11) and summary (per network
and concept: mean r, Jaccard and split-half ceiling over the common window).
"""

from __future__ import annotations

import argparse

from rnninfo.dynamics import dynamics_tables
from rnninfo.io import parse_json_arg, read_tables, with_defaults, write_tsv

DEFAULTS = {
    "relaying": "kmeans",
    "min_share": None,
    "alpha": 0.05,
    "window_start": 1,
    "window_end": None,
    "matrix_time": None,
}
OUTPUTS = ("correlation", "overlap", "membership", "counts", "summary")


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(
        prog="rnninfo.cli relay_dynamics", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--shares", required=True, help="shares.tsv of the relay stage")
    ap.add_argument("--ceiling", required=True, help="ceiling.tsv of the relay stage")
    for name in OUTPUTS:
        ap.add_argument(f"--{name}", required=True, help="output TSV")
    ap.add_argument("--params", default="{}", help="JSON: " + ", ".join(DEFAULTS))
    args = ap.parse_args(argv)
    raw = parse_json_arg(args.params)
    p = with_defaults(raw, DEFAULTS, "relay_dynamics")
    if p["relaying"] not in ("kmeans", "threshold"):
        raise SystemExit(f"relay_dynamics: relaying must be 'kmeans' or 'threshold', got {p['relaying']!r}")
    if not (p["min_share"] is None or isinstance(p["min_share"], (int, float))):
        raise SystemExit(f"relay_dynamics: min_share must be null (the null's threshold) or bits, got {p['min_share']!r}")
    need = ["task", "arch", "delay", "seed", "concept", "concept_name", "onset", "n_info", "t", "node", "share",
            "p", "share_threshold"]
    shares = read_tables([args.shares], columns=need)
    ceiling = read_tables([args.ceiling])
    if shares.empty:
        raise SystemExit(f"relay_dynamics: {args.shares} has no rows")
    try:
        tables = dynamics_tables(
            shares,
            relaying=p["relaying"],
            min_share=p["min_share"],
            alpha=float(p["alpha"]),
            window_start=int(p["window_start"]),
            window_end=p["window_end"],
            matrix_time=p["matrix_time"],
            ceiling=ceiling,
        )
    except ValueError as err:
        raise SystemExit(f"relay_dynamics: {args.shares}: {err}") from None
    for name in OUTPUTS:
        write_tsv(tables[name], getattr(args, name))
    return 0
