"""RNN / GRU / LSTM classifiers of paper A, plain and as a batched ensemble.

``RecurrentClassifier`` is the plain network: ``torch.nn.RNN/GRU/LSTM`` with
``hidden_size`` units, a linear layer hidden -> 3 and tanh on the output. Model
files are its state dict.

``Ensemble`` holds the same parameters for S networks stacked on a leading
seed axis and runs all of them in one forward pass (one batched matmul per
step; the loop and its hand-written backward live in ``rnninfo.recurrence``).
Each seed's parameters see only its own loss, so with an elementwise
optimiser (Adam) a seed follows exactly the trajectory it would follow alone.
The gate layout is torch's: GRU (r, z, n), LSTM (i, f, g, o).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from rnninfo.archs import ARCHS, check_arch  # noqa: F401 (ARCHS re-exported)
from rnninfo.recurrence import Recurrence, gate_scale, input_projection, recur

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
        state: tuple[torch.Tensor, torch.Tensor | None] | None = None,
    ) -> dict[str, torch.Tensor]:
        """Run every seed on its own inputs.

        x: (S, B, T, D), or (B, T, D) shared by all seeds.
        knockout: optional (t, keep) with keep broadcastable to (S, B, H) of
            0/1; after step t the hidden (and LSTM cell) state is multiplied by
            keep, so knocked-out nodes enter step t+1 as 0.0.
        state: optional (h0, c0), each (S, B, H), the state before the first
            step (default zeros; c0 is None except for LSTM). Running steps
            t+1.. from the state after step t continues a sequence exactly.
        Returns outputs (S, B, T, 3), hidden (S, B, T, H) and, for LSTM,
        cell (S, B, T, H); states are recorded after any knockout.
        """
        hidden, cell = self._run(x, knockout, state)  # (T, S, B, H)
        hidden = hidden.permute(1, 2, 0, 3)  # (S, B, T, H)
        out = {"outputs": self.readout(hidden), "hidden": hidden}
        if cell is not None:
            out["cell"] = cell.permute(1, 2, 0, 3)
        return out

    def answers(self, x: torch.Tensor, t_end: torch.Tensor) -> torch.Tensor:
        """Each sample's outputs at its own readout step: x (S, B, T, D), t_end (S, B) -> (S, B, 3).

        What training needs: the readout runs on those states only.
        """
        hidden, _ = self._run(x)  # (T, S, B, H)
        index = t_end[None, :, :, None].expand(1, *t_end.shape, hidden.shape[3])
        return self.readout(hidden.gather(0, index)[0])

    def readout(self, hidden: torch.Tensor) -> torch.Tensor:
        """tanh(linear) of states (S, ..., H) -> (S, ..., 3)."""
        S, H = self.n_seeds, self.hidden_size
        flat = hidden.reshape(S, -1, H)
        logits = torch.baddbmm(self.readout_bias[:, None, :], flat, self.readout_weight.transpose(1, 2))
        return torch.tanh(logits).view(*hidden.shape[:-1], N_OUT)

    def recurrence_weights(self):
        """The weights as `rnninfo.recurrence.recur` takes them: (w_ih_t, w_t, b_gh).

        Input weights with the biases as an extra column (S, D+1, G*H) (GRU keeps its
        hidden bias apart, inside the reset gate's product; inputs get a column of ones
        to match), recurrent weights (S, H, G*H), GRU hidden bias (S, 1, G*H) or None.
        tanh gates run as sigmoids of doubled pre-activations (`gate_scale`).
        """
        gru = self.arch == "GRU"
        scale = gate_scale(self.arch, self.hidden_size)[:, None]  # (G*H, 1)
        bias = self.bias_ih if gru else self.bias_ih + self.bias_hh  # (S, G*H)
        w_ih_t = (torch.cat([self.weight_ih, bias[:, :, None]], dim=2) * scale).transpose(1, 2)  # (S, D+1, G*H)
        w_t = (self.weight_hh * scale).transpose(1, 2)  # (S, H, G*H)
        b_gh = (self.bias_hh * scale[:, 0])[:, None, :] if gru else None  # (S, 1, G*H)
        return w_ih_t, w_t, b_gh

    def _run(self, x, knockout=None, state=None):
        """The recurrence (rnninfo.recurrence): hidden (T, S, B, H) and LSTM cell (T, S, B, H) or None."""
        S, H = self.n_seeds, self.hidden_size
        if x.dim() == 3:
            x = x.unsqueeze(0).expand(S, *x.shape)
        if x.dim() != 4 or x.shape[0] != S:
            raise ValueError(f"x must be (S={S}, B, T, D) or (B, T, D), got {tuple(x.shape)}")
        _, B, T, _ = x.shape
        w_ih_t, w_t, b_gh = self.recurrence_weights()
        x1 = torch.cat([x.transpose(1, 2), x.new_ones(S, T, B, 1)], dim=3)  # (S, T, B, D+1)
        h = x.new_zeros(S, B, H) if state is None else state[0]
        c = (x.new_zeros(S, B, H) if state is None else state[1]) if self.arch == "LSTM" else None
        if torch.is_grad_enabled() and self.weight_hh.requires_grad:
            if knockout is not None or state is not None:
                raise ValueError("knockout and state are for inference: run them under torch.no_grad()")
            return Recurrence.apply(self.arch, x1, w_ih_t, w_t, b_gh, h, c)
        hidden, cell, _ = recur(self.arch, input_projection(x1, w_ih_t), w_t, b_gh, h, c, knockout)
        return hidden, cell


def load_model(path, arch: str, input_size: int, hidden_size: int) -> RecurrentClassifier:
    """Load a model file (state dict only; nothing in it can run code).

    A missing, truncated or foreign file, or one for another arch / size, ends
    with a message naming the file and the remedy (`rnninfo.io.load_torch`).
    """
    from rnninfo.io import broken_file, load_torch

    model = RecurrentClassifier(arch, input_size, hidden_size)
    state = load_torch(path)
    want = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    got = {k: tuple(v.shape) for k, v in state.items()}
    if want != got:
        wrong = sorted(set(want) ^ set(got)) or sorted(k for k in want if want[k] != got[k])
        raise broken_file(
            path, f"does not fit a {arch} with input_size {input_size}, hidden_size {hidden_size}: "
            f"parameters {wrong[:4]} differ (written for another configuration?)")
    model.load_state_dict(state)
    return model
