"""Flow significance: cost of the surrogate null, and the planted-network ground truth.

    python bench/flow.py [--seeds 5] [--surrogates 99] [--windows 60] [--T 4]
                         [--cost-nodes 16] [--cost-samples 200 500] [--skip-cost]
                         [--activations results/weather/seed0/activations.npz]
                         [--engine-surrogates 10] [--engines-only]

Part 0 (engines): ``flow_null`` with the compiled kernels (:mod:`rnninfo.knn`) vs the
plain per-pair path on the paper's shape (one weather network, 21 nodes, 219
samples), CPU seconds and the ratio per measure, and the largest difference.
Then (lags) the weather_flow stage's output lags 0 and 1 with ``last_pair``
samples: each lag computed in full vs the non-output pairs shared across lags
(:func:`rnninfo.stages.weather_flow.condition_flows`), CPU seconds, the ratio and
the largest difference (zero required).

Part 1 (cost): seconds for one ``flow_null`` of ``--cost-nodes`` nodes at each
``--cost-samples`` sample count with 20 surrogates, per measure, and what that
implies per surrogate and per 100 surrogates (the pipeline runs it once per
seed, measure and readout timing).

Part 2 (ground truth): :func:`rnninfo.flow.planted_layers` networks (inputs ->
layer1 -> layer2 -> outputs, one step per layer, AR(1) 0.9 inputs), several seeds.
For each measure and p-value method: flow + window-shuffle null + Benjamini-Hochberg
(q <= 0.05) + threshold -> edges -> ranks; the order score over nodes with an edge
(each layer before the next: adjacent layer pairs pooled; and all layer pairs),
averaged over seeds, per threshold; "no significance" uses the threshold alone.
Then the null: independent nodes (AR(1) 0.9 and white), the share of pairs with
p <= 0.05 and the number of BH edges.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings

import numpy as np

from rnninfo import flow

THRESHOLDS = (0.0, 0.02, 0.05, 0.1)
ALPHA = 0.05


def scores(observed, q, layers, thresholds=THRESHOLDS, alpha=ALPHA):
    """{threshold: (adjacent order, all-pairs order, edges)} over nodes with an edge."""
    out = {}
    for thr in thresholds:
        keep = observed if q is None else np.where(np.nan_to_num(q, nan=np.inf) <= alpha, observed, np.nan)
        adj = flow.adjacency(keep, thr)
        ranks = flow.rank_nodes(adj, tol=1e-10)
        linked = (adj.sum(0) + adj.sum(1)) > 0
        ranks = np.round(ranks, 6)
        allp = flow.order_score(ranks, layers, include=linked, order=flow.PLANTED_ORDER)["all"]
        out[thr] = (flow.adjacent_order(ranks, layers, linked), allp, int(adj.sum()))
    return out


def ground_truth(seeds, surrogates, windows, T):
    print(f"\nplanted layered networks: sizes (2, 3, 3, 2), {windows} windows x {T - 1} step pairs, "
          f"{surrogates} surrogates, BH q <= {ALPHA}; order scores over linked nodes, mean over {len(seeds)} seeds")
    rows = {}
    for seed in seeds:
        act, layers, _ = flow.planted_layers(seed, windows=windows, T=T)
        for measure in flow.MEASURES:
            res = flow.flow_null(act, k=3, seed=seed, measure=measure, n_surrogates=surrogates)
            off = ~np.eye(len(layers), dtype=bool)
            for method in ("none",) + flow.P_METHODS:
                if method == "none":
                    q = None
                else:
                    p = flow.surrogate_pvalues(res.observed, res.null, method)
                    q = np.full(p.shape, np.nan)
                    q[off] = flow.bh_qvalues(p[off])
                for thr, val in scores(res.observed, q, layers).items():
                    rows.setdefault((measure, method, thr), []).append(val)
    print(f"{'measure':>7} {'significance':>12} {'threshold':>9} {'adjacent':>8} {'all':>6} {'edges':>6}")
    for (measure, method, thr), vals in rows.items():
        v = np.array(vals, dtype=float)
        print(f"{measure:>7} {method:>12} {thr:9.2f} {np.nanmean(v[:, 0]):8.3f} {np.nanmean(v[:, 1]):6.3f} "
              f"{v[:, 2].mean():6.1f}")
    for measure in flow.MEASURES:
        for method in flow.P_METHODS:
            mean = np.nanmean([np.nanmean(np.array(rows[(measure, method, t)], float)[:, 0]) for t in THRESHOLDS])
            print(f"  {measure} + {method} p + BH: adjacent order averaged over seeds and thresholds = {mean:.3f}")


def null_rates(seeds, surrogates, windows, T):
    print(f"\nnull: 8 independent nodes (4 AR(1) 0.9, 4 white), {windows} windows x {T - 1} step pairs")
    for measure in flow.MEASURES:
        for method in flow.P_METHODS:
            share, edges = [], []
            for seed in seeds:
                rng = np.random.default_rng([99, seed])
                ar = np.zeros((windows * T + 50, 4))
                for t in range(1, len(ar)):
                    ar[t] = 0.9 * ar[t - 1] + np.sqrt(0.19) * rng.standard_normal(4)
                act = np.concatenate(
                    [ar[50:].reshape(windows, T, 4), rng.standard_normal((windows, T, 4))], axis=-1
                )
                res = flow.flow_null(act, k=3, seed=seed, measure=measure, n_surrogates=surrogates, p_method=method)
                off = ~np.eye(8, dtype=bool)
                share.append(np.mean(res.p[off] <= ALPHA))
                edges.append(int((flow.bh_qvalues(res.p[off]) <= ALPHA).sum()))
            print(f"  {measure} {method:>9}: share of pairs with p <= {ALPHA}: {np.mean(share):.3f}; "
                  f"BH edges per network: {np.mean(edges):.2f}")


def cost(nodes, sample_counts, surrogates=20):
    print(f"\nflow_null cost: {nodes} nodes ({nodes * (nodes - 1)} ordered pairs), {surrogates} surrogates, 1 thread")
    for n in sample_counts:
        rng = np.random.default_rng(n)
        windows = n // 2
        act = rng.standard_normal((windows, 3, nodes))
        act[:, 1:, 1:] += 0.5 * act[:, :-1, :-1]
        for measure in flow.MEASURES:
            t0 = time.perf_counter()
            flow.flow_null(act, k=3, seed=0, measure=measure, n_surrogates=surrogates)
            dt = time.perf_counter() - t0
            per = dt / (surrogates + 1)
            print(f"  n = {windows * 2:5d} samples, {measure:>4}: {dt:6.2f} s = {per:.3f} s per flow matrix; "
                  f"100 surrogates ~ {101 * per:.0f} s")


def paper_activity(path: str | None, seed: int = 0):
    """The flow samples of one weather network (last snapshot, ``last_pair``, output lag 0) when
    ``path`` exists, else a synthetic array of the paper's shape: 219 windows x 2 steps x 21 nodes."""
    from pathlib import Path

    if path and Path(path).exists():
        from rnninfo.io import load_npz
        from rnninfo.stages import weather_flow as wf

        activity, _, layers = wf.network_nodes(load_npz(path))
        return wf.select_samples(activity, "last_pair", activity.shape[1]), path
    rng = np.random.default_rng(seed)
    act = rng.standard_normal((219, 2, 21))
    act[:, :, 4:9] = rng.random((219, 2, 5)) < 0.2  # one-hot-like inputs (ties)
    act[:, 1, 9:] += np.tanh(act[:, 0, :12])
    return act, "synthetic"


def engines(path: str | None, surrogates: int) -> None:
    """Compiled kernels vs the plain per-pair path: seconds (CPU) and their ratio per measure."""
    warnings.simplefilter("ignore", UserWarning)  # a constant input node: warned per call
    act, source = paper_activity(path)
    print(f"\nflow_null engines ({source}: {act.shape[0]} windows x {act.shape[1] - 1} step pair, "
          f"{act.shape[2]} nodes, {surrogates} surrogates, 1 thread); same numbers required")
    flow.flow_null(act[:30], measure="te", n_surrogates=3)  # compile / load the kernels once
    flow.flow_null(act[:30], measure="tdmi", n_surrogates=3)
    for measure in flow.MEASURES:
        secs, res = {}, {}
        for engine in ("plain", "compiled"):
            t0 = time.process_time()
            res[engine] = flow.flow_null(act, k=3, seed=1, measure=measure, n_surrogates=surrogates, engine=engine)
            secs[engine] = time.process_time() - t0
        diff = max(np.nanmax(np.abs(a - b)) for a, b in zip(res["plain"], res["compiled"]))
        print(f"  {measure:>4}: plain {secs['plain']:6.2f} s, compiled {secs['compiled']:6.2f} s, "
              f"ratio {secs['plain'] / secs['compiled']:5.1f}x; largest difference {diff:.1e} bits")


def lags(path: str | None, surrogates: int) -> None:
    """Output lags 0 and 1: every lag in full vs non-output pairs shared (same numbers required)."""
    from pathlib import Path

    from rnninfo.stages import weather_flow as wf

    warnings.simplefilter("ignore", UserWarning)
    if path and Path(path).exists():
        from rnninfo.io import load_npz

        activity, _, layers = wf.network_nodes(load_npz(path))
        source = path
    else:  # the paper's shape: 219 windows x 7 steps, 9 inputs, 10 hidden units, 2 outputs
        rng = np.random.default_rng(0)
        activity = rng.standard_normal((219, 7, 21))
        activity[:, 1:, 9:] += np.tanh(activity[:, :-1, :12])
        layers = np.array(["input"] * 9 + ["hidden"] * 10 + ["output"] * 2)
        source = "synthetic"
    p = {**wf.DEFAULTS, "n_surrogates": surrogates, "samples": "last_pair"}
    print(f"\noutput lags 0 and 1 ({source}, last_pair, {surrogates} surrogates, 1 thread); same numbers required")
    for measure in flow.MEASURES:
        t0 = time.process_time()
        full = {}
        for lag in p["output_lags"]:
            act = wf.select_samples(wf.shift_outputs(activity, layers, lag), "last_pair", activity.shape[1])
            full[lag] = flow.flow_null(act, k=3, seed=wf.condition_seed(p, 0, measure, lag), measure=measure,
                                       n_surrogates=surrogates, p_method=p["p_method"])
        t_full = time.process_time() - t0
        t0 = time.process_time()
        shared = wf.condition_flows(activity, layers, p, 0, measure)
        t_shared = time.process_time() - t0
        diff = max(np.nanmax(np.abs(a - b)) for lag in full for a, b in zip(full[lag], shared[lag][1]))
        print(f"  {measure:>4}: per lag {t_full:6.2f} s, shared {t_shared:6.2f} s, "
              f"ratio {t_full / t_shared:5.2f}x; largest difference {diff:.1e} bits")


def main(argv=None) -> int:
    warnings.simplefilter("ignore", RuntimeWarning)  # means over no edges print as nan
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--surrogates", type=int, default=99)
    ap.add_argument("--windows", type=int, default=60)
    ap.add_argument("--T", type=int, default=4)
    ap.add_argument("--cost-nodes", type=int, default=16)
    ap.add_argument("--cost-samples", type=int, nargs="+", default=[200, 500])
    ap.add_argument("--skip-cost", action="store_true")
    ap.add_argument("--activations", default="results/weather/seed0/activations.npz",
                    help="a weather network for the engine comparison (synthetic if missing)")
    ap.add_argument("--engine-surrogates", type=int, default=10)
    ap.add_argument("--engines-only", action="store_true", help="only the engine comparison")
    args = ap.parse_args(argv)
    engines(args.activations, args.engine_surrogates)
    lags(args.activations, args.engine_surrogates)
    if args.engines_only:
        return 0
    if not args.skip_cost:
        cost(args.cost_nodes, args.cost_samples)
    seeds = list(range(args.seeds))
    ground_truth(seeds, args.surrogates, args.windows, args.T)
    null_rates(seeds, args.surrogates, args.windows, args.T)
    return 0


if __name__ == "__main__":
    sys.exit(main())
