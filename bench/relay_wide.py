"""Greedy relay order on wide layers (issue 12: users' layers have 64-1024 units).

Prints the time of `rnninfo.relay.greedy_order` (batched counting on dense state
codes; codes of any width, no int64 overflow) for N = 128 and 512 units at
n = 5000 samples, and, for N = 128, beside it the plain path (one
`relay._Direct.i3` recount per candidate set) with the ratio and a check that
both give the same order and values. A planted relay unit must be kept to the end.

    python bench/relay_wide.py [--n 5000] [--sizes 128 512] [--plain-max 128]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from rnninfo import relay


def data(n: int, n_nodes: int, seed: int = 0):
    """Binarised correlated units (every sample's state unique), one planted relay unit."""
    rng = np.random.default_rng(seed)
    x_in = rng.integers(0, 2, n).astype(np.uint8)
    x_out = np.where(rng.random(n) < 0.1, 1 - x_in, x_in).astype(np.uint8)
    latent = rng.normal(size=(n, 8))
    states = latent @ rng.normal(size=(8, n_nodes)) + rng.normal(size=(n, n_nodes))
    planted = n_nodes - 3
    states[:, planted] = 3 * (2.0 * x_in - 1) + rng.normal(size=n)
    return relay.binarize(states), x_in, x_out, planted


def plain_greedy(bits, x_in, x_out):
    """The plain path: recount I3 of every candidate Y_0 with `relay._Direct`."""
    d = relay._Direct(bits, x_in, x_out)
    n_nodes = bits.shape[1]
    total = d.i3(list(range(n_nodes)))
    y0, remaining, order, info = [], list(range(n_nodes)), [], []
    for _ in range(n_nodes):
        info.append(total - d.i3(y0))
        values = [total - d.i3(sorted(y0 + [j])) for j in remaining]
        j = relay._argmax_low(values, remaining)
        order.append(j)
        remaining.remove(j)
        y0.append(j)
    return order, info


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--sizes", type=int, nargs="+", default=[128, 512])
    ap.add_argument("--plain-max", type=int, default=128, help="largest N for which the plain path also runs")
    args = ap.parse_args()
    print(f"{'N':>6} {'n':>6} {'greedy s':>9} {'plain s':>8} {'ratio':>7}  same  planted kept  states/n")
    for n_nodes in args.sizes:
        bits, xi, xo, planted = data(args.n, n_nodes)
        t0 = time.perf_counter()
        order, info = relay.greedy_order(bits, xi, xo)
        fast = time.perf_counter() - t0
        occupied = np.unique(bits, axis=0).shape[0] / args.n
        if n_nodes <= args.plain_max:
            t0 = time.perf_counter()
            p_order, p_info = plain_greedy(bits, xi, xo)
            plain = time.perf_counter() - t0
            same = p_order == order and np.allclose(p_info, info, atol=1e-9)
            cols = f"{plain:8.2f} {plain / fast:6.1f}x  {str(same):5}"
        else:
            cols = f"{'-':>8} {'-':>7}  {'-':5}"
        print(f"{n_nodes:6d} {args.n:6d} {fast:9.2f} {cols} {str(order[-1] == planted):>13}  {occupied:8.2f}", flush=True)


if __name__ == "__main__":
    main()
