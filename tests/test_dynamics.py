"""Dynamics of relayed information (stability, overlap, counts) against hand-built
share tables whose answers are known, and the relay figure stage end to end."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rnninfo import dynamics
from rnninfo.io import read_tsv, write_tsv
from rnninfo.stages.relay import SHARE_COLUMNS

N_NODES, T, N_INFO = 6, 8, 4
ONSETS = (1, 2, 3)


def _shares(kind: str, seed: int = 0, noise: float = 0.0) -> pd.DataFrame:
    """One network's share table. "stable": A in node 1, B in nodes 3 and 4, C in
    node 5 from their onsets on. "moving": A sits in node t mod N at step t."""
    rng = np.random.default_rng(seed)
    rows = []
    for t in range(T):
        for c, name in enumerate("ABC"):
            v = np.zeros(N_NODES)
            if t >= ONSETS[c]:
                if kind == "stable":
                    v[{0: [1], 1: [3, 4], 2: [5]}[c]] = {0: 0.9, 1: 0.45, 2: 0.8}[c]
                elif c == 0:
                    v[t % N_NODES] = 0.9
            v += noise * rng.random(N_NODES)
            for node in range(N_NODES):
                rows.append(("memory", "RNN", "random", seed, c, name, ONSETS[c], N_INFO, t, node, 0, v[node], 0))
    return pd.DataFrame(
        rows,
        columns=SHARE_COLUMNS,
    )


def test_pearson_and_jaccard_hand_values():
    a = np.array([1.0, 2.0, 3.0, 5.0])
    b = np.array([2.0, 1.0, 4.0, 4.0])
    assert dynamics.pearson(a, b) == pytest.approx(np.corrcoef(a, b)[0, 1], abs=1e-14)
    assert np.isnan(dynamics.pearson(a, np.full(4, 0.3)))
    assert dynamics.pearson(np.eye(6)[0], np.eye(6)[3]) == pytest.approx(-0.2, abs=1e-14)
    r = dynamics.consecutive_correlation(np.stack([a, 2 * a + 1, -a]))
    np.testing.assert_allclose(r, [1.0, -1.0], atol=1e-14)
    assert dynamics.jaccard([1, 1, 0, 0], [0, 1, 1, 0]) == pytest.approx(1 / 3)
    assert dynamics.jaccard([1, 0], [1, 0]) == 1.0
    assert np.isnan(dynamics.jaccard([0, 0], [0, 0]))
    with pytest.raises(ValueError, match="shape"):
        dynamics.jaccard([1, 0], [1, 0, 0])


def test_relaying_mask_and_counts():
    m = np.array([[0.9, 0.0, 0.02], [0.01, 0.7, 0.8], [0.0, 0.03, 0.0], [0.85, 0.0, 0.0]])
    mask = dynamics.relaying_mask(m)
    np.testing.assert_array_equal(mask, m > 0.5)
    per_node, per_concept = dynamics.membership_counts(mask)
    np.testing.assert_array_equal(per_node, [1, 2, 0, 1])
    np.testing.assert_array_equal(per_concept, [2, 1, 1])
    # no information anywhere: the 2-means split must not invent relaying nodes
    assert not dynamics.relaying_mask(np.full((4, 3), 0.01) + 0.001 * np.eye(4, 3)).any()
    np.testing.assert_array_equal(dynamics.relaying_mask(m, "threshold", 0.025), m >= 0.025)
    with pytest.raises(ValueError, match="method"):
        dynamics.relaying_mask(m, "gmm")


def test_stable_network_is_stable_and_moving_network_moves():
    shares = pd.concat([_shares("stable"), _shares("moving").assign(arch="GRU")], ignore_index=True)
    tabs = dynamics.dynamics_tables(shares, relaying="kmeans", min_share=0.05)
    corr, over = tabs["correlation"], tabs["overlap"]
    st = corr[corr.arch == "RNN"]
    # pairs start at each concept's onset and run to the last step
    assert sorted(st[st.concept == 2]["t"]) == list(range(3, T - 1))
    assert (st["t_next"] == st["t"] + 1).all()
    np.testing.assert_allclose(st["r"], 1.0, atol=1e-12)
    assert (over[over.arch == "RNN"]["jaccard"] == 1.0).all()
    mv_c = corr[(corr.arch == "GRU") & (corr.concept == 0)]
    np.testing.assert_allclose(mv_c["r"], -1 / (N_NODES - 1), atol=1e-12)
    mv_o = over[(over.arch == "GRU") & (over.concept == 0)]
    assert (mv_o["jaccard"] == 0.0).all() and (mv_o["n_relaying"] == 1).all()
    # concepts the moving network never stores: constant vectors, r undefined, no relaying nodes
    assert corr[(corr.arch == "GRU") & (corr.concept > 0)]["r"].isna().all()
    assert over[(over.arch == "GRU") & (over.concept > 0)]["jaccard"].isna().all()
    # counts at the matrix step (n_info by default)
    k = tabs["counts"][tabs["counts"].arch == "RNN"]
    assert (k["t"] == N_INFO).all()
    per_node = k[k.kind == "concepts_per_node"].set_index("index")["count"]
    assert per_node.to_dict() == {0: 0, 1: 1, 2: 0, 3: 1, 4: 1, 5: 1}
    per_concept = k[k.kind == "nodes_per_concept"].set_index("index")["count"]
    assert per_concept.to_dict() == {0: 1, 1: 2, 2: 1}
    memb = tabs["membership"]
    assert len(memb) == 2 * T * N_NODES * 3
    assert memb[(memb.arch == "RNN") & (memb.t == 5) & (memb.relaying == 1)]["node"].tolist() == [1, 3, 4, 5]


def test_dynamics_options():
    shares = _shares("stable", noise=0.01)
    tabs = dynamics.dynamics_tables(shares, start="complete", matrix_time=2)
    assert tabs["correlation"]["t"].min() == N_INFO - 1
    k = tabs["counts"]
    assert (k["t"] == 2).all()  # at step 2 only A (onset 1) and B (onset 2) are stored
    assert k[k.kind == "nodes_per_concept"].set_index("index")["count"].to_dict() == {0: 1, 1: 2, 2: 0}
    # a matrix step past the analysed steps is clamped to the last one
    assert (dynamics.dynamics_tables(shares, matrix_time=99)["counts"]["t"] == T - 1).all()
    with pytest.raises(ValueError, match="start"):
        dynamics.dynamics_tables(shares, start="end")
    with pytest.raises(ValueError, match="not complete"):
        dynamics.dynamics_tables(shares[shares.node != 2].iloc[1:])


def test_relay_dynamics_stage(tmp_path):
    from rnninfo.stages import relay_dynamics as stage

    write_tsv(_shares("stable"), tmp_path / "shares.tsv")
    out = {k: tmp_path / f"{k}.tsv" for k in ("correlation", "overlap", "membership", "counts")}
    argv = ["--shares", str(tmp_path / "shares.tsv")]
    for k, p in out.items():
        argv += [f"--{k}", str(p)]
    argv += ["--params", '{"relaying": "threshold", "min_share": 0.3}']
    assert stage.main(argv) == 0
    over = read_tsv(out["overlap"])
    assert (over["jaccard"] == 1.0).all()
    assert over.groupby("concept")["n_relaying"].max().to_dict() == {0: 1, 1: 2, 2: 1}
    with pytest.raises(SystemExit, match="unknown parameter"):
        stage.main(argv[:-1] + ['{"relay": "kmeans"}'])


def test_relay_figures_end_to_end(tmp_path):
    """relay -> relay_dynamics -> relay_figures on synthetic traces: every figure is
    drawn and the greedy-vs-optimum summary holds what the tables say."""
    from test_relay import synthetic_trace

    from rnninfo.io import save_npz
    from rnninfo.stages import relay as relay_stage
    from rnninfo.stages import relay_dynamics, relay_figures

    dirs = {}
    for arch in ("RNN", "LSTM"):
        paths = []
        for seed in (0, 1):
            p = tmp_path / "traces" / arch / f"seed{seed}.npz"
            save_npz(p, **synthetic_trace(seed + 10 * len(arch), n=600, n_nodes=8))
            paths.append(str(p))
        d = tmp_path / "relay" / arch
        relay_stage.main(
            [
                "--task",
                "memory",
                "--arch",
                arch,
                "--delay",
                "random",
                "--seeds",
                "0",
                "1",
                "--traces",
                *paths,
                "--greedy",
                str(d / "greedy.tsv"),
                "--shares",
                str(d / "shares.tsv"),
                "--exhaustive",
                str(d / "exhaustive.tsv"),
            ]
        )
        relay_dynamics.main(
            ["--shares", str(d / "shares.tsv")]
            + sum(([f"--{k}", str(d / f"{k}.tsv")] for k in ("correlation", "overlap", "membership", "counts")), [])
        )
        dirs[arch] = d
    tables = {}
    for kind in ("exhaustive", "correlation", "overlap", "counts"):
        tables[kind] = tmp_path / f"relay_{kind}.tsv"
        write_tsv(pd.concat([read_tsv(dirs[a] / f"{kind}.tsv") for a in dirs]), tables[kind])
    figs = tmp_path / "figures"
    d = dirs["LSTM"]
    calls = {
        "fig3": ["--greedy", str(d / "greedy.tsv"), "--shares", str(d / "shares.tsv"), "--params", '{"seed": 1}'],
        "fig6": ["--shares", str(d / "shares.tsv")],
        "fig7": ["--shares", str(dirs["RNN"] / "shares.tsv"), str(d / "shares.tsv")],
        "fig8": ["--table", str(tables["correlation"])],
        "fig9": ["--table", str(tables["overlap"])],
        "counts": ["--table", str(tables["counts"]), "--task", "memory", "--delay", "random"],
        "greedy": ["--table", str(tables["exhaustive"]), "--summary", str(tmp_path / "summary.tsv")],
    }
    for name, args in calls.items():
        assert relay_figures.main([name, *args, "--out", str(figs / f"{name}.png")]) == 0
        assert (figs / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    summary = read_tsv(tmp_path / "summary.tsv")
    ex = read_tsv(tables["exhaustive"])
    ex = ex[ex["t"] >= ex["onset"]]
    assert set(summary["size"]) == set(range(1, 9))
    assert summary["n"].sum() == len(ex)
    full = summary[summary["size"] == 8]
    assert (full["frac_optimal"] == 1.0).all() and (full["mean_shortfall"] == 0.0).all()
    want = ex.groupby("arch")["optimal"].mean()
    got = summary.groupby("arch").apply(lambda g: (g["frac_optimal"] * g["n"]).sum() / g["n"].sum())
    np.testing.assert_allclose(got.sort_index(), want.sort_index(), atol=1e-12)
    with pytest.raises(SystemExit, match="seed 5 not in"):
        relay_figures.main(
            ["fig6", "--shares", str(d / "shares.tsv"), "--params", '{"seed": 5}', "--out", str(figs / "x.png")]
        )
