"""Paper B's network: a fully recurrent (Elman) net, trained with snapshots of its activity.

    h_t = tanh(W_in x_t + W h_{t-1} + b),   h_{-1} = h0 (a learned parameter)
    y_t = W_out h_t + b_y

**Loss.** MSE against the next day's (z-scored) targets: ``loss_steps="all"``
(default) puts an output at every step t against day i+t+1, the mean over steps
and targets, as the authors' code does (``rnn.py``: ``T.mean((y_pred - y)**2)``
over the sequence, ``parse_data.divide_to_sequence``: targets are the next days);
``"last"`` trains the last step's output only. The errors in the log are the
last step's (tomorrow's forecast) under either choice, plus ``*_all_steps``.

**Training regimes** (``optimizer``):

- ``"original"`` (default, the reproduction): the authors' ``rnn.MetaRNN.fit``.
  Plain SGD, one training sequence per update, in a fixed order (the windows in
  date order, every epoch); classical momentum ``v <- m v - lr_e g, p <- p + v``
  with ``m = momentum[0]`` in epochs 1 .. ``momentum_switch`` and ``momentum[1]``
  after (the code's ``epoch > momentum_switchover``, epochs counted from 1);
  ``lr_e = lr * lr_decay**(e - 1)`` in epoch e; ``W_in, W, W_out ~
  U(-init_range, init_range)``, biases and h0 zero (h0 is learned).
- ``"adam"``: minibatches of ``batch_size`` in a fresh random order every epoch,
  Adam (betas 0.9, 0.999, eps 1e-8, the same algebra as ``torch.optim.Adam``),
  constant ``lr``; every parameter but h0 ~ U(-1/sqrt(H), 1/sqrt(H)) (torch's RNN
  default), h0 zero and learned.

Training runs in float64 with hand-written backpropagation through time, in
two implementations of the same algebra. :func:`gradients` (numpy) is the
reference: tests check it against torch autograd and the Adam steps against
``torch.optim.Adam``. The compiled path (numba, ``train_seed(...,
compiled=True)``, the default) runs the authors' regime (1,235 one-sequence
updates per epoch, ~0.2 ms each in numpy, overhead-bound) as one loop over
sequences and epochs in machine code (:func:`_train_original`), returning to
Python only at snapshots, and takes the snapshots' per-sequence gradients in
one compiled pass (:func:`_per_sequence`); Adam's minibatch gradients are
compiled too (:func:`_batch_gradient`). Tests check that it equals the numpy
path (parameters, snapshot log, activity) to float rounding. :class:`Elman` is
the same network as a torch module (``model.pt`` is its state dict).

**Parameter layout.** The parameters live in one flat float64 vector
``theta`` in :data:`PARAMS` order, each tensor row-major
(:func:`flat_params`); ``params[name]`` are views of it. A per-sequence
gradient is a row of the same layout.

**Snapshots.** ``snapshots`` lists segments ``{every, until, unit}`` (unit
``"epochs"`` (default) or ``"updates"``; ``until`` null = the end of training);
each segment starts where the previous ended. Points are rounded to whole
optimizer updates (:func:`snapshot_updates`), so the same schedule resolves the
first epochs of both regimes: 0.04 epoch is ~49 updates in the original regime
and 1 update with Adam (10 updates per epoch). Update 0 (before training) and
the last update are always included. At each snapshot the network runs on the
test windows (hidden and output activity at every step, float32), the errors
are measured, and the gradient statistics below taken; a line is logged.

**Gradient statistics** (issue 11 item 5; Shwartz-Ziv & Tishby 2017, which
paper B cites): at each snapshot's weights, the gradient g_i of the training
loss of every training sequence i (one flat vector per parameter tensor);
``grad_mean = ||mean_i g_i||_2`` (the full-batch gradient's norm) and
``grad_std = ||std_i g_i||_2`` (elementwise std over sequences, ddof=0), per
parameter tensor (:data:`GRAD_LAYERS`: W_in, W, b, h0, W_out, b_y) and for all
parameters together (``"all"``). Measured at fixed weights, not over the
updates between snapshots, so dense snapshots (one Adam update apart) still
have a spread, and both regimes are measured alike.

**activations.npz** (:func:`activations_arrays`; the flow and MI stages read it):
``epochs`` float64 (K,) fractional epoch of each snapshot (updates / updates
per epoch), ``updates`` int64 (K,) optimizer updates done, ``inputs`` (n, T,
d_in), ``targets`` (n, n_targets) z-scored tomorrow, ``targets_steps`` (n, T,
n_targets) the next day after every step, ``hidden`` (K, n, T, H), ``outputs``
(K, n, T, n_targets) (all float32, test windows), ``grad_mean`` / ``grad_std``
float64 (K, L) with ``grad_layers`` (L,) names, ``input_names``,
``target_names``, ``target_mean`` / ``target_std`` (original units),
``optimizer`` and ``loss_steps`` (0-d strings), ``seed``.
The training table (``training.tsv``) has one row per snapshot (``update`` is
the exact join key; ``epoch`` is written to 10 digits).

All randomness (initial weights, Adam's minibatch order) comes from
``np.random.default_rng([root_seed, STREAM, seed])``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numba
import numpy as np
import pandas as pd

from rnninfo.weather_data import WeatherData

STREAM = 0x5745_4154  # "WEAT": keeps paper B's seed streams apart from paper A's
PARAMS = ("W_in", "W", "b", "h0", "W_out", "b_y")
GRAD_LAYERS = PARAMS + ("all",)
OPTIMIZERS = ("original", "adam")
LOSS_STEPS = ("all", "last")

# dense where learning happens (the first epochs of both regimes), then every 10 epochs
DEFAULT_SNAPSHOTS = (
    {"every": 0.04, "until": 2},
    {"every": 0.25, "until": 10},
    {"every": 1, "until": 30},
    {"every": 10, "until": None},
)


@dataclass(frozen=True)
class ElmanConfig:
    hidden: int = 10
    epochs: int = 300
    optimizer: str = "original"
    loss_steps: str = "all"
    lr: float = 0.001
    lr_decay: float = 0.999                 # original: lr * lr_decay**(epoch - 1)
    momentum: tuple[float, float] = (0.5, 0.9)  # original: before / after momentum_switch
    momentum_switch: int = 5                # original: last epoch (from 1) with momentum[0]
    init_range: float = 0.01                # original: weights ~ U(-init_range, init_range)
    batch_size: int = 128                   # adam
    snapshots: tuple = DEFAULT_SNAPSHOTS
    threads: int = 1
    root_seed: int = 2024

    def __post_init__(self):
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer: expected one of {OPTIMIZERS}, got {self.optimizer!r}")
        if self.loss_steps not in LOSS_STEPS:
            raise ValueError(f"loss_steps: expected one of {LOSS_STEPS}, got {self.loss_steps!r}")
        if self.epochs < 1 or self.hidden < 1 or self.batch_size < 1:
            raise ValueError(f"epochs, hidden and batch_size must be >= 1, got {self.epochs}, {self.hidden}, {self.batch_size}")
        if len(self.momentum) != 2:
            raise ValueError(f"momentum: expected [before, after] the switch, got {self.momentum!r}")

    @classmethod
    def from_params(cls, p: dict) -> "ElmanConfig":
        names = cls.__dataclass_fields__
        kw = {k: v for k, v in p.items() if k in names}
        if "momentum" in kw:
            kw["momentum"] = tuple(kw["momentum"])
        if "snapshots" in kw:
            kw["snapshots"] = tuple(dict(s) for s in kw["snapshots"])
        return cls(**kw)


# ------------------------------------------------------------------ schedule


def updates_per_epoch(n_train: int, cfg: ElmanConfig) -> int:
    """Optimizer updates in one epoch: one per sequence (original) or per minibatch (adam)."""
    return n_train if cfg.optimizer == "original" else math.ceil(n_train / cfg.batch_size)


def snapshot_updates(snapshots, per_epoch: int, epochs: int) -> np.ndarray:
    """The update counts (int64, sorted, unique) at which to snapshot; see the module doc."""
    total = per_epoch * epochs
    points = [0, total]
    start = 0.0  # in updates
    for i, seg in enumerate(snapshots):
        seg = dict(seg)
        unknown = set(seg) - {"every", "until", "unit"}
        if unknown or "every" not in seg:
            raise ValueError(f"snapshots[{i}]: expected keys every, until, unit; got {sorted(seg)}")
        unit = seg.get("unit", "epochs")
        if unit not in ("epochs", "updates"):
            raise ValueError(f"snapshots[{i}].unit: expected 'epochs' or 'updates', got {unit!r}")
        scale = per_epoch if unit == "epochs" else 1
        every = float(seg["every"]) * scale
        if not every > 0:
            raise ValueError(f"snapshots[{i}].every: expected a positive number, got {seg['every']!r}")
        until = total if seg.get("until") is None else min(float(seg["until"]) * scale, total)
        if until < start:
            raise ValueError(f"snapshots[{i}].until ({seg['until']} {unit}) is before the previous segment's end")
        n = int(math.floor((until - start) / every + 1e-9))
        points += [round(start + j * every) for j in range(1, n + 1)]
        start = until
    u = np.unique(np.array(points, dtype=np.int64))
    return u[(u >= 0) & (u <= total)]


# ------------------------------------------------------------------ network


def init_params(d_in: int, hidden: int, d_out: int, cfg: ElmanConfig, rng: np.random.Generator) -> dict:
    """Initial parameters (float64) of the regime ``cfg.optimizer``, from ``rng`` only."""
    H = hidden
    shapes = {"W_in": (H, d_in), "W": (H, H), "b": (H,), "h0": (H,), "W_out": (d_out, H), "b_y": (d_out,)}
    if cfg.optimizer == "original":
        r = cfg.init_range
        p = {k: rng.uniform(-r, r, size=shapes[k]) for k in ("W_in", "W", "W_out")}
        p.update({k: np.zeros(shapes[k]) for k in ("b", "h0", "b_y")})
    else:
        bound = 1.0 / math.sqrt(H)
        p = {k: rng.uniform(-bound, bound, size=shapes[k]) for k in ("W_in", "W", "b", "W_out", "b_y")}
        p["h0"] = np.zeros(H)
    return {k: p[k] for k in PARAMS}


def forward(p: dict, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x (B, T, d_in) -> hidden (B, T, H), outputs (B, T, d_out), float64."""
    B, T, _ = x.shape
    H = p["W"].shape[0]
    drive = x @ p["W_in"].T + p["b"]                          # (B, T, H)
    hidden = np.empty((B, T, H))
    h = np.broadcast_to(p["h0"], (B, H))
    for t in range(T):
        h = np.tanh(drive[:, t] + h @ p["W"].T)
        hidden[:, t] = h
    return hidden, hidden @ p["W_out"].T + p["b_y"]


def step_weights(T: int, d_out: int, loss_steps: str) -> np.ndarray:
    """(T,) weights w_t with loss = sum_t w_t sum_k (y_tk - target_tk)^2 per sequence (a mean)."""
    w = np.zeros(T)
    if loss_steps == "all":
        w[:] = 1.0 / (T * d_out)
    else:
        w[-1] = 1.0 / d_out
    return w


def gradients(p: dict, x: np.ndarray, y: np.ndarray, loss_steps: str = "all", per_sample: bool = False):
    """Loss and its gradient by backpropagation through time.

    x (B, T, d_in), y (B, T, d_out) the target after every step. Returns
    ``(loss, grads)``: the loss is the mean over the batch of each sequence's
    MSE (``loss_steps``); ``grads[name]`` has the parameter's shape, or
    (B, *shape) with ``per_sample=True`` (each sequence's own gradient).
    """
    B, T, d_out = y.shape
    hidden, out = forward(p, x)
    w = step_weights(T, d_out, loss_steps)
    err = out - y                                            # (B, T, d_out)
    per_seq = np.einsum("btk,t->b", err * err, w)            # (B,)
    dout = 2.0 * err * w[None, :, None]                      # (B, T, d_out) d loss_i / d y
    if not per_sample:
        dout /= B
    prev = np.concatenate([np.broadcast_to(p["h0"], (B, 1, hidden.shape[2])), hidden[:, :-1]], axis=1)
    dh_out = dout @ p["W_out"]                               # (B, T, H)
    dpre = np.empty_like(hidden)                             # d loss / d pre-activation
    carry = np.zeros((B, hidden.shape[2]))
    for t in range(T - 1, -1, -1):
        dpre[:, t] = (dh_out[:, t] + carry) * (1.0 - hidden[:, t] ** 2)
        carry = dpre[:, t] @ p["W"]                          # d loss / d h_{t-1}
    if per_sample:
        g = {
            "W_in": np.einsum("bth,btd->bhd", dpre, x),
            "W": np.einsum("bth,btj->bhj", dpre, prev),
            "b": dpre.sum(axis=1),
            "h0": carry,
            "W_out": np.einsum("btk,bth->bkh", dout, hidden),
            "b_y": dout.sum(axis=1),
        }
    else:
        H, d_in = hidden.shape[2], x.shape[2]
        g = {
            "W_in": dpre.reshape(-1, H).T @ x.reshape(-1, d_in),
            "W": dpre.reshape(-1, H).T @ prev.reshape(-1, H),
            "b": dpre.sum(axis=(0, 1)),
            "h0": carry.sum(axis=0),
            "W_out": dout.reshape(-1, d_out).T @ hidden.reshape(-1, H),
            "b_y": dout.sum(axis=(0, 1)),
        }
    return float(per_seq.mean()), g


def gradient_stats(p: dict, x: np.ndarray, y: np.ndarray, loss_steps: str,
                   compiled: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(grad_mean, grad_std), each (L,) over :data:`GRAD_LAYERS`, from per-sequence gradients.

    ``compiled``: the per-sequence gradients and their column statistics from
    :func:`_per_sequence` and :func:`_column_stats` (numba), else from
    :func:`gradients` and numpy (the reference).
    """
    sizes = [p[k].size for k in PARAMS]
    if not compiled:
        G = _per_sequence_numpy(p, x, y, loss_steps)                    # (B, P)
        return _grad_norms(G.mean(axis=0), G.std(axis=0), sizes)
    theta = flat_params(p)[0]
    x, y = np.ascontiguousarray(x, dtype=np.float64), np.ascontiguousarray(y, dtype=np.float64)
    (B, T, _), H = x.shape, p["W"].shape[0]
    G, mean, std = np.empty((B, theta.size)), np.empty(theta.size), np.empty(theta.size)
    w = step_weights(T, y.shape[2], loss_steps)
    _per_sequence(theta, x, y, w, np.empty((B, T, H)), np.empty(y.shape), G)
    _column_stats(G, mean, std)
    return _grad_norms(mean, std, sizes)


def _per_sequence_numpy(p: dict, x: np.ndarray, y: np.ndarray, loss_steps: str) -> np.ndarray:
    """(B, P) each sequence's gradient in the flat layout, by :func:`gradients` (numpy)."""
    _, g = gradients(p, x, y, loss_steps, per_sample=True)
    return np.concatenate([g[k].reshape(len(x), -1) for k in PARAMS], axis=1)


def _grad_norms(mean: np.ndarray, std: np.ndarray, sizes: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """mean, std (P,) over sequences of each gradient entry, ``sizes`` of the
    :data:`PARAMS` blocks -> (||mean_i g_i||, ||std_i g_i||) per block and for all, each (L,)."""
    ends = np.cumsum(sizes)
    out = []
    for col in (mean, std):
        blocks = [col[e - n : e] for n, e in zip(sizes, ends)] + [col]
        out.append(np.array([np.linalg.norm(b) for b in blocks]))
    return out[0], out[1]


class _Adam:
    """Adam with torch.optim.Adam's algebra (no weight decay, no amsgrad)."""

    def __init__(self, p: dict, lr: float, betas=(0.9, 0.999), eps: float = 1e-8):
        self.lr, self.b1, self.b2, self.eps = lr, betas[0], betas[1], eps
        self.m = {k: np.zeros_like(v) for k, v in p.items()}
        self.v = {k: np.zeros_like(v) for k, v in p.items()}
        self.t = 0

    def step(self, p: dict, g: dict) -> None:
        self.t += 1
        c1, c2 = 1.0 - self.b1**self.t, 1.0 - self.b2**self.t
        for k in p:
            self.m[k] *= self.b1
            self.m[k] += (1.0 - self.b1) * g[k]
            self.v[k] *= self.b2
            self.v[k] += (1.0 - self.b2) * g[k] * g[k]
            denom = np.sqrt(self.v[k]) / math.sqrt(c2) + self.eps
            p[k] -= (self.lr / c1) * self.m[k] / denom


class _Momentum:
    """The authors' update: v <- m v - lr g, p <- p + v (lr and m set per epoch)."""

    def __init__(self, p: dict):
        self.v = {k: np.zeros_like(v) for k, v in p.items()}

    def step(self, p: dict, g: dict, lr: float, m: float) -> None:
        for k in p:
            self.v[k] *= m
            self.v[k] -= lr * g[k]
            p[k] += self.v[k]


# ------------------------------------------------------------ compiled path (numba)


def flat_params(p: dict) -> tuple[np.ndarray, dict]:
    """(theta, views): the parameters as one flat float64 vector in :data:`PARAMS`
    order (each tensor row-major) and a dict of views of it, shaped as ``p``."""
    theta = np.concatenate([np.asarray(p[k], dtype=np.float64).ravel() for k in PARAMS])  # (P,)
    views, start = {}, 0
    for k in PARAMS:
        n = int(np.prod(np.shape(p[k]), dtype=np.int64))
        views[k] = theta[start : start + n].reshape(np.shape(p[k]))
        start += n
    return theta, views


@numba.njit(cache=True)
def _views(theta, d_in, H, d_out):
    """W_in (H, d_in), W (H, H), b (H,), h0 (H,), W_out (d_out, H), b_y (d_out,): views of theta (P,)."""
    o1 = H * d_in
    o2 = o1 + H * H
    o3 = o2 + H
    o4 = o3 + H
    o5 = o4 + d_out * H
    return (theta[:o1].reshape((H, d_in)), theta[o1:o2].reshape((H, H)), theta[o2:o3],
            theta[o3:o4], theta[o4:o5].reshape((d_out, H)), theta[o5 : o5 + d_out])


# Every sum below runs in ascending order of the summed index from 0.0 (numpy's
# matmul may sum in another order: the two paths agree to float rounding, not
# bit for bit), with independent outputs in the innermost loop (j, m, i):
# without reassociation a sum is a chain of dependent additions, and ten chains
# side by side run ~2x faster than one after another. Explicit loops rather
# than slice assignments (a[:] = 0.0): the same code, half the compile time.


@numba.njit(cache=True)
def _forward_one(theta, x, hid, out, work):
    """One sequence x (T, d_in) -> hid (T, H), out (T, d_out), written in place
    (:func:`forward`); work (H,) is workspace."""
    T, d_in = x.shape
    H, d_out = hid.shape[1], out.shape[1]
    W_in, W, b, h0, W_out, b_y = _views(theta, d_in, H, d_out)
    for t in range(T):
        prev = h0 if t == 0 else hid[t - 1]
        a = hid[t]                                             # drive = x_t W_in^T + b, then
        for j in range(H):                                     # tanh(drive + h_{t-1} W^T)
            a[j] = 0.0
            work[j] = 0.0
        for i in range(d_in):
            for j in range(H):
                a[j] += x[t, i] * W_in[j, i]
        for j in range(H):
            a[j] += b[j]
        for m in range(H):
            for j in range(H):
                work[j] += prev[m] * W[j, m]
        for j in range(H):
            a[j] = math.tanh(a[j] + work[j])
        for q in range(d_out):
            out[t, q] = 0.0
        for j in range(H):
            for q in range(d_out):
                out[t, q] += hid[t, j] * W_out[q, j]
        for q in range(d_out):
            out[t, q] += b_y[q]


@numba.njit(cache=True)
def _backward_one(theta, x, y, w, hid, out, g, dout, dpre, carry):
    """One sequence's gradient into g (P,) (overwritten), from its forward pass hid (T, H),
    out (T, d_out); targets y (T, d_out), step weights w (T,); dout (T, d_out), dpre (T, H),
    carry (H,) are workspace. The algebra of :func:`gradients` with B = 1."""
    T, d_in = x.shape
    H, d_out = hid.shape[1], out.shape[1]
    W_in, W, b, h0, W_out, b_y = _views(theta, d_in, H, d_out)
    gW_in, gW, gb, gh0, gW_out, gb_y = _views(g, d_in, H, d_out)
    for t in range(T):
        for q in range(d_out):
            dout[t, q] = 2.0 * (out[t, q] - y[t, q]) * w[t]  # d loss / d y
    for j in range(H):                                         # d loss / d h_t from step t + 1
        carry[j] = 0.0
    for t in range(T - 1, -1, -1):
        d = dpre[t]
        for j in range(H):
            d[j] = 0.0
        for q in range(d_out):
            for j in range(H):
                d[j] += dout[t, q] * W_out[q, j]
        for j in range(H):
            d[j] = (d[j] + carry[j]) * (1.0 - hid[t, j] * hid[t, j])
        for j in range(H):                                     # d loss / d h_{t-1}
            carry[j] = 0.0
        for j in range(H):
            for m in range(H):
                carry[m] += d[j] * W[j, m]
    for k in range(g.size):
        g[k] = 0.0
    for t in range(T):
        prev = h0 if t == 0 else hid[t - 1]
        for j in range(H):
            d = dpre[t, j]
            for i in range(d_in):
                gW_in[j, i] += d * x[t, i]
            for m in range(H):
                gW[j, m] += d * prev[m]
            gb[j] += d
        for q in range(d_out):
            for j in range(H):
                gW_out[q, j] += dout[t, q] * hid[t, j]
            gb_y[q] += dout[t, q]
    for j in range(H):
        gh0[j] = carry[j]


@numba.njit(cache=True)
def _train_original(theta, vel, x, y, w, lrs, moms, start, stop, H):
    """The authors' regime from update ``start`` to ``stop`` (global counts), in place.

    theta, vel (P,) parameters and momentum velocity; x (n, T, d_in), y (n, T,
    d_out) training windows; w (T,) step weights; lrs, moms (epochs,) per epoch.
    Update u trains on window u % n in epoch u // n (from 0): ``v <- m v - lr g,
    theta <- theta + v`` (:class:`_Momentum`).
    """
    n, T, _ = x.shape
    d_out = y.shape[2]
    hid, out = np.empty((T, H)), np.empty((T, d_out))
    dout, dpre, carry = np.empty((T, d_out)), np.empty((T, H)), np.empty(H)
    g = np.empty_like(theta)
    for u in range(start, stop):
        i, e = u % n, u // n
        _forward_one(theta, x[i], hid, out, carry)
        _backward_one(theta, x[i], y[i], w, hid, out, g, dout, dpre, carry)
        lr, m = lrs[e], moms[e]
        for k in range(theta.size):
            vel[k] = vel[k] * m - lr * g[k]
            theta[k] += vel[k]


@numba.njit(cache=True)
def _batch_gradient(theta, x, y, w, idx, H, g):
    """The minibatch x[idx] (B sequences): the mean of their gradients into g (P,)
    (:func:`gradients` of the batch, summed in another order)."""
    T = x.shape[1]
    d_out = y.shape[2]
    hid, out = np.empty((T, H)), np.empty((T, d_out))
    dout, dpre, carry = np.empty((T, d_out)), np.empty((T, H)), np.empty(H)
    gi = np.empty_like(theta)
    for k in range(g.size):
        g[k] = 0.0
    for s in range(idx.size):
        i = idx[s]
        _forward_one(theta, x[i], hid, out, carry)
        _backward_one(theta, x[i], y[i], w, hid, out, gi, dout, dpre, carry)
        for k in range(g.size):
            g[k] += gi[k]
    for k in range(g.size):
        g[k] /= idx.size


@numba.njit(cache=True)
def _per_sequence(theta, x, y, w, hidden, outputs, G):
    """Every sequence of x (B, T, d_in) on its own, into hidden (B, T, H), outputs
    (B, T, d_out) and, when G has B rows, G (B, P) each sequence's gradient
    (targets y (B, T, d_out), step weights w (T,)); G with 0 rows: forward only.
    The caller's buffers are reused from snapshot to snapshot: fresh megabytes
    cost page faults that take as long as the arithmetic."""
    B, T, _ = x.shape
    H, d_out = hidden.shape[2], outputs.shape[2]
    dout, dpre, carry = np.empty((T, d_out)), np.empty((T, H)), np.empty(H)
    for i in range(B):
        _forward_one(theta, x[i], hidden[i], outputs[i], carry)
        if G.shape[0] == B:
            _backward_one(theta, x[i], y[i], w, hidden[i], outputs[i], G[i], dout, dpre, carry)


@numba.njit(cache=True)
def _column_stats(G, mean, std):
    """Over the rows of G (B, P): mean (P,) and std (P,) (ddof 0), written in place;
    numpy's ``G.mean(axis=0)``, ``G.std(axis=0)`` (two passes, rows in order: the
    same bits), without their temporaries of G's size."""
    B, P = G.shape
    for k in range(P):
        mean[k] = 0.0
        std[k] = 0.0
    for i in range(B):
        for k in range(P):
            mean[k] += G[i, k]
    for k in range(P):
        mean[k] /= B
    for i in range(B):
        for k in range(P):
            d = G[i, k] - mean[k]
            std[k] += d * d
    for k in range(P):
        std[k] = math.sqrt(std[k] / B)


# ------------------------------------------------------------------ training


@dataclass
class TrainResult:
    params: dict               # name -> float64 array, the trained network
    log: pd.DataFrame          # one row per snapshot
    epochs: np.ndarray         # (K,) float64 fractional epoch of each snapshot
    updates: np.ndarray        # (K,) int64 optimizer updates done
    hidden: np.ndarray         # (K, n_test, T, H) float32
    outputs: np.ndarray        # (K, n_test, T, d_out) float32
    grad_mean: np.ndarray      # (K, L) float64
    grad_std: np.ndarray       # (K, L) float64
    seconds: float = 0.0
    meta: dict = field(default_factory=dict)

    @property
    def model(self) -> "Elman":
        return to_module(self.params)


def _mse(out: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(last step's MSE, all steps' MSE); out and y (B, T, d_out)."""
    e2 = (out - y) ** 2
    return float(e2[:, -1].mean()), float(e2.mean())


def train_seed(data: WeatherData, cfg: ElmanConfig, seed: int, log=None, compiled: bool = True) -> TrainResult:
    """Train one network in regime ``cfg.optimizer``; snapshot on ``cfg.snapshots`` (module doc).

    ``log``: called with one line per snapshot (e.g. ``print``), or None.
    ``compiled``: the numba path (the authors' regime's updates and every
    snapshot's passes compiled), else numpy throughout (the reference); both
    make the same computation, equal to float rounding.
    """
    start = time.perf_counter()
    rng = np.random.default_rng([cfg.root_seed, STREAM, seed])
    x_tr, y_tr = (np.ascontiguousarray(a, dtype=np.float64) for a in (data.x_train, data.y_train_steps))
    x_te, y_te = (np.ascontiguousarray(a, dtype=np.float64) for a in (data.x_test, data.y_test_steps))
    n, T, d_in = x_tr.shape
    d_out = y_tr.shape[2]
    theta, p = flat_params(init_params(d_in, cfg.hidden, d_out, cfg, rng))   # (P,); p: views of theta
    sizes = [p[k].size for k in PARAMS]
    w = step_weights(T, d_out, cfg.loss_steps)                                # (T,)
    per_epoch = updates_per_epoch(n, cfg)
    points = snapshot_updates(cfg.snapshots, per_epoch, cfg.epochs)
    next_point = iter(points.tolist())
    want = next(next_point)
    scale = data.target_std.astype(np.float64)               # (n_targets,) degrees per z unit
    rows, snap = [], {"h": [], "y": [], "gm": [], "gs": []}

    # compiled snapshots' buffers, reused: train hidden, outputs, gradients; test hidden, outputs
    P = theta.size
    h_tr, out_tr, G = np.empty((n, T, cfg.hidden)), np.empty((n, T, d_out)), np.empty((n, P))
    h_te, o_te, no_grads = np.empty((len(x_te), T, cfg.hidden)), np.empty(y_te.shape), np.empty((0, P))
    col_mean, col_std = np.empty(P), np.empty(P)                             # (P,) over sequences

    def snapshot(update: int, lr: float, mom: float):
        if compiled:
            _per_sequence(theta, x_tr, y_tr, w, h_tr, out_tr, G)
            _per_sequence(theta, x_te, y_te, w, h_te, o_te, no_grads)
            _column_stats(G, col_mean, col_std)
            hidden, out_te, train_out = h_te, o_te, out_tr
            gm, gs = _grad_norms(col_mean, col_std, sizes)
        else:
            _, train_out = forward(p, x_tr)
            hidden, out_te = forward(p, x_te)
            G_np = _per_sequence_numpy(p, x_tr, y_tr, cfg.loss_steps)       # (n, P)
            gm, gs = _grad_norms(G_np.mean(axis=0), G_np.std(axis=0), sizes)
        train_mse, train_all = _mse(train_out, y_tr)
        test_mse, test_all = _mse(out_te, y_te)
        mae = np.abs(out_te[:, -1] - y_te[:, -1]).mean(axis=0) * scale
        row = {"epoch": update / per_epoch, "update": update, "lr": lr, "momentum": mom,
               "train_mse": train_mse, "test_mse": test_mse,
               "train_mse_all_steps": train_all, "test_mse_all_steps": test_all}
        row.update({f"test_mae_{name}": float(m) for name, m in zip(data.target_names, mae)})
        row.update({"grad_mean": float(gm[-1]), "grad_std": float(gs[-1])})
        rows.append(row)
        snap["h"].append(hidden.astype(np.float32))
        snap["y"].append(out_te.astype(np.float32))
        snap["gm"].append(gm)
        snap["gs"].append(gs)
        if log is not None:
            log(f"update {update} (epoch {update / per_epoch:.3f}): train MSE {train_mse:.4f}, "
                f"test MSE {test_mse:.4f}, |mean grad| {gm[-1]:.3g}, |std grad| {gs[-1]:.3g}, "
                f"{time.perf_counter() - start:.1f} s")

    update = 0
    # the authors' schedule, per epoch e = 1 .. epochs: (epochs,) each
    lrs = np.array([cfg.lr * cfg.lr_decay ** (e - 1) for e in range(1, cfg.epochs + 1)], dtype=np.float64)
    moms = np.array([cfg.momentum[0] if e <= cfg.momentum_switch else cfg.momentum[1]
                     for e in range(1, cfg.epochs + 1)], dtype=np.float64)
    lr, mom = cfg.lr, (cfg.momentum[0] if cfg.optimizer == "original" else float("nan"))
    if want == 0:
        snapshot(0, lr, mom)
        want = next(next_point, None)
    if cfg.optimizer == "original" and compiled:
        vel = np.zeros_like(theta)                            # (P,) momentum velocity
        for stop in points[points > 0].tolist():              # run to the next snapshot in machine code
            _train_original(theta, vel, x_tr, y_tr, w, lrs, moms, update, stop, cfg.hidden)
            update = stop
            e = (update - 1) // n                             # epoch (from 0) of the last update
            snapshot(update, float(lrs[e]), float(moms[e]))
    elif cfg.optimizer == "original":
        opt = _Momentum(p)
        for epoch in range(1, cfg.epochs + 1):
            lr, mom = float(lrs[epoch - 1]), float(moms[epoch - 1])
            for i in range(n):                                # fixed order, one sequence per update
                _, g = gradients(p, x_tr[i : i + 1], y_tr[i : i + 1], cfg.loss_steps)
                opt.step(p, g, lr, mom)
                update += 1
                if update == want:
                    snapshot(update, lr, mom)
                    want = next(next_point, None)
    else:
        # compiled: Adam on the flat vector (elementwise, so the same algebra as per tensor)
        opt = _Adam({"theta": theta} if compiled else p, cfg.lr)
        g_flat = np.empty_like(theta)                         # (P,)
        for epoch in range(1, cfg.epochs + 1):
            perm = rng.permutation(n)
            for s in range(0, n, cfg.batch_size):
                idx = perm[s : s + cfg.batch_size]
                if compiled:
                    _batch_gradient(theta, x_tr, y_tr, w, idx, cfg.hidden, g_flat)
                    opt.step({"theta": theta}, {"theta": g_flat})
                else:
                    _, g = gradients(p, x_tr[idx], y_tr[idx], cfg.loss_steps)
                    opt.step(p, g)
                update += 1
                if update == want:
                    snapshot(update, lr, mom)
                    want = next(next_point, None)
    return TrainResult(
        params=p,
        log=pd.DataFrame(rows),
        epochs=np.array([r["epoch"] for r in rows], dtype=np.float64),
        updates=np.array([r["update"] for r in rows], dtype=np.int64),
        hidden=np.stack(snap["h"]),
        outputs=np.stack(snap["y"]),
        grad_mean=np.stack(snap["gm"]),
        grad_std=np.stack(snap["gs"]),
        seconds=time.perf_counter() - start,
        meta={"optimizer": cfg.optimizer, "loss_steps": cfg.loss_steps, "updates_per_epoch": per_epoch},
    )


def activations_arrays(data: WeatherData, res: TrainResult, seed: int) -> dict[str, np.ndarray]:
    """The arrays of ``activations.npz`` (format in the module doc)."""
    return dict(
        epochs=res.epochs,                                        # (K,) float64 fractional epoch
        updates=res.updates,                                      # (K,) int64
        inputs=data.x_test.astype(np.float32),                    # (n, T, d_in)
        targets=data.y_test.astype(np.float32),                   # (n, n_targets) z-scored
        targets_steps=data.y_test_steps.astype(np.float32),       # (n, T, n_targets)
        hidden=res.hidden,                                        # (K, n, T, H)
        outputs=res.outputs,                                      # (K, n, T, n_targets)
        grad_mean=res.grad_mean,                                  # (K, L) float64
        grad_std=res.grad_std,                                    # (K, L)
        grad_layers=np.array(GRAD_LAYERS, dtype=np.str_),         # (L,)
        input_names=np.array(data.input_names, dtype=np.str_),    # (d_in,) fixed-width unicode
        target_names=np.array(data.target_names, dtype=np.str_),  # (n_targets,)
        target_mean=data.target_mean.astype(np.float64),          # (n_targets,) original units
        target_std=data.target_std.astype(np.float64),            # (n_targets,)
        optimizer=np.array(res.meta.get("optimizer", ""), dtype=np.str_),
        loss_steps=np.array(res.meta.get("loss_steps", ""), dtype=np.str_),
        seed=np.int64(seed),
    )


# ------------------------------------------------------------ torch module


def _torch():
    import torch
    from torch import nn

    return torch, nn


def to_module(params: dict) -> "Elman":
    """The network as a torch module (float32), e.g. to save its state dict."""
    torch, _ = _torch()
    W_in, W_out = params["W_in"], params["W_out"]
    net = _elman_class()(W_in.shape[1], W_in.shape[0], W_out.shape[0])
    with torch.no_grad():
        for k in PARAMS:
            getattr(net, k).copy_(torch.from_numpy(np.asarray(params[k], dtype=np.float32)))
    return net


def _elman_class():
    """The torch module class :class:`Elman`, built once (torch is imported on first use)."""
    if "Elman" in globals():
        return globals()["Elman"]
    torch, nn = _torch()

    class Elman(nn.Module):
        """Elman network; parameters named as in the equations of the module doc."""

        def __init__(self, d_in: int, hidden: int, d_out: int):
            super().__init__()
            self.W_in = nn.Parameter(torch.zeros(hidden, d_in))
            self.W = nn.Parameter(torch.zeros(hidden, hidden))
            self.b = nn.Parameter(torch.zeros(hidden))
            self.h0 = nn.Parameter(torch.zeros(hidden))
            self.W_out = nn.Parameter(torch.zeros(d_out, hidden))
            self.b_y = nn.Parameter(torch.zeros(d_out))

        def forward(self, x):
            # x: (B, T, d_in) -> hidden (B, T, H), outputs (B, T, d_out)
            B, T, _ = x.shape
            drive = x @ self.W_in.T + self.b                  # (B, T, H)
            h = self.h0.expand(B, -1)                         # (B, H)
            hs = []
            for t in range(T):
                h = torch.tanh(drive[:, t] + h @ self.W.T)
                hs.append(h)
            hidden = torch.stack(hs, dim=1)                   # (B, T, H)
            return hidden, hidden @ self.W_out.T + self.b_y

    globals()["Elman"] = Elman
    return Elman


def __getattr__(name):
    # the torch module class is built on first use: stages that only read
    # activations import this module without paying for torch
    if name == "Elman":
        return _elman_class()
    raise AttributeError(name)
