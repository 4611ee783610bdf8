"""Stage ``weather_summary``: gather every seed's weather tables; errors vs baselines, correlations, leads.

Outputs (all tidy TSV):
- neuron_mi / indicators: the per-seed tables stacked;
- test_error: Elman networks (one row per seed and target) and baselines;
- test_error_summary: mean, sd, ... over seeds per model and target;
- mi_correlations: Pearson / Spearman of MI with input vs with truth (Figs 5-7);
- leads: per seed, the time (epochs and updates) at which each indicator and the
  test error get shares of the way to their final level, and the lead (see
  ``rnninfo.weather_info``), with a status saying why a curve has none;
- leads_summary: per indicator, standardize, share and unit over seeds: mean lead
  with a 95% t-interval, median, share of seeds where the indicator leads (Wilson
  interval) and a sign-test p-value.
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
    ap.add_argument("--params", required=True, help="JSON: {lead: {shares, smooth, noise_tail, noise_factor}}")
    for name in ("neuron-mi", "indicators", "test-error", "test-error-summary", "correlations", "leads", "leads-summary"):
        ap.add_argument(f"--out-{name}", required=True)
    args = ap.parse_args(argv)

    from rnninfo.weather_info import LeadConfig, lead_summary, leads, mi_correlations, summarize

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
    lead = leads(ind, LeadConfig.from_params(params.get("lead", {})))
    lead_summ = lead_summary(lead)

    print(err_summary[err_summary.metric == "mae"].to_string(index=False), flush=True)
    cols = ["indicator", "standardize", "unit", "n_valid", "mean", "ci_low", "ci_high", "share_leading", "sign_p"]
    print(lead_summ[lead_summ.share == 0.5][cols].to_string(index=False), flush=True)
    write_tsv(nmi, args.out_neuron_mi)
    write_tsv(ind, args.out_indicators)
    write_tsv(errors, args.out_test_error)
    write_tsv(err_summary, args.out_test_error_summary)
    write_tsv(mi_correlations(nmi), args.out_correlations)
    write_tsv(lead, args.out_leads)
    write_tsv(lead_summ, args.out_leads_summary)
    return 0
