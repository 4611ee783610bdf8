"""Stage ``weather_figures``: paper B's Figs 5-13 (and error / gradient / lead plots) over all seeds.

Curves over training show the mean over seeds with its 95% t-interval over
seeds (:func:`rnninfo.intervals.t_band`; a bootstrap per snapshot cost ~90 s); their time axis is linear up to epoch 1 and logarithmic after
(``symlog``), so the first epochs, where learning happens, are as wide as a
decade. The learning-indicator panels scale every seed's curve by its maximum
(the paper's "scaled to maximize at 1") before averaging; MI is drawn raw
(dashed) and standardised (solid). Leads are drawn per seed with the mean and
its 95% t-interval over seeds, and the share of seeds in which the indicator
leads.
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from rnninfo.intervals import t_band
from rnninfo.io import read_tsv, save_figure

NICE = {
    "test_mse": "test error (MSE)",
    "mi_hidden_input": "I(hidden; input)",
    "mi_hidden_truth": "I(hidden; truth)",
    "mi_output_input": "I(output; input)",
    "mi_output_truth": "I(output; truth)",
    "tse_hidden_gaussian": "TSE hidden (Gaussian)",
    "tse_hidden_ksg": "TSE hidden (KSG)",
}
BAND = dict(errorbar=t_band)
LINTHRESH = 1.0  # epochs: linear below, log above


def nice(name: str) -> str:
    return NICE.get(name, name)


def _time_axis(ax, unit: str = "epoch") -> None:
    ax.set_xscale("symlog", linthresh=LINTHRESH, linscale=1.0)
    ax.set_xlim(left=0)
    ax.set_xlabel(f"{unit} (linear to {LINTHRESH:g}, log after)")


def _labelled(d: pd.DataFrame) -> pd.DataFrame:
    d = d.copy()
    mi = d.indicator.str.startswith("mi_")
    d["MI"] = np.where(mi, np.where(d.standardize.astype(bool), "standardised", "raw"), "standardised")
    d["indicator"] = d.indicator.map(nice)
    return d


def _scaled(ind: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    d = ind[ind.indicator.isin(names)].copy()
    d["scaled"] = d.value / d.groupby(["seed", "indicator", "standardize"]).value.transform(lambda v: np.abs(v).max())
    return _labelled(d)


def fig_error(ind, errors):
    import matplotlib.pyplot as plt
    import seaborn as sns

    maes = sorted(i for i in ind.indicator.unique() if i.startswith("test_mae_"))
    fig, axes = plt.subplots(1, len(maes), figsize=(5 * len(maes), 3.6), squeeze=False)
    for ax, name in zip(axes[0], maes):
        target = name.removeprefix("test_mae_")
        sns.lineplot(ind[ind.indicator == name], x="epoch", y="value", ax=ax, label="Elman (mean, 95% CI)", **BAND)
        base = errors[(errors.target == target) & (errors.model != "elman")]
        for (model, mae), ls in zip(base[["model", "mae"]].itertuples(index=False), ("--", ":", "-.")):
            if model == "train_mean":
                continue
            ax.axhline(mae, ls=ls, color="k", lw=1, label=f"{model} {mae:.2f}")
        lo = base[base.model != "train_mean"].mae.min()
        top = float(ind[ind.indicator == name].groupby("epoch").value.mean().max())
        ax.set_ylim(0.8 * lo, 1.05 * max(2.0 * lo, top))
        _time_axis(ax)
        ax.set(title=f"test MAE, {target}", ylabel="MAE (original units)")
        ax.legend(fontsize=8)
    return fig


def fig_neuron_mi(nmi, corr):
    import matplotlib.pyplot as plt
    import seaborn as sns

    fig, axes = plt.subplots(1, 3, figsize=(14, 4))
    raw = ("MI with the input (bits)", "MI with the ground truth (bits)")
    per_entropy = ("MI with the input / neuron entropy (bits per bit)",
                   "MI with the ground truth / neuron entropy (bits per bit)")
    panels = [
        ("Fig 5: all neurons", nmi, "mi_input", "mi_truth", "all", "raw", raw),
        ("Fig 6: hidden neurons", nmi[nmi.layer == "hidden"], "mi_input", "mi_truth", "hidden", "raw", raw),
        ("Fig 7: hidden neurons, MI divided by entropy", nmi[nmi.layer == "hidden"],
         "mi_input_norm", "mi_truth_norm", "hidden", "normalized", per_entropy),
    ]
    for ax, (title, d, x, y, neurons, kind, (xlabel, ylabel)) in zip(axes, panels):
        sns.scatterplot(d, x=x, y=y, hue="layer", style="layer", ax=ax, s=25)
        c = corr[(corr.seed == "pooled") & (corr.neurons == neurons) & (corr.kind == kind)].iloc[0]
        ax.set(title=f"{title}\nPearson r = {c.pearson:.2f}, Spearman = {c.spearman:.2f}",
               xlabel=xlabel, ylabel=ylabel)
    fig.tight_layout()  # the long per-entropy label otherwise runs into the middle panel's ticks
    return fig


def fig_info_plane(ind):
    import matplotlib.pyplot as plt
    from matplotlib.colors import SymLogNorm

    fig, axes = plt.subplots(2, 2, figsize=(12, 9), layout="constrained")
    mi = ind[ind.indicator.str.startswith("mi_")]
    norm = SymLogNorm(linthresh=LINTHRESH, vmin=0, vmax=float(ind.epoch.max()))
    sc = None
    for row, standardize in zip(axes, (False, True)):
        d = mi[mi.standardize.astype(bool) == standardize]
        wide = d.pivot_table(index=["seed", "epoch"], columns="indicator", values="value").reset_index()
        for ax, layer in zip(row, ("hidden", "output")):
            for seed, g in wide.groupby("seed"):
                g = g.sort_values("epoch")
                x, y = g[f"mi_{layer}_input"], g[f"mi_{layer}_truth"]
                ax.plot(x, y, color="0.7", lw=0.8, zorder=1)
                sc = ax.scatter(x, y, c=g.epoch, cmap="viridis", norm=norm, s=12, zorder=2)
            n = "8" if layer == "hidden" else "9"
            kind = "standardised" if standardize else "raw"
            ax.set(title=f"Fig {n}: {layer} layer, {kind} MI", xlabel="I(layer; input) (bits)",
                   ylabel="I(layer; truth) (bits)")
    fig.colorbar(sc, ax=axes, label="epoch (symlog)")
    return fig


def fig_indicators(ind):
    import matplotlib.pyplot as plt
    import seaborn as sns

    tse = sorted(i for i in ind.indicator.unique() if i.startswith("tse_hidden_"))
    panels = [
        ("Fig 10: hidden-truth MI vs error", ["test_mse", "mi_hidden_truth"]),
        ("Fig 11: output-truth MI vs error", ["test_mse", "mi_output_truth"]),
        ("Fig 12: input MI vs error", ["test_mse", "mi_hidden_input", "mi_output_input"]),
        ("Fig 13: effective indicators", ["test_mse", "mi_hidden_input", *tse]),
    ]
    fig, axes = plt.subplots(2, 2, figsize=(13, 8.5), sharex=True)
    for ax, (title, names) in zip(axes.flat, panels):
        d = _scaled(ind, names)
        sns.lineplot(d, x="epoch", y="scaled", hue="indicator", style="MI", style_order=["standardised", "raw"],
                     ax=ax, **BAND)
        _time_axis(ax)
        ax.set(title=title, ylabel="value / max over epochs")
        ax.legend(fontsize=7)
    return fig


def fig_gradients(ind):
    import matplotlib.pyplot as plt
    import seaborn as sns

    d = ind[ind.indicator.str.startswith("grad_")].copy()
    fig, ax = plt.subplots(figsize=(7, 4.2))
    if d.empty:
        ax.text(0.5, 0.5, "no gradient statistics in the activations or the training log",
                ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    d["statistic"] = np.where(d.indicator.str.startswith("grad_mean"), "mean", "std")
    d["layer"] = d.indicator.str.replace(r"^grad_(mean|std)_?", "", regex=True).replace("", "all parameters")
    sns.lineplot(d, x="epoch", y="value", hue="layer", style="statistic", ax=ax, **BAND)
    _time_axis(ax)
    ax.set(yscale="log", title="gradient statistics during training (mean, 95% CI over seeds)",
           ylabel="L2 norm of gradient mean / std")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig


def lead_shown(name: str) -> bool:
    """Indicators in the lead figure: the MIs, TSE, and the gradient statistics of all parameters."""
    return name.startswith(("mi_", "tse_")) or name in ("grad_mean", "grad_std", "grad_mean_all", "grad_std_all")


def fig_leads(lead):
    import matplotlib.pyplot as plt

    from rnninfo.weather_info import lead_summary

    lead = lead[lead.indicator.map(lead_shown)]
    units = [u for u in ("epochs", "updates") if u in set(lead.unit)]
    direction = lead.groupby(["indicator", "standardize"]).net_change.transform("median")
    lead = lead.assign(label=lambda d: d.indicator.map(nice) + np.where(
        d.indicator.str.startswith("mi_"), np.where(d.standardize.astype(bool), " std", " raw"), "") + np.where(
        direction > 0, " (rises)", np.where(direction < 0, " (falls)", "")))
    labels = sorted(lead.label.unique())
    row = {n: i for i, n in enumerate(labels)}
    summ = lead_summary(lead).merge(lead[["indicator", "standardize", "label"]].drop_duplicates(),
                                    on=["indicator", "standardize"])
    shares = sorted(lead.share.unique())
    colors = plt.get_cmap("viridis")(np.linspace(0.1, 0.8, len(shares)))
    fig, axes = plt.subplots(1, len(units), figsize=(6.5 * len(units), 0.45 * len(labels) + 2), squeeze=False,
                             sharey=True)
    for ax, unit in zip(axes[0], units):
        for j, (q, col) in enumerate(zip(shares, colors)):
            dy = (j - (len(shares) - 1) / 2) * 0.25
            d = lead[(lead.unit == unit) & (lead.share == q)]
            ax.scatter(d.lead, d.label.map(row) + dy, s=10, color=col, alpha=0.5)
            m = summ[(summ.unit == unit) & (summ.share == q)]
            ax.errorbar(m["mean"], m.label.map(row) + dy, xerr=[m["mean"] - m.ci_low, m.ci_high - m["mean"]],
                        fmt="D", ms=5, color=col, capsize=2, label=f"share {q:g}: mean, 95% CI")
        ax.axvline(0, color="k", lw=0.8)
        ax.set_xscale("symlog", linthresh=LINTHRESH if unit == "epochs" else 10.0)
        ax.set(title=f"lead over the test error ({unit}; > 0 = indicator first)", xlabel=f"lead ({unit}, symlog)")
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=len(shares))
    axes[0][0].set_yticks(range(len(labels)), labels)
    mid = summ[(summ.unit == "epochs") & (summ.share == shares[len(shares) // 2])]
    for _, r in mid.iterrows():  # the share of seeds in which the indicator leads, at the middle share
        text = f"leads in {r.share_leading:.0%} of {r.n_valid} seeds (p = {r.sign_p:.2g})" if r.n_valid else \
            f"no lead time ({r.no_lead_reasons})"
        axes[0][-1].annotate(text, (1.02, row[r.label]), xycoords=("axes fraction", "data"), fontsize=7,
                             ha="left", va="center")
    axes[0][-1].annotate(f"at share {shares[len(shares) // 2]:g}:", (1.02, 1.0), xycoords="axes fraction",
                         fontsize=7, ha="left", va="bottom")
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
