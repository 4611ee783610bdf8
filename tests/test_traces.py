"""Traces: shapes, readout indices of the random regime, agreement with the plain module."""

import numpy as np
import torch

from rnninfo.models import RecurrentClassifier, init_state_dict
from rnninfo.tasks import TaskParams, n_info_steps
from rnninfo.traces import record_traces


def _states(arch, n, d=3):
    return [init_state_dict(arch, d, 12, torch.Generator().manual_seed(s)) for s in range(n)]


def test_lstm_trace_shapes_and_random_regime_readouts():
    eval_delays = list(range(10))
    traces = record_traces("memory", "LSTM", "random", [0, 1], _states("LSTM", 2), 11, 400, eval_delays, TaskParams())
    n_info = n_info_steps("memory")
    for tr in traces:
        T = n_info + 9
        assert tr["x"].shape == (400, T, 3) and tr["y"].shape == (400, 3)
        assert tr["hidden"].shape == tr["cell"].shape == (400, T, 12)
        assert tr["outputs"].shape == (400, T, 3)
        np.testing.assert_array_equal(tr["eval_readout"], n_info + np.arange(10) - 1)
        # Every sample carries its own readout under the training regime: delay 1..5.
        delays = tr["t_end"] - n_info + 1
        assert set(np.unique(delays)) == {1, 2, 3, 4, 5}
        assert tr["x"].dtype == np.float32 and tr["t_end"].dtype == np.int64
    # Different seeds see different test sets.
    assert not np.array_equal(traces[0]["x"], traces[1]["x"])


def test_traces_equal_the_plain_module_and_fixed_regime_readout():
    states = _states("GRU", 2, d=10)
    traces = record_traces("block", "GRU", "3", [0, 1], states, 5, 64, [0, 4, 9], TaskParams())
    for state, tr in zip(states, traces):
        assert "cell" not in tr
        np.testing.assert_array_equal(tr["t_end"], 5 + 3 - 1)
        assert tr["x"].shape[1] == 5 + 9
        model = RecurrentClassifier("GRU", 10)
        model.load_state_dict(state)
        with torch.no_grad():
            out, hidden = model(torch.from_numpy(tr["x"]))
        np.testing.assert_allclose(out.numpy(), tr["outputs"], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(hidden.numpy(), tr["hidden"], rtol=1e-5, atol=1e-6)


def test_trace_file_is_compact_and_reads_back_exactly(tmp_path):
    """The traces stage's file format: float32 states stored, the rest deflated; every array comes back bit for bit."""
    from rnninfo.io import load_npz, save_npz, save_npz_compressed
    from rnninfo.traces import STATES

    trace = record_traces("block", "LSTM", "2", [0], _states("LSTM", 1, d=10), 5, 256, [0, 4], TaskParams())[0]
    for name in ("x", "y", *STATES):
        assert trace[name].dtype == np.float32, name
    plain, compact = tmp_path / "plain.npz", tmp_path / "compact.npz"
    save_npz(plain, **trace)
    save_npz_compressed(compact, stored=STATES, **trace)
    back = load_npz(compact)
    assert set(back) == set(trace)
    for name, value in trace.items():
        assert back[name].dtype == value.dtype and np.array_equal(back[name], value), name
    # Block inputs are mostly zeros: deflating them makes the file clearly smaller.
    assert compact.stat().st_size < 0.9 * plain.stat().st_size
    # Same arrays, same bytes (fixed member dates).
    again = tmp_path / "again.npz"
    save_npz_compressed(again, stored=STATES, **trace)
    assert again.read_bytes() == compact.read_bytes()
