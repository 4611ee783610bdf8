"""Benchmark: KSG fast path vs npeet, side by side in one process.

    python bench/ksg.py [--sizes 220 1000 5000] [--skip-flow]
                        [--activations results/weather/seed0/activations.npz] [--workers 2]

Part 1, ``rnninfo.ksg.mi(method="fast")`` vs ``method="npeet"`` (and the same for
``cmi``): x and y of d = 1 and d = 3 dimensions each and the pipeline's
``weather_mi`` shape (10 hidden units vs 19 inputs) at n = 220, 1000 and 5000
samples. Both calls do the same validation, standardising, duplicate check and
jitter; only the estimator differs. Each shape runs the two alternately, several
times, and keeps each one's fastest time (machines here are shared and noisy:
read the ratios, not the seconds).

Part 2, the all-pairs flow matrix: fast path vs a loop of npeet calls, on a real
network's activations (inputs + hidden + outputs of the last snapshot) when the
file exists, otherwise a synthetic Elman-like network of the paper's shape
(300 windows x 7 steps, 19 inputs + 10 hidden + 2 outputs = 31 nodes).

Prints times, ratios (npeet / fast: above 1 means the fast path is faster) and
the largest difference to npeet (which must be below 1e-9 bits; exit status 1
otherwise).
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from rnninfo import flow, ksg
from rnninfo.io import load_npz

SHAPES = (("d=1", 1, 1), ("d=3", 3, 3), ("10 hidden vs 19 inputs", 10, 19))


def synthetic_activity(seed=0, windows=300, T=7, d_in=19, hidden=10, n_out=2) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((windows, T, d_in))
    x[:, :, 10:] = rng.random((windows, T, d_in - 10)) < 0.2  # one-hot-like inputs (ties)
    w_in = 0.3 * rng.standard_normal((hidden, d_in))
    w = 0.5 * rng.standard_normal((hidden, hidden))
    w_out = rng.standard_normal((n_out, hidden))
    h = np.zeros((windows, hidden))
    hs, ys = [], []
    for t in range(T):
        h = np.tanh(x[:, t] @ w_in.T + h @ w.T)
        hs.append(h)
        ys.append(h @ w_out.T)
    return np.concatenate([x, np.stack(hs, 1), np.stack(ys, 1)], axis=-1).astype(np.float32)


def shape_data(n, dx, dy, seed=0):
    """A nonlinear dependence of y on x, like a hidden layer on its inputs."""
    rng = np.random.default_rng([seed, n, dx, dy])
    x = rng.standard_normal((n, dx))
    w = rng.standard_normal((dx, dy)) / np.sqrt(dx)
    y = np.tanh(x @ w) + 0.5 * rng.standard_normal((n, dy))
    z = x[:, :1] + rng.standard_normal((n, 1))
    return x, y, z


def best_of(fns: dict, budget: float = 4.0, max_rounds: int = 40) -> tuple[dict, dict]:
    """Run the callables alternately; fastest time and last value of each."""
    best = {key: np.inf for key in fns}
    value = {}
    start = time.perf_counter()
    for rounds in range(max_rounds):
        for key, fn in fns.items():
            t0 = time.perf_counter()
            value[key] = fn()
            best[key] = min(best[key], time.perf_counter() - t0)
        if rounds >= 2 and time.perf_counter() - start > budget:
            break
    return best, value


def bench_estimators(sizes, k: int) -> float:
    print("ksg.mi / ksg.cmi: method='fast' vs method='npeet' (same jittered, standardised data)")
    print(f"{'shape':>24} {'n':>6} {'npeet s':>9} {'fast s':>9} {'ratio':>6} {'|diff| bits':>11}")
    worst = 0.0
    lowest = np.inf
    for label, dx, dy in SHAPES:
        for n in sizes:
            x, y, z = shape_data(n, dx, dy)
            for est, extra in (("mi", ()), ("cmi | z", (z,))):
                fn = ksg.mi if est == "mi" else ksg.cmi
                t, v = best_of(
                    {m: (lambda m=m: fn(x, y, *extra, k=k, seed=1, method=m)) for m in ("npeet", "fast")},
                    budget=2.0 if n < 5000 else 6.0,
                )
                diff = abs(v["npeet"] - v["fast"])
                worst = max(worst, diff)
                ratio = t["npeet"] / t["fast"]
                lowest = min(lowest, ratio)
                print(
                    f"{label + ' ' + est:>24} {n:6d} {t['npeet']:9.4f} {t['fast']:9.4f} {ratio:5.2f}x {diff:11.1e}",
                    flush=True,
                )
    print(f"lowest ratio npeet / fast: {lowest:.2f}x; largest |diff| {worst:.1e} bits")
    return worst


def bench_flow(activations: str, workers: int, k: int, seed: int) -> float:
    if Path(activations).exists():
        from rnninfo.stages.weather_flow import network_nodes

        act, _, _ = network_nodes(load_npz(activations))
        source = activations
    else:
        act = synthetic_activity()
        source = "synthetic Elman-like network (no activations file)"
    n, T, m = act.shape
    print(f"\nall-pairs flow, activity: {source}\n  {n} windows x {T - 1} step pairs = {n * (T - 1)} samples, {m} nodes")

    warnings.simplefilter("ignore", UserWarning)  # constant nodes: reported by the stage, not here
    times = {}
    results = {}
    for label, fn in (
        ("fast, 1 thread", lambda: flow.flow_terms(act, k, seed, workers=1)),
        (f"fast, {workers} threads", lambda: flow.flow_terms(act, k, seed, workers=workers)),
        ("npeet loop", lambda: flow.flow_terms_npeet(act, k, seed)),
    ):
        start = time.perf_counter()
        results[label] = fn()
        times[label] = time.perf_counter() - start
    ref = results["npeet loop"]
    live = int((~ref.constant).sum())
    print(f"  npeet loop: {live * live + live * (live - 1)} mi calls; fast path: "
          f"{live * live + live * (live - 1) // 2} KSG estimates (I(A_t; B_t) is symmetric)")
    worst = 0.0
    for label, t in times.items():
        res = results[label]
        diff = max(
            float(np.nanmax(np.abs(getattr(res, name) - getattr(ref, name)))) for name in ("mi_next", "mi_now", "flow")
        )
        worst = max(worst, diff)
        ratio = times["npeet loop"] / t
        print(f"{label:>16}: {t:7.2f} s   npeet loop / this = {ratio:5.2f}x   max |diff| = {diff:.2e} bits")
    return worst


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[220, 1000, 5000])
    ap.add_argument("--skip-flow", action="store_true", help="only the single-estimate comparison")
    ap.add_argument("--activations", default="results/weather/seed0/activations.npz")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--k", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    worst = bench_estimators(args.sizes, args.k)
    if not args.skip_flow:
        worst = max(worst, bench_flow(args.activations, args.workers, args.k, args.seed))
    ok = worst < 1e-9
    print(f"max abs difference {worst:.2e} bits: {'OK (< 1e-9)' if ok else 'FAIL (>= 1e-9)'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
