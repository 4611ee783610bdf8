"""Ensemble vs one-at-a-time training of one condition's seeds, in one process, for each arch.

    python bench/train_ensemble.py [--task memory] [--archs RNN GRU LSTM] [--delay random] [--seeds 20]

Both ways train the same seeds on the same data from the same initial weights
to the same stopping rule; the plain way uses torch.nn.RNN/GRU/LSTM one network
at a time. Prints wall and CPU times and their ratios per arch, then the
minimum ratio over archs last. Machines here are shared: the CPU-time ratio
(time.process_time) is the steadier figure when other jobs compete for cores.
"""

import argparse
import time

import torch

from rnninfo.train import TrainConfig, train_ensemble, train_plain


def timed(fn):
    """(wall seconds, CPU seconds) of fn()."""
    w, c = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - w, time.process_time() - c


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--task", default="memory")
    ap.add_argument("--archs", nargs="+", default=["RNN", "GRU", "LSTM"])
    ap.add_argument("--delay", default="random")
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=0,
                    help="optimiser steps per way (0 = train to convergence, the paper-scale stopping rule)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    cfg = TrainConfig()  # paper-scale data and stopping rule
    seeds = list(range(args.seeds))
    steps = args.steps or None
    quiet = lambda m: None
    ratios = {}
    for arch in args.archs:
        # Warm-up: the first optimiser imports torch._dynamo (~1.5 s); neither way should pay it.
        warm = TrainConfig(n_train=64, n_valid=64, max_epochs=1)
        train_ensemble(args.task, arch, args.delay, seeds[:2], 0, warm, log=quiet)
        train_plain(args.task, arch, args.delay, 0, 0, warm)
        ens = {}
        t_ens = timed(lambda: ens.update(
            train_ensemble(args.task, arch, args.delay, seeds, 0, cfg, log=quiet, max_steps=steps)))
        plain = {}
        t_plain = timed(lambda: plain.update(
            {s: train_plain(args.task, arch, args.delay, s, 0, cfg, max_steps=steps) for s in seeds}))
        same = sum(ens[s][1] == plain[s][1] for s in seeds)
        ratios[arch] = (t_plain[0] / t_ens[0], t_plain[1] / t_ens[1])
        print(f"{args.task}/{arch}/{args.delay}, {len(seeds)} seeds, {args.threads} thread(s), "
              f"{'to convergence' if steps is None else f'{steps} steps'}")
        print(f"  epochs per seed (ensemble): {[ens[s][1] for s in seeds]}; "
              f"same stopping epoch both ways: {same}/{len(seeds)}")
        print(f"  ensemble      wall {t_ens[0]:7.2f} s   CPU {t_ens[1]:7.2f} s")
        print(f"  one at a time wall {t_plain[0]:7.2f} s   CPU {t_plain[1]:7.2f} s")
        print(f"  {arch} speed-up: wall {ratios[arch][0]:.2f} x, CPU {ratios[arch][1]:.2f} x", flush=True)
    worst = min(ratios, key=lambda a: ratios[a][1])
    print(f"minimum speed-up over archs: wall {min(r[0] for r in ratios.values()):.2f} x, "
          f"CPU {ratios[worst][1]:.2f} x ({worst})")


if __name__ == "__main__":
    main()
