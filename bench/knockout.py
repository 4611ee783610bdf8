"""Batched knockouts vs one knockout set at a time, for one condition's seeds.

    python bench/knockout.py [--arch LSTM] [--seeds 20] [--samples 500] [--draws 20] [--lstm-state hidden+cell]

Paper-scale shape by default: 20 networks, 500 evaluation samples (half of
n_test = 1000), sets = baseline + 3 concepts x 12 sizes + 12 sizes x 20 random
draws = 277 per network, memory task with random delays. Networks are freshly
initialised (the cost does not depend on the weights).

  batched        rnninfo.knockout.knockout_accuracy: steps 0..t once, then every
                 set x sample from the knocked-out state in one pass (chunks of
                 --max-rows rows)
  one at a time  rnninfo.knockout.knockout_accuracy_one_by_one: one forward
                 pass of the whole sequence per set, for one network at a time
                 (the plain loop: for network, for set: run it)
  ... networks   the same, one set at a time but all networks of the
      batched    condition in one ensemble pass (a stronger baseline)

All give the same accuracies (checked here, and in tests/test_knockout.py).
Prints CPU seconds (process time, one torch thread: steadier than wall time
on a shared machine) and the ratios against the target (>= 8x against one set
of one network at a time; issue 14).
"""

import argparse
import time

import numpy as np
import torch

import rnninfo.knockout as ko
from rnninfo.models import Ensemble, init_state_dict
from rnninfo.tasks import make_task, n_info_steps


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--task", default="memory")
    ap.add_argument("--arch", default="LSTM")
    ap.add_argument("--delay", default="random")
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--samples", type=int, default=500)
    ap.add_argument("--hidden", type=int, default=12)
    ap.add_argument("--draws", type=int, default=20)
    ap.add_argument("--max-rows", type=int, default=50_000)
    ap.add_argument("--lstm-state", default="hidden+cell", choices=ko.LSTM_STATES)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    H = args.hidden
    x, y, t_end = make_task(args.task, args.samples, args.delay, np.random.default_rng(0))
    gen = torch.Generator().manual_seed(0)
    ens = Ensemble(args.arch, [init_state_dict(args.arch, x.shape[2], H, gen) for _ in range(args.seeds)])
    t = ko.knockout_time(n_info_steps(args.task))
    rng = np.random.default_rng(1)
    sizes = list(range(H, 0, -1))
    sets = [()]
    for _ in range(3):  # the relay sets of three concepts: nested top-s sets of one order
        order = rng.permutation(H).tolist()
        sets += [ko.top_relay_set(order, s) for s in sizes]
    sets += ko.random_sets(H, sizes, args.draws, rng)
    keep = np.stack([ko.keep_mask(sets, H)] * args.seeds)  # (S, K, H)

    ko.knockout_accuracy(ens, x[:32], y[:32], t_end[:32], t, keep[:, :4], lstm_state=args.lstm_state)  # warm-up
    t0 = time.process_time()
    fast = ko.knockout_accuracy(ens, x, y, t_end, t, keep, max_rows=args.max_rows, lstm_state=args.lstm_state)
    t_fast = time.process_time() - t0
    t0 = time.process_time()
    plain = np.concatenate([
        ko.knockout_accuracy_one_by_one(Ensemble(args.arch, [ens.state_dict_of(s)]), x, y, t_end, t, keep[s : s + 1],
                                        lstm_state=args.lstm_state)
        for s in range(args.seeds)
    ])
    t_plain = time.process_time() - t0
    t0 = time.process_time()
    seeds_batched = ko.knockout_accuracy_one_by_one(ens, x, y, t_end, t, keep, lstm_state=args.lstm_state)
    t_seeds = time.process_time() - t0
    differ = int((fast != plain).sum() + (fast != seeds_batched).sum())

    print(f"{args.task}/{args.arch}/{args.delay}: {args.seeds} networks x {len(sets)} sets x {args.samples} samples,"
          f" knockout after step {t}, {args.lstm_state}, {args.threads} thread(s), max_rows {args.max_rows}")
    print(f"accuracies that differ between the ways: {differ} of {2 * fast.size}"
          f" (max |diff| {max(np.abs(fast - plain).max(), np.abs(fast - seeds_batched).max()):.2g};"
          " a sample whose output is ~0 may flip sign by rounding)")
    print(f"batched                                 {t_fast:8.2f} s")
    print(f"one set at a time, networks batched     {t_seeds:8.2f} s   ratio {t_seeds / t_fast:6.2f} x")
    print(f"one set of one network at a time        {t_plain:8.2f} s   ratio {t_plain / t_fast:6.2f} x")
    print(f"target >= 8x against one set of one network at a time: {'met' if t_plain / t_fast >= 8 else 'NOT met'}")


if __name__ == "__main__":
    main()
