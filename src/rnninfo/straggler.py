"""One plain RNN or LSTM trained alone, compiled: where an ensemble's seeds go when that is faster.

For small networks (H = 12) a training step in torch costs its per-op
overhead, not its arithmetic, and a straggler seed can need the full
``max_epochs`` alone. Here the same training step (forward to each sample's
readout step, tanh readout, mean squared error, backward through time, Adam
exactly as ``torch.optim.Adam`` with default options) runs as one compiled
loop per epoch, vectorised over the batch. ``G`` is the number of gates:
1 (RNN) or 4 (LSTM, torch's gate order i, f, g, o).

Same math as ``torch.nn.RNN/LSTM`` + ``nn.Linear`` + ``tanh`` and torch's Adam, in
float32, to float tolerance (tests compare with ``rnninfo.train.train_plain``);
tanh is a rational approximation within 4e-7 of the exact value (``_tanh``).
The loops are compiled with fastmath (the compiler may reorder float sums to
vectorise them): the same machine gives the same bytes every run, another CPU
may differ in the last bits, as torch's own kernels do. No BLAS calls: on a
loaded 2-core machine OpenBLAS's second thread only waited.

Parameters travel as one flat float32 vector ``theta`` in the order of
``KEYS`` (each block flattened row-major), and Adam's moments as vectors of
the same layout.
"""

from __future__ import annotations

import numba
import numpy as np

KEYS = ("rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0", "readout.weight", "readout.bias")
N_OUT = 3


GATES = {"RNN": 1, "LSTM": 4}


def shapes(input_size: int, hidden_size: int, gates: int = 1) -> list[tuple[int, ...]]:
    """Shapes of the parameters in ``KEYS`` order."""
    H, D, G = hidden_size, input_size, gates
    return [(G * H, D), (G * H, H), (G * H,), (G * H,), (N_OUT, H), (N_OUT,)]


def pack(arrays: list[np.ndarray]) -> np.ndarray:
    """Parameter-shaped arrays (``KEYS`` order) -> one flat float32 vector."""
    return np.concatenate([np.asarray(a, dtype=np.float32).reshape(-1) for a in arrays])


def unpack(theta: np.ndarray, input_size: int, hidden_size: int, gates: int = 1) -> list[np.ndarray]:
    """The inverse of ``pack``: copies, ``KEYS`` order."""
    out, at = [], 0
    for shape in shapes(input_size, hidden_size, gates):
        n = int(np.prod(shape))
        out.append(theta[at : at + n].reshape(shape).copy())
        at += n
    return out


@numba.njit(cache=True, inline="always")
def _tanh(x):
    """float32 tanh as a rational function (the minimax form Eigen uses), within 4e-7 of the exact value.

    About 3x faster than libm's tanhf here, where tanh was half of a step's time.
    """
    c = np.float32(7.90531110763549805)  # beyond this, the form rounds to +-1 in float32
    x = min(max(x, -c), c)
    x2 = x * x
    p = x2 * np.float32(-2.76076847742355e-16) + np.float32(2.00018790482477e-13)
    p = x2 * p + np.float32(-8.60467152213735e-11)
    p = x2 * p + np.float32(5.12229709037114e-08)
    p = x2 * p + np.float32(1.48572235717979e-05)
    p = x2 * p + np.float32(6.37261928875436e-04)
    p = x2 * p + np.float32(4.89352455891786e-03)
    q = x2 * np.float32(1.19825839466702e-06) + np.float32(1.18534705686654e-04)
    q = x2 * q + np.float32(2.26843463243900e-03)
    q = x2 * q + np.float32(4.89352518554385e-03)
    return x * p / q


@numba.njit(cache=True, inline="always")
def _sigmoid(x):
    return np.float32(0.5) * _tanh(np.float32(0.5) * x) + np.float32(0.5)


@numba.njit(cache=True)
def _views(theta, D, H, G):
    """(w_ih (G*H, D), w_hh (G*H, H), b_ih (G*H,), b_hh (G*H,), w_o (3, H), b_o (3,)) as views of theta."""
    a = 0
    w_ih = theta[a : a + G * H * D].reshape((G * H, D))
    a += G * H * D
    w_hh = theta[a : a + G * H * H].reshape((G * H, H))
    a += G * H * H
    b_ih = theta[a : a + G * H]
    a += G * H
    b_hh = theta[a : a + G * H]
    a += G * H
    w_o = theta[a : a + 3 * H].reshape((3, H))
    a += 3 * H
    b_o = theta[a : a + 3]
    return w_ih, w_hh, b_ih, b_hh, w_o, b_o


@numba.njit(cache=True, fastmath=True)
def _forward(theta, xt, n_steps, D, H, G):
    """States of a batch, xt (T, D, B) inputs.

    Returns hs (n_steps + 1, H, B) with hs[0] = 0 and hs[t + 1] after step t;
    for LSTM also cs (n_steps + 1, H, B) cell states (same indexing), acts
    (n_steps, 4H, B) gate activations (i, f, g, o) and tanh_c (n_steps, H, B)
    tanh of the cell state after step t; else (1, 1, 1) dummies.
    """
    w_ih, w_hh, b_ih, b_hh, _, _ = _views(theta, D, H, G)
    B = xt.shape[2]
    hs = np.zeros((n_steps + 1, H, B), dtype=np.float32)
    lstm = G == 4
    cs = np.zeros((n_steps + 1, H, B) if lstm else (1, 1, 1), dtype=np.float32)
    acts = np.empty((n_steps, G * H, B) if lstm else (1, 1, 1), dtype=np.float32)
    tanh_c = np.empty((n_steps, H, B) if lstm else (1, 1, 1), dtype=np.float32)
    u = np.empty((G * H, B), dtype=np.float32)
    for t in range(n_steps):
        for j in range(G * H):
            bias = b_ih[j] + b_hh[j]
            for b in range(B):
                u[j, b] = bias
            for k in range(D):
                w = w_ih[j, k]
                for b in range(B):
                    u[j, b] += w * xt[t, k, b]
            for k in range(H):
                w = w_hh[j, k]
                for b in range(B):
                    u[j, b] += w * hs[t, k, b]
        if not lstm:
            for j in range(H):
                for b in range(B):
                    hs[t + 1, j, b] = _tanh(u[j, b])
            continue
        for j in range(G * H):
            if H * 2 <= j < H * 3:  # g
                for b in range(B):
                    acts[t, j, b] = _tanh(u[j, b])
            else:  # i, f, o
                for b in range(B):
                    acts[t, j, b] = _sigmoid(u[j, b])
        for j in range(H):
            for b in range(B):
                c = acts[t, H + j, b] * cs[t, j, b] + acts[t, j, b] * acts[t, 2 * H + j, b]
                cs[t + 1, j, b] = c
                tanh_c[t, j, b] = _tanh(c)
                hs[t + 1, j, b] = acts[t, 3 * H + j, b] * tanh_c[t, j, b]
    return hs, cs, acts, tanh_c


@numba.njit(cache=True, fastmath=True)
def _answers(theta, hs, t_end, D, H, G):
    """tanh readout of each sample's state after its step t_end: (B, 3)."""
    _, _, _, _, w_o, b_o = _views(theta, D, H, G)
    B = t_end.shape[0]
    out = np.empty((B, 3), dtype=np.float32)
    for b in range(B):
        for c in range(3):
            z = b_o[c]
            for k in range(H):
                z += w_o[c, k] * hs[t_end[b] + 1, k, b]
            out[b, c] = _tanh(z)
    return out


@numba.njit(cache=True)
def _gather(x, idx):
    """Samples idx of x (N, T, D) laid out (T, D, B)."""
    _, T, D = x.shape
    B = idx.shape[0]
    xt = np.empty((T, D, B), dtype=np.float32)
    for b in range(B):
        for t in range(T):
            for k in range(D):
                xt[t, k, b] = x[idx[b], t, k]
    return xt


@numba.njit(cache=True, fastmath=True)
def _gradient(theta, x, y, t_end, idx, D, H, G):
    """Gradient of the batch's mean squared error (over samples and the 3 outputs), flat like theta."""
    w_ih, w_hh, b_ih, b_hh, w_o, b_o = _views(theta, D, H, G)
    B = idx.shape[0]
    xt = _gather(x, idx)  # (T, D, B)
    te = np.empty(B, dtype=np.int64)
    n_steps = 0
    for b in range(B):
        te[b] = t_end[idx[b]]
        n_steps = max(n_steps, te[b] + 1)
    hs, cs, acts, tanh_c = _forward(theta, xt, n_steps, D, H, G)  # (n_steps + 1, H, B), ...
    out = _answers(theta, hs, te, D, H, G)  # (B, 3)
    grad = np.zeros_like(theta)
    g_ih, g_hh, g_bih, g_bhh, g_o, g_bo = _views(grad, D, H, G)
    # readout: d loss / d logit, and what it sends into each sample's state at t_end
    inject = np.zeros((n_steps, H, B), dtype=np.float32)
    scale = np.float32(2.0 / (B * 3))
    for b in range(B):
        for c in range(3):
            o = out[b, c]
            dz = scale * (o - y[idx[b], c]) * (np.float32(1.0) - o * o)
            g_bo[c] += dz
            for k in range(H):
                g_o[c, k] += dz * hs[te[b] + 1, k, b]
                inject[te[b], k, b] += dz * w_o[c, k]
    # backward through time; du[t] = d loss / d pre-activations at step t, (G*H, B)
    du = np.empty((n_steps, G * H, B), dtype=np.float32)
    dh = np.zeros((H, B), dtype=np.float32)
    dc = np.zeros((H, B), dtype=np.float32)  # LSTM: d loss / d cell state after step t
    one = np.float32(1.0)
    for t in range(n_steps - 1, -1, -1):
        if G == 1:
            for j in range(H):
                for b in range(B):
                    h = hs[t + 1, j, b]
                    du[t, j, b] = (dh[j, b] + inject[t, j, b]) * (one - h * h)
        else:
            for j in range(H):
                for b in range(B):
                    i, f, g, o = acts[t, j, b], acts[t, H + j, b], acts[t, 2 * H + j, b], acts[t, 3 * H + j, b]
                    d_h = dh[j, b] + inject[t, j, b]
                    tc = tanh_c[t, j, b]
                    d_c = dc[j, b] + d_h * o * (one - tc * tc)
                    du[t, j, b] = d_c * g * i * (one - i)
                    du[t, H + j, b] = d_c * cs[t, j, b] * f * (one - f)
                    du[t, 2 * H + j, b] = d_c * i * (one - g * g)
                    du[t, 3 * H + j, b] = d_h * tc * o * (one - o)
                    dc[j, b] = d_c * f
        for k in range(H):
            for b in range(B):
                dh[k, b] = 0.0
        for j in range(G * H):
            for k in range(H):
                w = w_hh[j, k]
                for b in range(B):
                    dh[k, b] += w * du[t, j, b]
    # weight gradients, sums over steps and samples (own loops, not BLAS: its threads only wait here)
    for t in range(n_steps):
        _accumulate(g_ih, du[t], xt[t])
        _accumulate(g_hh, du[t], hs[t])  # hs[t]: the state before step t
        for j in range(G * H):
            s = np.float32(0.0)
            for b in range(B):
                s += du[t, j, b]
            g_bih[j] += s
    g_bhh[:] = g_bih
    return grad


@numba.njit(cache=True, fastmath=True)
def _accumulate(g, a, v):
    """g += a @ v.T for a (J, B), v (K, B): sums over the batch, vectorised (their order is the compiler's)."""
    J, B = a.shape
    for j in range(J):
        for k in range(v.shape[0]):
            s = np.float32(0.0)
            for b in range(B):
                s += a[j, b] * v[k, b]
            g[j, k] += s


@numba.njit(cache=True)
def _adam(theta, grad, m, v, step, lr, beta1, beta2, eps):
    """One step of torch.optim.Adam (no weight decay, no amsgrad); ``step`` counts this step."""
    bc1 = 1.0 - beta1**step
    bc2_sqrt = np.sqrt(1.0 - beta2**step)
    step_size = np.float32(lr / bc1)
    b2s = np.float32(bc2_sqrt)
    w1, w2, b2, e = np.float32(1.0 - beta1), np.float32(1.0 - beta2), np.float32(beta2), np.float32(eps)
    for i in range(theta.shape[0]):
        g = grad[i]
        m[i] += w1 * (g - m[i])
        v[i] = v[i] * b2 + w2 * g * g
        theta[i] -= step_size * (m[i] / (np.sqrt(v[i]) / b2s + e))


@numba.njit(cache=True)
def train_epoch(theta, m, v, step, x, y, t_end, batches, sizes, lr, beta1, beta2, eps, D, H, G):
    """One epoch in place: minibatch k is batches[k, :sizes[k]] (indices into x (N, T, D), y (N, 3), t_end (N,)).

    Returns the optimiser's step count after the epoch.
    """
    for k in range(batches.shape[0]):
        grad = _gradient(theta, x, y, t_end, batches[k, : sizes[k]], D, H, G)
        step += 1
        _adam(theta, grad, m, v, step, lr, beta1, beta2, eps)
    return step


@numba.njit(cache=True)
def answers(theta, x, t_end, D, H, G):
    """Each sample's outputs at its readout step: x (N, T, D), t_end (N,) -> (N, 3)."""
    idx = np.arange(x.shape[0])
    xt = _gather(x, idx)
    n_steps = 0
    for b in range(t_end.shape[0]):
        n_steps = max(n_steps, t_end[b] + 1)
    hs, _, _, _ = _forward(theta, xt, n_steps, D, H, G)
    return _answers(theta, hs, t_end, D, H, G)
