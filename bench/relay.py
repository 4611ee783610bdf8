"""Exhaustive relay search: one bincount + subset transform vs a plain np.unique plug-in.

    python bench/relay.py                       # synthetic 12-node states, 1000 samples
    python bench/relay.py --trace results/traces/memory/LSTM/random/seed0.npz

Both paths compute I3(S) for all 2^N node sets S of the same binarised states
(one network, one concept, one time point); the script checks that they agree,
prints the time per table of each, their ratio, and projects the paper-scale
workload (720 networks x 3 concepts x 15 time points) for both. Times are on
this machine, in one process; compare the ratio, not the seconds.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from rnninfo import relay
from rnninfo.io import load_npz

PAPER_TABLES = 720 * 3 * 15  # networks x concepts x time points


def plain_table(bits: np.ndarray, x_in: np.ndarray, x_out: np.ndarray) -> np.ndarray:
    """I3 of every subset by recounting the samples per subset with np.unique."""
    n, n_nodes = bits.shape

    def h(code):
        _, c = np.unique(code, return_counts=True)
        p = c / n
        return -(p * np.log2(p)).sum()

    h_i, h_o, h_io = h(x_in), h(x_out), h(2 * x_in + x_out)
    out = np.zeros(1 << n_nodes)
    b = bits.astype(np.int64)
    for mask in range(1, 1 << n_nodes):
        nodes = [j for j in range(n_nodes) if mask >> j & 1]
        s = b[:, nodes] @ (1 << np.arange(len(nodes), dtype=np.int64))
        out[mask] = h(s) - h(2 * s + x_in) - h(2 * s + x_out) + h(4 * s + 2 * x_in + x_out) + h_i + h_o - h_io
    return out


def synthetic(rng, n=1000, n_nodes=12):
    """States like a trained memory network's at the readout: three concept bits,
    each held (noisily) by two nodes, the other nodes mixtures of them."""
    y = rng.integers(0, 2, (n, 3))
    s = 2.0 * y - 1.0
    mix = rng.normal(size=(3, n_nodes))
    mix[:, :6] = 0.0
    for c in range(3):
        mix[c, 2 * c : 2 * c + 2] = 1.0
    states = np.tanh(s @ mix + 0.3 * rng.normal(size=(n, n_nodes)))
    x_out = np.where(rng.random((n, 3)) < 0.02, 1 - y, y)
    return [(relay.binarize(states), y[:, c], x_out[:, c]) for c in range(3)]


def from_trace(path, t=None):
    tr = load_npz(path)
    n = tr["y"].shape[0]
    t = int(tr["n_info"]) if t is None else t
    bits = relay.binarize(tr["hidden"][:, t, :], constant="zero", atol=1e-6)
    x_in = (tr["y"] > 0).astype(np.uint8)
    x_out = (tr["outputs"][np.arange(n), tr["t_end"], :] > 0).astype(np.uint8)
    return [(bits, x_in[:, c], x_out[:, c]) for c in range(3)]


def clock(fn, reps):
    t0 = time.perf_counter()
    for _ in range(reps):
        result = fn()
    return (time.perf_counter() - t0) / reps, result


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trace", help="a trace .npz (default: synthetic states)")
    ap.add_argument("--t", type=int, help="time step of the trace (default n_info)")
    ap.add_argument("--reps", type=int, default=20, help="fast-path repetitions per table")
    ap.add_argument("--plain-reps", type=int, default=1, help="plain-path repetitions per table")
    args = ap.parse_args()
    cases = from_trace(args.trace, args.t) if args.trace else synthetic(np.random.default_rng(0))
    bits = cases[0][0]
    print(
        f"data: {'trace ' + args.trace if args.trace else 'synthetic'}; {bits.shape[0]} samples, "
        f"{bits.shape[1]} nodes, {2 ** bits.shape[1]} subsets per table, "
        f"{len(np.unique(bits, axis=0))} distinct binary states"
    )
    fast_t, plain_t, worst = [], [], 0.0
    for b, xi, xo in cases:
        tf, fast = clock(lambda: relay.interaction_table(b, xi, xo), args.reps)
        tp, plain = clock(lambda: plain_table(b, xi, xo), args.plain_reps)
        fast_t.append(tf)
        plain_t.append(tp)
        worst = max(worst, float(np.abs(fast - plain).max()))
    tf, tp = float(np.mean(fast_t)), float(np.mean(plain_t))
    print(f"max |fast - plain| over all subsets: {worst:.2e} bits")
    print(f"bincount + subset transform: {tf * 1e3:8.2f} ms per table")
    print(f"np.unique per subset:        {tp * 1e3:8.2f} ms per table")
    print(f"ratio plain / fast:          {tp / tf:8.1f}x")
    print(f"projected paper scale ({PAPER_TABLES} tables = 720 networks x 3 concepts x 15 steps, one core):")
    print(f"  fast  {tf * PAPER_TABLES / 60:8.1f} min")
    print(f"  plain {tp * PAPER_TABLES / 3600:8.1f} h")


if __name__ == "__main__":
    main()
