"""RNN / GRU / LSTM classifiers of paper A, plain and as a batched ensemble.

``RecurrentClassifier`` is the plain network: ``torch.nn.RNN/GRU/LSTM`` with
``hidden_size`` units, a linear layer hidden -> 3 and tanh on the output. Model
files are its state dict.

``Ensemble`` holds the same parameters for S networks stacked on a leading
seed axis and runs all of them in one forward pass (one batched matmul per
step). Each seed's parameters see only its own loss, so with an elementwise
optimiser (Adam) a seed follows exactly the trajectory it would follow alone.
The gate layout is torch's: GRU (r, z, n), LSTM (i, f, g, o).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from rnninfo.archs import ARCHS, check_arch  # noqa: F401 (ARCHS re-exported)

N_GATES = {"RNN": 1, "GRU": 3, "LSTM": 4}
N_OUT = 3
RNN_KEYS = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")
READOUT_KEYS = ("weight", "bias")


class RecurrentClassifier(nn.Module):
    """One network: recurrent layer -> linear -> tanh, read at every step."""

    def __init__(self, arch: str, input_size: int, hidden_size: int = 12):
        super().__init__()
        check_arch(arch)
        self.arch = arch
        self.rnn = getattr(nn, arch)(input_size, hidden_size, batch_first=True)
        self.readout = nn.Linear(hidden_size, N_OUT)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        hidden, _ = self.rnn(x)  # (B, T, H)
        return torch.tanh(self.readout(hidden)), hidden  # (B, T, 3), (B, T, H)


def init_state_dict(arch: str, input_size: int, hidden_size: int, generator: torch.Generator) -> dict:
    """A fresh network's parameters, drawn from ``generator`` alone.

    Same distribution as torch's default init: every recurrent and readout
    parameter ~ U(-1/sqrt(H), 1/sqrt(H)) (the readout's fan-in is H).
    """
    check_arch(arch)
    G, H, D = N_GATES[arch], hidden_size, input_size
    shapes = {
        "rnn.weight_ih_l0": (G * H, D),
        "rnn.weight_hh_l0": (G * H, H),
        "rnn.bias_ih_l0": (G * H,),
        "rnn.bias_hh_l0": (G * H,),
        "readout.weight": (N_OUT, H),
        "readout.bias": (N_OUT,),
    }
    bound = 1.0 / math.sqrt(H)
    return {k: (torch.rand(s, generator=generator) * 2 - 1) * bound for k, s in shapes.items()}


class Ensemble(nn.Module):
    """S networks of one arch, parameters stacked on a leading seed axis."""

    def __init__(self, arch: str, state_dicts: list[dict]):
        super().__init__()
        check_arch(arch)
        if not state_dicts:
            raise ValueError("an ensemble needs at least one network")
        self.arch = arch
        stack = lambda key: nn.Parameter(torch.stack([sd[key].detach().float() for sd in state_dicts]))
        self.weight_ih = stack("rnn.weight_ih_l0")  # (S, G*H, D)
        self.weight_hh = stack("rnn.weight_hh_l0")  # (S, G*H, H)
        self.bias_ih = stack("rnn.bias_ih_l0")  # (S, G*H)
        self.bias_hh = stack("rnn.bias_hh_l0")  # (S, G*H)
        self.readout_weight = stack("readout.weight")  # (S, 3, H)
        self.readout_bias = stack("readout.bias")  # (S, 3)

    @property
    def n_seeds(self) -> int:
        return self.weight_hh.shape[0]

    @property
    def hidden_size(self) -> int:
        return self.weight_hh.shape[2]

    def state_dict_of(self, s: int) -> dict:
        """Seed ``s`` as a plain ``RecurrentClassifier`` state dict."""
        p = lambda t: t[s].detach().clone().contiguous()
        return {
            "rnn.weight_ih_l0": p(self.weight_ih),
            "rnn.weight_hh_l0": p(self.weight_hh),
            "rnn.bias_ih_l0": p(self.bias_ih),
            "rnn.bias_hh_l0": p(self.bias_hh),
            "readout.weight": p(self.readout_weight),
            "readout.bias": p(self.readout_bias),
        }

    def forward(
        self,
        x: torch.Tensor,
        knockout: tuple[int, torch.Tensor] | None = None,
    ) -> dict[str, torch.Tensor]:
        """Run every seed on its own inputs.

        x: (S, B, T, D), or (B, T, D) shared by all seeds.
        knockout: optional (t, keep) with keep broadcastable to (S, B, H) of
            0/1; after step t the hidden (and LSTM cell) state is multiplied by
            keep, so knocked-out nodes enter step t+1 as 0.0.
        Returns outputs (S, B, T, 3), hidden (S, B, T, H) and, for LSTM,
        cell (S, B, T, H); states are recorded after any knockout.
        """
        S, H = self.n_seeds, self.hidden_size
        if x.dim() == 3:
            x = x.unsqueeze(0).expand(S, *x.shape)
        if x.dim() != 4 or x.shape[0] != S:
            raise ValueError(f"x must be (S={S}, B, T, D) or (B, T, D), got {tuple(x.shape)}")
        _, B, T, _ = x.shape
        # Input projections of every step at once: (S, B, T, G*H).
        gx = torch.einsum("sbtd,sgd->sbtg", x, self.weight_ih) + self.bias_ih[:, None, None, :]
        gx_steps = gx.unbind(dim=2)  # T x (S, B, G*H); unbind's backward is one stack, not T scatters
        w_hh_t = self.weight_hh.transpose(1, 2)  # (S, H, G*H)
        h = x.new_zeros(S, B, H)
        c = x.new_zeros(S, B, H) if self.arch == "LSTM" else None
        hiddens, cells = [], []
        for t in range(T):
            gh = torch.baddbmm(self.bias_hh[:, None, :], h, w_hh_t)  # (S, B, G*H)
            h, c = self._step(gx_steps[t], gh, h, c)
            if knockout is not None and t == knockout[0]:
                h = h * knockout[1]
                c = None if c is None else c * knockout[1]
            hiddens.append(h)
            if c is not None:
                cells.append(c)
        hidden = torch.stack(hiddens, dim=2)  # (S, B, T, H)
        logits = torch.einsum("sbth,soh->sbto", hidden, self.readout_weight)
        out = {"outputs": torch.tanh(logits + self.readout_bias[:, None, None, :]), "hidden": hidden}
        if cells:
            out["cell"] = torch.stack(cells, dim=2)
        return out

    def _step(self, gx, gh, h, c):
        """One recurrent update; gx, gh: (S, B, G*H) input and hidden projections."""
        if self.arch == "RNN":
            return torch.tanh(gx + gh), None
        if self.arch == "GRU":
            xr, xz, xn = gx.chunk(3, dim=-1)
            hr, hz, hn = gh.chunk(3, dim=-1)
            r = torch.sigmoid(xr + hr)
            z = torch.sigmoid(xz + hz)
            n = torch.tanh(xn + r * hn)
            return (1 - z) * n + z * h, None
        i, f, g, o = (gx + gh).chunk(4, dim=-1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        return torch.sigmoid(o) * torch.tanh(c), c


def load_model(path, arch: str, input_size: int, hidden_size: int) -> RecurrentClassifier:
    """Load a model file (state dict only; nothing in it can run code)."""
    model = RecurrentClassifier(arch, input_size, hidden_size)
    state = torch.load(path, map_location="cpu", weights_only=True)
    model.load_state_dict(state)
    return model
