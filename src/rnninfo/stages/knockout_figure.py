"""Stage `knockout_figure`: Fig. 4 (memory) / Fig. 5 (block) of paper A.

Rows: architectures; columns: the concept whose top relay nodes were knocked
out. Each panel: accuracy of every concept (colour) against the size of the
knocked-out set (largest first), mean and 95% CI over seeds; dashed: random
sets of the same size (the control); dotted line: no knockout.
"""

from __future__ import annotations

import argparse

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from rnninfo.io import read_tables, save_figure  # noqa: E402

ARCHS = ("RNN", "GRU", "LSTM")
CONCEPT_COLORS = ["tab:blue", "tab:orange", "tab:green"]


def figure(summary, task: str, delay: str) -> plt.Figure:
    df = summary[(summary["task"] == task) & (summary["delay"] == str(delay))]
    archs = [a for a in ARCHS if a in set(df["arch"])]
    names = df.drop_duplicates("concept").set_index("concept")["concept_name"].sort_index()
    n_rows, n_cols = max(1, len(archs)), max(1, len(names))
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(3.6 * n_cols, 2.8 * n_rows), squeeze=False, sharex=True,
                             sharey=True)
    if not archs:
        axes[0, 0].text(0.5, 0.5, f"no knockout data for {task}, delay {delay}", ha="center", va="center")
        axes[0, 0].set_axis_off()
        return fig
    for r, arch in enumerate(archs):
        a = df[df["arch"] == arch]
        for col, target in enumerate(names.index):
            ax = axes[r, col]
            for c, cname in names.items():
                color = CONCEPT_COLORS[c % len(CONCEPT_COLORS)]
                rel = a[(a["kind"] == "relay") & (a["target"] == target) & (a["concept"] == c)].sort_values("size")
                ax.plot(rel["size"], rel["accuracy"], color=color, lw=1.6)
                ax.fill_between(rel["size"], rel["ci_low"], rel["ci_high"], color=color, alpha=0.2, lw=0)
                ran = a[(a["kind"] == "random") & (a["concept"] == c)].sort_values("size")
                ax.plot(ran["size"], ran["accuracy"], color=color, lw=1.0, ls="--", alpha=0.8)
                base = a[(a["kind"] == "baseline") & (a["concept"] == c)]["accuracy"]
                if len(base):
                    ax.axhline(float(base.iloc[0]), color=color, lw=0.6, ls=":")
            ax.set_ylim(0.0, 1.05)
            ax.axhline(0.5, color="grey", lw=0.5)
            if not ax.xaxis_inverted():
                ax.invert_xaxis()
            if r == 0:
                ax.set_title(f"knocked out: top relay nodes of {names[target]}", fontsize=9)
            if col == 0:
                ax.set_ylabel(f"{arch}\naccuracy")
            if r == n_rows - 1:
                ax.set_xlabel("nodes knocked out")
    handles = [Line2D([], [], color=CONCEPT_COLORS[c % 3], lw=1.6, label=f"accuracy {n}") for c, n in names.items()]
    handles += [
        Line2D([], [], color="k", lw=1.6, label="top relay nodes (95% CI)"),
        Line2D([], [], color="k", lw=1.0, ls="--", label="random nodes"),
        Line2D([], [], color="k", lw=0.6, ls=":", label="no knockout"),
    ]
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=8, bbox_to_anchor=(0.5, -0.02))
    fig.suptitle(f"Knockouts, {task} task, training delay {delay} (mean and 95% CI over networks)")
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    return fig


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="rnninfo.cli knockout_figure", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--summary", required=True, help="knockout summary TSV")
    ap.add_argument("--task", required=True)
    ap.add_argument("--delay", required=True, help="training delay regime shown")
    ap.add_argument("--out", required=True, help="output PNG")
    args = ap.parse_args(argv)
    need = ["task", "arch", "delay", "kind", "target", "size", "concept", "concept_name", "accuracy", "ci_low",
            "ci_high"]
    summary = read_tables([args.summary], columns=need)
    fig = figure(summary, args.task, args.delay)
    save_figure(fig, args.out)
    plt.close(fig)
    return 0
