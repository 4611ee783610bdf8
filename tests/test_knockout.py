"""Node knockouts against ground truth: identity knockouts, whole-layer knockouts,
a hand-built network whose units each latch one concept, reproducible random
control sets, and the knockout stages on that planted network."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

import rnninfo.knockout as ko
from rnninfo.io import read_tsv, save_npz
from rnninfo.models import ARCHS, Ensemble, init_state_dict
from rnninfo.tasks import TaskParams, make_task, n_info_steps
from rnninfo.traces import record_traces
from rnninfo.train import at_readout


def _ensemble(arch: str, n_seeds: int = 2, hidden: int = 6, inputs: int = 3) -> Ensemble:
    gen = torch.Generator().manual_seed(7)
    return Ensemble(arch, [init_state_dict(arch, inputs, hidden, gen) for _ in range(n_seeds)])


def _memory(n: int, delay, seed: int = 0):
    x, y, t_end = make_task("memory", n, delay, np.random.default_rng(seed))
    return torch.from_numpy(x), torch.from_numpy(y), torch.from_numpy(t_end)


# --------------------------------------------------------------------------- the knockout itself


@pytest.mark.parametrize("arch", ARCHS)
def test_knocking_out_no_node_leaves_everything_bit_identical(arch):
    ens = _ensemble(arch)
    x, y, t_end = _memory(64, "random")
    t = ko.knockout_time(n_info_steps("memory"))
    with torch.no_grad():
        plain = ens(x)
        same = ens(x, knockout=(t, torch.ones(ens.n_seeds, x.shape[0], ens.hidden_size)))
    assert plain.keys() == same.keys()
    for key in plain:
        assert torch.equal(plain[key], same[key]), key
    # the batched evaluation with an empty set reproduces the unperturbed accuracy exactly
    acc = ko.knockout_accuracy(ens, x, y, t_end, t, ko.keep_mask([()], ens.hidden_size))
    expect = (torch.sign(at_readout(plain["outputs"], t_end.expand(2, -1))) == y).double().mean(dim=1).numpy()
    np.testing.assert_array_equal(acc[:, 0], expect)


@pytest.mark.parametrize("arch", ARCHS)
def test_knocking_out_every_node_makes_every_sample_answer_the_same(arch):
    ens = _ensemble(arch, hidden=8)
    x, _, _ = _memory(50, 3)
    n_info = n_info_steps("memory")
    t = ko.knockout_time(n_info)
    assert t == n_info - 1  # the step that shows concept C
    with torch.no_grad():
        out = ens(x, knockout=(t, torch.zeros(ens.hidden_size)))
        plain = ens(x)
    after = out["outputs"][:, :, t + 1 :]  # (S, n, steps after the knockout, 3)
    assert (after - after[:, :1]).abs().max() < 1e-6  # zero state and blank inputs: one trajectory
    assert (plain["outputs"][:, :, t + 1 :] - plain["outputs"][:, :1, t + 1 :]).abs().max() > 1e-3
    assert out["hidden"][:, :, t].abs().max() == 0  # the recorded state is the knocked-out one
    if arch == "LSTM":
        assert out["cell"][:, :, t].abs().max() == 0
    # nothing before the knockout changes
    assert torch.equal(out["outputs"][:, :, :t], plain["outputs"][:, :, :t])


def test_sets_per_sample_along_the_batch_axis_match_one_set_at_a_time():
    ens = _ensemble("GRU", hidden=6)
    x, y, t_end = _memory(40, "random", seed=3)
    t = ko.knockout_time(n_info_steps("memory"))
    sets = [(), (0,), (1, 4), (0, 1, 2, 3, 4, 5), (2, 5)]
    keep = ko.keep_mask(sets, 6)
    together = ko.knockout_accuracy(ens, x, y, t_end, t, keep, max_rows=10**9)
    one_by_one = np.concatenate(
        [ko.knockout_accuracy(ens, x, y, t_end, t, keep[k : k + 1], max_rows=1) for k in range(len(sets))], axis=1
    )
    np.testing.assert_array_equal(together, one_by_one)
    assert together.shape == (2, len(sets), 3)


def _reference_accuracy(state_dict, arch, x, y, t_end, t, nodes, lstm_state):
    """One network, one set, with torch.nn's own RNN/GRU/LSTM: run to t, zero the nodes, run on."""
    from rnninfo.models import RecurrentClassifier

    net = RecurrentClassifier(arch, x.shape[2], state_dict["rnn.weight_hh_l0"].shape[1])
    net.load_state_dict(state_dict)
    with torch.no_grad():
        _, state = net.rnn(x[:, : t + 1])
        keep = torch.ones(state[0].shape[-1] if arch == "LSTM" else state.shape[-1])
        keep[list(nodes)] = 0.0
        if arch == "LSTM":
            state = (state[0] * keep, state[1] * keep if lstm_state == "hidden+cell" else state[1])
        else:
            state = state * keep
        rest, _ = net.rnn(x[:, t + 1 :], state)
        out = torch.tanh(net.readout(rest))  # (n, T - t - 1, 3)
    answers = out[torch.arange(x.shape[0]), t_end - (t + 1)]
    return (torch.sign(answers) == y).double().mean(dim=0).numpy()


@pytest.mark.parametrize("arch,lstm_state", [("RNN", "hidden"), ("GRU", "hidden"), ("LSTM", "hidden"),
                                             ("LSTM", "hidden+cell")])
def test_batched_knockouts_equal_torch_nn_one_set_at_a_time(arch, lstm_state):
    ens = _ensemble(arch, n_seeds=2, hidden=6)
    x, y, t_end = _memory(60, "random", seed=4)  # readouts spread over several steps
    t = ko.knockout_time(n_info_steps("memory"))
    sets = [(), (0,), (1, 4), (0, 1, 2, 3, 4, 5), (2, 5), (1, 4), (3,)]  # (1, 4) twice: run once, reported twice
    keep = ko.keep_mask(sets, 6)
    batched = ko.knockout_accuracy(ens, x, y, t_end, t, keep, max_rows=2 * 60 * 3, lstm_state=lstm_state)
    reference = np.stack([
        np.stack([_reference_accuracy(ens.state_dict_of(s), arch, x, y, t_end, t, nodes, lstm_state) for nodes in sets])
        for s in range(2)
    ])
    np.testing.assert_allclose(batched, reference, atol=1.5 / 60)  # at most one sample flips by float rounding
    assert np.abs(batched - reference).mean() < 0.2 / 60
    one_by_one = ko.knockout_accuracy_one_by_one(ens, x, y, t_end, t, keep, lstm_state=lstm_state)
    np.testing.assert_allclose(batched, one_by_one, atol=1.5 / 60)
    np.testing.assert_array_equal(batched[:, 2], batched[:, 5])


def test_lstm_hidden_only_knockout_lets_the_cell_state_carry_on():
    ens = _ensemble("LSTM", n_seeds=1, hidden=8)
    x, _, _ = _memory(40, 3)
    t = ko.knockout_time(n_info_steps("memory"))
    with torch.no_grad():
        pre = ens(x[:, : t + 1])
        h, c = pre["hidden"][:, :, t], pre["cell"][:, :, t]
        zero = torch.zeros(8)
        both = ens(x[:, t + 1 :], state=(h * zero, c * zero))["outputs"]
        hidden_only = ens(x[:, t + 1 :], state=(h * zero, c))["outputs"]
        plain = ens(x)["outputs"][:, :, t + 1 :]
    # with cell states zeroed too and blank inputs, every sample follows one trajectory; with the cell kept they differ
    assert (both - both[:, :1]).abs().max() < 1e-6
    assert (hidden_only - hidden_only[:, :1]).abs().max() > 1e-3
    assert (hidden_only - plain).abs().max() > 1e-4  # and it is still a knockout
    # RNN and GRU have no cell: both settings give the same numbers
    gru = _ensemble("GRU")
    xx, yy, tt = _memory(30, "random")
    keep = ko.keep_mask([(0, 2), (5,)], 6)
    np.testing.assert_array_equal(ko.knockout_accuracy(gru, xx, yy, tt, t, keep, lstm_state="hidden"),
                                  ko.knockout_accuracy(gru, xx, yy, tt, t, keep, lstm_state="hidden+cell"))
    with pytest.raises(ValueError, match="lstm_state"):
        ko.knockout_accuracy(gru, xx, yy, tt, t, keep, lstm_state="cell")


def test_knockout_must_come_before_every_readout():
    ens = _ensemble("RNN")
    x, y, t_end = _memory(10, 1)
    with pytest.raises(ValueError, match="not after the knockout"):
        ko.knockout_accuracy(ens, x, y, t_end, int(t_end.min()), ko.keep_mask([()], 6))


# --------------------------------------------------------------------------- a planted network


def planted_rnn(hidden: int = 4) -> dict:
    """Unit k latches sensor k (A, B, C) in a bistable self-loop; output k reads unit k only."""
    w_ih = torch.zeros(hidden, 3)
    w_hh = torch.zeros(hidden, hidden)
    w_out = torch.zeros(3, hidden)
    for k in range(3):
        w_ih[k, k] = 5.0  # |input| >= 0.2 pushes the unit to |h| >= tanh(1)
        w_hh[k, k] = 3.0  # h = tanh(3h): stable at +-0.995, 0 stays 0
        w_out[k, k] = 2.0
    return {
        "rnn.weight_ih_l0": w_ih,
        "rnn.weight_hh_l0": w_hh,
        "rnn.bias_ih_l0": torch.zeros(hidden),
        "rnn.bias_hh_l0": torch.zeros(hidden),
        "readout.weight": w_out,
        "readout.bias": torch.zeros(3),
    }


def test_planted_unit_knockout_removes_its_concept_only():
    ens = Ensemble("RNN", [planted_rnn()])
    x, y, t_end = _memory(300, "random", seed=5)
    t = ko.knockout_time(n_info_steps("memory"))
    acc = ko.knockout_accuracy(ens, x, y, t_end, t, ko.keep_mask([(), (0,), (1,), (2,), (3,)], 4))[0]
    np.testing.assert_array_equal(acc[0], [1.0, 1.0, 1.0])  # the planted net is perfect
    for k in range(3):
        assert acc[1 + k, k] < 0.6  # its concept is gone ...
        others = [c for c in range(3) if c != k]
        np.testing.assert_array_equal(acc[1 + k, others], 1.0)  # ... the others are untouched
    np.testing.assert_array_equal(acc[4], [1.0, 1.0, 1.0])  # the idle unit carries nothing


# --------------------------------------------------------------------------- sets


def test_top_relay_set_is_the_last_removed():
    order = [3, 1, 0, 2]
    assert ko.top_relay_set(order, 1) == (2,)
    assert ko.top_relay_set(order, 2) == (0, 2)
    assert ko.top_relay_set(order, 4) == (0, 1, 2, 3)
    assert ko.top_relay_set(order, 0) == ()
    with pytest.raises(ValueError):
        ko.top_relay_set([0, 0, 1], 1)


def test_random_sets_are_reproducible_from_the_seed():
    sizes = list(range(12, 0, -1))
    draw = lambda seed: ko.random_sets(12, sizes, 5, np.random.default_rng([2024, 0x4B4F, seed]))  # noqa: E731
    a, b, c = draw(3), draw(3), draw(4)
    assert a == b
    assert a != c
    assert [len(s) for s in a] == [s for s in sizes for _ in range(5)]
    assert all(len(set(s)) == len(s) and list(s) == sorted(s) and max(s) < 12 for s in a)
    # not all the same set: the draws vary
    assert len(set(s for s in a if len(s) == 3)) > 1
    with pytest.raises(TypeError):
        ko.random_sets(12, sizes, 5, 3)


def test_mean_ci():
    m, lo, hi = ko.mean_ci([1.0, 2.0, 3.0])
    assert m == 2.0
    assert lo == pytest.approx(2.0 - 4.302652729911275 / np.sqrt(3))  # t(0.975, 2) * sd(=1) / sqrt(3)
    assert hi == pytest.approx(2.0 + 4.302652729911275 / np.sqrt(3))
    assert np.isnan(ko.mean_ci([1.0])[1])


@pytest.mark.filterwarnings("ignore:Precision loss:RuntimeWarning")  # scipy's, on the rounded samples
def test_mean_ci_and_paired_t_equal_scipy_stats():
    """The closed forms (scipy.special only) against scipy.stats' t interval and ttest_1samp."""
    from scipy import stats

    rng = np.random.default_rng(3)
    for trial in range(200):
        n = int(rng.integers(2, 30))
        v = rng.normal(rng.uniform(-1, 1), 10 ** rng.uniform(-4, 1), n)
        if trial % 4 == 0:
            v = np.round(v, 2)  # repeated values
        level = (0.95, 0.9, 0.99)[trial % 3]
        m, lo, hi = ko.mean_ci(v, level)
        half = stats.t.ppf(0.5 + level / 2, n - 1) * v.std(ddof=1) / np.sqrt(n)
        assert (m, lo, hi) == (v.mean(), v.mean() - half, v.mean() + half)  # same numbers exactly
        t, p = ko.paired_t(v)
        ref = stats.ttest_1samp(v, 0.0)
        if np.ptp(v) > 0:
            assert t == pytest.approx(ref.statistic, rel=1e-12) and p == pytest.approx(ref.pvalue, rel=1e-10)
    assert all(np.isnan(ko.paired_t([0.5, 0.5, 0.5])))  # no spread
    assert all(np.isnan(ko.paired_t([0.5, np.nan])))  # one value left


def test_margins_of_a_known_table():
    rows = []
    for seed in range(3):
        for c in range(3):
            rows.append(("memory", "RNN", "random", seed, "baseline", -1, "baseline", 0, c, "ABC"[c], 1.0))
        for size in (1, 2, 3):
            for target in range(3):
                for c in range(3):
                    acc = 0.6 if c == target else 0.9  # target drops 0.4, others 0.1
                    rows.append(("memory", "RNN", "random", seed, "relay", target, "ABC"[target], size, c, "ABC"[c],
                                 acc))
            for c in range(3):
                for draw_acc in (0.7, 0.9):  # random sets drop 0.2 on average
                    rows.append(("memory", "RNN", "random", seed, "random", -1, "random", size, c, "ABC"[c], draw_acc))
    cols = ["task", "arch", "delay", "seed", "kind", "target", "target_name", "size", "concept", "concept_name",
            "accuracy"]
    m = ko.margins(pd.DataFrame(rows, columns=cols))
    allsize = m[(m["target_name"] == "all") & (m["sizes"] == "1-2")].set_index("margin")["mean"]
    assert allsize["vs_other"] == pytest.approx(0.3)
    assert allsize["vs_random"] == pytest.approx(0.2)
    s = ko.summarise(pd.DataFrame(rows, columns=cols))
    rnd = s[(s["kind"] == "random") & (s["size"] == 2) & (s["concept"] == 0)]
    assert rnd["accuracy"].item() == pytest.approx(0.8)
    assert rnd["n_seeds"].item() == 3


def test_summarise_equals_mean_ci_group_by_group():
    """The (groups, seeds) array path of summarise gives mean_ci's numbers exactly, in
    groupby order; a table with a missing seed takes the group loop and agrees too."""
    rng = np.random.default_rng(4)
    rows = []
    for delay in ("5", "random"):
        for seed in rng.permutation(6):  # rows not sorted by seed
            for kind, target, size in (("baseline", -1, 0), ("relay", 1, 2), ("relay", 0, 2), ("random", -1, 2)):
                for draw in range(2 if kind == "random" else 1):
                    for c in range(3):
                        name = kind if target < 0 else "AB"[target]
                        rows.append(("memory", "GRU", delay, int(seed), kind, target, name, size, c, "ABC"[c],
                                     float(rng.random())))
    cols = ["task", "arch", "delay", "seed", "kind", "target", "target_name", "size", "concept", "concept_name",
            "accuracy"]
    df = pd.DataFrame(rows, columns=cols)
    keys = ["task", "arch", "delay", "kind", "target", "target_name", "size", "concept", "concept_name"]
    for table in (df, df[~((df["seed"] == 3) & (df["kind"] == "relay"))]):
        got = ko.summarise(table, 0.9)
        per_seed = table.groupby(["task", "arch", "delay", "seed", "kind", "target", "target_name", "size", "concept",
                                  "concept_name"], as_index=False)["accuracy"].mean()
        want = [k + (g["seed"].nunique(),) + ko.mean_ci(g["accuracy"].to_numpy(), 0.9)
                for k, g in per_seed.groupby(keys, sort=True)]
        assert [tuple(r) for r in got.itertuples(index=False)] == want


# --------------------------------------------------------------------------- the stages on the planted network


def _planted_files(tmp_path, seeds, n_test=200):
    state = planted_rnn()
    trace = record_traces("memory", "RNN", "random", seeds, [state] * len(seeds), root_seed=11, n_test=n_test,
                          eval_delays=[0, 1], params=TaskParams())
    models, traces = [], []
    for s, tr in zip(seeds, trace):
        models.append(tmp_path / f"seed{s}.pt")
        torch.save(state, models[-1])
        traces.append(tmp_path / f"seed{s}.npz")
        save_npz(traces[-1], **tr)
    return models, traces, trace


def test_knockout_stage_on_planted_network(tmp_path):
    from rnninfo.stages import knockout as stage
    from rnninfo.stages import knockout_summary

    seeds = [0, 1]
    models, traces, _ = _planted_files(tmp_path, seeds)
    cond = ["--task", "memory", "--arch", "RNN", "--delay", "random", "--seeds", "0", "1"]
    args = cond + ["--models", *map(str, models), "--traces", *map(str, traces), "--params", '{"random_draws": 3}']
    stage.main(args + ["--out", str(tmp_path / "ko.tsv")])
    stage.main(args + ["--out", str(tmp_path / "ko2.tsv")])
    assert (tmp_path / "ko.tsv").read_bytes() == (tmp_path / "ko2.tsv").read_bytes()  # seeded: same bytes

    df = read_tsv(tmp_path / "ko.tsv")
    assert set(df["t_knockout"]) == {n_info_steps("memory") - 1}
    assert set(df["n_estimate"]) == {100} and set(df["n_evaluate"]) == {100}
    n_sets = 1 + 3 * 4 + 3 * 4  # baseline, relay sets (3 concepts x 4 sizes), random sets (3 draws x 4 sizes)
    assert len(df) == len(seeds) * n_sets * 3
    one = df[(df["kind"] == "relay") & (df["size"] == 1)]
    for k in range(3):
        rows = one[one["target"] == k]
        assert set(rows["nodes"].astype(str)) == {str(k)}  # relay found the planted unit
        acc = rows.set_index(["seed", "concept"])["accuracy"]
        for seed in seeds:
            assert acc[(seed, k)] < 0.6
            assert all(acc[(seed, c)] == 1.0 for c in range(3) if c != k)

    knockout_summary.main(["--inputs", str(tmp_path / "ko.tsv"), "--summary", str(tmp_path / "sum.tsv"),
                           "--margins", str(tmp_path / "marg.tsv")])
    marg = read_tsv(tmp_path / "marg.tsv")
    top1 = marg[(marg["target_name"] == "all") & (marg["sizes"] == "1")].set_index("margin")
    assert top1.loc["vs_other", "mean"] > 0.4
    assert top1.loc["vs_random", "mean"] > 0.2
    assert {"t", "p"} <= set(marg.columns)  # paired test over seeds beside the CI


def test_knockout_stage_orders_from_one_half_accuracy_from_the_other(tmp_path):
    """Split halves: relay orders come only from the estimation half, accuracy only from the evaluation half."""
    from rnninfo.stages import knockout as stage
    from rnninfo.traces import split_halves

    seed, n = 0, 200
    models, traces, trace = _planted_files(tmp_path, [seed], n_test=n)
    est, ev = split_halves(n, seed, 2024)
    assert len(np.intersect1d(est, ev)) == 0 and len(est) == len(ev) == n // 2
    tr = dict(trace[0])
    # Estimation half: the states of units 0, 1, 2 are rotated, so orders taken from it name unit (c + 1) % 3 for
    # concept c, and its inputs are blanked, so any of its samples in the accuracy would answer 0 (wrong).
    hidden = tr["hidden"].copy()
    hidden[est] = hidden[est][:, :, [2, 0, 1, 3]]
    x = tr["x"].copy()
    x[est] = 0.0
    # Evaluation half: states scrambled across samples, so orders taken from it would be arbitrary.
    hidden[ev] = hidden[ev][np.random.default_rng(0).permutation(len(ev))]
    tr.update(hidden=hidden, x=x)
    save_npz(traces[0], **tr)
    stage.main(["--task", "memory", "--arch", "RNN", "--delay", "random", "--seeds", str(seed),
                "--models", str(models[0]), "--traces", str(traces[0]), "--params", '{"random_draws": 1}',
                "--out", str(tmp_path / "ko.tsv")])
    df = read_tsv(tmp_path / "ko.tsv")
    base = df[df["kind"] == "baseline"]
    np.testing.assert_array_equal(base["accuracy"], 1.0)  # blanked estimation samples never scored
    one = df[(df["kind"] == "relay") & (df["size"] == 1)]
    for c in range(3):
        assert set(one.loc[one["target"] == c, "nodes"].astype(str)) == {str((c + 1) % 3)}
    assert set(df["n_estimate"]) == {len(est)} and set(df["n_evaluate"]) == {len(ev)}


def test_knockout_stage_rejects_bad_parameters():
    from rnninfo.stages import knockout as stage

    with pytest.raises(SystemExit, match="lstm_state"):
        stage.knockout_params({"lstm_state": "cell"})
    with pytest.raises(SystemExit, match="unknown"):
        stage.knockout_params({"greedy": "x"})
