"""Benchmark: the weather_mi stage's TSE (KSG) and layer MIs, compiled/batched vs plain, side by side.

    python bench/weather_mi.py [--activations results/weather/seed0/activations.npz]
                               [--snapshots 4] [--subsets 50]

For a few snapshots of one weather network (the hidden layer at the readout step:
219 test windows x 10 units at paper scale; a synthetic tanh layer of that shape
when the file is missing): the KSG TSE complexity (``rnninfo.tse.tse_complexity``,
``subsets`` per size) computed

- plain: one ``rnninfo.ksg.entropy`` call per subset with scipy's dense pass
  (``ksg.DENSE_ENGINE = "cdist"``), the previous implementation;
- fast: every subset's entropy from one batched compiled call (``ksg.entropies``);

the Gaussian TSE computed with one log-determinant per subset (plain, the previous
implementation: ``tse.gaussian_multi_information`` in a loop) and with all subsets of one
size in one batched ``slogdet`` (fast: ``tse_complexity(estimator="gaussian")``);
and the four layer MIs (hidden / output vs input / truth) with the dense pass on
scipy vs compiled. Prints CPU seconds, the ratio (plain / fast) and the largest
difference, which must be below 1e-9 bits (exit status 1 otherwise).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from rnninfo import ksg, tse


def layers(path: str, snapshots: int):
    """[(hidden (n, H), output (n, 2), input (n, d_in), truth (n, 2))] at evenly spaced snapshots."""
    if Path(path).exists():
        from rnninfo.io import load_npz
        from rnninfo.weather_info import input_matrix

        acts = load_npz(path)
        x = input_matrix(acts["inputs"], "last").astype(np.float64)
        y = acts["targets"].astype(np.float64)
        K = len(acts["epochs"])
        pick = np.unique(np.linspace(0, K - 1, snapshots).round().astype(int))
        return [(acts["hidden"][s][:, -1, :].astype(np.float64), acts["outputs"][s][:, -1, :].astype(np.float64), x, y)
                for s in pick], path
    rng = np.random.default_rng(0)
    out = []
    for s in range(snapshots):
        x = rng.standard_normal((219, 8))
        h = np.tanh((0.3 + s) * x @ rng.standard_normal((8, 10)))
        o = h @ rng.standard_normal((10, 2))
        out.append((h, o, x, o + rng.standard_normal((219, 2))))
    return out, "synthetic"


def gaussian_tse_per_subset(h: np.ndarray, subsets: dict) -> float:
    """The Gaussian TSE as before batching: one log-determinant per subset."""
    cov = np.cov(h, rowvar=False)
    n = h.shape[1]
    total = tse.gaussian_multi_information(cov)
    return total / n + sum((m / n) * total - float(np.mean([tse.gaussian_multi_information(cov, s)
                                                            for s in subsets[m]])) for m in range(2, n))


def timed(fn):
    t0 = time.process_time()
    value = fn()
    return value, time.process_time() - t0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--activations", default="results/weather/seed0/activations.npz")
    ap.add_argument("--snapshots", type=int, default=4)
    ap.add_argument("--subsets", type=int, default=50)
    args = ap.parse_args(argv)
    snaps, source = layers(args.activations, args.snapshots)
    h0 = snaps[0][0]
    print(f"{source}: {len(snaps)} snapshots, hidden layer {h0.shape[0]} samples x {h0.shape[1]} units, "
          f"{args.subsets} subsets per size; CPU seconds summed over snapshots")
    ksg.entropies(h0[:40], [(0,), (0, 1)], on_duplicates="warn")  # load the compiled kernels once
    ksg.mi(h0[:40], h0[:40, :2] + 1, method="fast", on_duplicates="warn")
    worst = 0.0
    t = {"tse plain": 0.0, "tse fast": 0.0, "gauss plain": 0.0, "gauss fast": 0.0, "mi plain": 0.0, "mi fast": 0.0}
    for i, (h, o, x, y) in enumerate(snaps):
        subsets = tse.draw_subsets(h.shape[1], args.subsets, np.random.default_rng([7, i]))
        ksg.DENSE_ENGINE = "cdist"
        plain, dt = timed(lambda: tse.tse_complexity(
            h, args.subsets, None, "ksg", subsets=subsets,
            entropy=lambda a: ksg.entropy(a, k=3, seed=i, method="fast", on_duplicates="warn")))
        t["tse plain"] += dt
        g_plain, dt = timed(lambda: gaussian_tse_per_subset(h, subsets))
        t["gauss plain"] += dt
        g_fast, dt = timed(lambda: tse.tse_complexity(h, args.subsets, subsets=subsets))
        t["gauss fast"] += dt
        worst = max(worst, abs(g_plain - g_fast))
        mi_plain, dt = timed(lambda: [ksg.mi(a, b, seed=i, method="fast", standardize=st, on_duplicates="warn")
                                      for st in (False, True) for a in (h, o) for b in (x, y)])
        t["mi plain"] += dt
        ksg.DENSE_ENGINE = "compiled"
        fast, dt = timed(lambda: tse.tse_complexity(h, args.subsets, None, "ksg", k=3, seed=i,
                                                    on_duplicates="warn", subsets=subsets))
        t["tse fast"] += dt
        mi_fast, dt = timed(lambda: [ksg.mi(a, b, seed=i, method="fast", standardize=st, on_duplicates="warn")
                                     for st in (False, True) for a in (h, o) for b in (x, y)])
        t["mi fast"] += dt
        worst = max(worst, abs(plain - fast), float(np.max(np.abs(np.subtract(mi_plain, mi_fast)))))
        print(f"  snapshot {i}: TSE {fast:.6f} bits (plain {plain:.6f})")
    for what in ("tse", "gauss", "mi"):
        print(f"{what:>5}: plain {t[what + ' plain']:6.2f} s, fast {t[what + ' fast']:6.2f} s, "
              f"ratio {t[what + ' plain'] / t[what + ' fast']:5.1f}x")
    print(f"largest difference {worst:.1e} bits")
    return 0 if worst < 1e-9 else 1


if __name__ == "__main__":
    import warnings

    warnings.simplefilter("ignore", UserWarning)  # saturated units: duplicate warnings, judged alike
    sys.exit(main())
