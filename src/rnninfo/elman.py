"""Paper B's network: a fully recurrent (Elman) net, trained with snapshots of its activity.

    h_t = tanh(W_in x_t + W h_{t-1} + b),   h_0 = 0
    y_t = W_out h_t + b_y

MSE on the last step's output against tomorrow's (z-scored) targets, Adam.
Every ``snapshot_every`` epochs (and before training, epoch 0) the network is
run on the test windows and its hidden and output activity at every step kept.

Gradient statistics per epoch follow Shwartz-Ziv & Tishby (2017), which paper B
cites for them: with g_b the gradient of all parameters (one flat vector) on
minibatch b of the epoch, ``grad_mean = ||mean_b g_b||_2`` and
``grad_std = ||std_b g_b||_2`` (elementwise std over the epoch's minibatches,
ddof=0). Epoch 0 has the same statistics from one pass without updates.

All randomness (initial weights, minibatch order) comes from one
``torch.Generator`` seeded from ``np.random.default_rng([root_seed, STREAM, seed])``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn

from rnninfo.weather_data import WeatherData

STREAM = 0x5745_4154  # "WEAT": keeps paper B's seed streams apart from paper A's


@dataclass(frozen=True)
class ElmanConfig:
    hidden: int = 10
    epochs: int = 300
    lr: float = 0.001
    batch_size: int = 128
    snapshot_every: int = 10
    threads: int = 1
    root_seed: int = 2024

    @classmethod
    def from_params(cls, p: dict) -> "ElmanConfig":
        names = cls.__dataclass_fields__
        return cls(**{k: v for k, v in p.items() if k in names})


class Elman(nn.Module):
    """Elman network; parameters named as in the equations above."""

    def __init__(self, d_in: int, hidden: int, d_out: int):
        super().__init__()
        self.W_in = nn.Parameter(torch.empty(hidden, d_in))
        self.W = nn.Parameter(torch.empty(hidden, hidden))
        self.b = nn.Parameter(torch.empty(hidden))
        self.W_out = nn.Parameter(torch.empty(d_out, hidden))
        self.b_y = nn.Parameter(torch.empty(d_out))

    @torch.no_grad()
    def init_(self, generator: torch.Generator) -> "Elman":
        """Every parameter ~ U(-1/sqrt(H), 1/sqrt(H)) (torch's RNN default), from ``generator`` only."""
        H = self.W.shape[0]
        for p in (self.W_in, self.W, self.b, self.W_out, self.b_y):
            bound = 1.0 / math.sqrt(H)
            p.copy_(torch.rand(p.shape, generator=generator) * 2 * bound - bound)
        return self

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        # x: (B, T, d_in) -> hidden (B, T, H), outputs (B, T, d_out)
        B, T, _ = x.shape
        drive = x @ self.W_in.T + self.b                      # (B, T, H)
        h = x.new_zeros(B, self.W.shape[0])                   # (B, H)
        hs = []
        for t in range(T):
            h = torch.tanh(drive[:, t] + h @ self.W.T)
            hs.append(h)
        hidden = torch.stack(hs, dim=1)                       # (B, T, H)
        return hidden, hidden @ self.W_out.T + self.b_y


def seed_generator(root_seed: int, seed: int) -> torch.Generator:
    rng = np.random.default_rng([root_seed, STREAM, seed])
    return torch.Generator().manual_seed(int(rng.integers(2**62)))


@dataclass
class TrainResult:
    model: Elman
    log: pd.DataFrame          # one row per epoch 0..E
    epochs: np.ndarray         # (K,) int64 snapshot epochs
    hidden: np.ndarray         # (K, n_test, T, H) float32
    outputs: np.ndarray        # (K, n_test, T, d_out) float32


def _evaluate(model: Elman, x: torch.Tensor, y: torch.Tensor):
    with torch.no_grad():
        hidden, out = model(x)
    return hidden, out, float(((out[:, -1] - y) ** 2).mean())


def train_seed(data: WeatherData, cfg: ElmanConfig, seed: int) -> TrainResult:
    """Train one network; log every epoch, snapshot the test activity every ``snapshot_every``."""
    torch.set_num_threads(cfg.threads)
    gen = seed_generator(cfg.root_seed, seed)
    x_tr, y_tr = torch.from_numpy(data.x_train), torch.from_numpy(data.y_train)
    x_te, y_te = torch.from_numpy(data.x_test), torch.from_numpy(data.y_test)
    model = Elman(x_tr.shape[2], cfg.hidden, y_tr.shape[1]).init_(gen)
    params = list(model.parameters())
    opt = torch.optim.Adam(params, lr=cfg.lr)
    scale = data.target_std.astype(np.float64)               # (n_targets,) degrees per z unit

    rows, snap_epochs, snap_h, snap_y = [], [], [], []
    n = len(x_tr)
    for epoch in range(cfg.epochs + 1):
        # epoch 0 measures gradients of the untrained net without updating it
        perm = torch.randperm(n, generator=gen)
        g_sum = g_sq = None
        n_batches = 0
        for i in range(0, n, cfg.batch_size):
            idx = perm[i : i + cfg.batch_size]
            _, out = model(x_tr[idx])
            loss = ((out[:, -1] - y_tr[idx]) ** 2).mean()
            opt.zero_grad(set_to_none=False)
            loss.backward()
            g = torch.cat([p.grad.reshape(-1) for p in params]).double()  # (P,)
            g_sum = g.clone() if g_sum is None else g_sum + g
            g_sq = g * g if g_sq is None else g_sq + g * g
            n_batches += 1
            if epoch > 0:
                opt.step()
        g_mean = g_sum / n_batches
        g_var = (g_sq / n_batches - g_mean * g_mean).clamp_min(0.0)

        _, _, train_mse = _evaluate(model, x_tr, y_tr)
        hidden, out, test_mse = _evaluate(model, x_te, y_te)
        mae = (out[:, -1] - y_te).abs().double().mean(dim=0).numpy() * scale  # (n_targets,) degrees
        row = {"epoch": epoch, "train_mse": train_mse, "test_mse": test_mse}
        row.update({f"test_mae_{name}": float(m) for name, m in zip(data.target_names, mae)})
        row.update({"grad_mean": float(g_mean.norm()), "grad_std": float(g_var.sqrt().norm())})
        rows.append(row)
        if epoch % cfg.snapshot_every == 0 or epoch == cfg.epochs:
            snap_epochs.append(epoch)
            snap_h.append(hidden.numpy().astype(np.float32))
            snap_y.append(out.numpy().astype(np.float32))
    return TrainResult(
        model=model,
        log=pd.DataFrame(rows),
        epochs=np.array(snap_epochs, dtype=np.int64),
        hidden=np.stack(snap_h),
        outputs=np.stack(snap_y),
    )


def activations_arrays(data: WeatherData, res: TrainResult, seed: int) -> dict[str, np.ndarray]:
    """The arrays of ``activations.npz`` (the flow stages read this format)."""
    return dict(
        epochs=res.epochs,                                        # (K,) int64
        inputs=data.x_test.astype(np.float32),                    # (n, T, d_in)
        targets=data.y_test.astype(np.float32),                   # (n, n_targets) z-scored
        hidden=res.hidden,                                        # (K, n, T, H)
        outputs=res.outputs,                                      # (K, n, T, n_targets)
        input_names=np.array(data.input_names, dtype=np.str_),    # (d_in,) fixed-width unicode
        target_names=np.array(data.target_names, dtype=np.str_),  # (n_targets,)
        target_mean=data.target_mean.astype(np.float64),          # (n_targets,) original units
        target_std=data.target_std.astype(np.float64),            # (n_targets,)
        seed=np.int64(seed),
    )
