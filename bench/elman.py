"""Paper B training cost: the authors' one-sequence updates, numpy BPTT vs torch autograd.

    python bench/elman.py              # 500 updates on the Seattle training windows

The authors' regime (``weather.optimizer: original``) makes one momentum-SGD
update per training sequence, 1,235 per epoch, 370,500 in 300 epochs. Both
paths below make the same updates from the same start (the update rule of
``rnninfo.elman``): "fast" is :func:`rnninfo.elman.gradients` (hand-written
backpropagation through time in numpy, float64), "plain" is the same forward
pass through the torch module and ``torch.autograd.grad``. The script checks
that the two end on the same parameters and prints the time per update of each
and their ratio. Times are on this machine, in one process; compare the ratio.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from rnninfo.elman import PARAMS, ElmanConfig, _Momentum, gradients, init_params, to_module
from rnninfo.weather_data import DataConfig, load_weather


def fast(p, x, y, n, lr=0.001, mom=0.5):
    opt = _Momentum(p)
    for i in range(n):
        _, g = gradients(p, x[i : i + 1], y[i : i + 1], "all")
        opt.step(p, g, lr, mom)
    return p


def plain(p, x, y, n, lr=0.001, mom=0.5):
    net = to_module(p).double()
    with torch.no_grad():
        for k in PARAMS:
            getattr(net, k).copy_(torch.from_numpy(p[k]))
    params = [getattr(net, k) for k in PARAMS]
    vel = [torch.zeros_like(q) for q in params]
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    for i in range(n):
        _, out = net(xt[i : i + 1])
        loss = ((out - yt[i : i + 1]) ** 2).mean()
        grads = torch.autograd.grad(loss, params)
        with torch.no_grad():
            for q, v, g in zip(params, vel, grads):
                v.mul_(mom).sub_(lr * g)
                q.add_(v)
    return {k: getattr(net, k).detach().numpy() for k in PARAMS}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--updates", type=int, default=500)
    args = ap.parse_args()
    torch.set_num_threads(1)
    data = load_weather(DataConfig())
    x, y = data.x_train.astype(np.float64), data.y_train_steps.astype(np.float64)
    n = min(args.updates, len(x))
    start = init_params(x.shape[2], 10, y.shape[2], ElmanConfig(), np.random.default_rng(0))
    times = {}
    results = {}
    for name, fn in (("fast (numpy BPTT)", fast), ("plain (torch autograd)", plain)):
        p = {k: v.copy() for k, v in start.items()}
        t = time.perf_counter()
        results[name] = fn(p, x, y, n)
        times[name] = (time.perf_counter() - t) / n
    a, b = results.values()
    diff = max(float(np.abs(a[k] - b[k]).max()) for k in PARAMS)
    for name, t in times.items():
        print(f"{name:24s} {t * 1e3:7.3f} ms / update")
    f, p = times.values()
    print(f"ratio plain / fast: {p / f:.1f}x; largest parameter difference after {n} updates: {diff:.2e}")
    print(f"authors' regime, 300 epochs x 1235 updates: fast ~{f * 370_500 / 60:.1f} min, plain ~{p * 370_500 / 60:.1f} min")


if __name__ == "__main__":
    main()
