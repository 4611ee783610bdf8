"""Stage ``weather_flow_figures``: paper B's Figs 1-4 (information-flow graph, degrees, ranks).

Reads the all-seed tables of ``weather_flow_summary``. For every condition
(flow ``measure`` x readout ``output_lag``) it writes four figures named
``{out_prefix}_{figure}_{measure}_lag{lag}.png``:

- ``graphs`` (Fig. 1): the flow graphs of the first ``--graph-seeds`` seeds
  (rows) at every threshold (columns). Inputs left, hidden units on a circle,
  outputs right; node numbers are the same in every panel. Edges (q <= alpha
  and above the threshold) are solid black; pairs above the threshold that
  are not significant are dotted red (what a threshold alone would add).
- ``degrees`` (Fig. 2): out-degree against in-degree, every node of every
  seed, per threshold, with the Pearson r over seeds (mean ± sd).
- ``degree_hist`` (Fig. 3): in- and out-degree histograms per threshold,
  all seeds pooled.
- ``ranks`` (Fig. 4): rank histograms of inputs, hidden units and outputs
  per threshold, all seeds pooled (nodes with at least one edge).

and two figures over all conditions:

- ``{out_prefix}_order.png``: how well ranks order inputs < hidden < outputs,
  per condition and threshold, one point per seed (0.5 = chance).
- ``{out_prefix}_significance.png``: per condition and threshold, the edges
  drawn (significant and above the threshold), the pairs above the threshold
  without the test, and the pairs a threshold alone draws on the surrogates
  (chance), mean ± sd over seeds.
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


FIGURES = ("graphs", "degrees", "degree_hist", "ranks")


def conditions(summary: pd.DataFrame) -> list[tuple[str, int]]:
    """(measure, output_lag) pairs present, in a fixed order."""
    pairs = summary[["measure", "output_lag"]].drop_duplicates()
    return sorted((str(m), int(lag)) for m, lag in pairs.itertuples(index=False))


def figure_path(prefix: str, name: str, measure: str, output_lag: int) -> str:
    return f"{prefix}_{name}_{measure}_lag{output_lag}.png"


def _label(measure: str, output_lag: int) -> str:
    return f"{measure.upper()}, output lag {output_lag}"


def fig_graphs(edges: pd.DataFrame, nodes: pd.DataFrame, n_seeds: int, pairs: pd.DataFrame | None = None, title: str = ""):
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
            n_unsig = 0
            if pairs is not None:
                un = pairs[(pairs.seed == seed) & ~pairs.significant.astype(bool) & (pairs.flow > thr)]
                n_unsig = len(un)
                if n_unsig:
                    gu = nx.DiGraph()
                    gu.add_nodes_from(nd.node)
                    gu.add_edges_from(un[["source", "target"]].itertuples(index=False))
                    nx.draw_networkx_edges(
                        gu, pos, ax=ax, arrows=True, arrowsize=6, width=0.6, alpha=0.5, node_size=260,
                        style=":", edge_color="#c44e52", connectionstyle="arc3,rad=0.08",
                    )
            nx.draw_networkx_edges(
                g, pos, ax=ax, arrows=True, arrowsize=7, width=0.8, alpha=0.6, node_size=260,
                connectionstyle="arc3,rad=0.08",
            )
            nx.draw_networkx_nodes(g, pos, ax=ax, node_color=colors, node_size=260, edgecolors="k", linewidths=0.5)
            nx.draw_networkx_labels(g, pos, ax=ax, labels=dict(zip(nd.node, nd.node_index.astype(str))), font_size=7, font_color="w")
            ax.set_title(f"seed {seed}, > {thr:g} bits: {len(ed)} significant edges\n"
                         f"(+{n_unsig} above threshold, not significant: dotted)", fontsize=8)
            ax.set_axis_off()
    nd = nodes[(nodes.seed == seeds[0]) & (nodes.threshold == thresholds[0])].sort_values("node_index")
    key = "   ".join(f"{i}: {n}" for i, n in zip(nd.node_index, nd.node))
    fig.text(0.5, 0.0, key, ha="center", va="top", fontsize=7, wrap=True)
    handles = [plt.Line2D([], [], marker="o", ls="", color=c, label=l) for l, c in LAYER_COLORS.items()]
    handles += [plt.Line2D([], [], color="k", label="edge (q <= alpha)"),
                plt.Line2D([], [], color="#c44e52", ls=":", label="above threshold, not significant")]
    # above the panels (hanging down from the top, it covered the panel titles)
    fig.legend(handles=handles, loc="lower center", ncol=5, frameon=False, bbox_to_anchor=(0.5, 1.0), fontsize=8)
    if title:
        fig.text(0.01, 1.0, title, fontsize=9, va="bottom")
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
        # whole degrees, at least 0..1: an all-zero panel otherwise gets crowded ticks at +-0.05
        ax.set_xlim(-0.5, max([1, *counts.in_degree]) + 0.5)
        ax.set_ylim(-0.5, max([1, *counts.out_degree]) + 0.5)
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
            ax.set(xlabel=col.replace("_", " "), ylabel="nodes (all seeds)")
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
        if d.empty:
            ax.text(0.5, 0.5, "no significant edge", ha="center", va="center", transform=ax.transAxes)
        else:
            sns.histplot(
                d, x="rank", hue="layer", hue_order=LAYER_ORDER, palette=LAYER_COLORS, element="step",
                stat="count", common_bins=True, bins=20, ax=ax, legend=ax is axes[0][0],
            )
        s = summary[summary.threshold == thr]
        ax.set_title(
            f"> {thr:g} bits: order {s.order_all.mean():.2f} ± {s.order_all.std():.2f}\n"
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
    conds = conditions(summary)
    fig, axes = plt.subplots(1, len(conds), figsize=(5.2 * len(conds), 3.8), squeeze=False, sharey=True)
    for ax, (measure, lag) in zip(axes[0], conds):
        sub = summary[(summary.measure == measure) & (summary.output_lag == lag)]
        long = sub.melt(id_vars=["seed", "threshold"], value_vars=list(cols), var_name="pairs", value_name="score")
        long["pairs"] = long.pairs.map(cols)
        long["threshold"] = long.threshold.map(lambda t: f"{t:g}")
        sns.stripplot(long, x="threshold", y="score", hue="pairs", dodge=True, alpha=0.6, size=4, ax=ax, legend=False)
        sns.pointplot(
            long, x="threshold", y="score", hue="pairs", dodge=0.6, errorbar="sd", linestyle="none",
            markers="_", markersize=14, ax=ax, legend=ax is axes[0][0],
        )
        ax.axhline(0.5, color="k", lw=0.8, ls=":")
        ax.set(xlabel="threshold (bits)", ylabel="fraction of pairs ordered", title=_label(measure, lag), ylim=(-0.03, 1.03))
        ax.title.set_fontsize(9)
    axes[0][0].legend(fontsize=7, loc="lower left")
    fig.suptitle(
        f"Ranks ordering inputs < hidden < outputs, significant edges only ({summary.seed.nunique()} networks; "
        "mean ± sd, dots = seeds; NaN where a layer has no edge)",
        fontsize=9,
    )
    fig.tight_layout()
    return fig


def fig_significance(summary: pd.DataFrame, pairs: pd.DataFrame):
    import seaborn as sns

    plt = _plt()
    conds = conditions(summary)
    rows = []
    for thr in sorted(summary.threshold.unique()):
        above = (pairs[pairs.flow > thr].groupby(["seed", "measure", "output_lag"]).size()
                 .reindex(summary[["seed", "measure", "output_lag"]].drop_duplicates().itertuples(index=False),
                          fill_value=0))
        for (seed, measure, lag), n in above.items():
            rows.append(dict(seed=seed, measure=measure, output_lag=lag, threshold=thr,
                             kind="above threshold (no test)", pairs=n))
    long = pd.concat([
        pd.DataFrame(rows),
        summary.assign(kind="edges: significant and above", pairs=summary.n_edges)[
            ["seed", "measure", "output_lag", "threshold", "kind", "pairs"]],
        summary.assign(kind="chance: surrogates above", pairs=summary.chance_above_threshold)[
            ["seed", "measure", "output_lag", "threshold", "kind", "pairs"]],
    ], ignore_index=True)
    long["threshold"] = long.threshold.map(lambda t: f"{t:g}")
    fig, axes = plt.subplots(1, len(conds), figsize=(5.2 * len(conds), 3.8), squeeze=False, sharey=True)
    for ax, (measure, lag) in zip(axes[0], conds):
        sub = long[(long.measure == measure) & (long.output_lag == lag)]
        sns.pointplot(sub, x="threshold", y="pairs", hue="kind", errorbar="sd", dodge=0.4, ax=ax,
                      legend=ax is axes[0][0], markersize=4)
        ax.set(title=_label(measure, lag), xlabel="threshold (bits)", ylabel="node pairs (of all ordered pairs)")
        ax.title.set_fontsize(9)
    axes[0][0].legend(fontsize=7)
    fig.suptitle(f"Edges vs chance ({summary.seed.nunique()} networks, mean ± sd)", fontsize=9)
    fig.tight_layout()
    return fig


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="rnninfo.cli weather_flow_figures", description=__doc__.split("\n\n")[0])
    ap.add_argument("--flow", required=True, help="all node pairs with p, q, significant")
    ap.add_argument("--edges", required=True)
    ap.add_argument("--nodes", required=True)
    ap.add_argument("--summary", required=True)
    ap.add_argument("--graph-seeds", type=int, default=2, help="seeds drawn in the graph figure")
    ap.add_argument("--out-prefix", required=True, help="figure paths: {prefix}_{figure}_{measure}_lag{lag}.png, "
                    "{prefix}_order.png, {prefix}_significance.png")
    args = ap.parse_args(argv)
    pairs, edges, nodes, summary = (read_tsv(p) for p in (args.flow, args.edges, args.nodes, args.summary))
    plt = _plt()
    for measure, lag in conditions(summary):
        e, n, s, pr = (t[(t.measure == measure) & (t.output_lag == lag)] for t in (edges, nodes, summary, pairs))
        title = _label(measure, lag)
        for name, fig in (
            ("graphs", fig_graphs(e, n, args.graph_seeds, pr, title)),
            ("degrees", fig_degrees(n, s)),
            ("degree_hist", fig_degree_hist(n)),
            ("ranks", fig_ranks(n, s)),
        ):
            if fig.get_suptitle():  # name the condition in every figure's title
                fig.suptitle(f"{title}: {fig.get_suptitle()}", fontsize=10)
            path = figure_path(args.out_prefix, name, measure, lag)
            save_figure(fig, path)
            plt.close(fig)
            print(f"wrote {path}", flush=True)
    for make, path in ((lambda: fig_order(summary), f"{args.out_prefix}_order.png"),
                       (lambda: fig_significance(summary, pairs), f"{args.out_prefix}_significance.png")):
        fig = make()
        save_figure(fig, path)
        plt.close(fig)
        print(f"wrote {path}", flush=True)
    return 0
