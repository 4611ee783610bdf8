"""Temporal generalisation (paper A, Fig. 2): accuracy at every evaluation delay."""

from __future__ import annotations

import numpy as np
import pandas as pd

from rnninfo.archs import ARCHS
from rnninfo.tasks import CONCEPTS, TASKS


def accuracy_by_delay(trace: dict[str, np.ndarray], task: str) -> pd.DataFrame:
    """Per-concept accuracy at each evaluation delay: DataFrame(eval_delay, concept, accuracy).

    The answer for delay d is the sign of the output at ``eval_readout[d]``.
    """
    outputs, y = trace["outputs"], trace["y"]  # (n, T, 3), (n, 3)
    rows = []
    for delay, step in zip(trace["eval_delays"], trace["eval_readout"]):
        correct = np.sign(outputs[:, step, :]) == y  # (n, 3)
        for c, name in enumerate(CONCEPTS[task]):
            rows.append(dict(eval_delay=int(delay), concept=name, accuracy=float(correct[:, c].mean())))
    return pd.DataFrame(rows)


def plot_generalization(table: pd.DataFrame):
    """Mean accuracy over concepts vs evaluation delay; panels task x arch; mean +- SE over seeds."""
    import matplotlib

    matplotlib.use("Agg")
    import seaborn as sns

    per_seed = (
        table.groupby(["task", "arch", "delay", "seed", "eval_delay"], as_index=False)["accuracy"].mean()
    )
    regimes = sorted(per_seed["delay"].unique(), key=lambda d: (d == "random", d))
    grid = sns.relplot(
        data=per_seed, x="eval_delay", y="accuracy", hue="delay", hue_order=regimes,
        row="task", col="arch", kind="line",
        row_order=[t for t in TASKS if t in set(per_seed["task"])],
        col_order=[a for a in ARCHS if a in set(per_seed["arch"])], errorbar="se", marker="o", markersize=4,
        height=2.8, aspect=1.1, facet_kws=dict(margin_titles=True),
    )
    grid.set_axis_labels("evaluation delay", "accuracy")
    # below the panels: on the right, the legend covered the row titles (margin_titles)
    sns.move_legend(grid, "upper center", bbox_to_anchor=(0.5, 0.0), ncol=len(regimes),
                    title="training delay", frameon=False)
    grid.figure.suptitle("Temporal generalisation (paper A, Fig. 2)", y=1.02)
    return grid.figure
