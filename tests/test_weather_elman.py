"""Paper B network: equations, gradients, both training regimes, snapshots, determinism (rnninfo.elman)."""

import dataclasses

import numpy as np
import pytest
import torch

from rnninfo.elman import (
    GRAD_LAYERS,
    PARAMS,
    ElmanConfig,
    _Adam,
    _column_stats,
    _per_sequence,
    _per_sequence_numpy,
    activations_arrays,
    flat_params,
    forward,
    gradient_stats,
    gradients,
    init_params,
    snapshot_updates,
    step_weights,
    to_module,
    train_seed,
)
from rnninfo.weather_data import DataConfig, load_weather
from rnninfo.weather_info import baseline_errors

FEW = ({"every": 1, "until": None},)  # a snapshot per epoch


@pytest.fixture(scope="module")
def data():
    return load_weather(DataConfig())


@pytest.fixture(scope="module")
def small(data):
    """The first 30 training windows only: fast exact-reference tests."""
    return dataclasses.replace(data, x_train=data.x_train[:30], y_train=data.y_train[:30],
                               y_train_steps=data.y_train_steps[:30])


def random_params(seed=0, d_in=3, H=4, d_out=2):
    rng = np.random.default_rng(seed)
    shapes = {"W_in": (H, d_in), "W": (H, H), "b": (H,), "h0": (H,), "W_out": (d_out, H), "b_y": (d_out,)}
    return {k: rng.normal(scale=0.7, size=shapes[k]) for k in PARAMS}


def torch_loss(p, x, y, loss_steps):
    """Reference: the same loss through torch's Elman module, float64."""
    net = to_module(p).double()
    with torch.no_grad():
        for k in PARAMS:
            getattr(net, k).copy_(torch.from_numpy(p[k]))
    _, out = net(torch.from_numpy(x))
    err = (out - torch.from_numpy(y)) ** 2
    loss = err.mean() if loss_steps == "all" else err[:, -1].mean()
    return net, loss


def test_forward_is_the_elman_recursion_and_the_torch_module():
    p = random_params()
    x = np.random.default_rng(1).normal(size=(5, 6, 3))
    hidden, out = forward(p, x)
    h = np.tile(p["h0"], (5, 1))
    for t in range(6):
        h = np.tanh(x[:, t] @ p["W_in"].T + h @ p["W"].T + p["b"])
        np.testing.assert_allclose(hidden[:, t], h, atol=1e-12)
        np.testing.assert_allclose(out[:, t], h @ p["W_out"].T + p["b_y"], atol=1e-12)
    net = to_module(p)
    assert set(net.state_dict()) == set(PARAMS) and net.W.shape == (4, 4)  # full hidden-to-hidden matrix
    with torch.no_grad():
        h_t, o_t = net(torch.from_numpy(x.astype(np.float32)))
    np.testing.assert_allclose(o_t.numpy(), out, atol=1e-5)


@pytest.mark.parametrize("loss_steps", ["all", "last"])
def test_gradients_equal_torch_autograd(loss_steps):
    p = random_params(2)
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(6, 5, 3)), rng.normal(size=(6, 5, 2))
    loss, g = gradients(p, x, y, loss_steps)
    net, ref = torch_loss(p, x, y, loss_steps)
    ref.backward()
    assert loss == pytest.approx(ref.item(), rel=1e-12)
    for k in PARAMS:
        np.testing.assert_allclose(g[k], getattr(net, k).grad.numpy(), rtol=1e-10, atol=1e-13, err_msg=k)
    # per-sequence gradients: each is that sequence's own gradient; their mean is the batch gradient
    _, gs = gradients(p, x, y, loss_steps, per_sample=True)
    for i in (0, 4):
        _, gi = gradients(p, x[i : i + 1], y[i : i + 1], loss_steps)
        for k in PARAMS:
            np.testing.assert_allclose(gs[k][i], gi[k], rtol=1e-10, atol=1e-14)
    for k in PARAMS:
        np.testing.assert_allclose(gs[k].mean(axis=0), g[k], rtol=1e-10, atol=1e-14)


def test_last_step_loss_ignores_earlier_targets():
    p = random_params(4)
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(3, 5, 3)), rng.normal(size=(3, 5, 2))
    y2 = y.copy()
    y2[:, :-1] += 10.0
    a, b = gradients(p, x, y, "last")[1], gradients(p, x, y2, "last")[1]
    assert all(np.array_equal(a[k], b[k]) for k in PARAMS)
    assert not np.allclose(gradients(p, x, y, "all")[1]["W"], gradients(p, x, y2, "all")[1]["W"])


def test_adam_equals_torch_adam():
    p = random_params(6)
    rng = np.random.default_rng(7)
    x, y = rng.normal(size=(8, 5, 3)), rng.normal(size=(8, 5, 2))
    net, _ = torch_loss(p, x, y, "all")
    opt_t = torch.optim.Adam(net.parameters(), lr=0.01)
    opt = _Adam(p, 0.01)
    for _ in range(5):
        _, g = gradients(p, x, y, "all")
        opt.step(p, g)
        opt_t.zero_grad()
        _, out = net(torch.from_numpy(x))
        ((out - torch.from_numpy(y)) ** 2).mean().backward()
        opt_t.step()
    for k in PARAMS:
        np.testing.assert_allclose(p[k], getattr(net, k).detach().numpy(), rtol=1e-9, atol=1e-12)


def test_original_init_is_the_authors():
    p = init_params(9, 10, 2, ElmanConfig(), np.random.default_rng(0))
    for k in ("W_in", "W", "W_out"):
        assert np.abs(p[k]).max() <= 0.01 and np.abs(p[k]).max() > 0.009
    for k in ("b", "h0", "b_y"):
        assert not p[k].any()


def test_original_regime_is_momentum_sgd_one_sequence_per_update_in_order(small):
    """Two epochs (switch after the first) against a loop written from the authors' update rule."""
    cfg = ElmanConfig(epochs=2, momentum_switch=1, lr=0.01, lr_decay=0.9, snapshots=FEW)
    res = train_seed(small, cfg, seed=0)
    p = init_params(9, 10, 2, cfg, np.random.default_rng([cfg.root_seed, 0x5745_4154, 0]))
    net, _ = torch_loss(p, small.x_train[:1].astype(np.float64), small.y_train_steps[:1].astype(np.float64), "all")
    vel = {k: torch.zeros_like(getattr(net, k)) for k in PARAMS}
    x, y = torch.from_numpy(small.x_train.astype(np.float64)), torch.from_numpy(small.y_train_steps.astype(np.float64))
    for epoch, (lr, mom) in enumerate([(0.01, 0.5), (0.009, 0.9)]):
        for i in range(len(x)):
            net.zero_grad()
            _, out = net(x[i : i + 1])
            ((out - y[i : i + 1]) ** 2).mean().backward()
            with torch.no_grad():
                for k in PARAMS:
                    vel[k] = mom * vel[k] - lr * getattr(net, k).grad
                    getattr(net, k).add_(vel[k])
    for k in PARAMS:
        np.testing.assert_allclose(res.params[k], getattr(net, k).detach().numpy(), rtol=1e-9, atol=1e-12, err_msg=k)
    assert res.updates.tolist() == [0, 30, 60] and res.epochs.tolist() == [0.0, 1.0, 2.0]
    assert res.log.momentum.tolist() == [0.5, 0.5, 0.9]
    assert res.log.lr.tolist() == pytest.approx([0.01, 0.01, 0.009])


def test_snapshot_schedule():
    sched = ({"every": 0.5, "until": 2}, {"every": 1, "until": 4}, {"every": 3, "until": None})
    assert snapshot_updates(sched, 10, 10).tolist() == [0, 5, 10, 15, 20, 30, 40, 70, 100]
    # fractions of an epoch round to whole updates; duplicates collapse
    assert snapshot_updates(({"every": 0.04, "until": 1},), 10, 1).tolist() == list(range(11))
    assert snapshot_updates(({"every": 25, "until": 100, "unit": "updates"},), 1235, 1).tolist() == [0, 25, 50, 75, 100, 1235]
    # the end of training is always a snapshot; points beyond it are dropped
    assert snapshot_updates(({"every": 4, "until": None},), 3, 7).tolist() == [0, 12, 21]
    with pytest.raises(ValueError, match="unit"):
        snapshot_updates(({"every": 1, "unit": "days"},), 10, 2)
    with pytest.raises(ValueError, match="before the previous"):
        snapshot_updates(({"every": 1, "until": 3}, {"every": 1, "until": 2}), 10, 5)


def test_default_schedule_resolves_the_first_epochs_of_both_regimes(data):
    for opt, per_epoch in (("original", 1235), ("adam", 10)):
        cfg = ElmanConfig(optimizer=opt)
        u = snapshot_updates(cfg.snapshots, per_epoch, 300)
        first = u[u <= per_epoch]
        assert len(first) >= 10, opt  # at least ten snapshots inside the first epoch
        assert u[-1] == 300 * per_epoch


@pytest.mark.parametrize("compiled", [True, False])
def test_gradient_statistics_are_over_training_sequences(small, compiled):
    p = init_params(9, 10, 2, ElmanConfig(optimizer="adam"), np.random.default_rng(1))
    x, y = small.x_train.astype(np.float64), small.y_train_steps.astype(np.float64)
    mean, std = gradient_stats(p, x, y, "all", compiled=compiled)
    assert mean.shape == std.shape == (len(GRAD_LAYERS),)
    per = []
    for i in range(len(x)):
        net, loss = torch_loss(p, x[i : i + 1], y[i : i + 1], "all")
        loss.backward()
        per.append(torch.cat([getattr(net, k).grad.reshape(-1) for k in PARAMS]).numpy())
    per = np.array(per)                                                   # (n, P)
    assert mean[-1] == pytest.approx(np.linalg.norm(per.mean(axis=0)), rel=1e-9)
    assert std[-1] == pytest.approx(np.linalg.norm(per.std(axis=0)), rel=1e-9)
    n_w = 10 * 10
    lo = 10 * 9
    assert std[GRAD_LAYERS.index("W")] == pytest.approx(np.linalg.norm(per[:, lo : lo + n_w].std(axis=0)), rel=1e-9)


@pytest.mark.parametrize("optimizer", ["original", "adam"])
def test_trained_net_beats_persistence(data, optimizer):
    epochs, lr = (3, 0.001) if optimizer == "original" else (40, 0.003)
    res = train_seed(data, ElmanConfig(optimizer=optimizer, epochs=epochs, lr=lr, snapshots=FEW), seed=0)
    pred = data.to_degrees(res.outputs[-1][:, -1].astype(np.float64))
    err = pred - data.to_degrees(data.y_test.astype(np.float64))
    mae, rmse = np.abs(err).mean(axis=0), np.sqrt((err**2).mean(axis=0))
    base = baseline_errors(data).set_index(["model", "target"])
    for j, target in enumerate(data.target_names):
        if optimizer == "adam":  # the authors' regime needs more than 3 epochs to pass persistence
            pers = base.loc[("persistence", target)]
            assert mae[j] < pers.mae
            assert rmse[j] < 0.97 * pers.rmse
        assert mae[j] < 0.4 * base.loc[("train_mean", target)].mae
    np.testing.assert_allclose(res.log.iloc[-1][[f"test_mae_{t}" for t in data.target_names]], mae, rtol=1e-5)
    assert res.log.test_mse.iloc[-1] < 0.2 * res.log.test_mse.iloc[0]
    # every step's readout is trained: the first steps' outputs predict their next day too
    first = ((res.outputs[-1][:, 0] - data.y_test_steps[:, 0]) ** 2).mean()
    assert first < 0.5 * ((res.outputs[0][:, 0] - data.y_test_steps[:, 0]) ** 2).mean()


def test_snapshot_arrays_shapes_and_dtypes(small):
    res = train_seed(small, ElmanConfig(epochs=2, snapshots=({"every": 0.5, "until": None},)), seed=0)
    a = activations_arrays(small, res, seed=0)
    n, T, d_in = small.x_test.shape
    assert a["updates"].dtype == np.int64 and a["updates"].tolist() == [0, 15, 30, 45, 60]
    assert a["epochs"].dtype == np.float64 and a["epochs"].tolist() == [0, 0.5, 1, 1.5, 2]
    assert a["inputs"].shape == (n, T, d_in) and a["inputs"].dtype == np.float32
    assert a["targets"].shape == (n, 2) and a["targets_steps"].shape == (n, T, 2)
    np.testing.assert_array_equal(a["targets_steps"][:, -1], a["targets"])
    assert a["hidden"].shape == (5, n, T, 10) and a["hidden"].dtype == np.float32
    assert a["outputs"].shape == (5, n, T, 2) and a["outputs"].dtype == np.float32
    assert a["grad_mean"].shape == a["grad_std"].shape == (5, len(GRAD_LAYERS))
    assert a["grad_layers"].tolist() == list(GRAD_LAYERS)
    assert str(a["optimizer"]) == "original" and str(a["loss_steps"]) == "all"
    assert list(res.log["update"]) == [0, 15, 30, 45, 60]
    np.testing.assert_allclose(res.log.grad_mean, a["grad_mean"][:, -1])
    assert np.abs(a["hidden"]).max() <= 1.0


def test_same_seed_same_bytes_other_seed_differs_global_rng_alone(small):
    state, np_state = torch.random.get_rng_state(), np.random.get_state()[1].copy()
    cfg = ElmanConfig(optimizer="adam", epochs=2, batch_size=8, snapshots=FEW)
    a, b, c = (train_seed(small, cfg, s) for s in (1, 1, 2))
    assert np.array_equal(a.hidden, b.hidden) and np.array_equal(a.outputs, b.outputs)
    assert a.log.equals(b.log)
    assert not np.array_equal(a.hidden, c.hidden)
    assert torch.equal(state, torch.random.get_rng_state())
    assert np.array_equal(np_state, np.random.get_state()[1])


@pytest.mark.parametrize("loss_steps", ["all", "last"])
def test_compiled_sequence_pass_equals_numpy(loss_steps):
    """The compiled forward and per-sequence gradients (other shapes than the paper's:
    the flat layout's views) equal :func:`forward` and :func:`gradients`."""
    p = random_params(8, d_in=3, H=4, d_out=2)
    rng = np.random.default_rng(9)
    x, y = rng.normal(size=(6, 5, 3)), rng.normal(size=(6, 5, 2))
    theta, views = flat_params(p)
    assert theta.shape == (4 * 3 + 4 * 4 + 4 + 4 + 2 * 4 + 2,)
    assert all(np.array_equal(views[k], p[k]) for k in PARAMS)
    hidden, out, G = np.full((6, 5, 4), np.nan), np.full((6, 5, 2), np.nan), np.full((6, theta.size), np.nan)
    _per_sequence(theta, x, y, step_weights(5, 2, loss_steps), hidden, out, G)
    ref_h, ref_y = forward(p, x)
    np.testing.assert_allclose(hidden, ref_h, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(out, ref_y, rtol=1e-13, atol=1e-15)
    G_np = _per_sequence_numpy(p, x, y, loss_steps)
    np.testing.assert_allclose(G, G_np, rtol=1e-11, atol=1e-15)
    mean, std = np.empty(theta.size), np.empty(theta.size)
    _column_stats(G_np, mean, std)
    np.testing.assert_allclose(mean, G_np.mean(axis=0), rtol=1e-13, atol=1e-16)
    np.testing.assert_allclose(std, G_np.std(axis=0), rtol=1e-13, atol=1e-16)
    # the flat row of sequence 2 holds each tensor's own gradient, in PARAMS order
    _, g2 = gradients(p, x[2:3], y[2:3], loss_steps)
    np.testing.assert_allclose(flat_params(g2)[0], G[2], rtol=1e-11, atol=1e-15)


@pytest.mark.parametrize("optimizer, loss_steps", [("original", "all"), ("original", "last"), ("adam", "all")])
def test_compiled_training_equals_numpy_reference(small, optimizer, loss_steps):
    """300 one-sequence updates across the momentum switch and three learning rates
    (original), or Adam with compiled snapshots: the same parameters, log and activity."""
    cfg = ElmanConfig(optimizer=optimizer, loss_steps=loss_steps, epochs=10, momentum_switch=4, lr=0.01,
                      lr_decay=0.9, batch_size=8, snapshots=({"every": 0.5, "until": 3}, {"every": 2, "until": None}))
    fast = train_seed(small, cfg, seed=3, compiled=True)
    ref = train_seed(small, cfg, seed=3, compiled=False)
    for k in PARAMS:
        np.testing.assert_allclose(fast.params[k], ref.params[k], rtol=1e-10, atol=1e-14, err_msg=k)
        assert np.abs(fast.params[k] - ref.params[k]).max() <= 1e-10 * np.abs(ref.params[k]).max(), k
    assert not np.allclose(fast.params["W"], init_params(9, 10, 2, cfg, np.random.default_rng([cfg.root_seed, 0x5745_4154, 3]))["W"])
    exact = ["epoch", "update", "lr", "momentum"]
    assert fast.log[exact].equals(ref.log[exact])
    if optimizer == "original":
        n = len(small.x_train)
        assert fast.log["update"].tolist() == [0, 15, 30, 45, 60, 75, 90, 150, 210, 270, 300]
        assert fast.log["momentum"].tolist() == [0.5] * 7 + [0.9] * 4  # switch after epoch 4 (update 120)
        np.testing.assert_allclose(fast.log["lr"], 0.01 * 0.9 ** ((fast.log["update"].clip(1) - 1) // n))
    rest = [c for c in ref.log.columns if c not in exact]
    np.testing.assert_allclose(fast.log[rest].to_numpy(), ref.log[rest].to_numpy(), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(fast.grad_mean, ref.grad_mean, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(fast.grad_std, ref.grad_std, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(fast.hidden, ref.hidden, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(fast.outputs, ref.outputs, rtol=1e-6, atol=1e-7)


def test_compiled_training_same_bytes_twice(small):
    cfg = ElmanConfig(epochs=3, snapshots=({"every": 0.5, "until": None},))
    a, b = (train_seed(small, cfg, seed=4) for _ in range(2))
    assert a.log.equals(b.log)
    for k in PARAMS:
        assert a.params[k].tobytes() == b.params[k].tobytes()
    assert a.hidden.tobytes() == b.hidden.tobytes() and a.outputs.tobytes() == b.outputs.tobytes()
    assert a.grad_mean.tobytes() == b.grad_mean.tobytes() and a.grad_std.tobytes() == b.grad_std.tobytes()


def test_bad_regime_named():
    with pytest.raises(ValueError, match="optimizer"):
        ElmanConfig(optimizer="sgd")
    with pytest.raises(ValueError, match="loss_steps"):
        ElmanConfig(loss_steps="first")
