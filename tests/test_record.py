"""rnninfo.record (rnninfo.recording) / Trace / knockout on users' own PyTorch models (issue 12).

References are independent of the recomputation in rnninfo.recording: the modules'
own outputs, single-layer modules fed the layer below's outputs (every layer's
per-step states), and hooks-free manual loops for knockouts.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

import rnninfo  # noqa: E402
from rnninfo.recording import Trace  # noqa: E402


class Wrapper(nn.Module):
    """A user's model: custom attribute names, optional time-major core."""

    def __init__(self, cls, batch_first=True, num_layers=1, bidirectional=False, d=3, h=5, out=2):
        super().__init__()
        self.my_core = cls(d, h, num_layers=num_layers, batch_first=batch_first, bidirectional=bidirectional)
        self.readout = nn.Linear(h * (2 if bidirectional else 1), out)
        self.batch_first = batch_first

    def forward(self, x):  # x [batch, T, d]
        if not self.batch_first:
            x = x.transpose(0, 1)
        o, _ = self.my_core(x)
        if not self.batch_first:
            o = o.transpose(0, 1)
        return self.readout(o)  # [batch, T, out]


def _reference_layers(core, x_bt):
    """Per-layer per-step states by single-layer modules with the same weights: list of [batch, T, H·D]."""
    D = 2 if core.bidirectional else 1
    inp = x_bt
    out = []
    for layer in range(core.num_layers):
        one = type(core)(inp.shape[2], core.hidden_size, num_layers=1, batch_first=True,
                         bidirectional=core.bidirectional)
        sd = {}
        for k, v in core.state_dict().items():
            if f"_l{layer}" in k:
                sd[k.replace(f"_l{layer}", "_l0")] = v
        one.load_state_dict(sd)
        with torch.no_grad():
            inp, _ = one(inp)
        out.append(inp)
    return out


@pytest.mark.parametrize("cls", [nn.RNN, nn.GRU, nn.LSTM])
@pytest.mark.parametrize("batch_first", [True, False])
@pytest.mark.parametrize("num_layers", [1, 2])
def test_record_matches_modules(cls, batch_first, num_layers):
    torch.manual_seed(1)
    model = Wrapper(cls, batch_first, num_layers)
    x = torch.randn(6, 8, 3)
    tr = rnninfo.record(model, x)
    H = 5
    assert tr.hidden.shape == (6, 8, H * num_layers) and tr.hidden.dtype == np.float32
    with torch.no_grad():
        expected_out = model(x).numpy()
    np.testing.assert_allclose(tr.outputs, expected_out, atol=1e-6)
    ref = _reference_layers(model.my_core, x)
    for layer in range(num_layers):  # documented order: layer 0 units, then layer 1 units
        np.testing.assert_allclose(tr.hidden[:, :, layer * H:(layer + 1) * H], ref[layer].numpy(), atol=1e-5)
    assert tr.units[0] == "my_core.l0:0" and tr.units[-1] == f"my_core.l{num_layers - 1}:{H - 1}"
    assert (tr.cell is not None) == (cls is nn.LSTM)
    if cls is nn.LSTM:  # the last step's cell state is the module's c_n
        with torch.no_grad():
            xin = x if batch_first else x.transpose(0, 1)
            _, (_, c_n) = model.my_core(xin)
        for layer in range(num_layers):
            np.testing.assert_allclose(tr.cell[:, -1, layer * H:(layer + 1) * H], c_n[layer].numpy(), atol=1e-5)


def test_record_bidirectional_and_several_modules_and_layers_arg():
    class Two(nn.Module):
        def __init__(self):
            super().__init__()
            self.first = nn.GRU(3, 4, batch_first=True, bidirectional=True)
            self.second = nn.LSTM(8, 6, batch_first=True)
            self.head = nn.Linear(6, 1)

        def forward(self, x):
            return self.head(self.second(self.first(x)[0])[0])

    torch.manual_seed(2)
    model = Two()
    x = torch.randn(5, 7, 3)
    tr = rnninfo.record(model, x)
    assert tr.hidden.shape == (5, 7, 8 + 6)
    with torch.no_grad():
        h1, _ = model.first(x)
        h2, _ = model.second(h1)
    np.testing.assert_allclose(tr.hidden[:, :, :8], h1.numpy(), atol=1e-5)  # forward then backward units
    np.testing.assert_allclose(tr.hidden[:, :, 8:], h2.numpy(), atol=1e-5)
    assert tr.cell is None  # only some modules are LSTMs
    only = rnninfo.record(model, x, layers=["second"])
    np.testing.assert_allclose(only.hidden, h2.numpy(), atol=1e-5)
    assert only.cell.shape == (5, 7, 6)
    with pytest.raises(ValueError, match="layers: \\['third'\\]"):
        rnninfo.record(model, x, layers=["third"])


def test_record_stepwise_model_and_custom_cell():
    class Stepper(nn.Module):  # calls its GRU one step at a time
        def __init__(self):
            super().__init__()
            self.cell = nn.GRU(2, 4, batch_first=True)

        def forward(self, x):
            h, outs = None, []
            for t in range(x.shape[1]):
                o, h = self.cell(x[:, t:t + 1], h)
                outs.append(o)
            return torch.cat(outs, 1)

    torch.manual_seed(3)
    m = Stepper()
    x = torch.randn(3, 6, 2)
    tr = rnninfo.record(m, x)
    with torch.no_grad():
        full, _ = m.cell(x)
    np.testing.assert_allclose(tr.hidden, full.numpy(), atol=1e-5)

    class Custom(nn.Module):  # no nn.RNN module at all
        def __init__(self):
            super().__init__()
            self.w = nn.Linear(2 + 3, 3)

        def step(self, x_t, h):
            return torch.tanh(self.w(torch.cat([x_t, h], 1)))

        def forward(self, x):
            h = x.new_zeros(x.shape[0], 3)
            for t in range(x.shape[1]):
                h = self.step(x[:, t], h)
            return h

    def step_fn(model, x):
        h, hs = x.new_zeros(x.shape[0], 3), []
        for t in range(x.shape[1]):
            h = model.step(x[:, t], h)
            hs.append(h)
        return hs

    c = Custom()
    with pytest.raises(ValueError, match="no nn.RNN / nn.GRU / nn.LSTM.*step_fn"):
        rnninfo.record(c, x)
    tr = rnninfo.record(c, x, step_fn=step_fn)
    assert tr.hidden.shape == (3, 6, 3)
    np.testing.assert_allclose(tr.hidden[:, -1], tr.outputs, atol=1e-6)


def test_record_bad_input_names_argument():
    model = Wrapper(nn.GRU)
    x = torch.randn(4, 5, 3, requires_grad=True)
    with pytest.raises(ValueError, match="x: the tensor requires grad"):
        rnninfo.record(model, x)
    with pytest.raises(ValueError, match=r"x: expected shape \[batch, T, d\].*found shape \(4, 5\)"):
        rnninfo.record(model, np.zeros((4, 5)))
    with pytest.raises(TypeError, match="model: expected a torch.nn.Module"):
        rnninfo.record("not a model", np.zeros((4, 5, 3)))
    with pytest.raises(ValueError, match="no nn.RNN"):
        rnninfo.record(nn.Linear(3, 2), np.zeros((4, 5, 3), dtype=np.float32))


def test_trace_round_trip_and_numpy_writer(tmp_path):
    torch.manual_seed(4)
    tr = rnninfo.record(Wrapper(nn.LSTM, num_layers=2), torch.randn(4, 6, 3))
    path = tmp_path / "t.npz"
    tr.save(path)
    back = Trace.load(path)
    for key in ("hidden", "x", "outputs", "cell"):
        np.testing.assert_array_equal(getattr(back, key), getattr(tr, key))
    assert back.units == tr.units
    # a recording rig writes with numpy alone; float64 becomes float32
    rig = tmp_path / "rig.npz"
    h = np.random.default_rng(0).normal(size=(10, 4, 7))
    np.savez(rig, hidden=h)
    got = Trace.load(rig)
    assert got.hidden.dtype == np.float32 and got.hidden.shape == (10, 4, 7) and got.outputs is None
    assert got.units == [str(j) for j in range(7)]


def test_trace_load_errors(tmp_path):
    p = tmp_path / "bad.npz"
    np.savez(p, hidden=np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"'hidden': expected shape \[batch, T, N\], found shape \(3, 4\)"):
        Trace.load(p)
    np.savez(p, hidden=np.zeros((3, 4, 2)), cell=np.zeros((3, 5, 2)))
    with pytest.raises(ValueError, match=r"'cell': expected shape \[3, 4, N_cell\], found shape \(3, 5, 2\)"):
        Trace.load(p)
    np.savez(p, hidden=np.zeros((3, 4, 2)), outputs=np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"'outputs': expected shape \[batch=3, \.\.\.\], found shape \(2, 4\)"):
        Trace.load(p)
    np.savez(p, hiden=np.zeros((3, 4, 2)))
    with pytest.raises(ValueError, match="unknown key"):
        Trace.load(p)
    np.savez(p, hidden=np.zeros((3, 4, 2)), units=np.array([{"a": 1}, 2], dtype=object))
    with pytest.raises(ValueError, match="'units' holds Python objects"):
        Trace.load(p)


class Counter(nn.Module):
    """Hand-built GRU with known semantics for knockout checks."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.GRU(2, 6, num_layers=2, batch_first=True)
        self.out = nn.Linear(6, 1)

    def forward(self, x):
        return self.out(self.rnn(x)[0])


def _manual_knockout(model, x, nodes, time):
    """Reference: run the two GRU layers as single-layer modules one step at a time, zeroing by hand."""
    core = model.rnn
    H = core.hidden_size
    cells = []
    for layer in range(2):
        c = nn.GRUCell(core.input_size if layer == 0 else H, H)
        c.weight_ih.data = getattr(core, f"weight_ih_l{layer}").data.clone()
        c.weight_hh.data = getattr(core, f"weight_hh_l{layer}").data.clone()
        c.bias_ih.data = getattr(core, f"bias_ih_l{layer}").data.clone()
        c.bias_hh.data = getattr(core, f"bias_hh_l{layer}").data.clone()
        cells.append(c)
    keep = torch.ones(2 * H)
    keep[list(nodes)] = 0
    h = [torch.zeros(x.shape[0], H) for _ in range(2)]
    outs = []
    with torch.no_grad():
        for t in range(x.shape[1]):
            inp = x[:, t]
            for layer in range(2):
                h[layer] = cells[layer](inp, h[layer])
                if t >= time:
                    h[layer] = h[layer] * keep[layer * H:(layer + 1) * H]
                inp = h[layer]
            outs.append(model.out(inp))
    return torch.stack(outs, 1).numpy()


def test_knockout_matches_manual_loop_and_leaves_model_unchanged():
    torch.manual_seed(5)
    model = Counter()
    model.train()  # the mode must come back as it was
    x = torch.randn(8, 9, 2)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with torch.no_grad():
        out_before = model(x).clone()
    nodes = [1, 4, 7, 11]  # units of both layers (layer 1 starts at 6)
    got = rnninfo.knockout(model, x, nodes=nodes, time=3)
    np.testing.assert_allclose(got, _manual_knockout(model, x, nodes, 3), atol=1e-5)
    assert not np.allclose(got, out_before.numpy(), atol=1e-3)  # the knockout changed the outputs
    np.testing.assert_allclose(got[:, :3], out_before.numpy()[:, :3], atol=1e-5)  # not before `time`
    assert model.training
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k]), k
    with torch.no_grad():
        assert torch.equal(model(x), out_before)
    assert not model.rnn._forward_hooks
    np.testing.assert_allclose(rnninfo.knockout(model, x, nodes=[], time=0), out_before.numpy(), atol=1e-5)
    with pytest.raises(ValueError, match=r"nodes: unit 12 out of range 0..11"):
        rnninfo.knockout(model, x, nodes=[12], time=0)
    with pytest.raises(ValueError, match="time: expected an integer step >= 0"):
        rnninfo.knockout(model, x, nodes=[0], time=-1)


def test_lstm_knockout_silences_units():
    torch.manual_seed(6)
    model = Wrapper(nn.LSTM, h=4)
    x = torch.randn(5, 6, 3)
    a = rnninfo.knockout(model, x, nodes=[0, 1, 2, 3], time=0)
    # every hidden unit silenced from step 0: the readout sees only its bias
    bias = model.readout.bias.detach().numpy()
    np.testing.assert_allclose(a, np.broadcast_to(bias, a.shape), atol=1e-6)
    # one unit from step 2: equals a readout of the recorded states with that unit's later states zeroed?
    # not in general (the zero feeds back), but steps before 2 are untouched
    c = rnninfo.knockout(model, x, nodes=[0], time=2)
    full = rnninfo.record(model, x).outputs
    np.testing.assert_allclose(c[:, :2], full[:, :2], atol=1e-6)
    assert not np.allclose(c[:, 2:], full[:, 2:], atol=1e-4)


def test_import_rnninfo_does_not_import_torch():
    code = "import sys, rnninfo; rnninfo.Trace; rnninfo.relay_table; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
