"""Stage ``weather_flow_figures``: paper B's Figs 1-4 (information-flow graph, degrees, ranks).

Reads the all-seed tables of ``weather_flow_summary``:

- ``--out-graphs`` (Fig. 1): the flow graphs of the first ``--graph-seeds`` seeds
  (rows) at every threshold (columns). Inputs left, hidden units on a circle,
  outputs right; node numbers are the same in every panel.
- ``--out-degrees`` (Fig. 2): out-degree against in-degree, every node of every
  seed, per threshold, with the Pearson r over seeds (mean ± sd).
- ``--out-degree-hist`` (Fig. 3): in- and out-degree histograms per threshold,
  all seeds pooled.
- ``--out-ranks`` (Fig. 4): rank histograms of inputs, hidden units and outputs
  per threshold, all seeds pooled (nodes with at least one edge).
- ``--out-order``: how well ranks order inputs < hidden < outputs, per
  threshold, one point per seed (0.5 = chance).
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from rnninfo.io import read_tsv, save_figure

LAYER_COLORS = {"input": "#4c72b0", "hidden": "#55a868", "output": "#c44e52"}
LAYER_ORDER = ["input", "hidden", "output"]


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _positions(nodes: pd.DataFrame) -> dict[str, tuple[float, float]]:
    """Inputs in a column on the left, hidden units on a circle, outputs on the right."""
    pos = {}
    for layer, x in (("input", -2.2), ("output", 2.2)):
        names = nodes[nodes.layer == layer].sort_values("node_index").node.tolist()
        for i, name in enumerate(names):
            pos[name] = (x, (len(names) - 1) / 2 - i) if len(names) > 1 else (x, 0.0)
    hidden = nodes[nodes.layer == "hidden"].sort_values("node_index").node.tolist()
    scale = max(1.0, (len(nodes[nodes.layer == "input"]) - 1) / 2.5)
    for i, name in enumerate(hidden):
        angle = np.pi / 2 - 2 * np.pi * i / max(len(hidden), 1)
        pos[name] = (np.cos(angle) * 1.2, np.sin(angle) * 1.2 * scale / 1.5)
    return pos


def fig_graphs(edges: pd.DataFrame, nodes: pd.DataFrame, n_seeds: int):
    import networkx as nx

    plt = _plt()
    seeds = sorted(nodes.seed.unique())[:n_seeds]
    thresholds = sorted(nodes.threshold.unique())
    fig, axes = plt.subplots(
        len(seeds), len(thresholds), figsize=(4.2 * len(thresholds), 4.4 * len(seeds)), squeeze=False
    )
    for row, seed in zip(axes, seeds):
        for ax, thr in zip(row, thresholds):
            nd = nodes[(nodes.seed == seed) & (nodes.threshold == thr)].sort_values("node_index")
            ed = edges[(edges.seed == seed) & (edges.threshold == thr)]
            g = nx.DiGraph()
            g.add_nodes_from(nd.node)
            g.add_weighted_edges_from(ed[["source", "target", "flow"]].itertuples(index=False))
            pos = _positions(nd)
            colors = [LAYER_COLORS[layer] for layer in nd.layer]
            nx.draw_networkx_edges(
                g, pos, ax=ax, arrows=True, arrowsize=7, width=0.6, alpha=0.45, node_size=260,
                connectionstyle="arc3,rad=0.08",
            )
            nx.draw_networkx_nodes(g, pos, ax=ax, node_color=colors, node_size=260, edgecolors="k", linewidths=0.5)
            nx.draw_networkx_labels(g, pos, ax=ax, labels=dict(zip(nd.node, nd.node_index.astype(str))), font_size=7, font_color="w")
            ax.set_title(f"seed {seed}, flow > {thr:g} bits: {len(ed)} edges", fontsize=9)
            ax.set_axis_off()
    nd = nodes[(nodes.seed == seeds[0]) & (nodes.threshold == thresholds[0])].sort_values("node_index")
    key = "   ".join(f"{i}: {n}" for i, n in zip(nd.node_index, nd.node))
    fig.text(0.5, 0.0, key, ha="center", va="top", fontsize=7, wrap=True)
    handles = [plt.Line2D([], [], marker="o", ls="", color=c, label=l) for l, c in LAYER_COLORS.items()]
    fig.legend(handles=handles, loc="upper center", ncol=3, frameon=False, bbox_to_anchor=(0.5, 1.02))
    fig.tight_layout()
    return fig


def fig_degrees(nodes: pd.DataFrame, summary: pd.DataFrame):
    import seaborn as sns
    from matplotlib.ticker import MaxNLocator

    plt = _plt()
    thresholds = sorted(nodes.threshold.unique())
    fig, axes = plt.subplots(1, len(thresholds), figsize=(3.8 * len(thresholds), 3.8), squeeze=False)
    for ax, thr in zip(axes[0], thresholds):
        nd = nodes[(nodes.threshold == thr) & ~nodes.constant.astype(bool)]
        counts = nd.groupby(["in_degree", "out_degree", "layer"]).size().rename("nodes").reset_index()
        sns.scatterplot(
            counts, x="in_degree", y="out_degree", hue="layer", size="nodes", sizes=(15, 200),
            hue_order=LAYER_ORDER, palette=LAYER_COLORS, alpha=0.7, ax=ax, legend=ax is axes[0][0],
        )
        r = summary[summary.threshold == thr].indeg_outdeg_pearson
        ax.set_title(f"flow > {thr:g} bits: r = {r.mean():.2f} ± {r.std():.2f}", fontsize=9)
        ax.set(xlabel="in-degree", ylabel="out-degree")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes[0][0].legend(fontsize=7, loc="upper right")
    fig.suptitle(f"Out- vs in-degree, {nodes.seed.nunique()} networks (r: Pearson, mean ± sd over seeds)", fontsize=10)
    fig.tight_layout()
    return fig


def fig_degree_hist(nodes: pd.DataFrame):
    import seaborn as sns
    from matplotlib.ticker import MaxNLocator

    plt = _plt()
    thresholds = sorted(nodes.threshold.unique())
    nd = nodes[~nodes.constant.astype(bool)]
    fig, axes = plt.subplots(2, len(thresholds), figsize=(3.8 * len(thresholds), 6), squeeze=False)
    for j, thr in enumerate(thresholds):
        d = nd[nd.threshold == thr]
        for i, col in enumerate(("in_degree", "out_degree")):
            ax = axes[i][j]
            sns.histplot(
                d, x=col, hue="layer", hue_order=LAYER_ORDER, palette=LAYER_COLORS, multiple="stack",
                discrete=True, ax=ax, legend=(i == 0 and j == 0),
            )
            ax.set(xlabel=col.replace("_", "-"), ylabel="nodes (all seeds)")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_title(f"flow > {thr:g} bits", fontsize=9)
    fig.suptitle(f"Degree histograms, {nodes.seed.nunique()} networks pooled", fontsize=10)
    fig.tight_layout()
    return fig


def fig_ranks(nodes: pd.DataFrame, summary: pd.DataFrame):
    import seaborn as sns

    plt = _plt()
    thresholds = sorted(nodes.threshold.unique())
    linked = nodes[(nodes.in_degree + nodes.out_degree) > 0]
    fig, axes = plt.subplots(1, len(thresholds), figsize=(3.8 * len(thresholds), 3.6), squeeze=False)
    for ax, thr in zip(axes[0], thresholds):
        d = linked[linked.threshold == thr]
        sns.histplot(
            d, x="rank", hue="layer", hue_order=LAYER_ORDER, palette=LAYER_COLORS, element="step",
            stat="count", common_bins=True, bins=20, ax=ax, legend=ax is axes[0][0],
        )
        s = summary[summary.threshold == thr]
        ax.set_title(
            f"flow > {thr:g} bits: order {s.order_all.mean():.2f} ± {s.order_all.std():.2f}\n"
            f"isolated (rank 0, not shown): {int(s.n_isolated.sum())}",
            fontsize=9,
        )
        ax.set(xlabel="rank", ylabel="nodes (all seeds)")
    fig.suptitle(f"Neuron ranks, {nodes.seed.nunique()} networks pooled", fontsize=10)
    fig.tight_layout()
    return fig


def fig_order(summary: pd.DataFrame):
    import seaborn as sns

    plt = _plt()
    cols = {
        "order_all": "all pairs",
        "order_input_hidden": "input < hidden",
        "order_hidden_output": "hidden < output",
        "order_input_output": "input < output",
    }
    long = summary.melt(id_vars=["seed", "threshold"], value_vars=list(cols), var_name="pairs", value_name="score")
    long["pairs"] = long.pairs.map(cols)
    long["threshold"] = long.threshold.map(lambda t: f"{t:g}")
    fig, ax = plt.subplots(figsize=(7, 3.8))
    sns.stripplot(long, x="threshold", y="score", hue="pairs", dodge=True, alpha=0.6, size=4, ax=ax, legend=False)
    sns.pointplot(
        long, x="threshold", y="score", hue="pairs", dodge=0.6, errorbar="sd", linestyle="none",
        markers="_", markersize=14, ax=ax,
    )
    ax.axhline(0.5, color="k", lw=0.8, ls=":")
    ax.set(
        xlabel="flow threshold (bits)", ylabel="fraction of pairs ordered",
        title=f"Ranks ordering inputs < hidden < outputs ({summary.seed.nunique()} networks; mean ± sd, dots = seeds)",
        ylim=(-0.03, 1.03),
    )
    ax.title.set_fontsize(9)
    ax.legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    return fig


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="rnninfo.cli weather_flow_figures", description=__doc__.split("\n\n")[0])
    ap.add_argument("--edges", required=True)
    ap.add_argument("--nodes", required=True)
    ap.add_argument("--summary", required=True)
    ap.add_argument("--graph-seeds", type=int, default=2, help="seeds drawn in the graph figure")
    for name in ("graphs", "degrees", "degree-hist", "ranks", "order"):
        ap.add_argument(f"--out-{name}", required=True)
    args = ap.parse_args(argv)
    edges, nodes, summary = read_tsv(args.edges), read_tsv(args.nodes), read_tsv(args.summary)
    plt = _plt()
    for fig, path in (
        (fig_graphs(edges, nodes, args.graph_seeds), args.out_graphs),
        (fig_degrees(nodes, summary), args.out_degrees),
        (fig_degree_hist(nodes), args.out_degree_hist),
        (fig_ranks(nodes, summary), args.out_ranks),
        (fig_order(summary), args.out_order),
    ):
        save_figure(fig, path)
        plt.close(fig)
        print(f"wrote {path}", flush=True)
    return 0
