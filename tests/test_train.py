"""Ensemble training equals plain torch.nn training, seed by seed; networks learn the tasks."""

import dataclasses

import numpy as np
import pytest
import torch

from rnninfo.models import ARCHS, Ensemble, RecurrentClassifier, load_model
from rnninfo.train import TrainConfig, seed_data, train_condition, train_ensemble, train_plain

SMALL = TrainConfig(n_train=256, n_valid=128, batch_size=32, max_epochs=1, accuracy_criterion=1.1)


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("task, delay", [("memory", "random"), ("block", 2)])
def test_ensemble_step_equals_plain_module_step(arch, task, delay):
    seeds = [3, 4, 5]
    steps = 5
    ensemble = train_ensemble(task, arch, delay, seeds, 0, SMALL, log=lambda m: None, max_steps=steps)
    for seed in seeds:
        plain, _, _ = train_plain(task, arch, delay, seed, 0, SMALL, max_steps=steps)
        init = seed_data(task, arch, delay, seed, 0, SMALL).init
        for key, value in plain.items():
            torch.testing.assert_close(ensemble[seed][0][key], value, rtol=1e-5, atol=1e-6)
            assert not torch.equal(value, init[key]), f"{key} did not move"


@pytest.mark.parametrize("arch", ARCHS)
def test_model_file_loads_into_plain_module_with_ensemble_outputs(arch, tmp_path):
    cfg = dataclasses.replace(SMALL, root_seed=7)
    states = [seed_data("memory", arch, 3, s, 0, cfg).init for s in (0, 1)]
    ensemble = Ensemble(arch, states)
    x = seed_data("memory", arch, 3, 0, 0, cfg).x_valid  # (B, T, 3)
    with torch.no_grad():
        run = ensemble(x)
    for s, state in enumerate(states):
        path = tmp_path / f"seed{s}.pt"
        torch.save(ensemble.state_dict_of(s), path)
        model = load_model(path, arch, 3, 12)
        assert isinstance(model, RecurrentClassifier)
        with torch.no_grad():
            out, hidden = model(x)
        torch.testing.assert_close(out, run["outputs"][s], rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(hidden, run["hidden"][s], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("task", ["memory", "block"])
def test_networks_reach_the_criterion_on_quick_settings(task, arch):
    cfg = TrainConfig(n_train=1024, n_valid=512, max_epochs=300, max_retries=2)
    models, rows = train_condition(task, arch, "random", [0, 1], cfg, log=lambda m: None)
    kept = [r for r in rows if r["kept"]]
    assert sorted(r["seed"] for r in kept) == [0, 1]
    assert all(r["converged"] and r["accuracy"] >= 0.98 for r in kept)
    # The stored accuracy is real: recompute it from the returned weights.
    d = seed_data(task, arch, "random", 0, kept[0]["attempt"], cfg)
    model = RecurrentClassifier(arch, d.x_valid.shape[2])
    model.load_state_dict(models[0])
    with torch.no_grad():
        out, _ = model(d.x_valid)
    answers = out[torch.arange(len(d.t_valid)), d.t_valid]
    acc = (torch.sign(answers) == d.y_valid).float().mean().item()
    assert acc == pytest.approx(kept[0]["accuracy"], abs=1e-6)


def test_missed_networks_are_restarted_and_logged():
    # A criterion no network can reach in one epoch: every attempt misses.
    cfg = dataclasses.replace(SMALL, accuracy_criterion=1.0, max_retries=2)
    models, rows = train_condition("memory", "RNN", 1, [0], cfg, log=lambda m: None)
    assert [r["attempt"] for r in rows] == [0, 1, 2]
    assert [r["kept"] for r in rows] == [False, False, True]
    assert not any(r["converged"] for r in rows)
    assert set(models) == {0}


def test_converged_seed_stops_changing():
    cfg = TrainConfig(n_train=512, n_valid=256, max_epochs=300)
    both = train_ensemble("memory", "GRU", 3, [0, 1], 0, cfg, log=lambda m: None)
    alone = train_ensemble("memory", "GRU", 3, [0], 0, cfg, log=lambda m: None)
    # Seed 0's result does not depend on what else trained beside it or for how long.
    assert both[0][1] == alone[0][1]
    for key in alone[0][0]:
        torch.testing.assert_close(both[0][0][key], alone[0][0][key], rtol=1e-5, atol=1e-6)


def test_kept_network_below_the_criterion_is_marked():
    cfg = dataclasses.replace(SMALL, accuracy_criterion=1.0, max_retries=1)
    _, rows = train_condition("memory", "GRU", 1, [0], cfg, log=lambda m: None)
    assert [r["below_criterion"] for r in rows] == [False, True]
    # ... and the training table stage names it.
    import pandas as pd

    from rnninfo.stages.training_table import summary_lines

    table = pd.DataFrame(rows).assign(task="memory", arch="GRU", delay="1")
    lines = summary_lines(table)
    assert len(lines) == 2 and "memory/GRU/delay 1 seed 0" in lines[0] and "1 of 1 networks" in lines[1]
    assert summary_lines(table.assign(below_criterion=False)) == []


def test_heartbeat_reports_epoch_seeds_done_and_best_accuracy():
    cfg = dataclasses.replace(SMALL, max_epochs=3)
    lines = []
    train_ensemble("memory", "GRU", 1, [0, 1], 0, cfg, log=lines.append, heartbeat=0.0)
    beats = [line for line in lines if "best validation accuracy so far" in line]
    assert [b.split(":")[0] for b in beats] == ["attempt 0, epoch 1", "attempt 0, epoch 2", "attempt 0, epoch 3"]
    assert beats[-1].split(": ")[1].startswith("2/2 seeds done")
    best = [float(b.rsplit(" ", 1)[1]) for b in beats]
    assert best == sorted(best) and 0.0 < best[-1] <= 1.0


@pytest.mark.parametrize("arch", ARCHS)
def test_hand_written_backward_equals_autograd_of_plain_modules(arch):
    """Gradients of the ensemble's recurrence (rnninfo.recurrence) against torch.nn, through all outputs and states."""
    gen = torch.Generator().manual_seed(3)
    states = [seed_data("memory", arch, 3, s, 0, SMALL).init for s in (0, 1)]
    ensemble = Ensemble(arch, states)
    x = torch.randn(2, 8, 7, 3, generator=gen)
    run = ensemble(x)
    weights = {k: torch.randn(v.shape, generator=gen) for k, v in run.items()}
    sum((run[k] * w).sum() for k, w in weights.items()).backward()
    for s, state in enumerate(states):
        plain = RecurrentClassifier(arch, 3)
        plain.load_state_dict(state)
        hidden, last = plain.rnn(x[s])
        out = torch.tanh(plain.readout(hidden))
        loss = (out * weights["outputs"][s]).sum() + (hidden * weights["hidden"][s]).sum()
        if arch == "LSTM":  # nn.LSTM returns only the last cell state: rebuild all of them step by step
            cells, h, c = [], torch.zeros(1, 8, 12), torch.zeros(1, 8, 12)
            for t in range(x.shape[2]):
                _, (h, c) = plain.rnn(x[s][:, t : t + 1], (h, c))
                cells.append(c[0])
            loss = loss + (torch.stack(cells, dim=1) * weights["cell"][s]).sum()
        loss.backward()
        grads = dict(plain.named_parameters())
        mine = ensemble.state_dict_of(s)
        for name, p in zip(("rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0",
                            "readout.weight", "readout.bias"), ensemble.parameters()):
            assert mine[name].shape == grads[name].shape
            torch.testing.assert_close(p.grad[s], grads[name].grad, rtol=1e-4, atol=1e-5)


def test_knockout_needs_no_grad():
    ensemble = Ensemble("RNN", [seed_data("memory", "RNN", 3, 0, 0, SMALL).init])
    x = torch.zeros(1, 2, 5, 3)
    with pytest.raises(ValueError, match="no_grad"):
        ensemble(x, knockout=(1, torch.ones(1, 1, 12)))


@pytest.mark.parametrize("arch", ["RNN", "LSTM"])
@pytest.mark.parametrize("task, delay", [("memory", "random"), ("block", 2)])
def test_compiled_single_network_steps_equal_plain_module_steps(arch, task, delay):
    """rnninfo.straggler (forward, backward through time, Adam) against torch.nn.RNN/LSTM + torch.optim.Adam."""
    from rnninfo import straggler
    from rnninfo.train import batches

    steps = 5
    d = seed_data(task, arch, delay, 3, 0, SMALL)
    D, G = d.x_train.shape[2], straggler.GATES[arch]
    theta = straggler.pack([d.init[k].numpy() for k in straggler.KEYS])
    m, v = np.zeros_like(theta), np.zeros_like(theta)
    order = batches(d.batch_rng, SMALL.n_train, SMALL.batch_size)[:steps]
    index, sizes = np.stack(order), np.array([len(o) for o in order])
    x, y, t_end = d.x_train.numpy(), d.y_train.numpy(), d.t_train.numpy()
    step = straggler.train_epoch(theta, m, v, 0, x, y, t_end, index, sizes, SMALL.lr, 0.9, 0.999, 1e-8, D, 12, G)
    assert step == steps
    plain, _, _ = train_plain(task, arch, delay, 3, 0, SMALL, max_steps=steps)
    for key, value in zip(straggler.KEYS, straggler.unpack(theta, D, 12, G)):
        torch.testing.assert_close(torch.from_numpy(value), plain[key], rtol=1e-5, atol=1e-6)
        assert not np.array_equal(value, d.init[key].numpy()), f"{key} did not move"
    # Its readout answers equal the plain module's.
    model = RecurrentClassifier(arch, D)
    model.load_state_dict(plain)
    with torch.no_grad():
        out, _ = model(d.x_valid)
    want = out[torch.arange(len(d.t_valid)), d.t_valid].numpy()
    got = straggler.answers(theta, d.x_valid.numpy(), d.t_valid.numpy(), D, 12, G)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_seeds_handed_off_to_compiled_steps_end_as_in_the_ensemble():
    """Stragglers continued alone (rnninfo.straggler) stop at the same epoch with the same accuracy, twice alike."""
    cfg = dataclasses.replace(SMALL, max_epochs=25, accuracy_criterion=0.8)
    seeds = [0, 1, 2, 3, 4]
    quiet = lambda m: None
    ensemble = train_ensemble("memory", "RNN", "random", seeds, 0, cfg, log=quiet, handoff=0)
    assert len({ensemble[s][1] for s in seeds}) >= 3  # seeds leave at different epochs: a real hand-off
    lines = []
    handed = train_ensemble("memory", "RNN", "random", seeds, 0, cfg, log=lines.append, handoff=2)
    assert any("2 seed(s) continue alone" in line for line in lines)
    alone = train_ensemble("memory", "RNN", "random", seeds, 0, cfg, log=quiet, handoff=len(seeds))
    again = train_ensemble("memory", "RNN", "random", seeds, 0, cfg, log=quiet, handoff=len(seeds))
    for run in (handed, alone):
        for s in seeds:
            assert run[s][1] == ensemble[s][1], f"seed {s} stopped at another epoch"
            np.testing.assert_allclose(run[s][2], ensemble[s][2], atol=1e-6)
            for key, value in ensemble[s][0].items():
                torch.testing.assert_close(run[s][0][key], value, rtol=1e-4, atol=1e-4)
    for s in seeds:  # same bytes twice
        assert all(torch.equal(again[s][0][k], alone[s][0][k]) for k in alone[s][0])
