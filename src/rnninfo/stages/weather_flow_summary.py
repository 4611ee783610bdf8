"""Stage ``weather_flow_summary``: the flow-graph tables of all weather seeds, together.

Concatenates the per-seed ``flow``, ``edges``, ``nodes`` and ``summary`` tables
(rows sorted by seed) and writes ``--out-stats``: for every condition (flow
``measure``, ``output_lag``), threshold and numeric summary column, the mean,
standard deviation, minimum and maximum over seeds (long format: measure,
output_lag, threshold, metric, n_seeds, mean, sd, min, max).
"""

from __future__ import annotations

import argparse

import pandas as pd

from rnninfo.io import read_tsv, write_tsv

CONDITION = ["measure", "output_lag"]
STAT_COLUMNS = [
    "n_edges",
    "n_significant",
    "chance_above_threshold",
    "expected_false_edges",
    "density",
    "n_isolated",
    "indeg_outdeg_pearson",
    "indeg_outdeg_spearman",
    "order_input_hidden",
    "order_hidden_output",
    "order_input_output",
    "order_all",
    "order_kendall_tau",
    "mean_rank_input",
    "mean_rank_hidden",
    "mean_rank_output",
    "rank_iterations",
]


def concat(paths: list[str]) -> pd.DataFrame:
    tables = [read_tsv(p) for p in paths]
    out = pd.concat(tables, ignore_index=True)
    return out.sort_values("seed", kind="stable").reset_index(drop=True)


def seed_stats(summary: pd.DataFrame) -> pd.DataFrame:
    """Spread over seeds of every summary metric, per condition and threshold (long format)."""
    cols = [c for c in STAT_COLUMNS if c in summary.columns]
    keys = [c for c in CONDITION if c in summary.columns] + ["threshold"]
    long = summary.melt(id_vars=["seed", *keys], value_vars=cols, var_name="metric")
    long["value"] = long["value"].astype(float)
    g = long.groupby([*keys, "metric"], sort=True)["value"]
    stats = g.agg(n_seeds="count", mean="mean", sd="std", min="min", max="max").reset_index()
    order = {c: i for i, c in enumerate(cols)}
    stats = stats.sort_values([*keys, "metric"], key=lambda s: s.map(order) if s.name == "metric" else s)
    return stats.reset_index(drop=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="rnninfo.cli weather_flow_summary", description=__doc__.split("\n\n")[0])
    for name in ("flow", "edges", "nodes", "summary"):
        ap.add_argument(f"--{name}", nargs="+", required=True, help=f"per-seed {name}.tsv files")
        ap.add_argument(f"--out-{name}", required=True)
    ap.add_argument("--out-stats", required=True)
    args = ap.parse_args(argv)
    tables = {name: concat(getattr(args, name)) for name in ("flow", "edges", "nodes", "summary")}
    for name, table in tables.items():
        write_tsv(table, getattr(args, f"out_{name}"))
    stats = seed_stats(tables["summary"])
    write_tsv(stats, args.out_stats)
    seeds = tables["summary"].seed.nunique()
    print(f"weather_flow_summary: {seeds} seed(s)", flush=True)
    show = stats[stats.metric.isin(["n_edges", "chance_above_threshold", "order_all", "order_hidden_output"])]
    print(show.to_string(index=False), flush=True)
    return 0
