"""Stage `relay_figures`: paper A figures of relay information (Figs. 3, 6-11) and
the greedy-vs-optimum summary. One subcommand per figure:

  fig3     I_R curve and per-node relay shares of two concepts, one network
  fig6     12 x 3 matrices over time and node x time maps, one network
  fig7     node x time maps of one network per architecture
  fig8     stability (Pearson r of share vectors at consecutive steps)
  fig9     overlap (Jaccard) of relaying node sets at consecutive steps
  counts   concepts per node and nodes per concept (Fig. 10 memory, 11 block)
  greedy   how often greedy finds the optimal set, mean shortfall (table + figure)
"""

from __future__ import annotations

import argparse

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from rnninfo.dynamics import share_array  # noqa: E402
from rnninfo.io import parse_json_arg, read_tsv, save_figure, write_tsv  # noqa: E402

ARCH_COLORS = {"RNN": "black", "GRU": "tab:red", "LSTM": "tab:blue"}
CONCEPT_COLORS = ["tab:blue", "tab:orange", "tab:green"]


def _read(path: str, need: set[str]) -> pd.DataFrame:
    df = read_tsv(path)
    missing = need - set(df.columns)
    if missing:
        raise SystemExit(f"relay_figures: {path} lacks column(s) {sorted(missing)}")
    if "delay" in df.columns:
        df["delay"] = df["delay"].astype(str)
    return df


def _delay_order(delays) -> list[str]:
    """Fixed delays numerically, then "random"."""
    d = sorted({str(x) for x in delays})
    return sorted([x for x in d if x != "random"], key=int) + (["random"] if "random" in d else [])


def _pick_seed(df: pd.DataFrame, seed, path: str) -> int:
    seeds = sorted(df["seed"].unique())
    if seed is None:
        return int(seeds[0])
    if int(seed) not in seeds:
        raise SystemExit(f"relay_figures: seed {seed} not in {path} (seeds {seeds})")
    return int(seed)


def _empty(ax, text="no data"):
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes)
    ax.set_axis_off()


def _one_network(shares: pd.DataFrame, seed: int):
    net = shares[shares["seed"] == seed]
    arr, ts, nodes, concepts = share_array(net)
    names = net.drop_duplicates("concept").set_index("concept").loc[concepts, "concept_name"].tolist()
    onsets = net.drop_duplicates("concept").set_index("concept").loc[concepts, "onset"].astype(int).tolist()
    return arr, ts, nodes, names, onsets, int(net["n_info"].iloc[0])


def _label(df: pd.DataFrame) -> str:
    row = df.iloc[0]
    return f"{row['task']} task, {row['arch']}, delay {row['delay']}"


# --------------------------------------------------------------------------- single network


def fig3(args, p) -> plt.Figure:
    greedy = _read(args.greedy, {"seed", "concept", "concept_name", "t", "rank", "size", "node", "info"})
    shares = _read(args.shares, {"seed", "concept", "t", "node", "share", "n_info"})
    seed = _pick_seed(shares, p.get("seed"), args.shares)
    n_info = int(shares["n_info"].iloc[0])
    t_max = int(shares["t"].max())
    t = min(n_info if p.get("time") is None else int(p["time"]), t_max)
    concepts = p.get("concepts", [0, 1])
    fig, axes = plt.subplots(2, len(concepts), figsize=(4.8 * len(concepts), 6), squeeze=False)
    for k, c in enumerate(concepts):
        g = greedy[(greedy.seed == seed) & (greedy.concept == c) & (greedy.t == t)].sort_values("rank")
        s = shares[(shares.seed == seed) & (shares.concept == c) & (shares.t == t)].sort_values("node")
        if g.empty:
            _empty(axes[0, k], f"concept {c}: no rows at t={t}")
            _empty(axes[1, k])
            continue
        name = g["concept_name"].iloc[0]
        info = np.append(g["info"].to_numpy(), 0.0)
        x = np.arange(len(info))
        ax = axes[0, k]
        ax.plot(x, info, "k-o", ms=3)
        visible = 0.02 * max(np.abs(info).max(), 1e-12)
        for i in range(len(info) - 1):  # the loss when node order[i] leaves
            if abs(info[i] - info[i + 1]) > visible:
                ax.annotate(
                    "",
                    xy=(i + 1, info[i + 1]),
                    xytext=(i + 1, info[i]),
                    arrowprops=dict(arrowstyle="->", color=CONCEPT_COLORS[k % 3], lw=1.2),
                )
        ax.set_xticks(x)
        ax.set_xticklabels(["all"] + g["node"].astype(str).tolist(), fontsize=8)
        ax.set_xlabel("node removed (least relaying first)")
        ax.set_ylabel("$I_R$ of the remaining set (bits)")
        ax.set_title(f"concept {name}, step {t}")
        ax = axes[1, k]
        ax.bar(s["node"], s["share"], color=CONCEPT_COLORS[k % 3])
        ax.axhline(0, color="0.5", lw=0.5)
        ax.set_xticks(s["node"])
        ax.set_xlabel("node")
        ax.set_ylabel("relay share (bits)")
    fig.suptitle(f"Relay information, {_label(shares)}, seed {seed}")
    fig.tight_layout()
    return fig


def _onset_marks(ax, onsets, names, ts):
    for c, (o, name) in enumerate(zip(onsets, names)):
        if ts[0] <= o <= ts[-1]:
            x = int(np.searchsorted(ts, o))
            ax.plot([x], [-0.9], marker="v", color=CONCEPT_COLORS[c % 3], ms=6, clip_on=False)


def fig6(args, p) -> plt.Figure:
    shares = _read(args.shares, {"seed", "concept", "concept_name", "t", "node", "share", "onset", "n_info"})
    seed = _pick_seed(shares, p.get("seed"), args.shares)
    arr, ts, nodes, names, onsets, _ = _one_network(shares, seed)
    vmax = max(1.0, float(arr.max()))
    n_t = len(ts)
    fig = plt.figure(figsize=(max(10, 0.75 * n_t), 2.8 + 2.0 * len(names)))
    gs = fig.add_gridspec(1 + len(names), n_t, height_ratios=[1.6] + [1.4] * len(names), hspace=0.6)
    for i, t in enumerate(ts):  # left of the paper's figure: the sequence of matrices (nodes x concepts)
        ax = fig.add_subplot(gs[0, i])
        ax.imshow(arr[i], cmap="Blues", vmin=0, vmax=vmax, aspect="auto", interpolation="nearest")
        mark = [names[c] for c, o in enumerate(onsets) if o == t]
        ax.set_title(f"t={t}" + ("\n" + "".join(f"▼{m}" for m in mark) if mark else ""), fontsize=7)
        ax.set_xticks(range(len(names)))
        ax.set_xticklabels([str(m)[0] for m in names], fontsize=6)
        ax.set_yticks(range(len(nodes)) if i == 0 else [])
        if i == 0:
            ax.set_yticklabels(nodes, fontsize=5)
            ax.set_ylabel("node", fontsize=7)
    im = None
    for c, name in enumerate(names):  # right of the paper's figure: node x time per concept
        ax = fig.add_subplot(gs[1 + c, :])
        im = ax.imshow(arr[:, :, c].T, cmap="Blues", vmin=0, vmax=vmax, aspect="auto", interpolation="nearest")
        ax.set_ylabel(f"{name}\nnode")
        ax.set_yticks(range(len(nodes)))
        ax.set_yticklabels(nodes, fontsize=6)
        ax.set_xticks(range(n_t))
        ax.set_xticklabels(ts if c == len(names) - 1 else [], fontsize=7)
        if onsets[c] in ts:
            ax.axvline(int(np.searchsorted(ts, onsets[c])) - 0.5, color=CONCEPT_COLORS[c % 3], lw=1.5)
    fig.axes[-1].set_xlabel("step t")
    fig.colorbar(im, ax=fig.axes[len(ts) :], shrink=0.8, label="relay share (bits)")
    fig.suptitle(f"Relay shares over time, {_label(shares)}, seed {seed}")
    return fig


def fig7(args, p) -> plt.Figure:
    tables = [
        _read(s, {"seed", "concept", "concept_name", "t", "node", "share", "onset", "n_info", "arch"})
        for s in args.shares
    ]
    nets = []
    for path, df in zip(args.shares, tables):
        seed = _pick_seed(df, p.get("seed"), path)
        nets.append((df["arch"].iloc[0], seed) + _one_network(df, seed))
    n_c = max(len(n[5]) for n in nets)
    vmax = max(1.0, max(float(n[2].max()) for n in nets))
    fig, axes = plt.subplots(len(nets), n_c, figsize=(4.2 * n_c, 2.6 * len(nets)), squeeze=False)
    im = None
    for r, (arch, seed, arr, ts, nodes, names, onsets, _) in enumerate(nets):
        for c, name in enumerate(names):
            ax = axes[r, c]
            im = ax.imshow(arr[:, :, c].T, cmap="Blues", vmin=0, vmax=vmax, aspect="auto", interpolation="nearest")
            if onsets[c] in ts:
                ax.axvline(int(np.searchsorted(ts, onsets[c])) - 0.5, color=CONCEPT_COLORS[c % 3], lw=1.5)
            ax.set_xticks(range(len(ts)))
            ax.set_xticklabels(ts, fontsize=6)
            ax.set_yticks(range(len(nodes)))
            ax.set_yticklabels(nodes, fontsize=6)
            if r == 0:
                ax.set_title(f"concept {name}")
            if c == 0:
                ax.set_ylabel(f"{arch} (seed {seed})\nnode")
            if r == len(nets) - 1:
                ax.set_xlabel("step t")
    fig.colorbar(im, ax=axes, shrink=0.8, label="relay share (bits)")
    row = tables[0].iloc[0]
    fig.suptitle(f"Where the information sits, {row['task']} task, delay {row['delay']}")
    return fig


# --------------------------------------------------------------------------- across conditions


def _per_network(df: pd.DataFrame, value: str) -> pd.DataFrame:
    """Mean over concepts and step pairs: one value per network."""
    return df.dropna(subset=[value]).groupby(["task", "arch", "delay", "seed"], as_index=False)[value].mean()


def _stability(table: str, value: str, ylabel: str, title: str) -> plt.Figure:
    df = _read(table, {"task", "arch", "delay", "seed", value})
    tasks = [t for t in ("memory", "block") if t in set(df["task"])] or ["no data"]
    fig, axes = plt.subplots(len(tasks), 1, figsize=(7, 3.2 * len(tasks)), squeeze=False)
    net = _per_network(df, value)
    for ax, task in zip(axes[:, 0], tasks):
        d = net[net["task"] == task]
        if d.empty:
            _empty(ax)
            continue
        archs = [a for a in ARCH_COLORS if a in set(d["arch"])]
        sns.pointplot(
            data=d,
            x="delay",
            y=value,
            hue="arch",
            order=_delay_order(d["delay"]),
            hue_order=archs,
            palette=ARCH_COLORS,
            errorbar="se",
            dodge=0.3,
            markersize=5,
            linewidth=1.2,
            ax=ax,
        )
        ax.set_title(f"{task} task")
        ax.set_xlabel("training delay")
        ax.set_ylabel(ylabel)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def fig8(args, p) -> plt.Figure:
    return _stability(
        args.table, "r", "r between consecutive steps", "Stability of relay shares (mean ± s.e. over networks)"
    )


def fig9(args, p) -> plt.Figure:
    return _stability(args.table, "jaccard", "Jaccard overlap", "Overlap of relaying nodes at consecutive steps")


def counts(args, p) -> plt.Figure:
    df = _read(args.table, {"task", "arch", "delay", "seed", "kind", "index", "count"})
    df = df[(df["task"] == args.task) & (df["delay"] == str(args.delay))]
    archs = [a for a in ARCH_COLORS if a in set(df["arch"])]
    fig, axes = plt.subplots(2, max(1, len(archs)), figsize=(4 * max(1, len(archs)), 6), squeeze=False, sharey="row")
    if not archs:
        for ax in axes.ravel():
            _empty(ax, f"no networks of the {args.task} task with delay {args.delay}")
    for r, (kind, xlabel) in enumerate(
        [("concepts_per_node", "concepts a node relays"), ("nodes_per_concept", "nodes relaying a concept")]
    ):
        d = df[df["kind"] == kind]
        top = 3 if kind == "concepts_per_node" else int(df.loc[df["kind"] == "concepts_per_node", "index"].max()) + 1
        # fraction of nodes (concepts) with each count, per network; bars: mean and s.e. over networks
        frac = (
            d.groupby(["arch", "seed"])["count"]
            .value_counts(normalize=True)
            .unstack(fill_value=0.0)
            .reindex(columns=range(top + 1), fill_value=0.0)
            .stack()
            .rename("fraction")
            .reset_index()
        )
        for c, arch in enumerate(archs):
            ax = axes[r, c]
            a = frac[frac["arch"] == arch]
            sns.barplot(data=a, x="count", y="fraction", color=ARCH_COLORS[arch], errorbar="se", ax=ax)
            n_net = a["seed"].nunique()
            ax.set_title(f"{arch} ({n_net} networks)")
            ax.set_xlabel(xlabel)
            ax.set_ylabel("fraction" if c == 0 else "")
    fig.suptitle(
        f"{args.task} task, training delay {args.delay}: concepts per node (top), "
        "nodes per concept (bottom); mean ± s.e."
    )
    fig.tight_layout()
    return fig


def greedy_summary(df: pd.DataFrame) -> pd.DataFrame:
    """Per task, arch, delay and set size: how often greedy found the optimum and its shortfall.

    Only steps at or after the concept's onset count (before it, every set relays 0).
    """
    d = df[df["t"] >= df["onset"]]
    return d.groupby(["task", "arch", "delay", "size"], as_index=False).agg(
        n=("shortfall", "size"),
        frac_optimal=("optimal", "mean"),
        frac_same_set=("same_set", "mean"),
        mean_shortfall=("shortfall", "mean"),
        max_shortfall=("shortfall", "max"),
        mean_best_info=("best_info", "mean"),
    )


def greedy(args, p) -> plt.Figure:
    df = _read(
        args.table,
        {"task", "arch", "delay", "seed", "t", "onset", "size", "shortfall", "optimal", "same_set", "best_info"},
    )
    summary = greedy_summary(df)
    write_tsv(summary, args.summary)
    tasks = [t for t in ("memory", "block") if t in set(df["task"])]
    fig, axes = plt.subplots(2, max(1, len(tasks)), figsize=(5.5 * max(1, len(tasks)), 6.5), squeeze=False)
    if not tasks:
        for ax in axes.ravel():
            _empty(ax, "no exhaustive results")
    d = df[df["t"] >= df["onset"]]
    for c, task in enumerate(tasks):
        sub = d[d["task"] == task]
        archs = [a for a in ARCH_COLORS if a in set(sub["arch"])]
        sns.lineplot(
            data=sub,
            x="size",
            y="optimal",
            hue="arch",
            hue_order=archs,
            palette=ARCH_COLORS,
            errorbar=None,
            marker="o",
            ax=axes[0, c],
        )
        axes[0, c].set_ylabel("greedy set is optimal (fraction)")
        axes[0, c].set_ylim(-0.02, 1.02)
        axes[0, c].set_title(f"{task} task")
        sns.lineplot(
            data=sub,
            x="size",
            y="shortfall",
            hue="arch",
            hue_order=archs,
            palette=ARCH_COLORS,
            errorbar=None,
            marker="o",
            ax=axes[1, c],
            legend=False,
        )
        axes[1, c].set_ylabel("mean shortfall (bits)")
        axes[1, c].set_xlabel("set size")
    fig.suptitle("Greedy relay order vs exhaustive optimum (all delays, steps from each concept's onset)")
    fig.tight_layout()
    return fig


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(
        prog="rnninfo.cli relay_figures", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = ap.add_subparsers(dest="figure", required=True)
    s = sub.add_parser("fig3")
    s.add_argument("--greedy", required=True)
    s.add_argument("--shares", required=True)
    s = sub.add_parser("fig6")
    s.add_argument("--shares", required=True)
    s = sub.add_parser("fig7")
    s.add_argument("--shares", nargs="+", required=True, help="one shares table per architecture")
    for name in ("fig8", "fig9"):
        s = sub.add_parser(name)
        s.add_argument("--table", required=True)
    s = sub.add_parser("counts")
    s.add_argument("--table", required=True)
    s.add_argument("--task", required=True, choices=["memory", "block"])
    s.add_argument("--delay", required=True, help="training delay regime shown")
    s = sub.add_parser("greedy")
    s.add_argument("--table", required=True, help="aggregated exhaustive table")
    s.add_argument("--summary", required=True, help="output TSV")
    for s in sub.choices.values():
        s.add_argument("--out", required=True, help="output figure")
        s.add_argument("--params", default="{}", help="JSON: seed, time, concepts (single-network figures)")
    args = ap.parse_args(argv)
    p = parse_json_arg(args.params)
    sns.set_theme(style="ticks", context="paper")
    fig = {"fig3": fig3, "fig6": fig6, "fig7": fig7, "fig8": fig8, "fig9": fig9, "counts": counts, "greedy": greedy}[
        args.figure
    ](args, p)
    save_figure(fig, args.out)
    plt.close(fig)
    return 0
