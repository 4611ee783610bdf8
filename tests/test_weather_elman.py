"""Paper B network: equations, training, gradient statistics, snapshots, determinism (rnninfo.elman)."""

import numpy as np
import pytest
import torch

from rnninfo.elman import Elman, ElmanConfig, activations_arrays, seed_generator, train_seed
from rnninfo.weather_data import DataConfig, load_weather
from rnninfo.weather_info import baseline_errors


@pytest.fixture(scope="module")
def data():
    return load_weather(DataConfig())


@pytest.fixture(scope="module")
def trained(data):
    return train_seed(data, ElmanConfig(epochs=40, lr=0.003, batch_size=64, snapshot_every=10), seed=0)


def test_forward_is_the_elman_recursion():
    net = Elman(3, 4, 2).init_(torch.Generator().manual_seed(0))
    x = torch.randn(5, 6, 3, generator=torch.Generator().manual_seed(1))
    hidden, out = net(x)
    p = {k: v.detach().double().numpy() for k, v in net.state_dict().items()}
    h = np.zeros((5, 4))
    for t in range(6):
        h = np.tanh(x[:, t].double().numpy() @ p["W_in"].T + h @ p["W"].T + p["b"])
        np.testing.assert_allclose(hidden[:, t].detach().numpy(), h, atol=1e-6)
        np.testing.assert_allclose(out[:, t].detach().numpy(), h @ p["W_out"].T + p["b_y"], atol=1e-6)
    assert set(p) == {"W_in", "W", "b", "W_out", "b_y"}
    assert p["W"].shape == (4, 4)  # full hidden-to-hidden matrix


def test_trained_net_beats_persistence(data, trained):
    pred = data.to_degrees(trained.outputs[-1][:, -1].astype(np.float64))
    err = pred - data.to_degrees(data.y_test.astype(np.float64))
    mae, rmse = np.abs(err).mean(axis=0), np.sqrt((err**2).mean(axis=0))
    base = baseline_errors(data).set_index(["model", "target"])
    for j, target in enumerate(data.target_names):
        pers = base.loc[("persistence", target)]
        assert mae[j] < pers.mae
        assert rmse[j] < 0.97 * pers.rmse
    # the log's last MAE is the same number
    np.testing.assert_allclose(trained.log.iloc[-1][[f"test_mae_{t}" for t in data.target_names]], mae, rtol=1e-5)
    # and training made it much better than the untrained net
    assert trained.log.test_mse.iloc[-1] < 0.2 * trained.log.test_mse.iloc[0]


def test_snapshot_arrays_shapes_and_dtypes(data, trained):
    a = activations_arrays(data, trained, seed=0)
    n, T, d_in = data.x_test.shape
    K = 5  # epochs 0, 10, 20, 30, 40
    assert a["epochs"].dtype == np.int64 and a["epochs"].tolist() == [0, 10, 20, 30, 40]
    assert a["inputs"].shape == (n, T, d_in) and a["inputs"].dtype == np.float32
    assert a["targets"].shape == (n, 2) and a["targets"].dtype == np.float32
    assert a["hidden"].shape == (K, n, T, 10) and a["hidden"].dtype == np.float32
    assert a["outputs"].shape == (K, n, T, 2) and a["outputs"].dtype == np.float32
    assert a["input_names"].dtype.kind == "U" and a["input_names"].shape == (d_in,)
    assert len(trained.log) == 41 and list(trained.log.epoch) == list(range(41))
    assert np.abs(a["hidden"]).max() <= 1.0


def test_snapshot_keeps_last_epoch_off_the_grid(data):
    res = train_seed(data, ElmanConfig(epochs=7, snapshot_every=3), seed=0)
    assert res.epochs.tolist() == [0, 3, 6, 7]


def test_gradient_statistics_full_batch(data):
    # one minibatch per epoch: the std over minibatches is 0 and the mean is the full gradient's norm
    res = train_seed(data, ElmanConfig(epochs=1, batch_size=10_000), seed=3)
    assert (res.log.grad_std == 0).all()
    net = Elman(data.x_train.shape[2], 10, 2).init_(seed_generator(2024, 3))
    _, out = net(torch.from_numpy(data.x_train))
    ((out[:, -1] - torch.from_numpy(data.y_train)) ** 2).mean().backward()
    g = torch.cat([p.grad.reshape(-1) for p in net.parameters()])
    assert res.log.grad_mean.iloc[0] == pytest.approx(float(g.norm()), rel=1e-5)


def test_same_seed_same_bytes_other_seed_differs(data):
    cfg = ElmanConfig(epochs=3, snapshot_every=1)
    a, b, c = (train_seed(data, cfg, s) for s in (1, 1, 2))
    assert np.array_equal(a.hidden, b.hidden) and np.array_equal(a.outputs, b.outputs)
    assert a.log.equals(b.log)
    assert not np.array_equal(a.hidden, c.hidden)


def test_training_leaves_global_rng_alone(data):
    state = torch.random.get_rng_state()
    train_seed(data, ElmanConfig(epochs=1), seed=0)
    assert torch.equal(state, torch.random.get_rng_state())
