"""Public analyses of users' traces and models (issue 12): relay_table, knockout on a
trained model of the test's own, PCA orders, generalisation, wide layers, bad input."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import rnninfo
from rnninfo import relay
from rnninfo.recording import Trace


def _planted_trace(n=600, T=3, N=8, node=3, t_on=1, seed=0):
    """Random continuous units; unit `node` carries concept 0 from step `t_on` on."""
    rng = np.random.default_rng(seed)
    labels = rng.choice([-1, 1], size=(n, 2))
    h = rng.normal(size=(n, T, N))
    h[:, t_on:, node] += 3.0 * labels[:, 0, None]
    return Trace(hidden=h), labels


@pytest.mark.filterwarnings("ignore::rnninfo.api.RelayBiasWarning")
def test_relay_table_finds_planted_unit_with_significance():
    tr, labels = _planted_trace()
    table = rnninfo.relay_table(tr, labels, answers=labels, n_perm=99, seed=0)
    assert list(table.columns[:4]) == ["concept", "concept_name", "t", "node"]
    assert len(table) == 2 * 3 * 8  # concepts x steps x nodes
    after = table[(table.concept == 0) & (table.t == 1)]
    best = after.loc[after["share"].idxmax()]
    assert best["node"] == 3 and bool(best["relaying"])
    assert after["rank"].max() == after.loc[after.node == 3, "rank"].iloc[0]  # stays to the end
    assert after["p"].iloc[0] <= 0.01 and after["corrected"].iloc[0] > 0.5
    np.testing.assert_allclose(after["share"].sum(), after["info_all"].iloc[0], atol=1e-9)
    before = table[(table.concept == 0) & (table.t == 0)]
    assert before["p"].iloc[0] > 0.01  # nothing planted before the onset
    other = table[table.concept == 1]
    assert (other["p"] > 0.01).mean() >= 2 / 3
    # names, ±1 and 0/1 labels agree; answers default to the output signs
    named = rnninfo.relay_table(tr, (labels > 0).astype(int), answers=labels, times=[1], n_perm=19, names=["a", "b"])
    assert set(named["concept_name"]) == {"a", "b"}
    np.testing.assert_allclose(named.loc[named.concept == 0, "share"].to_numpy(), after["share"].to_numpy())
    with_out = Trace(hidden=tr.hidden, outputs=labels.astype(float))
    same = rnninfo.relay_table(with_out, labels, times=[1], n_perm=19)
    np.testing.assert_allclose(same["share"].to_numpy(), named["share"].to_numpy())


def test_relay_table_bad_input_names_argument():
    tr, labels = _planted_trace(n=50)
    with pytest.raises(ValueError, match=r"labels: expected binary values.*found values \[0, 1, 2\]"):
        rnninfo.relay_table(tr, np.tile([0, 1, 2], 50)[:50, None], answers=labels[:, :1])
    with pytest.raises(ValueError, match=r"labels: expected 50 rows.*found shape \(49, 2\)"):
        rnninfo.relay_table(tr, labels[:49], answers=labels)
    with pytest.raises(ValueError, match=r"labels: expected shape \[batch=50, C\].*found shape \(50, 2, 1\)"):
        rnninfo.relay_table(tr, labels[:, :, None], answers=labels)
    with pytest.raises(ValueError, match=r"answers: expected shape \[50, 2\] \(as labels\), found shape \(50, 3\)"):
        rnninfo.relay_table(tr, labels, answers=np.ones((50, 3)))
    with pytest.raises(ValueError, match="answers: not given and the trace has no outputs"):
        rnninfo.relay_table(tr, labels)
    with pytest.raises(ValueError, match=r"times: steps \[5\] outside 0..2"):
        rnninfo.relay_table(tr, labels, answers=labels, times=[5])
    with pytest.raises(ValueError, match=r"trace key 'hidden': expected shape \[batch, T, N\], found shape \(50, 8\)"):
        rnninfo.relay_table(np.zeros((50, 8)), labels, answers=labels)


def _i3_unique(bits, xi, xo, nodes):
    """Independent plug-in I3(S) with np.unique over rows (no packed integer codes)."""
    def h(*cols):
        a = np.column_stack(cols) if cols else np.zeros((len(xi), 1))
        _, c = np.unique(a, axis=0, return_counts=True)
        p = c / c.sum()
        return float(-(p * np.log2(p)).sum())
    s = bits[:, nodes]
    if not len(nodes):
        return 0.0
    return (h(s) - h(s, xi) - h(s, xo) + h(s, xi, xo) + h(xi) + h(xo) - h(xi, xo))


@pytest.mark.parametrize("n_nodes", [40, 100])
def test_greedy_on_wide_layers_finds_planted_node(n_nodes):
    """Codes wider than 63 bits: a planted relay among sparse random nodes is kept to the end,
    and every greedy value equals an independent np.unique plug-in."""
    rng = np.random.default_rng(n_nodes)
    n = 3000
    bits = (rng.random((n, n_nodes)) < 0.01).astype(np.uint8)
    xi = rng.integers(0, 2, n).astype(np.uint8)
    flip = rng.random(n) < 0.1
    xo = np.where(flip, 1 - xi, xi).astype(np.uint8)
    planted = 57 % n_nodes + (n_nodes > 63) * 6  # 63 for N=100: beyond the first 63 bits
    bits[:, planted] = xi
    order, info = relay.greedy_order(bits, xi, xo)
    assert order[-1] == planted
    total = _i3_unique(bits, xi, xo, list(range(n_nodes)))
    for k in (0, 1, n_nodes // 2, n_nodes - 1):  # I_R of the set left before order[k] leaves
        y0 = sorted(order[:k])
        assert info[k] == pytest.approx(total - _i3_unique(bits, xi, xo, y0), abs=1e-9)


def test_dense_wide_layer_warns_and_top_k_recovers():
    """N = 100 dense random units: every state unique, the estimate is bias and says so;
    restricting to the top-k single-node units finds the planted one."""
    rng = np.random.default_rng(1)
    n, N = 400, 100
    labels = rng.integers(0, 2, (n, 1))
    h = rng.normal(size=(n, 1, N))
    h[:, 0, 63] += 3 * (2 * labels[:, 0] - 1)
    tr = Trace(hidden=h)
    with pytest.warns(rnninfo.RelayBiasWarning, match="top_k"):
        table = rnninfo.relay_table(tr, labels, answers=labels, n_perm=20, n_share_perm=1)
    assert table["occupied"].iloc[0] > 0.9
    with warnings.catch_warnings():
        warnings.simplefilter("error", rnninfo.RelayBiasWarning)
        small = rnninfo.relay_table(tr, labels, answers=labels, n_perm=50, top_k=4)
    kept = small[small.analysed]
    assert len(kept) == 4 and 63 in set(kept.node)
    assert kept.loc[kept["share"].idxmax(), "node"] == 63
    assert small.loc[~small.analysed, "share"].isna().all()


# --------------------------------------------------------------------------- a trained model of the test's own

torch = pytest.importorskip("torch")


def _task(n, rng):
    """Two ±1 cues at steps 0 and 1 on two channels, then 4 blank steps; answer both at the end."""
    y = rng.choice([-1.0, 1.0], size=(n, 2))
    x = np.zeros((n, 6, 2), dtype=np.float32)
    x[:, 0, 0] = y[:, 0]
    x[:, 1, 1] = y[:, 1]
    x += rng.normal(scale=0.1, size=x.shape).astype(np.float32)
    return x, y


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = torch.nn.GRU(2, 12, batch_first=True)
        self.head = torch.nn.Linear(12, 2)

    def forward(self, x):
        return self.head(self.gru(x)[0])


@pytest.fixture(scope="module")
def trained():
    rng = np.random.default_rng(0)
    torch.manual_seed(0)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny matrices: threads only contend
    net = Net()
    opt = torch.optim.Adam(net.parameters(), lr=0.02)
    for _ in range(150):
        x, y = _task(128, rng)
        loss = torch.nn.functional.mse_loss(net(torch.from_numpy(x))[:, -1], torch.from_numpy(y).float())
        opt.zero_grad()
        loss.backward()
        opt.step()
    torch.set_num_threads(threads)
    x, y = _task(600, np.random.default_rng(1))
    return net, x, y


@pytest.mark.filterwarnings("ignore::rnninfo.api.RelayBiasWarning")
def test_knockout_relay_units_cost_more_than_random(trained):
    net, x, y = trained
    est, ev = np.arange(0, 300), np.arange(300, 600)  # relay order and accuracy on disjoint halves
    base = rnninfo.accuracy(net(torch.from_numpy(x[ev])).detach().numpy(), y[ev])
    assert base.min() > 0.95
    tr = rnninfo.record(net, x[est])
    table = rnninfo.relay_table(tr, y[est], times=[2], n_perm=20)
    state = {k: v.clone() for k, v in net.state_dict().items()}
    rng = np.random.default_rng(0)
    for c in (0, 1):
        d = table[table.concept == c].sort_values("rank")
        top = d["node"].to_numpy()[-6:].tolist()  # the last six to leave: the top relays
        hit = rnninfo.accuracy(rnninfo.knockout(net, x[ev], nodes=top, time=2), y[ev])[c]
        rand = [
            rnninfo.accuracy(rnninfo.knockout(net, x[ev], nodes=rng.choice(12, 6, replace=False).tolist(), time=2),
                             y[ev])[c]
            for _ in range(10)
        ]
        assert hit < np.mean(rand) - 0.1, (c, hit, rand)
    for k, v in net.state_dict().items():
        assert torch.equal(v, state[k])


@pytest.mark.filterwarnings("ignore::rnninfo.api.RelayBiasWarning")
def test_pca_table_and_generalization(trained):
    net, x, y = trained
    tr = rnninfo.record(net, x[:200])
    pt = rnninfo.pca_table(tr, y[:200], t=2, n_random=2, seed=0)
    assert set(pt["order"]) == {"relay", "supervised", "random"}
    assert len(pt) == 2 * (1 + 1 + 2) * 12 * 3
    sil = pt[(pt.metric == "silhouette") & (pt.removed == 0)]
    assert sil["value"].nunique() == 2  # nothing removed yet: the same PCA for every order, per concept
    # removing the top relays last keeps the concept separated longer than random removal
    late = pt[(pt.metric == "silhouette") & (pt.removed == 9)]
    relay_s = late[late.order == "relay"].groupby("concept")["value"].mean()
    rand_s = late[late.order == "random"].groupby("concept")["value"].mean()
    assert (relay_s > rand_s).all()

    def make_input(delay):
        rng = np.random.default_rng(delay)
        y2 = rng.choice([-1.0, 1.0], size=(300, 2))
        x2 = np.zeros((300, 2 + delay, 2), dtype=np.float32)
        x2[:, 0, 0], x2[:, 1, 1] = y2[:, 0], y2[:, 1]
        return x2, y2

    g = rnninfo.generalization_table(net, make_input, conditions=[4, 40])
    acc = g.groupby("condition")["accuracy"].mean()
    assert acc[4] > 0.95  # the trained delay
    assert ((g["ci_low"] <= g["accuracy"]) & (g["accuracy"] <= g["ci_high"])).all()
    with pytest.raises(ValueError, match="make_input"):
        rnninfo.generalization_table(net, lambda c: None, conditions=[1])


@pytest.mark.filterwarnings("ignore::rnninfo.api.RelayBiasWarning")
def test_plot_relay_figures():
    tr, labels = _planted_trace(n=200)
    table = rnninfo.relay_table(tr, labels, answers=labels, n_perm=19)
    fig3, fig6 = rnninfo.plot_relay(table)
    assert len(fig3.axes) == 4 and len(fig6.axes) >= 2
    with pytest.raises(ValueError, match="lacks column"):
        rnninfo.plot_relay(pd.DataFrame({"concept": [0]}))


def test_example_own_gru_runs(tmp_path):
    """examples/own_gru.py trains its own GRU and runs every analysis; its knockout claim holds."""
    import re
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "examples" / "own_gru.py"
    proc = subprocess.run([sys.executable, str(script), "--out", str(tmp_path)], capture_output=True, text=True,
                          timeout=900)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    acc = re.search(r"accuracy \(colour, shape\): \[([\d.]+) ([\d.]+)\]", proc.stdout)
    assert acc and min(float(acc[1]), float(acc[2])) > 0.95
    ko = re.search(r"top-24 relay units out ([\d.]+); random 24 out ([\d.]+)", proc.stdout)
    assert ko and float(ko[1]) < float(ko[2]) - 0.1, proc.stdout
    sil = re.search(r"'random': ([\d.-]+), 'relay': ([\d.-]+)", proc.stdout)
    assert sil and float(sil[2]) > float(sil[1])
    assert "mean flow rank" in proc.stdout
    assert (tmp_path / "own_gru.png").stat().st_size > 10_000
