"""Relay search costs.

    python bench/relay.py                       # synthetic 12-node states, 1000 samples
    python bench/relay.py --trace results/traces/memory/LSTM/random/seed0.npz
    python bench/relay.py --stage               # + the relay stage per condition, before / after
    python bench/relay.py --stage-traces results/traces/memory/GRU/5/seed*.npz   # on real traces

1. Exhaustive table: one bincount + subset transform vs a plain np.unique
   plug-in; both compute I3(S) for all 2^N node sets S of the same binarised
   states (one network, one concept, one time point); the script checks that
   they agree, prints the time per table of each and their ratio.
2. The permutation null (`relay.relay_null`, 200 permutations + the share
   null's greedy runs) beside one exhaustive table and one greedy search: the
   null's cost ratio.
3. The null (3 concepts, 200 permutations, 2 share-null greedy runs) and the
   greedy search: numba loops (``compiled=True``, the stage's path) vs the
   numpy reference (bincounts), on the same data; ratio.
4. ``--stage``: the relay stage on one paper-scale condition (20 seeds,
   n = 1000, 12 nodes, memory task, T = 19 traced steps) as it was (exhaustive
   table at every step, no null), as it is with the numpy null and greedy, and
   as it is with the numba loops: CPU seconds per condition against the target
   (<= 8 s per condition including the nulls; issue 14). Numba's start-up in a
   fresh process (import + loading the cached machine code) is timed apart.
Times are on this machine, in one process; compare the ratios, not the seconds.
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
    """CPU seconds per call (process time: steadier than wall time on a shared machine)."""
    t0 = time.process_time()
    for _ in range(reps):
        result = fn()
    return (time.process_time() - t0) / reps, result


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trace", help="a trace .npz (default: synthetic states)")
    ap.add_argument("--t", type=int, help="time step of the trace (default n_info)")
    ap.add_argument("--reps", type=int, default=20, help="fast-path repetitions per table")
    ap.add_argument("--plain-reps", type=int, default=1, help="plain-path repetitions per table")
    ap.add_argument("--stage", action="store_true", help="also time the relay stage on one paper-scale condition")
    ap.add_argument("--seeds", type=int, default=20, help="seeds of that condition")
    ap.add_argument("--stage-traces", nargs="+", help="time the stage on these traces (one condition) instead")
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
    compiled_costs(cases, args.reps)  # first: it times numba's start-up
    null_costs(cases, args.reps)
    if args.stage or args.stage_traces:
        stage_costs(args.seeds, args.stage_traces)


def null_costs(cases, reps):
    """The null's cost beside one exhaustive table and one greedy search (same data)."""
    t_null, t_null_i3, t_table, t_greedy = [], [], [], []
    for b, xi, xo in cases:
        perms = relay.permutations(len(xi), 200, 0)
        t_null.append(clock(lambda: relay.relay_null(b, xi, xo, perms=perms, n_share_perm=2, warn=False), reps)[0])
        t_null_i3.append(clock(lambda: relay.relay_null(b, xi, xo, perms=perms, n_share_perm=0, warn=False), reps)[0])
        t_table.append(clock(lambda: relay.interaction_table(b, xi, xo), reps)[0])
        t_greedy.append(clock(lambda: relay.greedy_order(b, xi, xo), reps)[0])
    tn, tn3, tt, tg = (float(np.mean(v)) for v in (t_null, t_null_i3, t_table, t_greedy))
    print("permutation null (200 permutations of I_R(all); 2 of them with greedy shares):")
    print(f"  null incl. observed greedy + 2 share-null greedy runs {tn * 1e3:8.2f} ms")
    print(f"  null of I_R(all) only (+ observed greedy)             {tn3 * 1e3:8.2f} ms")
    print(f"  greedy search (observed)                              {tg * 1e3:8.2f} ms")
    print(f"  exhaustive table                                      {tt * 1e3:8.2f} ms")
    print(f"  ratio null / exhaustive table:                        {tn / tt:8.2f}x")
    print(f"  ratio null / greedy search:                           {tn / tg:8.2f}x")


def compiled_costs(cases, reps):
    """The stage's per-step call (every concept's null in one batch) and greedy: numba vs numpy."""
    bits = cases[0][0]
    x_in = np.stack([c[1] for c in cases], axis=1)
    x_out = np.stack([c[2] for c in cases], axis=1)
    perms = relay.permutations(len(bits), 200, 0)

    def run(compiled):
        return relay.relay_nulls(bits, x_in, x_out, perms=perms, n_share_perm=2, compiled=compiled)

    t0 = time.perf_counter()
    run(True)  # numba start-up (cached machine code) on the first call
    start = time.perf_counter() - t0
    tf, fast = clock(lambda: run(True), reps)
    tp, plain = clock(lambda: run(False), reps)
    diff = max(float(np.abs(a.null - b.null).max()) for a, b in zip(fast, plain))
    same = all(a.order == b.order and a.p == b.p for a, b in zip(fast, plain))
    halves = np.stack([bits[::2], bits[1::2]] * 3)
    xi = np.stack([x_in[h::2, c] for c in range(3) for h in (0, 1)])
    xo = np.stack([x_out[h::2, c] for c in range(3) for h in (0, 1)])
    tgf, (o1, _) = clock(lambda: relay.greedy_orders(halves, xi, xo, compiled=True), reps)
    tgp, (o2, _) = clock(lambda: relay.greedy_orders(halves, xi, xo, compiled=False), reps)
    print("one step of the stage: 3 concepts x (200-permutation null + observed and 2 share-null greedy runs):")
    print(f"  numpy reference {tp * 1e3:8.2f} ms; numba {tf * 1e3:8.2f} ms; ratio {tp / tf:6.1f}x "
          f"(same orders and p: {same}; max |null diff| {diff:.1e} bits)")
    print(f"  split-half greedy (6 searches, n = {halves.shape[1]}): numpy {tgp * 1e3:7.2f} ms; "
          f"numba {tgf * 1e3:7.2f} ms; ratio {tgp / tgf:6.1f}x (same orders: {np.array_equal(o1, o2)})")
    print(f"  numba start-up in this process (first call, wall): {start:.2f} s")


def synthetic_trace(rng, n=1000, n_nodes=12, T=19, n_info=10, onsets=(3, 6, 9)):
    """A memory-like trace: from each concept's onset on, the states mix the
    concept bits shown so far (two nodes hold each concept, the others are
    mixtures), with noise; the answer is the label with 2% errors."""
    y = rng.choice([-1.0, 1.0], size=(n, 3))
    mix = rng.normal(size=(3, n_nodes))
    mix[:, :6] = 0.0
    for c in range(3):
        mix[c, 2 * c : 2 * c + 2] = 1.0
    hidden = np.zeros((n, T, n_nodes))
    for t in range(T):
        shown = np.array([t >= o for o in onsets], dtype=float)
        hidden[:, t] = np.tanh((y * shown) @ mix + 0.3 * rng.normal(size=(n, n_nodes)))
    answer = np.where(rng.random((n, 3)) < 0.02, -y, y)
    return dict(
        states=hidden.astype(np.float32), state="hidden", y=y.astype(np.float32),
        outputs=np.tile(answer[:, None, :], (1, T, 1)).astype(np.float32),
        t_end=np.full(n, n_info + 5 - 1, dtype=np.int64), n_info=n_info, onsets=np.asarray(onsets),
    )


def stage_before(tr, params):
    """The stage as it was: the exhaustive table at every step (training horizon), no null."""
    states, y, out, t_end = tr["states"], tr["y"], tr["outputs"], tr["t_end"]
    n = len(y)
    x_in = (y > 0).astype(np.uint8)
    x_out = (out[np.arange(n), t_end, :] > 0).astype(np.uint8)
    for t in range(int(t_end.max()) + 1):
        bits = relay.binarize(states[:, t, :].astype(np.float64), "median", constant="zero", atol=1e-6)
        for c in range(3):
            table = relay.interaction_table(bits, x_in[:, c], x_out[:, c])
            order, info = relay.greedy_from_table(table)
            relay.relay_shares(order, info)
            relay.best_per_size(table)


def stage_costs(n_seeds, paths=None):
    from rnninfo.stages import relay as stage

    rng = np.random.default_rng(1)
    if paths:
        traces = [stage.load_trace(p, "hidden") for p in paths]
        n_seeds = len(traces)
    else:
        traces = [synthetic_trace(rng) for _ in range(n_seeds)]
    params = stage.relay_params({"root_seed": 2024})
    t0 = time.process_time()
    for tr in traces:
        stage_before(tr, params)
    before = time.process_time() - t0
    after = {}
    for compiled in (False, True):
        t0 = time.process_time()
        for seed, tr in enumerate(traces):
            stage.analyse_seed(tr, params, seed, compiled=compiled)
        after[compiled] = time.process_time() - t0
    what = "trace files" if paths else "synthetic, n = 1000, 12 nodes, memory task"
    print(f"relay stage, one condition ({n_seeds} seeds, {what}), CPU seconds (analysis only):")
    print(f"  before (exhaustive at every step, no null)                      {before:8.2f} s")
    print(f"  now, numpy null and greedy (greedy + null + ceiling everywhere) {after[False]:8.2f} s")
    print(f"  now, numba null and greedy (the stage's path)                   {after[True]:8.2f} s")
    print(f"  ratio numpy / numba: {after[False] / after[True]:6.2f}x; before / now: {before / after[True]:6.2f}x")
    print(f"  target <= 8 s per condition incl. nulls: {'met' if after[True] <= 8 else 'NOT met'} "
          f"(plus start-up: imports, numba, trace reading, TSV writing ~1-2 s; see the job's benchmark)")


if __name__ == "__main__":
    main()
