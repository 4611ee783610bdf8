"""The recurrent loop of ``rnninfo.models.Ensemble``, with a hand-written backward pass.

S networks step together: one batched matmul and a few elementwise ops per
step. Recorded by autograd op by op, training spent its time in per-op
overhead, in ``tanh`` (about 3x slower than ``sigmoid`` on CPU) and in
elementwise ops on gate slices only H wide. So here:

- every activation is a sigmoid: ``tanh(u) = 2 * sigmoid(2u) - 1``; the factor
  2 is folded into the weight rows of the tanh gate (``gate_scale``), and the
  callers pass projections already scaled;
- states and saved activations are laid out (T, S, B, .), so that a step
  reads and writes contiguous slices, and backward works in place on them
  (it may run once: ``retain_graph`` is not supported);
- ``Recurrence.backward`` walks the steps once in reverse with a handful of
  ops per step; the gate derivatives, which do not depend on the next step's
  gradient, are computed for all steps at once;
- large buffers are reused across training steps (``POOL``): on the machines
  measured, a fresh multi-megabyte tensor cost more in page faults than its
  arithmetic.

Shapes: S networks, T steps, B samples, H hidden units, G gates (RNN 1,
GRU 3 (r, z, n), LSTM 4 (i, f, g, o); torch's layout).
"""

from __future__ import annotations

import torch

N_GATES = {"RNN": 1, "GRU": 3, "LSTM": 4}
POOL_SIZE = 16
TANH_GATE = {"RNN": 0, "GRU": 2, "LSTM": 2}  # the gate whose activation is tanh


def gate_scale(arch: str, hidden_size: int) -> torch.Tensor:
    """(G*H,) factors for the gate rows: 2 on the tanh gate, 1 elsewhere."""
    scale = torch.ones(N_GATES[arch], hidden_size)
    scale[TANH_GATE[arch]] = 2.0
    return scale.reshape(-1)


class _Pool:
    """Scratch buffers reused across training steps.

    A fresh multi-megabyte tensor costs a page fault per 4 kB page on first
    touch, which here cost more than the arithmetic. ``take`` hands out a
    buffer (contents undefined: every user writes before reading); ``give``
    makes buffers available again once nothing else holds them.
    """

    def __init__(self, size: int = POOL_SIZE):
        self.size = size
        self.free: list[torch.Tensor] = []

    def take(self, like: torch.Tensor, *shape: int) -> torch.Tensor:
        for k, t in enumerate(self.free):
            if t.shape == shape and t.dtype == like.dtype and t.device == like.device:
                return self.free.pop(k)
        return like.new_empty(shape)

    def give(self, *tensors: torch.Tensor) -> None:
        self.free = (list(tensors) + self.free)[: self.size]


POOL = _Pool()


def keep_freed_memory() -> None:
    """Let glibc reuse freed large blocks instead of unmapping them (no-op elsewhere).

    By default a block of a few MB is mmap-ed and, once freed, returned to the
    system, so the next one costs a page fault per 4 kB page again. Training
    allocates and frees such blocks every step; keeping them in the heap takes
    a few percent off a step. Process memory then stays at its peak (small here).
    """
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        libc.mallopt(-3, 1 << 30)  # M_MMAP_THRESHOLD
        libc.mallopt(-1, 1 << 30)  # M_TRIM_THRESHOLD
    except (OSError, AttributeError, TypeError):
        pass


def input_projection(x1: torch.Tensor, w_ih_t: torch.Tensor, out: torch.Tensor | None = None) -> torch.Tensor:
    """Every step's input projection at once: (S, T, B, D+1) @ (S, D+1, G*H) -> (S, T, B, G*H)."""
    S, T, B, D1 = x1.shape
    out = None if out is None else out.view(S, T * B, -1)
    return torch.bmm(x1.view(S, T * B, D1), w_ih_t, out=out).view(S, T, B, -1)


def recur(arch, gx, w_t, b_gh, h, c, knockout=None, save=False):
    """Run the recurrence of S networks; no autograd inside.

    gx: (S, T, B, G*H) scaled input projections plus biases (for GRU without
        the hidden bias, which sits inside the reset gate's product).
    w_t: (S, H, G*H) scaled recurrent weights, transposed.
    b_gh: (S, 1, G*H) scaled hidden bias for GRU, else None.
    h, c: (S, B, H) states before the first step (c None except LSTM).
    knockout: optional (t, keep), keep broadcastable to (S, B, H): the states
        are multiplied by keep right after step t.
    save: keep what ``Recurrence.backward`` needs.
    Returns hidden (T, S, B, H), cell (T, S, B, H) or None, and the saved
    activations (empty unless ``save``).
    """
    S, T, B, _ = gx.shape
    H = h.shape[2]
    hidden = gx.new_empty(T, S, B, H)
    cell = gx.new_empty(T, S, B, H) if arch == "LSTM" else None
    buf = lambda *shape: POOL.take(gx, T, S, B, *shape) if save else None
    at = lambda buffer, t: None if buffer is None else buffer[t]
    if arch == "RNN":
        saved = ()
        for t in range(T):
            h = torch.baddbmm(gx[:, t], h, w_t, out=hidden[t]).sigmoid_().mul_(2.0).sub_(1.0)
            if knockout is not None and t == knockout[0]:
                h.mul_(knockout[1])
    elif arch == "GRU":
        rz, n, gh = buf(2 * H), buf(H), buf(3 * H)  # sigmoid(r, z); candidate; hidden projections
        for t in range(T):
            gh_t = torch.baddbmm(b_gh, h, w_t, out=at(gh, t))
            rz_t = torch.add(gx[:, t, ..., : 2 * H], gh_t[..., : 2 * H], out=at(rz, t)).sigmoid_()
            n_t = torch.addcmul(gx[:, t, ..., 2 * H :], rz_t[..., :H], gh_t[..., 2 * H :], out=at(n, t))
            n_t.sigmoid_().mul_(2.0).sub_(1.0)
            h = torch.lerp(n_t, h, rz_t[..., H:], out=hidden[t])  # (1 - z) n + z h
            if knockout is not None and t == knockout[0]:
                h.mul_(knockout[1])
        saved = (rz, n, gh) if save else ()
    else:
        acts = buf(4 * H)  # sigmoid(i, f, 2g, o)
        m = buf(4, H)  # what each gate multiplies: g, c_prev (filled by backward), 2i (ditto), tanh(c)
        for t in range(T):
            a = torch.baddbmm(gx[:, t], h, w_t, out=at(acts, t)).sigmoid_().view(S, B, 4, H)
            i, f, s, o = a.unbind(2)
            g = torch.add(s, s, out=None if m is None else m[t, :, :, 0]).sub_(1.0)
            c = torch.mul(f, c, out=cell[t]).addcmul_(i, g)
            tanh_c = torch.mul(c, 2.0, out=None if m is None else m[t, :, :, 3]).sigmoid_().mul_(2.0).sub_(1.0)
            h = torch.mul(o, tanh_c, out=hidden[t])
            if knockout is not None and t == knockout[0]:
                h.mul_(knockout[1])
                c.mul_(knockout[1])
        saved = (acts, m) if save else ()
    return hidden, cell, saved


class Recurrence(torch.autograd.Function):
    """``recur`` as one autograd node: forward records, backward walks the steps once."""

    @staticmethod
    def forward(ctx, arch, x1, w_ih_t, w_t, b_gh, h0, c0):
        """x1: (S, T, B, D+1) inputs with a column of ones; w_ih_t: (S, D+1, G*H) scaled input weights and bias."""
        gx = input_projection(x1, w_ih_t, out=POOL.take(x1, *x1.shape[:3], w_ih_t.shape[2]))
        hidden, cell, saved = recur(arch, gx, w_t, b_gh, h0, c0, save=True)
        ctx.arch = arch
        ctx.save_for_backward(x1, w_t, h0, c0, hidden, cell, gx, *saved)
        ctx.set_materialize_grads(False)
        return hidden, cell

    @staticmethod
    def backward(ctx, d_hidden, d_cell):
        x1, w_t, h0, c0, hidden, cell, gx, *saved = ctx.saved_tensors
        arch = ctx.arch
        T, S, B, H = hidden.shape
        x1 = x1.transpose(0, 1).contiguous()  # (T, S, B, D+1)
        scratch = POOL.take(gx, T, S, B, gx.shape[3])  # (T, S, B, G*H)
        G = w_t.shape[2]
        w = w_t.transpose(1, 2)  # (S, G*H, H)
        h_prev = lambda t: h0 if t == 0 else hidden[t - 1]
        dh_next = hidden.new_zeros(S, B, H)  # fresh every step (bmm output): updated in place below
        grad_at = lambda t: dh_next if d_hidden is None else dh_next.add_(d_hidden[t])  # dL/dh_t
        d_w_t = w_t.new_zeros(w_t.shape)
        d_w_ih_t = x1.new_zeros(S, x1.shape[3], G)
        d_b = None
        # Per step: d_gx_t is dL/d(scaled input projection), d_gh_t dL/d(hidden projection).
        if arch == "RNN":
            d_gx = torch.addcmul(hidden.new_ones(()), hidden, hidden, value=-1.0, out=scratch).mul_(0.5)  # d tanh/du
            for t in range(T - 1, -1, -1):
                d_gx_t = d_gh_t = d_gx[t].mul_(grad_at(t))
                dh_next = torch.bmm(d_gh_t, w)
                d_w_t.baddbmm_(h_prev(t).transpose(1, 2), d_gh_t)
                d_w_ih_t.baddbmm_(x1[t].transpose(1, 2), d_gx_t)
            POOL.give(gx, scratch)
        elif arch == "GRU":
            rz, n, gh = saved
            r, z = rz[..., :H], rz[..., H:]
            # dL/du per unit of dL/dh, gates (r, z, n).
            k = scratch.view(T, S, B, 3, H)
            dn = k[..., 2, :].copy_(z).neg_().add_(1.0).mul_(torch.addcmul(n.new_ones(()), n, n, value=-1.0)).mul_(0.5)
            torch.mul(dn, gh[..., 2 * H :], out=k[..., 0, :]).mul_(r).mul_(1.0 - r)
            torch.cat([h0[None], hidden[:-1]], out=k[..., 1, :]).sub_(n).mul_(z).mul_(1.0 - z)
            d_gh = gh.view(T, S, B, 3, H)  # the same, except that n's hidden projection enters through r
            d_gh[..., :2, :] = k[..., :2, :]
            torch.mul(dn, r, out=d_gh[..., 2, :])
            d_gh, k = d_gh.view(T, S, B, G), k.view(T, S, B, G)
            for t in range(T - 1, -1, -1):
                dh = grad_at(t)
                dh3 = dh.repeat(1, 1, 3)
                d_gx_t, d_gh_t = k[t].mul_(dh3), d_gh[t].mul_(dh3)
                dh_next = torch.baddbmm(dh * z[t], d_gh_t, w)
                d_w_t.baddbmm_(h_prev(t).transpose(1, 2), d_gh_t)
                d_w_ih_t.baddbmm_(x1[t].transpose(1, 2), d_gx_t)
            d_b = d_gh.sum(dim=(0, 2))[:, None, :]
            POOL.give(gx, scratch, rz, n, gh)
        else:
            acts, m = saved
            a = acts.view(T, S, B, 4, H)
            m[0, :, :, 1] = c0
            m[1:, :, :, 1] = cell[:-1]
            torch.add(a[..., 0, :], a[..., 0, :], out=m[..., 2, :])
            tanh_c = m[..., 3, :]
            dc_dh = torch.addcmul(hidden.new_ones(()), tanh_c, tanh_c, value=-1.0).mul_(a[..., 3, :])
            f = torch.mul(a[..., 1, :], 1.0, out=scratch[..., :H])  # forget gates, contiguous
            # dL/du = (dc, dc, dc, dh) * k per gate (i, f, g, o); dc = dc_next + dh * dc_dh.
            k = torch.addcmul(acts, acts, acts, value=-1.0, out=acts).mul_(m.view(T, S, B, G))
            dc_next = hidden.new_zeros(S, B, H)
            for t in range(T - 1, -1, -1):
                dh = grad_at(t)
                dc = dc_next.addcmul_(dh, dc_dh[t])  # in place: dc_next is not needed again
                if d_cell is not None:
                    dc.add_(d_cell[t])
                k_t = k[t].view(S, B, 4, H)
                k_t[:, :, :3].mul_(dc[:, :, None])
                k_t[:, :, 3].mul_(dh)
                d_gx_t = d_gh_t = k[t]
                dh_next = torch.bmm(d_gh_t, w)
                d_w_t.baddbmm_(h_prev(t).transpose(1, 2), d_gh_t)
                d_w_ih_t.baddbmm_(x1[t].transpose(1, 2), d_gx_t)
                dc_next = dc.mul_(f[t])
            POOL.give(gx, scratch, acts, m)
        return None, None, d_w_ih_t, d_w_t, d_b, None, None
