"""Benchmark: the all-pairs flow matrix, fast path vs a loop of npeet calls, in one process.

    python bench/ksg.py [--activations results/weather/seed0/activations.npz] [--workers 2]

Uses a real network's activations (inputs + hidden + outputs of the last
snapshot) when the file exists, otherwise a synthetic Elman-like network of the
paper's shape (300 windows x 7 steps, 19 inputs + 10 hidden + 2 outputs = 31
nodes). Both paths see the same jittered data. Prints the times, the ratios and
the largest difference (which must be below 1e-9 bits; exit status 1 otherwise).
Machines here are noisy: read the ratios, not the seconds.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from rnninfo import flow
from rnninfo.io import load_npz


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


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--activations", default="results/weather/seed0/activations.npz")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--k", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    if Path(args.activations).exists():
        from rnninfo.stages.weather_flow import network_nodes

        act, _, _ = network_nodes(load_npz(args.activations))
        source = args.activations
    else:
        act = synthetic_activity()
        source = "synthetic Elman-like network (no activations file)"
    n, T, m = act.shape
    print(f"activity: {source}\n  {n} windows x {T - 1} step pairs = {n * (T - 1)} samples, {m} nodes")

    warnings.simplefilter("ignore", UserWarning)  # constant nodes: reported by the stage, not here
    times = {}
    results = {}
    for label, fn in (
        ("fast, 1 thread", lambda: flow.flow_terms(act, args.k, args.seed, workers=1)),
        (f"fast, {args.workers} threads", lambda: flow.flow_terms(act, args.k, args.seed, workers=args.workers)),
        ("npeet loop", lambda: flow.flow_terms_npeet(act, args.k, args.seed)),
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
    ok = worst < 1e-9
    print(f"max abs difference {worst:.2e} bits: {'OK (< 1e-9)' if ok else 'FAIL (>= 1e-9)'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
