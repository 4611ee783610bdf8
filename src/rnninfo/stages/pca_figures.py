"""Stage `pca_figures`: paper A Figs. 12 and 13 from the `pca` stage's tables.

  fig12      2-D PCA of one network's hidden states, coloured by the 8 joint
             states of the three concepts
  fig13      the same network, one row per concept: PCA after removing 0, ...
             nodes in the concept's relay order (black/red: the concept's two
             classes), then silhouette, Davies-Bouldin and Calinski-Harabasz
             against nodes removed, relay order (solid), supervised order
             (dashed) and the mean over random orders (dotted); I_R of the
             nodes left in grey
  fig13_all  the scores of every seed of the condition: relay, supervised and
             random order, mean and 95% CI over seeds
"""

from __future__ import annotations

import argparse

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from rnninfo.io import read_tsv, save_figure  # noqa: E402
from rnninfo.pca import METRICS  # noqa: E402

METRIC_LABELS = {
    "silhouette": "silhouette (higher = better)",
    "davies_bouldin": "Davies-Bouldin (lower = better)",
    "calinski_harabasz": "Calinski-Harabasz (higher = better)",
}
METRIC_COLORS = {"silhouette": "tab:red", "davies_bouldin": "tab:blue", "calinski_harabasz": "tab:green"}


def _title(df) -> str:
    r = df.iloc[0]
    return f"{r['arch']}, {r['task']} task, delay {r['delay']}, step {r['time']}"


def _state_names(n_concepts: int, names: list[str]) -> list[str]:
    out = []
    for s in range(2**n_concepts):
        bits = [(s >> (n_concepts - 1 - c)) & 1 for c in range(n_concepts)]
        out.append(" ".join(f"{names[c]}{'+' if b else '-'}" for c, b in enumerate(bits)))
    return out


def fig12(proj) -> plt.Figure:
    d = proj[(proj["concept"] == proj["concept"].min()) & (proj["n_removed"] == 0)]
    names = proj.drop_duplicates("concept").sort_values("concept")["concept_name"].tolist()
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    cmap = plt.get_cmap("tab10")
    for s, label in enumerate(_state_names(len(names), names)):
        p = d[d["state"] == s]
        ax.scatter(p["pc1"], p["pc2"], s=6, color=cmap(s), label=label, alpha=0.7, lw=0)
    ax.set_xlabel("PC 1")
    ax.set_ylabel("PC 2")
    ax.legend(fontsize=7, markerscale=2, loc="best", frameon=False)
    ax.set_title(f"PCA of hidden states (seed {int(d['seed'].iloc[0])})\n{_title(d)}", fontsize=9)
    fig.tight_layout()
    return fig


def fig13(proj, scores) -> plt.Figure:
    seed = int(proj["seed"].iloc[0])
    sc = scores[scores["seed"] == seed]
    concepts = proj.drop_duplicates("concept").sort_values("concept")[["concept", "concept_name"]].values.tolist()
    panels = sorted(proj["n_removed"].unique())
    n_cols = len(panels) + len(METRICS)
    fig, axes = plt.subplots(len(concepts), n_cols, figsize=(2.3 * n_cols, 2.3 * len(concepts)), squeeze=False)
    for r, (c, name) in enumerate(concepts):
        for j, k in enumerate(panels):
            ax = axes[r, j]
            p = proj[(proj["concept"] == c) & (proj["n_removed"] == k)]
            for label, color in ((-1, "black"), (1, "red")):
                q = p[p["label"] == label]
                ax.scatter(q["pc1"], q["pc2"], s=3, color=color, alpha=0.5, lw=0)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(f"{name}: {k} removed", fontsize=8)
        rel = sc[(sc["concept"] == c) & (sc["order"] == "relay")].sort_values("n_removed")
        sup = sc[(sc["concept"] == c) & (sc["order"] == "supervised")].sort_values("n_removed")
        ran = sc[(sc["concept"] == c) & (sc["order"] == "random")].groupby("n_removed")[list(METRICS)].mean()
        for m_i, metric in enumerate(METRICS):
            ax = axes[r, len(panels) + m_i]
            ax.plot(rel["n_removed"], rel[metric], color=METRIC_COLORS[metric], lw=1.5, label="relay order")
            ax.plot(sup["n_removed"], sup[metric], color=METRIC_COLORS[metric], lw=1.2, ls="--",
                    label="supervised order")
            ax.plot(ran.index, ran[metric], color=METRIC_COLORS[metric], lw=1.2, ls=":", label="random order")
            ax.set_title(METRIC_LABELS[metric], fontsize=7)
            ax.tick_params(labelsize=7)
            if r == len(concepts) - 1:
                ax.set_xlabel("nodes removed", fontsize=8)
            if m_i == 0:
                tw = ax.twinx()
                tw.plot(rel["n_removed"], rel["info"], color="0.5", lw=1.0)
                tw.tick_params(labelsize=6, colors="0.4")
                tw.set_ylabel("I_R (bits)", fontsize=7, color="0.4")
            if r == 0 and m_i == len(METRICS) - 1:
                ax.legend(fontsize=6, frameon=False)
    fig.suptitle(
        f"PCA after removing nodes in relay order (least relaying first), seed {seed}: {_title(proj)}", fontsize=10
    )
    fig.tight_layout()
    return fig


def fig13_all(summary) -> plt.Figure:
    concepts = summary.drop_duplicates("concept").sort_values("concept")[["concept", "concept_name"]].values.tolist()
    fig, axes = plt.subplots(len(concepts), len(METRICS), figsize=(3.4 * len(METRICS), 2.5 * len(concepts)),
                             squeeze=False, sharex=True)
    for r, (c, name) in enumerate(concepts):
        for m_i, metric in enumerate(METRICS):
            ax = axes[r, m_i]
            for order, ls in (("relay", "-"), ("supervised", "--"), ("random", ":")):
                d = summary[(summary["concept"] == c) & (summary["metric"] == metric) & (summary["order"] == order)]
                d = d.sort_values("n_removed")
                ax.plot(d["n_removed"], d["mean"], color=METRIC_COLORS[metric], ls=ls, lw=1.5, label=f"{order} order")
                ax.fill_between(d["n_removed"], d["ci_low"], d["ci_high"], color=METRIC_COLORS[metric], alpha=0.15,
                                lw=0)
            ax.tick_params(labelsize=7)
            if r == 0:
                ax.set_title(METRIC_LABELS[metric], fontsize=8)
            if m_i == 0:
                ax.set_ylabel(f"concept {name}")
            if r == len(concepts) - 1:
                ax.set_xlabel("nodes removed")
            if r == 0 and m_i == 0:
                ax.legend(fontsize=7, frameon=False)
    n = int(summary["n_seeds"].max()) if len(summary) else 0
    fig.suptitle(f"Cluster scores after node removal, mean and 95% CI over {n} networks: {_title(summary)}",
                 fontsize=10)
    fig.tight_layout()
    return fig


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="rnninfo.cli pca_figures", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--projection", required=True)
    ap.add_argument("--scores", required=True)
    ap.add_argument("--summary", required=True)
    ap.add_argument("--fig12", required=True, help="output PNG")
    ap.add_argument("--fig13", required=True, help="output PNG")
    ap.add_argument("--fig13-all", required=True, dest="fig13_all", help="output PNG")
    args = ap.parse_args(argv)
    proj, scores, summary = read_tsv(args.projection), read_tsv(args.scores), read_tsv(args.summary)
    for path, df, need in (
        (args.projection, proj, {"seed", "concept", "concept_name", "n_removed", "state", "label", "pc1", "pc2"}),
        (args.scores, scores, {"seed", "concept", "order", "n_removed", "info", *METRICS}),
        (args.summary, summary, {"concept", "concept_name", "metric", "order", "n_removed", "mean", "ci_low",
                                 "ci_high", "n_seeds"}),
    ):
        missing = need - set(df.columns)
        if missing:
            raise SystemExit(f"pca_figures: {path} lacks column(s) {sorted(missing)}")
        if df.empty:
            raise SystemExit(f"pca_figures: {path} is empty")
    for fig, out in ((fig12(proj), args.fig12), (fig13(proj, scores), args.fig13), (fig13_all(summary), args.fig13_all)):
        save_figure(fig, out)
        plt.close(fig)
    return 0

