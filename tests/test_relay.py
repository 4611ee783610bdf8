"""Relay information against ground truth: hand-computed tables, planted relays,
a brute-force np.unique reference, and the `relay` stage on synthetic traces."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rnninfo import relay
from rnninfo.io import read_tsv, save_npz

# --------------------------------------------------------------------------- reference


def _h(*cols) -> float:
    """Plug-in joint entropy (bits) of columns, by np.unique on rows."""
    _, c = np.unique(np.stack(cols, axis=1), axis=0, return_counts=True)
    p = c / c.sum()
    return float(-(p * np.log2(p)).sum())


def _i3_ref(bits, xi, xo, nodes) -> float:
    if not nodes:
        return 0.0
    y = [bits[:, j] for j in nodes]
    return _h(*y) - _h(xi, *y) - _h(xo, *y) + _h(xi, xo, *y) + _h(xi) + _h(xo) - _h(xi, xo)


def _relay_ref(bits, xi, xo, nodes) -> float:
    n_nodes = bits.shape[1]
    rest = [j for j in range(n_nodes) if j not in nodes]
    return _i3_ref(bits, xi, xo, list(range(n_nodes))) - _i3_ref(bits, xi, xo, rest)


def _planted(rng, n=4000, n_nodes=8, planted=(2, 5), flip=0.05):
    """Continuous states: `planted` nodes copy the label (with sign flips and jitter),
    the rest is noise; the output reads the planted nodes."""
    label = rng.integers(0, 2, n)
    s = 2.0 * label - 1.0
    states = rng.normal(size=(n, n_nodes))
    for j in planted:
        sign = np.where(rng.random(n) < flip, -s, s)
        states[:, j] = sign * (1.0 + 0.2 * rng.random(n))
    out = np.tanh(states[:, list(planted)].sum(axis=1) + 0.1 * rng.normal(size=n))
    return states, label.astype(np.uint8), (out > 0).astype(np.uint8)


# --------------------------------------------------------------------------- hand-computed values


XIN4 = np.array([0, 0, 1, 1])


def test_copy_node_relays_one_bit():
    # node 0 copies X_in = X_out; node 1 is independent of both
    bits = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    assert relay.relay_information(bits, XIN4, XIN4, [0]) == pytest.approx(1.0, abs=1e-12)
    assert relay.relay_information(bits, XIN4, XIN4, [1]) == pytest.approx(0.0, abs=1e-12)
    assert relay.relay_information(bits, XIN4, XIN4, [0, 1]) == pytest.approx(1.0, abs=1e-12)
    assert relay.relay_information(bits, XIN4, XIN4, []) == 0.0


def test_single_node_network_is_the_channel():
    rng = np.random.default_rng(3)
    xi = np.repeat([0, 1], 500)
    bits = xi[:, None].copy()
    assert relay.relay_information(bits, xi, xi, [0]) == pytest.approx(1.0, abs=1e-12)
    xo = rng.permutation(xi)
    want = _h(xi) + _h(xo) - _h(xi, xo)  # I(X_in; X_out), all the node can relay
    assert relay.relay_information(bits, xi, xo, [0]) == pytest.approx(want, abs=1e-12)


def test_synergy_and_redundancy_hand_values():
    r = np.array([0, 1, 0, 1])
    # synergy: neither node alone says anything, together they give X_in
    xor = np.stack([r, r ^ XIN4], axis=1)
    assert relay.relay_information(xor, XIN4, XIN4, [0]) == pytest.approx(1.0, abs=1e-12)
    assert relay.relay_information(xor, XIN4, XIN4, [1]) == pytest.approx(1.0, abs=1e-12)
    assert relay.relay_information(xor, XIN4, XIN4, [0, 1]) == pytest.approx(1.0, abs=1e-12)
    # redundancy: both nodes copy X_in, so neither is needed given the other
    both = np.stack([XIN4, XIN4], axis=1)
    assert relay.relay_information(both, XIN4, XIN4, [0]) == pytest.approx(0.0, abs=1e-12)
    assert relay.relay_information(both, XIN4, XIN4, [0, 1]) == pytest.approx(1.0, abs=1e-12)


def test_relay_information_can_be_negative():
    # X_in, X_out independent, the node is their XOR: I(X_in;X_out|Y) = 1 > I(X_in;X_out) = 0
    xi = np.array([0, 0, 1, 1])
    xo = np.array([0, 1, 0, 1])
    bits = (xi ^ xo)[:, None]
    assert relay.relay_information(bits, xi, xo, [0]) == pytest.approx(-1.0, abs=1e-12)


def test_independent_nodes_relay_about_nothing():
    rng = np.random.default_rng(0)
    n = 20000
    xi = rng.integers(0, 2, n)
    bits = rng.integers(0, 2, (n, 3))
    assert abs(relay.relay_information(bits, xi, xi, [0, 1, 2])) < 0.01
    for j in range(3):
        assert abs(relay.relay_information(bits, xi, xi, [j])) < 0.01


# --------------------------------------------------------------------------- planted relays


def test_planted_nodes_come_last_in_greedy_and_exhaustive():
    rng = np.random.default_rng(11)
    states, xi, xo = _planted(rng)
    bits = relay.binarize(states)
    order, info = relay.greedy_order(bits, xi, xo)
    assert sorted(order) == list(range(8))
    assert set(order[-2:]) == {2, 5}
    assert len(info) == 8
    ex = relay.exhaustive(bits, xi, xo)
    assert list(ex["size"]) == list(range(1, 9))
    assert ex.loc[ex["size"] == 2, "nodes"].item() == (2, 5)
    assert ex.loc[ex["size"] == 1, "nodes"].item()[0] in (2, 5)
    share = relay.relay_shares(order, info)
    assert set(np.argsort(share)[-2:]) == {2, 5}
    assert share.sum() == pytest.approx(info[0], abs=1e-12)
    # optimum of size 1 and size N equal the greedy values here
    assert ex.loc[ex["size"] == 8, "info"].item() == pytest.approx(info[0], abs=1e-12)
    assert ex.loc[ex["size"] == 1, "info"].item() == pytest.approx(info[-1], abs=1e-12)
    # the planted pair relays nearly all of I(X_in; X_out)
    mi = _h(xi) + _h(xo) - _h(xi, xo)
    assert info[-2] > 0.8 * mi


def test_greedy_against_table_and_exhaustive_bounds():
    rng = np.random.default_rng(5)
    for n_nodes in (1, 4, 7):
        bits = rng.integers(0, 2, (300, n_nodes))
        xi = rng.integers(0, 2, 300)
        xo = np.where(rng.random(300) < 0.2, 1 - xi, xi)
        bits[:, 0] = np.where(rng.random(300) < 0.7, xi, bits[:, 0])
        order, info = relay.greedy_order(bits, xi, xo)
        table = relay.interaction_table(bits, xi, xo)
        order2, info2 = relay.greedy_from_table(table)
        assert order == order2
        np.testing.assert_allclose(info, info2, atol=1e-12, rtol=0)
        ex = relay.exhaustive(bits, xi, xo)
        # size N: the only set is all nodes; every size: the optimum is at least greedy
        assert ex["info"].iloc[-1] == pytest.approx(info[0], abs=1e-12)
        for size, best in zip(ex["size"], ex["info"]):
            assert best >= info[n_nodes - size] - 1e-12
        # every reported value is the I_R of the reported set
        for nodes, v in zip(ex["nodes"], ex["info"]):
            assert v == pytest.approx(_relay_ref(bits, xi, xo, list(nodes)), abs=1e-12)


def test_ties_go_to_lower_index():
    bits = np.zeros((10, 5), dtype=np.uint8)  # no node carries anything
    xi = np.array([0, 1] * 5)
    order, info = relay.greedy_order(bits, xi, xi)
    assert order == [0, 1, 2, 3, 4]
    assert np.allclose(info, 0.0)
    ex = relay.exhaustive(bits, xi, xi)
    assert list(ex["nodes"]) == [tuple(range(k)) for k in range(1, 6)]


# --------------------------------------------------------------------------- exhaustive = brute force


@pytest.mark.parametrize("n_nodes,n", [(1, 50), (5, 64), (9, 400)])
def test_interaction_table_equals_brute_force(n_nodes, n):
    rng = np.random.default_rng(n_nodes)
    bits = rng.integers(0, 2, (n, n_nodes))
    xi = rng.integers(0, 2, n)
    xo = np.where(rng.random(n) < 0.3, rng.integers(0, 2, n), xi)
    bits[:, 0] ^= xi & (rng.random(n) < 0.5)
    table = relay.interaction_table(bits, xi, xo)
    want = [_i3_ref(bits, xi, xo, [j for j in range(n_nodes) if m >> j & 1]) for m in range(1 << n_nodes)]
    np.testing.assert_allclose(table, want, atol=1e-12, rtol=0)
    ex = relay.exhaustive(bits, xi, xo)
    for size, nodes, v in zip(ex["size"], ex["nodes"], ex["info"]):
        from itertools import combinations

        best = max(_relay_ref(bits, xi, xo, list(c)) for c in combinations(range(n_nodes), size))
        assert v == pytest.approx(best, abs=1e-12)
        assert len(nodes) == size


def test_interaction_table_beyond_twelve_nodes():
    # 13 nodes takes the blocked path (loop over the 13th node's marginal states)
    rng = np.random.default_rng(13)
    n_nodes, n = 13, 200
    bits = rng.integers(0, 2, (n, n_nodes))
    xi = rng.integers(0, 2, n)
    xo = np.where(rng.random(n) < 0.25, 1 - xi, xi)
    bits[:, 12] = xi
    table = relay.interaction_table(bits, xi, xo)
    for m in rng.choice(1 << n_nodes, 60, replace=False).tolist() + [1 << 12, (1 << 13) - 1]:
        nodes = [j for j in range(n_nodes) if m >> j & 1]
        assert table[m] == pytest.approx(_i3_ref(bits, xi, xo, nodes), abs=1e-12)


# --------------------------------------------------------------------------- binarize


def test_binarize_median_and_kmeans():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(101, 3))
    b = relay.binarize(a)
    assert b.dtype == np.uint8 and b.shape == (101, 3)
    np.testing.assert_array_equal(b, (a > np.median(a, axis=0)).astype(np.uint8))
    assert (b.sum(axis=0) == 50).all()
    # many ties at the maximum: the split still separates the column
    tied = np.array([[0.0], [1.0], [1.0], [1.0]])
    np.testing.assert_array_equal(relay.binarize(tied)[:, 0], [0, 1, 1, 1])
    # k-means: two well separated groups of unequal size are found exactly
    grp = np.r_[rng.normal(-3, 0.1, 30), rng.normal(2, 0.1, 70)]
    col = np.stack([grp, -grp], axis=1)
    k = relay.binarize(col, method="kmeans")
    np.testing.assert_array_equal(k[:, 0], grp > 0)
    np.testing.assert_array_equal(k[:, 1], grp < 0)


def test_kmeans_split_is_the_best_split():
    rng = np.random.default_rng(2)
    v = rng.gamma(2.0, size=60)
    high = relay.kmeans2_split(v)
    s = np.sort(v)

    def sse(mask):
        return sum(((v[m] - v[m].mean()) ** 2).sum() for m in (mask, ~mask) if m.any())

    best = min(sse(v > s[i]) for i in range(len(s) - 1))
    assert sse(high) == pytest.approx(best, rel=1e-12)
    assert not relay.kmeans2_split(np.ones(5)).any()


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_binarize_rejects_nonfinite(bad):
    a = np.random.default_rng(0).normal(size=(20, 4))
    a[7, 2] = bad
    with pytest.raises(ValueError, match=r"NaN/inf.*column 2"):
        relay.binarize(a)


def test_binarize_constant_columns():
    a = np.random.default_rng(0).normal(size=(20, 4))
    a[:, 1] = 0.5
    a[:, 3] = -1.0
    with pytest.raises(ValueError, match=r"column\(s\) \[1, 3\] constant"):
        relay.binarize(a)
    b = relay.binarize(a, constant="zero")
    assert (b[:, [1, 3]] == 0).all() and b[:, 0].any()
    a[:, 0] = 1.0 + 1e-9 * np.arange(20)  # constant up to a tolerance
    with pytest.raises(ValueError, match=r"\[0, 1, 3\]"):
        relay.binarize(a, atol=1e-6)


def test_binarize_rejects_bad_shapes_and_methods():
    with pytest.raises(ValueError, match="2-D"):
        relay.binarize(np.zeros(5))
    with pytest.raises(ValueError, match="at least 2 samples"):
        relay.binarize(np.zeros((1, 3)))
    with pytest.raises(ValueError, match="method"):
        relay.binarize(np.eye(3), method="mean")


# --------------------------------------------------------------------------- input validation


def test_inputs_are_checked():
    bits = np.array([[0, 1], [1, 0], [1, 1]])
    x = np.array([0, 1, 1])
    with pytest.raises(ValueError, match=r"bits must hold only 0 and 1; found 2 at column 1"):
        relay.relay_information(np.array([[0, 1], [1, 2], [0, 0]]), x, x, [0])
    with pytest.raises(ValueError, match="same number of samples"):
        relay.greedy_order(bits, x[:2], x)
    with pytest.raises(ValueError, match="x_out must hold only 0 and 1"):
        relay.exhaustive(bits, x, np.array([-1, 1, 1]))
    with pytest.raises(ValueError, match="2-D"):
        relay.greedy_order(x, x, x)
    with pytest.raises(ValueError, match="out of range"):
        relay.relay_information(bits, x, x, [2])
    with pytest.raises(ValueError, match="repeat"):
        relay.relay_information(bits, x, x, [0, 0])
    with pytest.raises(ValueError, match="limited to 16 nodes"):
        relay.exhaustive(np.zeros((4, 17), dtype=np.uint8), x[[0, 1, 2, 0]], x[[0, 1, 2, 0]])
    # bool input is fine
    assert relay.relay_information(bits.astype(bool), x.astype(bool), x.astype(bool), [0, 1]) == pytest.approx(
        _relay_ref(bits, x, x, [0, 1]), abs=1e-12
    )


def test_greedy_runs_beyond_the_exhaustive_limit():
    rng = np.random.default_rng(4)
    n, n_nodes = 3000, 40
    xi = rng.integers(0, 2, n)
    # nodes follow three latent bits (as trained networks' nodes are correlated);
    # with 40 independent noise bits every sample would be unique and plug-in
    # estimates meaningless
    latent = rng.integers(0, 2, (n, 3))
    bits = latent[:, np.arange(n_nodes) % 3]
    bits[:, 33] = np.where(rng.random(n) < 0.03, 1 - xi, xi)
    order, info = relay.greedy_order(bits, xi, xi)
    assert order[-1] == 33 and len(info) == n_nodes


# --------------------------------------------------------------------------- the stage


def synthetic_trace(seed, n=1500, n_nodes=8, n_info=10, delay=3, T=19, onsets=(3, 6, 9), cell=False):
    """A memory-task-like trace: node 1 copies concept A, nodes 4 and 6 concept B,
    node 7 concept C, each from its onset on; the other nodes follow two latent
    noise bits (as trained networks' nodes are correlated); nothing is shown
    before step 3 (states constant). The output reads the label with 2% errors."""
    rng = np.random.default_rng(seed)
    y = rng.choice([-1.0, 1.0], size=(n, 3))
    latent = rng.choice([-1.0, 1.0], size=(n, T, 2))
    hidden = np.empty((n, T, n_nodes))
    for j in range(n_nodes):
        hidden[:, :, j] = latent[:, :, j % 2] * (0.5 + 0.1 * j) + 0.05 * rng.normal(size=(n, T))
    plant = {0: [1], 1: [4, 6], 2: [7]}
    for c, nodes in plant.items():
        for j in nodes:
            flip = rng.random((n, T)) < 0.03
            v = np.where(flip, -y[:, c, None], y[:, c, None]) * (0.8 + 0.1 * rng.random((n, T)))
            hidden[:, onsets[c] :, j] = v[:, onsets[c] :]
    hidden[:, : onsets[0], :] = 0.1  # no input yet: every sample in the same state
    answer = np.where(rng.random((n, 3)) < 0.02, -y, y)
    outputs = np.tile(0.9 * answer[:, None, :], (1, T, 1))
    if delay == "random":
        t_end = n_info + rng.integers(1, 6, n) - 1
    else:
        t_end = np.full(n, n_info + delay - 1)
    tr = dict(
        x=np.zeros((n, T, 3), np.float32),
        y=y.astype(np.float32),
        hidden=hidden.astype(np.float32),
        outputs=outputs.astype(np.float32),
        t_end=t_end.astype(np.int64),
        n_info=np.int64(n_info),
        concept_onsets=np.asarray(onsets, dtype=np.int64),
        eval_delays=np.arange(10, dtype=np.int64),
        eval_readout=(n_info + np.arange(10) - 1).astype(np.int64),
    )
    if cell:
        # the cell state holds concept A in node 0 instead of node 1
        c = tr["hidden"].copy()
        c[:, :, [0, 1]] = c[:, :, [1, 0]]
        tr["cell"] = c
    return tr


def _run_stage(tmp_path, traces, params="{}", seeds=None, task="memory", arch="GRU", delay="3"):
    from rnninfo.stages import relay as stage

    seeds = seeds if seeds is not None else list(range(len(traces)))
    paths = []
    for s, tr in zip(seeds, traces):
        p = tmp_path / "traces" / f"seed{s}.npz"
        save_npz(p, **tr)
        paths.append(str(p))
    out = tmp_path / "relay"
    argv = [
        "--task",
        task,
        "--arch",
        arch,
        "--delay",
        delay,
        "--seeds",
        *map(str, seeds),
        "--traces",
        *paths,
        "--greedy",
        str(out / "greedy.tsv"),
        "--shares",
        str(out / "shares.tsv"),
        "--exhaustive",
        str(out / "exhaustive.tsv"),
        "--null",
        str(out / "null.tsv"),
        "--ceiling",
        str(out / "ceiling.tsv"),
        "--params",
        params,
    ]
    assert stage.main(argv) == 0
    return {k: read_tsv(out / f"{k}.tsv") for k in ("greedy", "shares", "exhaustive", "null", "ceiling")}


def test_relay_stage_on_synthetic_traces(tmp_path):
    tabs = _run_stage(
        tmp_path, [synthetic_trace(0), synthetic_trace(1)], seeds=[0, 7], params='{"exhaustive_steps": "all"}'
    )
    g, s, e = tabs["greedy"], tabs["shares"], tabs["exhaustive"]
    # training regime: steps 0 .. max(t_end), extended to the window's end (n_info + 4)
    n_nodes, horizon = 8, 10 + 5
    assert len(s) == 2 * 3 * horizon * n_nodes
    assert sorted(s["seed"].unique()) == [0, 7]
    assert sorted(s["t"].unique()) == list(range(horizon))
    assert set(s["concept_name"]) == {"A", "B", "C"}
    assert (s[["task", "arch"]].drop_duplicates().values == [["memory", "GRU"]]).all()
    # before any input every node is constant and nothing is relayed
    early = s[s["t"] < 3]
    assert (early["constant"] == 1).all() and np.allclose(early["share"], 0.0)
    # after its onset each concept is relayed by the planted nodes, and only them
    plant = {"A": {1}, "B": {4, 6}, "C": {7}}
    onset = {"A": 3, "B": 6, "C": 9}
    for (seed, name, t), grp in s.groupby(["seed", "concept_name", "t"]):
        if t < onset[name]:
            assert grp["share"].abs().max() < 0.05
            continue
        top = set(grp.nlargest(len(plant[name]), "share")["node"])
        assert top == plant[name], (seed, name, t)
        last = g[(g.seed == seed) & (g.concept_name == name) & (g.t == t)].sort_values("rank")
        assert set(last["node"].iloc[-len(plant[name]) :]) == plant[name]
        # shares add up to the I_R of all nodes
        assert grp["share"].sum() == pytest.approx(last["info"].iloc[0], abs=1e-9)
    # the greedy curve starts at all nodes and ends at one
    one = g[(g.seed == 0) & (g.concept == 1) & (g.t == 12)].sort_values("rank")
    assert list(one["size"]) == list(range(8, 0, -1))
    assert one["info"].iloc[-1] == pytest.approx(
        s[(s.seed == 0) & (s.concept == 1) & (s.t == 12) & (s.node == one["node"].iloc[-1])]["share"].item(), abs=1e-9
    )
    # exhaustive: one row per size; optimum >= greedy; planted sets are optimal
    assert len(e) == 2 * 3 * horizon * n_nodes
    assert (e["shortfall"] >= 0).all()
    assert ((e["shortfall"] <= 1e-12) == (e["optimal"] == 1)).all()
    b2 = e[(e.concept_name == "B") & (e.t >= 6) & (e["size"] == 2)]
    assert (b2["best_nodes"] == "4,6").all() and (b2["optimal"] == 1).all()
    full = e[e["size"] == n_nodes]
    assert (full["same_set"] == 1).all() and np.allclose(full["shortfall"], 0.0)


def test_relay_stage_options(tmp_path):
    tr = synthetic_trace(2, n=800, delay="random", cell=True)
    tabs = _run_stage(
        tmp_path,
        [tr],
        delay="random",
        arch="LSTM",
        params='{"state": "cell", "binarize": "kmeans", "horizon": "full", "exhaustive": false}',
    )
    s, e = tabs["shares"], tabs["exhaustive"]
    assert sorted(s["t"].unique()) == list(range(19))  # horizon "full": every step of the trace
    assert e.empty and list(e.columns)[:4] == ["task", "arch", "delay", "seed"]
    a = s[(s.concept_name == "A") & (s.t == 12)]
    assert a.loc[a["share"].idxmax(), "node"] == 0  # the cell state, where A sits in node 0
    # training horizon of a random-delay regime ends at the longest delay (5)
    tabs = _run_stage(tmp_path / "b", [tr], delay="random", params='{"window_end": 3}')
    assert tabs["shares"]["t"].max() == 10 + 5 - 1
    # by default the exhaustive search runs at step n_info only
    e = _run_stage(tmp_path / "c", [tr], delay="random")["exhaustive"]
    assert set(e["t"]) == {10} and len(e) == 3 * 8


def test_relay_stage_rejects_bad_input(tmp_path):
    from rnninfo.stages import relay as stage

    tr = synthetic_trace(3, n=200)
    tr["hidden"][5, 4, 2] = np.nan
    with pytest.raises(SystemExit, match="hidden contains NaN"):
        _run_stage(tmp_path, [tr])
    with pytest.raises(SystemExit, match="unknown parameter"):
        _run_stage(tmp_path, [synthetic_trace(3, n=200)], params='{"binarise": "median"}')
    with pytest.raises(SystemExit, match="does not exist"):
        stage.main(
            [
                "--task",
                "memory",
                "--arch",
                "RNN",
                "--delay",
                "1",
                "--seeds",
                "0",
                "--traces",
                str(tmp_path / "nope.npz"),
                "--greedy",
                "g",
                "--shares",
                "s",
                "--exhaustive",
                "e",
                "--null",
                "n",
                "--ceiling",
                "c",
            ]
        )
    tr = synthetic_trace(3, n=200)
    del tr["t_end"]
    with pytest.raises(SystemExit, match=r"lacks \['t_end'\]"):
        _run_stage(tmp_path, [tr])


def test_relay_stage_same_bytes(tmp_path):
    tr = synthetic_trace(4, n=300)
    _run_stage(tmp_path / "a", [tr])
    _run_stage(tmp_path / "b", [tr])
    for k in ("greedy", "shares", "exhaustive", "null", "ceiling"):
        assert (tmp_path / "a/relay" / f"{k}.tsv").read_bytes() == (tmp_path / "b/relay" / f"{k}.tsv").read_bytes()


def test_cli_entry_runs_the_stage(tmp_path):
    import subprocess
    import sys

    save_npz(tmp_path / "seed0.npz", **synthetic_trace(5, n=300))
    out = tmp_path / "r"
    cmd = [
        sys.executable,
        "-m",
        "rnninfo.cli",
        "relay",
        "--task",
        "block",
        "--arch",
        "RNN",
        "--delay",
        "3",
        "--seeds",
        "0",
        "--traces",
        str(tmp_path / "seed0.npz"),
        "--greedy",
        str(out / "g.tsv"),
        "--shares",
        str(out / "s.tsv"),
        "--exhaustive",
        str(out / "e.tsv"),
        "--null",
        str(out / "n.tsv"),
        "--ceiling",
        str(out / "c.tsv"),
        "--params",
        '{"binarize":"median"}',
    ]
    subprocess.run(cmd, check=True, capture_output=True)
    s = pd.read_csv(out / "s.tsv", sep="\t")
    assert set(s["concept_name"]) == {"size", "direction", "brightness"}


# --------------------------------------------------------------------------- null, bias, significance


def test_null_of_independent_random_nodes():
    """12 independent random nodes, n = 1000: the plug-in I_R(all) is large (bias),
    the null-corrected value is near 0 and the p-value is not small."""
    rng = np.random.default_rng(11)
    bits = rng.integers(0, 2, (1000, 12))
    xi = rng.integers(0, 2, 1000)
    xo = np.where(rng.random(1000) < 0.05, 1 - xi, xi)
    with pytest.warns(RuntimeWarning, match="mostly bias"):
        res = relay.relay_null(bits, xi, xo, n_perm=200, seed=1, n_share_perm=5)
    assert res.observed > 0.5  # the bias the null must remove
    assert abs(res.corrected) < 0.05
    assert res.p > 0.05 and res.biased
    assert res.null.shape == (200,) and res.share_null.shape == (5, 12)
    # every permuted greedy run hands out its I_R(all) as shares
    assert res.occupancy > 0.8
    # same seed, same null; p is add-one
    again = relay.relay_null(bits, xi, xo, n_perm=200, seed=1, n_share_perm=5, warn=False)
    np.testing.assert_array_equal(res.null, again.null)
    assert res.p == (1 + np.sum(res.null >= res.observed - relay.TIE_TOL)) / 201
    # the observed value is I_R of all nodes; the null values are I_R of permuted data
    assert res.observed == pytest.approx(_i3_ref(bits, xi, xo, list(range(12))), abs=1e-12)
    perm = relay.permutations(1000, 200, 1)
    k = 7
    want = _i3_ref(bits, (xi[perm[k]]), xo[perm[k]], list(range(12)))
    assert res.null[k] == pytest.approx(want, abs=1e-12)


def test_null_of_a_planted_relay_node():
    rng = np.random.default_rng(12)
    n = 1000
    xi = rng.integers(0, 2, n)
    bits = rng.integers(0, 2, (n, 6))
    bits[:, 3] = np.where(rng.random(n) < 0.05, 1 - xi, xi)
    xo = bits[:, 3].copy()
    res = relay.relay_null(bits, xi, xo, n_perm=200, seed=0, n_share_perm=10, warn=False)
    assert res.p <= 0.01
    assert res.corrected > 0.5
    # the observed greedy order (run in the null's batch) equals greedy_order
    order, info = relay.greedy_order(bits, xi, xo)
    assert list(res.order) == order and np.allclose(res.info, info, atol=1e-12)
    assert order[-1] == 3
    share = relay.relay_shares(order, info)
    assert share[3] > res.share_q95  # the planted node's share clears the null threshold
    assert (np.delete(share, 3) < 0.1).all()
    assert not res.biased


def test_batched_greedy_equals_the_table_search():
    rng = np.random.default_rng(13)
    for trial in range(12):
        n, n_nodes = int(rng.integers(30, 300)), int(rng.integers(1, 9))
        bits = (rng.random((n, n_nodes)) < rng.uniform(0.1, 0.9, n_nodes)).astype(np.uint8)
        if trial % 3 == 0:
            bits[:, -1] = bits[:, 0]  # exact ties
        xi = rng.integers(0, 2, n)
        xo = np.where(rng.random(n) < 0.2, 1 - xi, xi)
        o1, i1 = relay.greedy_order(bits, xi, xo)
        o2, i2 = relay.greedy_from_table(relay.interaction_table(bits, xi, xo))
        assert o1 == o2
        np.testing.assert_allclose(i1, i2, atol=1e-12, rtol=0)


@pytest.mark.parametrize("compiled", [False, True])
def test_batched_greedy_equals_the_table_search_both_paths(compiled):
    """The numba loop (compiled) and the numpy reference each equal the table search,
    also with exact ties (a duplicated node, a complemented node) and constant nodes."""
    rng = np.random.default_rng(17)
    for trial in range(9):
        n, n_nodes = int(rng.integers(30, 300)), int(rng.integers(1, 9))
        bits = (rng.random((n, n_nodes)) < rng.uniform(0.1, 0.9, n_nodes)).astype(np.uint8)
        if trial % 3 == 0:
            bits[:, -1] = bits[:, 0]
        if trial % 3 == 1 and n_nodes > 2:
            bits[:, 1] = 1 - bits[:, 0]
            bits[:, 2] = 0
        xi = rng.integers(0, 2, n)
        xo = np.where(rng.random(n) < 0.2, 1 - xi, xi)
        o1, i1 = relay.greedy_order(bits, xi, xo, compiled=compiled)
        o2, i2 = relay.greedy_from_table(relay.interaction_table(bits, xi, xo))
        assert o1 == o2
        np.testing.assert_allclose(i1, i2, atol=1e-12, rtol=0)


def test_compiled_null_and_greedy_equal_the_numpy_reference():
    """relay_nulls and greedy_orders: numba loops == numpy bincounts on the same
    permutations (orders exactly, values to float rounding), 12 nodes, n = 1000,
    states with many repeated and many unique rows."""
    rng = np.random.default_rng(18)
    n = 1000
    y = rng.integers(0, 2, (n, 3))
    z = rng.normal(size=(n, 12))
    z[:, :3] += 2.0 * y
    z[:, 7] = z[:, 6]  # exact ties in the greedy search
    bits = relay.binarize(z)
    bits[:, 9:] = (y[:, :1] > 0) & (rng.random((n, 3)) < 0.9)  # few distinct states in part
    xi = y.astype(np.uint8)
    xo = (y ^ (rng.random((n, 3)) < 0.1)).astype(np.uint8)
    perms = relay.permutations(n, 60, [0, 4, 1])
    fast = relay.relay_nulls(bits, xi, xo, perms=perms, n_share_perm=3, compiled=True)
    plain = relay.relay_nulls(bits, xi, xo, perms=perms, n_share_perm=3, compiled=False)
    for a, b in zip(fast, plain):
        assert a.observed == b.observed and a.occupancy == b.occupancy and a.order == b.order
        np.testing.assert_allclose(a.null, b.null, atol=1e-12, rtol=0)
        np.testing.assert_allclose(a.info, b.info, atol=1e-12, rtol=0)
        np.testing.assert_allclose(a.share_null, b.share_null, atol=1e-12, rtol=0)
        assert a.p == b.p
    # per-dataset states (two split halves) and shared states
    halves = np.stack([bits[:500], bits[500:]])
    pairs = (np.stack([xi[:500, 0], xi[500:, 1]]), np.stack([xo[:500, 0], xo[500:, 1]]))
    o1, i1 = relay.greedy_orders(halves, *pairs, compiled=True)
    o2, i2 = relay.greedy_orders(halves, *pairs, compiled=False)
    np.testing.assert_array_equal(o1, o2)
    np.testing.assert_allclose(i1, i2, atol=1e-12, rtol=0)


def test_null_rejects_bad_arguments():
    bits = np.zeros((10, 2), dtype=np.uint8)
    x = np.array([0, 1] * 5)
    with pytest.raises(ValueError, match="n_share_perm"):
        relay.relay_null(bits, x, x, n_perm=5, n_share_perm=6)
    with pytest.raises(ValueError, match="perms"):
        relay.relay_null(bits, x, x, perms=np.zeros((3, 9), dtype=int))


def test_relay_stage_null_and_ceiling(tmp_path):
    tabs = _run_stage(tmp_path, [synthetic_trace(0, n=1000), synthetic_trace(1, n=1000)], seeds=[0, 1])
    null, s, ceil = tabs["null"], tabs["shares"], tabs["ceiling"]
    onset = {"A": 3, "B": 6, "C": 9}
    # before its onset nothing is significant beyond the 5% a null allows; after, everything is
    null["onset_"] = null["concept_name"].map(onset)
    before, after = null[null.t < null.onset_], null[null.t >= null.onset_]
    assert (before["p"] <= 0.05).mean() <= 0.1
    assert (after["p"] <= 0.01).all() and (after["corrected"] > 0.5).all()
    np.testing.assert_allclose(null["corrected"], null["info_all"] - null["null_mean"], atol=1e-12)
    assert (null["null_q95"] >= null["null_mean"] - 1e-12).all()
    assert ((null["occupancy"] > 0) & (null["occupancy"] <= 1)).all()
    # significant shares: the planted nodes after the onset, nothing before
    sig = s[s.significant == 1]
    assert (sig["t"] >= sig["concept_name"].map(onset)).all()
    plant = {"A": {1}, "B": {4, 6}, "C": {7}}
    planted = s.apply(lambda r: r["node"] in plant[r["concept_name"]], axis=1)
    live = s["t"] >= s["concept_name"].map(onset)
    assert (s.loc[planted & live, "significant"] == 1).all()
    # other nodes: about the 5% false-positive rate of a 95th-percentile threshold
    assert s.loc[~planted & live, "significant"].mean() < 0.1
    # split-half ceiling: steps from onset + 1 to n_info + 4; planted nodes agree across halves
    for name, grp in ceil.groupby("concept_name"):
        assert grp["t"].min() == onset[name] + 1 and grp["t"].max() == 14
    assert (ceil["r_split"] > 0.9).mean() > 0.8 and ceil["r_split"].median() > 0.98
