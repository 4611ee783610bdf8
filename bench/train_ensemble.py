"""Ensemble vs one-at-a-time training of one condition's seeds, in one process.

    python bench/train_ensemble.py [--task memory] [--arch LSTM] [--delay random] [--seeds 20]

Both ways train the same seeds on the same data from the same initial weights
to the same stopping rule; the plain way uses torch.nn.RNN/GRU/LSTM one network
at a time. Prints both wall times and the ratio (machines here are noisy: the
ratio is the figure of merit).
"""

import argparse
import time

import torch

from rnninfo.train import TrainConfig, train_ensemble, train_plain


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--task", default="memory")
    ap.add_argument("--arch", default="LSTM")
    ap.add_argument("--delay", default="random")
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    cfg = TrainConfig()  # paper-scale data and stopping rule
    seeds = list(range(args.seeds))
    # Warm-up: the first optimiser imports torch._dynamo (~1.5 s); neither way should pay it.
    warm = TrainConfig(n_train=64, n_valid=64, max_epochs=1)
    train_ensemble(args.task, args.arch, args.delay, seeds[:2], 0, warm, log=lambda m: None)
    train_plain(args.task, args.arch, args.delay, 0, 0, warm)

    t0 = time.perf_counter()
    ens = train_ensemble(args.task, args.arch, args.delay, seeds, 0, cfg, log=lambda m: None)
    t_ens = time.perf_counter() - t0
    t0 = time.perf_counter()
    plain = {s: train_plain(args.task, args.arch, args.delay, s, 0, cfg) for s in seeds}
    t_plain = time.perf_counter() - t0

    same_epochs = sum(ens[s][1] == plain[s][1] for s in seeds)
    print(f"condition {args.task}/{args.arch}/{args.delay}, {len(seeds)} seeds, {args.threads} thread(s)")
    print(f"epochs per seed (ensemble): {[ens[s][1] for s in seeds]}")
    print(f"seeds stopping at the same epoch both ways: {same_epochs}/{len(seeds)}"
          " (float rounding differs in the last bits, so a seed near the criterion may stop an epoch apart)")
    print(f"ensemble      {t_ens:8.2f} s")
    print(f"one at a time {t_plain:8.2f} s")
    print(f"speed-up      {t_plain / t_ens:8.2f} x   (to convergence; stragglers train alone at the end)")

    # Steady state: a fixed number of optimiser steps with every seed active.
    steps = 30
    t0 = time.perf_counter()
    train_ensemble(args.task, args.arch, args.delay, seeds, 0, cfg, log=lambda m: None, max_steps=steps)
    t_ens = time.perf_counter() - t0
    t0 = time.perf_counter()
    for s in seeds:
        train_plain(args.task, args.arch, args.delay, s, 0, cfg, max_steps=steps)
    t_plain = time.perf_counter() - t0
    print(f"{steps} steps, all seeds active: ensemble {t_ens:.2f} s, one at a time {t_plain:.2f} s, "
          f"speed-up {t_plain / t_ens:.2f} x")


if __name__ == "__main__":
    main()
