"""Stage `pca_summary`: the `pca` stage's per-network tables of one condition -> three tables.

  scores   every network's score rows, concatenated (sorted by seed)
  summary  per concept, n_removed, metric and order (relay, supervised,
           random, and the paired differences relay - random, relay -
           supervised, supervised - random): mean and CI over networks
           (random orders first averaged per network); differences also carry
           the paired t-test over networks (t, p)
  tests    the claims: per concept, metric and comparison, the per-network
           mean over n_removed = 1 .. N-1 (the removals where orders differ)
           of the paired difference, with CI and paired t-test.
           `higher_is_better` says which sign favours the first order
           (Davies-Bouldin: lower is better)
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from rnninfo.io import parse_json_arg, read_tables, with_defaults, write_tsv
from rnninfo.intervals import mean_ci, paired_t
from rnninfo.pca import METRICS

KEYS = ["task", "arch", "delay", "time", "concept", "concept_name", "n_removed", "n_left"]
ORDERS = ("relay", "supervised", "random")
COMPARISONS = (("relay", "random"), ("relay", "supervised"), ("supervised", "random"))
SUMMARY_COLUMNS = [*KEYS, "metric", "order", "n_seeds", "mean", "ci_low", "ci_high", "t", "p"]
TEST_COLUMNS = ["task", "arch", "delay", "time", "concept", "concept_name", "metric", "higher_is_better",
                "comparison", "n_removed", "n_seeds", "mean", "ci_low", "ci_high", "t", "p"]
NEED = {"seed", "order", "draw", *KEYS, *METRICS}


def per_seed(scores: pd.DataFrame) -> pd.DataFrame:
    """One value per (keys, metric, seed) for each order and each paired difference: wide on 'order'."""
    long = scores.melt(id_vars=KEYS + ["seed", "order", "draw"], value_vars=list(METRICS), var_name="metric")
    mean = long.groupby(KEYS + ["metric", "seed", "order"], as_index=False, sort=True)["value"].mean()
    wide = mean.set_index(KEYS + ["metric", "seed", "order"])["value"].unstack("order")
    wide = wide.reindex(columns=list(ORDERS))
    for a, b in COMPARISONS:
        wide[f"{a}-{b}"] = wide[a] - wide[b]
    return wide


def summarise(scores: pd.DataFrame, level: float) -> pd.DataFrame:
    wide = per_seed(scores)
    rows = []
    for key, g in wide.groupby(level=list(range(len(KEYS) + 1)), sort=True):
        for order in wide.columns:
            v = g[order].to_numpy()
            m, lo, hi = mean_ci(v, level)
            t, p = paired_t(v) if "-" in order else (np.nan, np.nan)
            rows.append(key + (order, int(np.isfinite(v).sum()), m, lo, hi, t, p))
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def tests(scores: pd.DataFrame, level: float) -> pd.DataFrame:
    wide = per_seed(scores).reset_index()
    n_nodes = int(wide["n_left"].max())
    wide = wide[(wide["n_removed"] >= 1) & (wide["n_removed"] <= n_nodes - 1)]
    keys = ["task", "arch", "delay", "time", "concept", "concept_name", "metric"]
    rows = []
    for key, g in wide.groupby(keys, sort=True):
        for a, b in COMPARISONS:
            v = g.groupby("seed")[f"{a}-{b}"].mean().to_numpy()  # per network: mean over removals
            m, lo, hi = mean_ci(v, level)
            t, p = paired_t(v)
            rows.append(key + (key[-1] != "davies_bouldin", f"{a}-{b}", f"1-{n_nodes - 1}", int(np.isfinite(v).sum()),
                               m, lo, hi, t, p))
    return pd.DataFrame(rows, columns=TEST_COLUMNS)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="rnninfo.cli pca_summary", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--inputs", nargs="+", required=True, help="score TSVs of the `pca` stage (one per network)")
    ap.add_argument("--scores", required=True, help="output TSV")
    ap.add_argument("--summary", required=True, help="output TSV")
    ap.add_argument("--tests", required=True, help="output TSV")
    ap.add_argument("--params", default="{}", help="JSON: ci (confidence level, default 0.95)")
    args = ap.parse_args(argv)
    p = with_defaults(parse_json_arg(args.params), {"ci": 0.95}, "pca_summary")
    level = float(p["ci"])
    if not 0 < level < 1:
        raise SystemExit(f"pca_summary: ci must be in (0, 1), got {level}")
    row_key = ["seed", "concept", "order", "draw", "n_removed"]
    scores = read_tables(args.inputs, columns=sorted(NEED)).sort_values(row_key, kind="stable", ignore_index=True)
    if scores.duplicated(row_key).any():
        raise SystemExit("pca_summary: the inputs repeat a (seed, concept, order, draw, n_removed) row")
    write_tsv(scores, args.scores)
    write_tsv(summarise(scores, level), args.summary)
    write_tsv(tests(scores, level), args.tests)
    return 0
