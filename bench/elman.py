"""Paper B training cost: the authors' regime compiled (numba) vs plain (numpy per update).

    python bench/elman.py               # 3 epochs each way, then one full seed the fast way
    python bench/elman.py --epochs 1 --no-full

The authors' regime (``weather.optimizer: original``) makes one momentum-SGD
update per training sequence, 1,235 per epoch on the Seattle windows, 370,500
in 300 epochs, and takes 130 snapshots (config.yaml's schedule). Both ways
below make the same updates from the same start on the paper-scale data:

- plain: :func:`rnninfo.elman.gradients` + ``_Momentum`` per update, a Python
  loop (numpy, float64; the reference the tests compare against);
- compiled: :func:`rnninfo.elman._train_original`, the same algebra as one
  numba loop over sequences and epochs.

The script checks that both end on the same parameters, then times one
snapshot's passes each way (forward on train and test windows, per-sequence
gradients, their statistics), prints the per-update and per-snapshot times and
the ratios, extrapolates a full seed for the plain way (updates x 370,500 +
snapshots x 130) and times a full seed the compiled way
(``train_seed(data, ElmanConfig(), 0)``: 300 epochs, all snapshots). Numba's
compile (or cache load) is timed apart, in the warm-up. Times are CPU seconds
of this process (``time.process_time``: the machine may be shared, and wall
time grows with its load, printed); compare the ratios.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from rnninfo.elman import (
    PARAMS,
    ElmanConfig,
    _grad_norms,
    _column_stats,
    _Momentum,
    _per_sequence,
    _per_sequence_numpy,
    _train_original,
    flat_params,
    forward,
    gradients,
    init_params,
    snapshot_updates,
    step_weights,
    train_seed,
)
from rnninfo.weather_data import DataConfig, load_weather


def plain_updates(p, x, y, epochs, lrs, moms):
    """The numpy reference: one gradients() + momentum step per sequence, in order."""
    opt = _Momentum(p)
    for e in range(epochs):
        for i in range(len(x)):
            _, g = gradients(p, x[i : i + 1], y[i : i + 1], "all")
            opt.step(p, g, lrs[e], moms[e])


def compiled_updates(theta, x, y, epochs, lrs, moms, H):
    vel = np.zeros_like(theta)
    _train_original(theta, vel, x, y, step_weights(x.shape[1], y.shape[2], "all"), lrs, moms, 0, epochs * len(x), H)


def plain_snapshot(p, x, y, x_te):
    forward(p, x)
    forward(p, x_te)
    G = _per_sequence_numpy(p, x, y, "all")
    return _grad_norms(G.mean(axis=0), G.std(axis=0), [p[k].size for k in PARAMS])


def compiled_snapshot(theta, p, x, y, x_te, y_te, H, bufs):
    """As train_seed's snapshot: buffers ``bufs`` allocated once, reused."""
    h, o, G, h_te, o_te, no_grads, mean, std = bufs
    w = step_weights(x.shape[1], y.shape[2], "all")
    _per_sequence(theta, x, y, w, h, o, G)
    _per_sequence(theta, x_te, y_te, w, h_te, o_te, no_grads)
    _column_stats(G, mean, std)
    return _grad_norms(mean, std, [p[k].size for k in PARAMS])


def buffers(x, y, x_te, H, P):
    n, T, _ = x.shape
    return (np.empty((n, T, H)), np.empty(y.shape), np.empty((n, P)), np.empty((len(x_te), T, H)),
            np.empty((len(x_te), T, y.shape[2])), np.empty((0, P)), np.empty(P), np.empty(P))


def timed(fn, *args, repeat: int = 1) -> float:
    t = time.process_time()
    for _ in range(repeat):
        fn(*args)
    return (time.process_time() - t) / repeat


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--epochs", type=int, default=3, help="epochs of updates timed each way")
    ap.add_argument("--no-full", action="store_true", help="skip the full 300-epoch seed (compiled)")
    args = ap.parse_args()
    data = load_weather(DataConfig())
    cfg = ElmanConfig()
    x, y = (np.ascontiguousarray(a, dtype=np.float64) for a in (data.x_train, data.y_train_steps))
    x_te, y_te = (np.ascontiguousarray(a, dtype=np.float64) for a in (data.x_test, data.y_test_steps))
    n, H = len(x), cfg.hidden
    E = args.epochs
    lrs = np.array([cfg.lr * cfg.lr_decay**e for e in range(cfg.epochs)])
    moms = np.array([cfg.momentum[0] if e < cfg.momentum_switch else cfg.momentum[1] for e in range(cfg.epochs)])
    start = init_params(x.shape[2], H, y.shape[2], cfg, np.random.default_rng(0))
    print(f"{n} training windows, {E} epochs = {E * n} updates each way; load average {os.getloadavg()[0]:.1f}")

    theta, p = flat_params(start)
    warm = timed(compiled_updates, theta.copy(), x[:2], y[:2], 1, lrs, moms, H) + timed(
        compiled_snapshot, theta, p, x[:2], y[:2], x_te[:2], y_te[:2], H, buffers(x[:2], y[:2], x_te[:2], H, theta.size))
    print(f"numba warm-up (compile, or load from cache): {warm:.2f} s")

    _, p_plain = flat_params(start)
    t_plain = timed(plain_updates, p_plain, x, y, E, lrs, moms) / (E * n)
    theta, p_fast = flat_params(start)
    t_fast = timed(compiled_updates, theta, x, y, E, lrs, moms, H) / (E * n)
    diff = max(float(np.abs(p_fast[k] - p_plain[k]).max() / np.abs(p_plain[k]).max()) for k in PARAMS)
    print(f"updates   plain    {t_plain * 1e6:8.1f} us / update")
    print(f"updates   compiled {t_fast * 1e6:8.1f} us / update   ratio plain / compiled {t_plain / t_fast:6.1f}x;"
          f" largest relative parameter difference after {E * n} updates: {diff:.1e}")

    s_plain = timed(plain_snapshot, p_fast, x, y, x_te, repeat=5)
    bufs = buffers(x, y, x_te, H, theta.size)
    s_fast = timed(compiled_snapshot, theta, p_fast, x, y, x_te, y_te, H, bufs, repeat=20)
    sd = np.abs(np.concatenate(plain_snapshot(p_fast, x, y, x_te)) /
                np.concatenate(compiled_snapshot(theta, p_fast, x, y, x_te, y_te, H, bufs)) - 1).max()
    print(f"snapshot  plain    {s_plain * 1e3:8.2f} ms / snapshot")
    print(f"snapshot  compiled {s_fast * 1e3:8.2f} ms / snapshot ratio plain / compiled {s_plain / s_fast:6.1f}x;"
          f" largest relative difference of the gradient statistics: {sd:.1e}")

    K = len(snapshot_updates(cfg.snapshots, n, cfg.epochs))
    U = cfg.epochs * n
    plain_seed, fast_seed = t_plain * U + s_plain * K, t_fast * U + s_fast * K
    print(f"one paper-scale seed ({U} updates, {K} snapshots), from the rates above: plain ~{plain_seed:.0f} s,"
          f" compiled ~{fast_seed:.1f} s, ratio {plain_seed / fast_seed:.0f}x")
    if not args.no_full:
        t, wall = time.process_time(), time.perf_counter()
        res = train_seed(data, cfg, seed=0)
        print(f"one paper-scale seed the compiled way, timed (train_seed, {len(res.log)} snapshots):"
              f" {time.process_time() - t:.1f} s CPU ({time.perf_counter() - wall:.1f} s wall);"
              f" final test MSE {res.log.test_mse.iloc[-1]:.4f}")


if __name__ == "__main__":
    main()
