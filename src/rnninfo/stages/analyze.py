"""Stage `analyze`: the public analyses on a user's own trace (issue 12).

  python -m rnninfo.cli analyze relay --trace my.npz --labels labels.npy [--answers answers.npy] --out DIR
  python -m rnninfo.cli analyze flow  --trace my.npz --out DIR

``--trace`` is a trace in the documented .npz format (`rnninfo.Trace.load`:
key ``hidden`` [batch, T, N], optional x, outputs, cell, units), written by
`rnninfo.Trace.save` or by numpy alone. ``--labels`` / ``--answers`` are
[batch, C] arrays of 0/1 or ±1 (.npy, or whitespace/comma-separated text);
answers default to the sign of the trace's outputs at the last step.

relay writes DIR/relay.tsv (`rnninfo.relay_table`), DIR/fig3_relay.png (I_R curve
and shares at one step, paper A Fig. 3 style) and DIR/fig6_relay_map.png (node x
step maps, Fig. 6 style). flow writes DIR/flow_edges.tsv, DIR/flow_nodes.tsv
(`rnninfo.flow_table`) and DIR/flow.png. Every option has the library's default.
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import numpy as np


def read_labels(path: str, name: str) -> np.ndarray:
    """[batch, C] labels from .npy (no pickles) or a text table; errors name the option."""
    p = Path(path)
    if not p.is_file():
        raise SystemExit(f"analyze: {name} {path} does not exist")
    try:
        if p.suffix == ".npy":
            return np.load(p, allow_pickle=False)
        return np.loadtxt(p, delimiter="," if p.suffix == ".csv" else None, ndmin=2)
    except ValueError as err:
        raise SystemExit(f"analyze: {name} {path}: not a numeric array ({err})") from None


def _ints(text: str | None, name: str):
    if text is None:
        return None
    try:
        return [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise SystemExit(f"analyze: {name} expects comma-separated integers, got {text!r}") from None


def relay_main(args) -> int:
    from rnninfo.api import plot_relay, relay_table
    from rnninfo.io import save_figure, write_tsv
    from rnninfo.recording import Trace

    try:
        trace = Trace.load(args.trace)
    except (ValueError, FileNotFoundError) as err:
        raise SystemExit(f"analyze relay: --trace: {err}") from None
    labels = read_labels(args.labels, "--labels")
    answers = read_labels(args.answers, "--answers") if args.answers else None
    names = args.names.split(",") if args.names else None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            table = relay_table(
                trace, labels, answers, times=_ints(args.times, "--times"), n_perm=args.n_perm, names=names,
                seed=args.seed, binarize=args.binarize, state=args.state, top_k=args.top_k,
            )
        except ValueError as err:
            raise SystemExit(f"analyze relay: {err}") from None
    for w in caught:
        print(f"warning: {w.message}", flush=True)
    out = Path(args.out)
    write_tsv(table, out / "relay.tsv")
    fig3, fig6 = plot_relay(table, t=args.figure_time)
    save_figure(fig3, out / "fig3_relay.png")
    save_figure(fig6, out / "fig6_relay_map.png")
    cells = table.drop_duplicates(["concept", "t"])
    print(
        f"relay: {len(cells)} (concept, step) cells, {int((cells['p'] <= 0.05).sum())} with p <= 0.05; "
        f"wrote {out}/relay.tsv and figures",
        flush=True,
    )
    return 0


def plot_flow(edges, nodes):
    """Flow matrix (significant edges outlined) and node ranks by layer."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    m = len(nodes)
    mat = np.full((m, m), np.nan)
    mat[edges["source"], edges["target"]] = edges["flow"]
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2))
    ax = axes[0]
    lim = max(float(np.nanmax(np.abs(mat))) if np.isfinite(mat).any() else 1.0, 1e-9)
    im = ax.imshow(mat, cmap="RdBu_r", vmin=-lim, vmax=lim, interpolation="nearest")
    sig = edges[edges["edge"].astype(bool)]
    ax.scatter(sig["target"], sig["source"], s=6, c="k", marker="s", label="significant edge")
    ax.set_xlabel("target node B")
    ax.set_ylabel("source node A")
    ax.set_title("flow(A->B) (bits)")
    fig.colorbar(im, ax=ax)
    ax = axes[1]
    for k, layer in enumerate(("input", "hidden", "output")):
        d = nodes[nodes["layer"] == layer]
        ax.scatter(d["rank"], np.full(len(d), k) + np.linspace(-0.2, 0.2, max(len(d), 1))[: len(d)], s=12)
    ax.set_yticks([0, 1, 2])
    ax.set_yticklabels(["input", "hidden", "output"])
    ax.set_xlabel("rank (paper B; on significant edges)")
    fig.tight_layout()
    return fig


def flow_main(args) -> int:
    from rnninfo.api import flow_table
    from rnninfo.io import save_figure, write_tsv
    from rnninfo.recording import Trace

    try:
        trace = Trace.load(args.trace)
    except (ValueError, FileNotFoundError) as err:
        raise SystemExit(f"analyze flow: --trace: {err}") from None
    try:
        edges, nodes = flow_table(
            trace, k=args.k, seed=args.seed, measure=args.measure, n_surrogates=args.n_surrogates,
            threshold=args.threshold, alpha=args.alpha, include=args.include.split(","), p_method=args.p_method,
        )
    except ValueError as err:
        raise SystemExit(f"analyze flow: {err}") from None
    out = Path(args.out)
    write_tsv(edges, out / "flow_edges.tsv")
    write_tsv(nodes, out / "flow_nodes.tsv")
    save_figure(plot_flow(edges, nodes), out / "flow.png")
    print(f"flow: {len(nodes)} nodes, {int(edges['edge'].sum())} significant edges; wrote {out}", flush=True)
    return 0


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="rnninfo.cli analyze", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="analysis", required=True)
    r = sub.add_parser("relay", help="relay information of every concept, step and unit")
    r.add_argument("--trace", required=True, help="trace .npz (documented format)")
    r.add_argument("--labels", required=True, help="[batch, C] 0/1 or ±1 (.npy or text)")
    r.add_argument("--answers", help="[batch, C] the network's answers (default: sign of outputs at the last step)")
    r.add_argument("--out", required=True, help="output folder")
    r.add_argument("--times", help="comma-separated steps (default: all)")
    r.add_argument("--names", help="comma-separated concept names (default 0..C-1)")
    r.add_argument("--n-perm", type=int, default=200, help="permutations of the null (default 200)")
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--binarize", choices=["median", "kmeans"], default="median")
    r.add_argument("--state", choices=["hidden", "cell"], default="hidden")
    r.add_argument("--top-k", type=int, default=None, help="analyse only the k units with most single-unit information")
    r.add_argument("--figure-time", type=int, default=None, help="step of the Fig. 3-style panel (default: last)")
    r.set_defaults(run=relay_main)
    f = sub.add_parser("flow", help="information-flow graph and node ranking of continuous activity")
    f.add_argument("--trace", required=True, help="trace .npz (documented format)")
    f.add_argument("--out", required=True, help="output folder")
    f.add_argument("--k", type=int, default=3, help="KSG neighbours")
    f.add_argument("--measure", choices=["tdmi", "te"], default="tdmi")
    f.add_argument("--n-surrogates", type=int, default=100)
    f.add_argument("--threshold", type=float, default=0.0, help="bits an edge's flow must exceed")
    f.add_argument("--alpha", type=float, default=0.05, help="Benjamini-Hochberg level")
    f.add_argument("--p-method", choices=["empirical", "normal"], default="empirical",
                   help="edge p from the surrogates: add-one rank (>= 1/(1+S)) or normal approximation")
    f.add_argument("--include", default="input,hidden,output", help="which parts of the trace are nodes")
    f.add_argument("--seed", type=int, default=0)
    f.set_defaults(run=flow_main)
    args = ap.parse_args(argv)
    return args.run(args)
