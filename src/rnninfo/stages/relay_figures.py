"""Stage `relay_figures`: paper A figures of relay information (Figs. 3, 6-11) and
the greedy-vs-optimum summary. One subcommand per figure:

  fig3     I_R curve and per-node relay shares of two concepts, one network
  fig6     12 x 3 matrices over time and node x time maps, one network
  fig7     node x time maps of one network per architecture and training regime
  fig8     stability (Pearson r of share vectors at consecutive steps in the
           common window) beside the split-half noise ceiling; mean and 95% CI
           over networks; also writes the table of CIs and paired tests
  fig9     overlap (Jaccard) of relaying node sets at consecutive steps
  onsets   table: relay information before and at each concept's onset
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

from rnninfo.dynamics import eligible_cells, share_array  # noqa: E402
from rnninfo.io import parse_json_arg, read_tables, save_figure, write_tsv  # noqa: E402
from rnninfo import intervals  # noqa: E402

ARCH_COLORS = {"RNN": "black", "GRU": "tab:red", "LSTM": "tab:blue"}
SHARE_CMAP = matplotlib.colormaps["Blues"].with_extremes(bad="0.8")  # NaN = not significant: grey
CONCEPT_COLORS = ["tab:blue", "tab:orange", "tab:green"]


def _read(path: str, need: set[str]) -> pd.DataFrame:
    return read_tables([path], columns=sorted(need))


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


def _one_network(shares: pd.DataFrame, seed: int, p: dict | None = None):
    """(T, N, C) shares of one network; with ``p``, cells that are not significant
    (`rnninfo.dynamics.eligible_cells`: p of I_R(all) and the share threshold) are NaN
    (drawn in grey by `SHARE_CMAP`)."""
    net = shares[shares["seed"] == seed]
    arr, ts, nodes, concepts = share_array(net)
    if p is not None:
        keep = eligible_cells(net, p.get("min_share"), float(p.get("alpha", 0.05)))
        mask = share_array(net.assign(share=keep.astype(float)))[0] > 0
        arr = np.where(mask, arr, np.nan)
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
    shares = _read(args.shares, SIG_COLUMNS)
    seed = _pick_seed(shares, p.get("seed"), args.shares)
    arr, ts, nodes, names, onsets, _ = _one_network(shares, seed, p)
    vmax = max(1.0, float(np.nanmax(arr, initial=0.0)))
    n_t = len(ts)
    fig = plt.figure(figsize=(max(10, 0.75 * n_t), 2.8 + 2.0 * len(names)))
    gs = fig.add_gridspec(1 + len(names), n_t, height_ratios=[1.6] + [1.4] * len(names), hspace=0.6)
    for i, t in enumerate(ts):  # left of the paper's figure: the sequence of matrices (nodes x concepts)
        ax = fig.add_subplot(gs[0, i])
        ax.imshow(arr[i], cmap=SHARE_CMAP, vmin=0, vmax=vmax, aspect="auto", interpolation="nearest")
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
        im = ax.imshow(arr[:, :, c].T, cmap=SHARE_CMAP, vmin=0, vmax=vmax, aspect="auto", interpolation="nearest")
        ax.set_ylabel(f"{name}\nnode")
        ax.set_yticks(range(len(nodes)))
        ax.set_yticklabels(nodes, fontsize=6)
        ax.set_xticks(range(n_t))
        ax.set_xticklabels(ts if c == len(names) - 1 else [], fontsize=7)
        if onsets[c] in ts:
            ax.axvline(int(np.searchsorted(ts, onsets[c])) - 0.5, color=CONCEPT_COLORS[c % 3], lw=1.5)
    fig.axes[-1].set_xlabel("step t")
    fig.colorbar(im, ax=fig.axes[len(ts) :], shrink=0.8, label="relay share (bits)")
    fig.suptitle(
        f"Relay shares over time, {_label(shares)}, seed {seed}\n"
        f"grey: not significant ({_sig_text(p)})"
    )
    return fig


SIG_COLUMNS = {"seed", "concept", "concept_name", "t", "node", "share", "onset", "n_info", "p", "share_threshold"}


def _sig_text(p: dict) -> str:
    thr = "null 95th pct." if p.get("min_share") is None else f"{p['min_share']} bits"
    return f"p of I_R(all) > {p.get('alpha', 0.05)} or share <= {thr}"


def fig7(args, p) -> plt.Figure:
    tables = [_read(s, SIG_COLUMNS | {"arch", "delay"}) for s in args.shares]
    nets = []
    for path, df in zip(args.shares, tables):
        seed = _pick_seed(df, p.get("seed"), path)
        nets.append((df["arch"].iloc[0], str(df["delay"].iloc[0]), seed) + _one_network(df, seed, p))
    n_c = max(len(n[6]) for n in nets)
    vmax = max(1.0, max(float(np.nanmax(n[3], initial=0.0)) for n in nets))
    fig, axes = plt.subplots(len(nets), n_c, figsize=(4.2 * n_c, 2.3 * len(nets) + 0.8), squeeze=False)
    im = None
    for r, (arch, delay, seed, arr, ts, nodes, names, onsets, _) in enumerate(nets):
        for c, name in enumerate(names):
            ax = axes[r, c]
            im = ax.imshow(arr[:, :, c].T, cmap=SHARE_CMAP, vmin=0, vmax=vmax, aspect="auto", interpolation="nearest")
            if onsets[c] in ts:
                ax.axvline(int(np.searchsorted(ts, onsets[c])) - 0.5, color=CONCEPT_COLORS[c % 3], lw=1.5)
            ax.set_xticks(range(len(ts)))
            ax.set_xticklabels(ts, fontsize=6)
            ax.set_yticks(range(len(nodes)))
            ax.set_yticklabels(nodes, fontsize=5)
            if r == 0:
                ax.set_title(f"concept {name}")
            if c == 0:
                ax.set_ylabel(f"{arch}, delay {delay}\n(seed {seed}) node", fontsize=8)
            if r == len(nets) - 1:
                ax.set_xlabel("step t")
    # the default top margin (12% of the figure) is an inch of blank above six rows; keep ~0.6 inch
    height = fig.get_figheight()
    fig.subplots_adjust(top=1 - 0.6 / height)
    fig.colorbar(im, ax=axes, shrink=0.8, label="relay share (bits)")
    row = tables[0].iloc[0]
    fig.suptitle(f"Where the information sits, {row['task']} task; grey: not significant ({_sig_text(p)})",
                 y=1 - 0.15 / height)
    return fig


# --------------------------------------------------------------------------- across conditions


def _per_network(df: pd.DataFrame, value: str) -> pd.DataFrame:
    """Mean over concepts (each already a mean over its window pairs): one value per network."""
    return df.dropna(subset=[value]).groupby(["task", "arch", "delay", "seed"], as_index=False)[value].mean()


def mean_ci(values, level: float = 0.95) -> tuple[float, float, float, int]:
    """:func:`rnninfo.intervals.mean_ci` with the number of finite values: (mean, low, high, n)."""
    v = np.asarray(values, dtype=np.float64)
    return (*intervals.mean_ci(v, level), int(np.isfinite(v).sum()))


def paired_test(a, b) -> dict:
    """a - b over seeds present in both (pairs: same seed = same training and test draws):
    mean difference, 95% t-interval, paired t-test and Wilcoxon signed-rank p."""
    from scipy import stats

    d = (a - b).dropna()
    m, lo, hi, n = mean_ci(d.to_numpy())
    t_p = w_p = float("nan")
    if n >= 2 and np.ptp(d.to_numpy()) > 0:
        t_p = float(stats.ttest_rel(a.loc[d.index], b.loc[d.index]).pvalue)
    if n >= 2 and np.any(d.to_numpy() != 0):
        w_p = float(stats.wilcoxon(d.to_numpy()).pvalue)
    return dict(n=n, diff=m, ci_low=lo, ci_high=hi, t_p=t_p, wilcoxon_p=w_p)


METRICS = ("r", "r_split", "jaccard")


def dynamics_tests(summary: pd.DataFrame) -> pd.DataFrame:
    """CIs per condition and paired tests of the window metrics (r, split-half ceiling, Jaccard).

    kind "condition": mean and 95% CI over networks of each (task, arch, delay).
    kind "paired": GRU - RNN and LSTM - RNN at each (task, delay), paired by
    seed; random - fixed per (task, arch) against each fixed delay and against
    the mean over the fixed delays, paired by seed.
    """
    rows = []
    for metric in METRICS:
        net = _per_network(summary, metric)
        for (task, arch, delay), g in net.groupby(["task", "arch", "delay"]):
            m, lo, hi, n = mean_ci(g[metric])
            rows.append(dict(kind="condition", metric=metric, task=task, comparison=f"{arch}",
                             arch=arch, delay=delay, n=n, mean=m, ci_low=lo, ci_high=hi))
        wide = net.pivot_table(index=["task", "delay", "seed"], columns="arch", values=metric)
        for other in ("GRU", "LSTM"):
            if other not in wide or "RNN" not in wide:
                continue
            for (task, delay), g in wide.groupby(level=["task", "delay"]):
                rows.append(dict(kind="paired", metric=metric, task=task, comparison=f"{other} - RNN",
                                 arch=f"{other},RNN", delay=delay, **paired_test(g[other], g["RNN"])))
        by_delay = net.pivot_table(index=["task", "arch", "seed"], columns="delay", values=metric)
        fixed = [d for d in by_delay.columns if d != "random"]
        if "random" in by_delay and fixed:
            for (task, arch), g in by_delay.groupby(level=["task", "arch"]):
                for d in fixed + ["fixed mean"]:
                    base = g[fixed].mean(axis=1) if d == "fixed mean" else g[d]
                    rows.append(dict(kind="paired", metric=metric, task=task, comparison=f"random - {d}",
                                     arch=arch, delay=f"random,{d}", **paired_test(g["random"], base)))
    cols = ["kind", "metric", "task", "comparison", "arch", "delay", "n", "mean", "ci_low", "ci_high",
            "diff", "t_p", "wilcoxon_p"]
    return pd.DataFrame(rows).reindex(columns=cols)


def _stability(df: pd.DataFrame, value: str, ylabel: str, title: str, ceiling: str | None = None) -> plt.Figure:
    tasks = [t for t in ("memory", "block") if t in set(df["task"])] or ["no data"]
    fig, axes = plt.subplots(len(tasks), 1, figsize=(7.5, 3.4 * len(tasks)), squeeze=False)
    for ax, task in zip(axes[:, 0], tasks):
        d = df[df["task"] == task]
        if d.empty:
            _empty(ax)
            continue
        order = _delay_order(d["delay"])
        archs = [a for a in ARCH_COLORS if a in set(d["arch"])]
        for k, arch in enumerate(archs):
            x0 = np.arange(len(order)) + (k - (len(archs) - 1) / 2) * 0.22
            for metric, style, label in ((value, "o-", arch), (ceiling, "s--", f"{arch} split-half ceiling")):
                if metric is None:
                    continue
                net = _per_network(d[d["arch"] == arch], metric)
                stats_ = [mean_ci(net.loc[net["delay"] == dl, metric]) for dl in order]
                m = np.array([s_[0] for s_ in stats_])
                err = np.array([[s_[0] - s_[1], s_[2] - s_[0]] for s_ in stats_]).T
                shift = 0.07 if metric == ceiling else 0.0  # ceiling beside, not on top of, the r point
                ax.errorbar(x0 + shift, m, yerr=np.nan_to_num(err), fmt=style, color=ARCH_COLORS[arch], ms=4, lw=1,
                            capsize=2, mfc="white" if metric == ceiling else ARCH_COLORS[arch], label=label)
        ax.set_xticks(range(len(order)))
        ax.set_xticklabels(order)
        ax.set_xlim(-0.6, len(order) - 0.4)
        ax.set_ylim(-1.05 if value == "r" else -0.05, 1.05)  # r and Jaccard are bounded; wide CIs (few seeds) clip
        ax.set_title(f"{task} task")
        ax.set_xlabel("training delay")
        ax.set_ylabel(ylabel)
        ax.legend(fontsize=6, ncol=2)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig


SUMMARY_COLUMNS = {"task", "arch", "delay", "seed", "concept", "n_pairs", "r", "jaccard", "r_split"}


def fig8(args, p) -> plt.Figure:
    df = _read(args.table, SUMMARY_COLUMNS)
    write_tsv(dynamics_tests(df), args.tests)
    return _stability(
        df, "r", "Pearson r of share vectors",
        "Stability of relay shares: r between consecutive steps (filled) vs split halves at one step\n"
        "(open: noise ceiling); common window, significant steps; mean and 95% CI over networks",
        ceiling="r_split",
    )


def fig9(args, p) -> plt.Figure:
    df = _read(args.table, SUMMARY_COLUMNS)
    return _stability(
        df, "jaccard", "Jaccard overlap",
        "Overlap of relaying nodes at consecutive steps (common window); mean and 95% CI over networks",
    )


def onset_table(null: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Relay information before and at each concept's onset, per condition and concept.

    Per network: the null-corrected I_R(all) averaged over the pre-onset steps
    and at the onset, and the fraction of pre-onset steps with p <= alpha; then
    mean and 95% CI over networks. ``basis``: "by construction" where every
    input is 0 before the onset (memory concept A: all states equal, I_R = 0
    exactly; the window is every step before the onset); "test" where earlier
    inputs exist (memory B, C; block direction, whose first frame is independent
    of it): the window runs from the task's first input step (``before_from``) to
    the onset - 1, because before any input the states are constant and would
    pull the mean to 0; "no pre-onset step" (onset 0).
    """
    rows = []
    for (task, arch, delay, c, name), g in null.groupby(["task", "arch", "delay", "concept", "concept_name"]):
        onset = int(g["onset"].iloc[0])
        first_input = int(null.loc[null["task"] == task, "onset"].min())
        basis = "no pre-onset step" if onset == 0 else ("by construction" if onset <= first_input else "test")
        before_from = first_input if basis == "test" else 0
        before = g[(g["t"] >= before_from) & (g["t"] < onset)].groupby("seed")
        at = g[g["t"] == onset].groupby("seed")
        pre = mean_ci(before["corrected"].mean()) if onset else (np.nan,) * 3 + (0,)
        sig = mean_ci(before["p"].apply(lambda v: float((v <= alpha).mean()))) if onset else (np.nan,) * 3 + (0,)
        on = mean_ci(at["corrected"].mean())
        rows.append(dict(task=task, arch=arch, delay=delay, concept=c, concept_name=name, onset=onset, basis=basis,
                         before_from=before_from if onset else np.nan, n=on[3],
                         before_corrected=pre[0], before_ci_low=pre[1], before_ci_high=pre[2],
                         before_frac_significant=sig[0], before_frac_sig_ci_high=sig[2],
                         at_corrected=on[0], at_ci_low=on[1], at_ci_high=on[2]))
    return pd.DataFrame(rows)


def onsets(args, p) -> None:
    df = _read(args.table, {"task", "arch", "delay", "seed", "concept", "concept_name", "onset", "t", "corrected", "p"})
    write_tsv(onset_table(df, float(p.get("alpha", 0.05))), args.out)
    return None


def counts(args, p) -> plt.Figure:
    import seaborn as sns

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
    import seaborn as sns

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
    s.add_argument("--shares", nargs="+", required=True, help="one shares table per (architecture, regime) row")
    for name in ("fig8", "fig9"):
        s = sub.add_parser(name)
        s.add_argument("--table", required=True, help="aggregated relay summary table")
    sub.choices["fig8"].add_argument("--tests", required=True, help="output TSV: CIs and paired tests")
    s = sub.add_parser("onsets")
    s.add_argument("--table", required=True, help="aggregated relay null table")
    s = sub.add_parser("counts")
    s.add_argument("--table", required=True)
    s.add_argument("--task", required=True, choices=["memory", "block"])
    s.add_argument("--delay", required=True, help="training delay regime shown")
    s = sub.add_parser("greedy")
    s.add_argument("--table", required=True, help="aggregated exhaustive table")
    s.add_argument("--summary", required=True, help="output TSV")
    for s in sub.choices.values():
        s.add_argument("--out", required=True, help="output figure (onsets: output TSV)")
        s.add_argument("--params", default="{}", help="JSON: seed, time, concepts, min_share, alpha")
    args = ap.parse_args(argv)
    p = parse_json_arg(args.params)
    if args.figure != "onsets":  # a table: no figure style needed
        import seaborn as sns  # with scipy.stats ~0.9 s: here, once the arguments are known good

        sns.set_theme(style="ticks", context="paper")
    fig = {
        "fig3": fig3, "fig6": fig6, "fig7": fig7, "fig8": fig8, "fig9": fig9,
        "counts": counts, "greedy": greedy, "onsets": onsets,
    }[args.figure](args, p)
    if fig is None:
        return 0
    save_figure(fig, args.out)
    plt.close(fig)
    return 0
