"""Stage ``weather_summary``: gather every seed's weather tables; errors vs baselines, correlations, leads.

Outputs (all tidy TSV):
- neuron_mi / indicators: the per-seed tables stacked;
- test_error: Elman networks (one row per seed and target) and baselines;
- test_error_summary: mean, sd, ... over seeds per model and target;
- mi_correlations: Pearson / Spearman of MI with input vs with truth (Figs 5-7);
- leads, leads_summary: lead in epochs of each indicator over the test error.
"""

from __future__ import annotations

import argparse

import pandas as pd

from rnninfo.io import parse_json_arg, read_tsv, write_tsv


def _stack(paths: list[str]) -> pd.DataFrame:
    return pd.concat([read_tsv(p) for p in paths], ignore_index=True).sort_values("seed", kind="stable")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="rnninfo.cli weather_summary", description=__doc__)
    ap.add_argument("--neuron-mi", nargs="+", required=True)
    ap.add_argument("--indicators", nargs="+", required=True)
    ap.add_argument("--test-error", nargs="+", required=True)
    ap.add_argument("--baselines", required=True)
    ap.add_argument("--params", required=True, help="JSON with lead_levels")
    for name in ("neuron-mi", "indicators", "test-error", "test-error-summary", "correlations", "leads", "leads-summary"):
        ap.add_argument(f"--out-{name}", required=True)
    args = ap.parse_args(argv)

    from rnninfo.weather_info import leads, mi_correlations, summarize

    params = parse_json_arg(args.params)
    nmi = _stack(args.neuron_mi)
    ind = _stack(args.indicators)
    err = _stack(args.test_error)
    base = read_tsv(args.baselines)
    errors = pd.concat([err, base.assign(seed=pd.NA, epoch=pd.NA)], ignore_index=True)[
        ["model", "seed", "epoch", "target", "mae", "rmse"]
    ]
    long = errors.melt(id_vars=["model", "seed", "target"], value_vars=["mae", "rmse"], var_name="metric")
    err_summary = summarize(long, ["model", "target", "metric"], "value")
    lead = leads(ind, tuple(params.get("lead_levels", (0.5, 0.9))))
    lead_summary = summarize(lead, ["indicator", "level"], "lead")

    print(err_summary[err_summary.metric == "mae"].to_string(index=False), flush=True)
    print(lead_summary[lead_summary.level == max(lead_summary.level)].to_string(index=False), flush=True)
    write_tsv(nmi, args.out_neuron_mi)
    write_tsv(ind, args.out_indicators)
    write_tsv(errors, args.out_test_error)
    write_tsv(err_summary, args.out_test_error_summary)
    write_tsv(mi_correlations(nmi), args.out_correlations)
    write_tsv(lead, args.out_leads)
    write_tsv(lead_summary, args.out_leads_summary)
    return 0
