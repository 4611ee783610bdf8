"""Stage ``weather_figures``: paper B's Figs 5-13 (and error / gradient / lead plots) over all seeds.

Curves show the mean over seeds with a band of one standard deviation; the
learning-indicator panels scale every seed's curve by its maximum (the paper's
"scaled to maximize at 1") before averaging.
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from rnninfo.io import read_tsv, save_figure

NICE = {
    "test_mse": "test error (MSE)",
    "mi_hidden_input": "I(hidden; input)",
    "mi_hidden_truth": "I(hidden; truth)",
    "mi_output_input": "I(output; input)",
    "mi_output_truth": "I(output; truth)",
    "tse_hidden": "TSE complexity (hidden)",
    "grad_mean": "gradient mean",
    "grad_std": "gradient std",
}


def _scaled(ind: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    d = ind[ind.indicator.isin(names)].copy()
    d["scaled"] = d.value / d.groupby(["seed", "indicator"]).value.transform(lambda v: np.abs(v).max())
    d["indicator"] = d.indicator.map(NICE)
    return d


def fig_error(ind, errors):
    import matplotlib.pyplot as plt
    import seaborn as sns

    maes = sorted(i for i in ind.indicator.unique() if i.startswith("test_mae_"))
    fig, axes = plt.subplots(1, len(maes), figsize=(5 * len(maes), 3.6), squeeze=False)
    for ax, name in zip(axes[0], maes):
        target = name.removeprefix("test_mae_")
        sns.lineplot(ind[ind.indicator == name], x="epoch", y="value", errorbar="sd", ax=ax, label="Elman (mean ± sd)")
        base = errors[(errors.target == target) & (errors.model != "elman")]
        for (model, mae), ls in zip(base[["model", "mae"]].itertuples(index=False), ("--", ":", "-.")):
            if model == "train_mean":
                continue
            ax.axhline(mae, ls=ls, color="k", lw=1, label=f"{model} {mae:.2f}")
        lo = base[base.model != "train_mean"].mae.min()
        ax.set_ylim(0.8 * lo, 2.0 * lo)
        ax.set(title=f"test MAE, {target}", ylabel="MAE (original units)")
        ax.legend(fontsize=8)
    return fig


def fig_neuron_mi(nmi, corr):
    import matplotlib.pyplot as plt
    import seaborn as sns

    fig, axes = plt.subplots(1, 3, figsize=(14, 4))
    panels = [
        ("Fig 5: all neurons", nmi, "mi_input", "mi_truth", "all", "raw"),
        ("Fig 6: hidden neurons", nmi[nmi.layer == "hidden"], "mi_input", "mi_truth", "hidden", "raw"),
        ("Fig 7: hidden, / entropy", nmi[nmi.layer == "hidden"], "mi_input_norm", "mi_truth_norm", "hidden", "normalized"),
    ]
    for ax, (title, d, x, y, neurons, kind) in zip(axes, panels):
        sns.scatterplot(d, x=x, y=y, hue="layer", style="layer", ax=ax, s=25)
        c = corr[(corr.seed == "pooled") & (corr.neurons == neurons) & (corr.kind == kind)].iloc[0]
        ax.set(title=f"{title}\nPearson r = {c.pearson:.2f}, Spearman = {c.spearman:.2f}",
               xlabel=f"{x} (bits{'/bit' if kind == 'normalized' else ''})",
               ylabel=f"{y} (bits{'/bit' if kind == 'normalized' else ''})")
    return fig


def fig_info_plane(ind):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    wide = ind.pivot_table(index=["seed", "epoch"], columns="indicator", values="value").reset_index()
    emax = wide.epoch.max()
    for ax, layer in zip(axes, ("hidden", "output")):
        for seed, g in wide.groupby("seed"):
            g = g.sort_values("epoch")
            x, y = g[f"mi_{layer}_input"], g[f"mi_{layer}_truth"]
            ax.plot(x, y, color="0.7", lw=0.8, zorder=1)
            sc = ax.scatter(x, y, c=g.epoch, cmap="viridis", vmin=0, vmax=emax, s=12, zorder=2)
        n = "8" if layer == "hidden" else "9"
        ax.set(title=f"Fig {n}: {layer} layer during training", xlabel="I(layer; input) (bits)",
               ylabel="I(layer; truth) (bits)")
    fig.colorbar(sc, ax=axes, label="epoch")
    return fig


def fig_indicators(ind):
    import matplotlib.pyplot as plt
    import seaborn as sns

    panels = [
        ("Fig 10: hidden-truth MI vs error", ["test_mse", "mi_hidden_truth"]),
        ("Fig 11: output-truth MI vs error", ["test_mse", "mi_output_truth"]),
        ("Fig 12: input MI vs error", ["test_mse", "mi_hidden_input", "mi_output_input"]),
        ("Fig 13: effective indicators", ["test_mse", "mi_hidden_input", "tse_hidden"]),
    ]
    fig, axes = plt.subplots(2, 2, figsize=(12, 8), sharex=True)
    for ax, (title, names) in zip(axes.flat, panels):
        sns.lineplot(_scaled(ind, names), x="epoch", y="scaled", hue="indicator", errorbar="sd", ax=ax)
        ax.set(title=title, ylabel="value / max over epochs")
        ax.legend(fontsize=8)
    return fig


def fig_gradients(ind):
    import matplotlib.pyplot as plt
    import seaborn as sns

    d = ind[ind.indicator.isin(["grad_mean", "grad_std"])].copy()
    d["indicator"] = d.indicator.map(NICE)
    fig, ax = plt.subplots(figsize=(6, 4))
    sns.lineplot(d, x="epoch", y="value", hue="indicator", errorbar="sd", ax=ax)
    ax.set(yscale="log", title="gradient statistics during training", ylabel="L2 norm over parameters")
    return fig


def fig_leads(lead):
    import matplotlib.pyplot as plt
    import seaborn as sns

    d = lead[lead.indicator.isin(list(NICE))].copy()
    d["indicator"] = d.indicator.map(NICE)
    d["level"] = d.level.map(lambda q: f"{q:g}")
    fig, ax = plt.subplots(figsize=(7, 4))
    sns.stripplot(d, y="indicator", x="lead", hue="level", dodge=True, ax=ax, alpha=0.6)
    sns.pointplot(d, y="indicator", x="lead", hue="level", dodge=0.4, errorbar="sd", linestyle="none",
                  markers="D", ax=ax, legend=False, palette="dark")
    ax.axvline(0, color="k", lw=0.8)
    ax.set(title="lead over the test error (epochs; > 0 = indicator first)", xlabel="lead (epochs)", ylabel="")
    return fig


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="rnninfo.cli weather_figures", description=__doc__)
    ap.add_argument("--neuron-mi", required=True)
    ap.add_argument("--indicators", required=True)
    ap.add_argument("--test-error", required=True)
    ap.add_argument("--correlations", required=True)
    ap.add_argument("--leads", required=True)
    for name in ("error", "neuron-mi-fig", "info-plane", "indicators-fig", "gradients", "leads-fig"):
        ap.add_argument(f"--out-{name}", required=True)
    args = ap.parse_args(argv)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    nmi, ind = read_tsv(args.neuron_mi), read_tsv(args.indicators)
    errors, corr, lead = read_tsv(args.test_error), read_tsv(args.correlations), read_tsv(args.leads)
    corr["seed"] = corr.seed.astype(str)
    for fig, out in (
        (fig_error(ind, errors), args.out_error),
        (fig_neuron_mi(nmi, corr), args.out_neuron_mi_fig),
        (fig_info_plane(ind), args.out_info_plane),
        (fig_indicators(ind), args.out_indicators_fig),
        (fig_gradients(ind), args.out_gradients),
        (fig_leads(lead), args.out_leads_fig),
    ):
        save_figure(fig, out)
        plt.close(fig)
    return 0
