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
            p = 0.001 if t >= ONSETS[c] and (kind == "stable" or c == 0) else 0.5  # I_R(all) significant?
            for node in range(N_NODES):
                rows.append(
                    ("memory", "RNN", "random", seed, c, name, ONSETS[c], N_INFO, t, node, 0, v[node], 0, p, 0.05, 0)
                )
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
    tabs = dynamics.dynamics_tables(shares, relaying="kmeans", window_start=1, window_end=T - 1)
    corr, over = tabs["correlation"], tabs["overlap"]
    st = corr[corr.arch == "RNN"]
    # pairs start one step after each concept's onset and run to the window's end
    assert sorted(st[st.concept == 2]["t"]) == list(range(4, T - 1))
    assert (st["t_next"] == st["t"] + 1).all() and (st["significant"] == 1).all()
    np.testing.assert_allclose(st["r"], 1.0, atol=1e-12)
    assert (over[over.arch == "RNN"]["jaccard"] == 1.0).all()
    mv_c = corr[(corr.arch == "GRU") & (corr.concept == 0)]
    np.testing.assert_allclose(mv_c["r"], -1 / (N_NODES - 1), atol=1e-12)
    mv_o = over[(over.arch == "GRU") & (over.concept == 0)]
    assert (mv_o["jaccard"] == 0.0).all() and (mv_o["n_relaying"] == 1).all()
    # concepts the moving network never stores: r undefined, not significant, no relaying nodes
    gone = corr[(corr.arch == "GRU") & (corr.concept > 0)]
    assert gone["r"].isna().all() and (gone["significant"] == 0).all()
    assert over[(over.arch == "GRU") & (over.concept > 0)]["jaccard"].isna().all()
    # per-network summary: means over the significant window pairs
    summ = tabs["summary"].set_index(["arch", "concept"])
    assert summ.loc[("RNN", 2), "n_pairs"] == T - 1 - 4 and summ.loc[("RNN", 2), "r"] == pytest.approx(1.0)
    assert summ.loc[("GRU", 0), "r"] == pytest.approx(-1 / (N_NODES - 1))
    assert summ.loc[("GRU", 1), "n_pairs"] == 0 and np.isnan(summ.loc[("GRU", 1), "r"])
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


def test_window_and_significance():
    shares = _shares("stable", noise=0.01)
    # default window end: n_info + 4, clamped to the analysed steps
    lo, hi = dynamics.window_bounds(N_INFO, ONSETS, 1, None, T)
    assert list(lo) == [2, 3, 4] and hi == min(N_INFO + 4, T - 1)
    tabs = dynamics.dynamics_tables(shares, window_start=0, window_end=5, matrix_time=2)
    corr = tabs["correlation"]
    assert corr.groupby("concept")["t"].min().to_dict() == {0: 1, 1: 2, 2: 3}
    assert corr["t_next"].max() == 5
    k = tabs["counts"]
    assert (k["t"] == 2).all()  # at step 2 only A (onset 1) and B (onset 2) are stored
    assert k[k.kind == "nodes_per_concept"].set_index("index")["count"].to_dict() == {0: 1, 1: 2, 2: 0}
    # a matrix step past the analysed steps is clamped to the last one
    assert (dynamics.dynamics_tables(shares, matrix_time=99)["counts"]["t"] == T - 1).all()
    # not significant (p > alpha) or below the threshold: never relaying
    quiet = shares.assign(p=0.5)
    assert (dynamics.dynamics_tables(quiet)["membership"]["relaying"] == 0).all()
    high = shares.assign(share_threshold=0.95)
    assert (dynamics.dynamics_tables(high)["membership"]["relaying"] == 0).all()
    # a fixed min_share replaces the null's threshold
    assert dynamics.dynamics_tables(high, min_share=0.3)["membership"]["relaying"].sum() > 0
    with pytest.raises(ValueError, match="not complete"):
        dynamics.dynamics_tables(shares[shares.node != 2].iloc[1:])


def test_relay_dynamics_stage(tmp_path):
    from rnninfo.stages import relay_dynamics as stage

    write_tsv(_shares("stable"), tmp_path / "shares.tsv")
    ceiling = _shares("stable").drop_duplicates(["seed", "concept", "t"])[["task", "arch", "delay", "seed", "concept", "concept_name", "onset", "t"]]
    write_tsv(ceiling.assign(r_split=0.8), tmp_path / "ceiling.tsv")
    out = {k: tmp_path / f"{k}.tsv" for k in ("correlation", "overlap", "membership", "counts", "summary")}
    argv = ["--shares", str(tmp_path / "shares.tsv"), "--ceiling", str(tmp_path / "ceiling.tsv")]
    for k, p in out.items():
        argv += [f"--{k}", str(p)]
    argv += ["--params", '{"relaying": "threshold", "min_share": 0.3}']
    assert stage.main(argv) == 0
    over = read_tsv(out["overlap"])
    assert (over["jaccard"] == 1.0).all()
    summ = read_tsv(out["summary"])
    assert np.allclose(summ["r_split"], 0.8) and np.allclose(summ["r"], 1.0)
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
                "--null",
                str(d / "null.tsv"),
                "--ceiling",
                str(d / "ceiling.tsv"),
                "--params",
                '{"exhaustive_steps": "all", "null_perm": 50}',
            ]
        )
        relay_dynamics.main(
            ["--shares", str(d / "shares.tsv"), "--ceiling", str(d / "ceiling.tsv")]
            + sum(
                ([f"--{k}", str(d / f"{k}.tsv")] for k in ("correlation", "overlap", "membership", "counts", "summary")),
                [],
            )
        )
        dirs[arch] = d
    tables = {}
    for kind in ("exhaustive", "correlation", "overlap", "counts", "summary", "null"):
        tables[kind] = tmp_path / f"relay_{kind}.tsv"
        write_tsv(pd.concat([read_tsv(dirs[a] / f"{kind}.tsv") for a in dirs]), tables[kind])
    figs = tmp_path / "figures"
    d = dirs["LSTM"]
    calls = {
        "fig3": ["--greedy", str(d / "greedy.tsv"), "--shares", str(d / "shares.tsv"), "--params", '{"seed": 1}'],
        "fig6": ["--shares", str(d / "shares.tsv")],
        "fig7": ["--shares", str(dirs["RNN"] / "shares.tsv"), str(d / "shares.tsv")],
        "fig8": ["--table", str(tables["summary"]), "--tests", str(tmp_path / "tests.tsv")],
        "fig9": ["--table", str(tables["summary"])],
        "counts": ["--table", str(tables["counts"]), "--task", "memory", "--delay", "random"],
        "greedy": ["--table", str(tables["exhaustive"]), "--summary", str(tmp_path / "summary.tsv")],
    }
    for name, args in calls.items():
        assert relay_figures.main([name, *args, "--out", str(figs / f"{name}.png")]) == 0
        assert (figs / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # CIs and paired tests: LSTM - RNN paired by seed equals the seed-wise differences
    tests = read_tsv(tmp_path / "tests.tsv")
    summ = read_tsv(tables["summary"])
    net = summ.groupby(["arch", "seed"])["r"].mean().unstack("arch")
    row = tests[(tests.kind == "paired") & (tests.metric == "r") & (tests.comparison == "LSTM - RNN")]
    assert row["diff"].item() == pytest.approx((net["LSTM"] - net["RNN"]).mean(), abs=1e-8)
    cond = tests[(tests.kind == "condition") & (tests.metric == "r") & (tests.arch == "RNN")]
    assert cond["mean"].item() == pytest.approx(net["RNN"].mean(), abs=1e-8)
    assert (cond["ci_low"] <= cond["mean"]).all() and (cond["mean"] <= cond["ci_high"]).all()
    # onset table: concept A holds by construction (no input before its onset), B and C are tested
    assert relay_figures.main(["onsets", "--table", str(tables["null"]), "--out", str(tmp_path / "onsets.tsv")]) == 0
    ons = read_tsv(tmp_path / "onsets.tsv").set_index(["arch", "concept_name"])
    assert ons.loc[("RNN", "A"), "basis"] == "by construction"
    assert (ons.xs("B", level="concept_name")["basis"] == "test").all()
    assert (ons["before_corrected"].abs() < 0.05).all() and (ons["at_corrected"] > 0.5).all()
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


def test_onset_table_averages_pre_onset_steps_from_the_first_input():
    """A planted leak of 0.5 bits at steps 3-5 before concept B's onset (6): the pre-onset mean is
    0.5, not diluted by the constant steps 0-2 before any input; concept A (onset 3, the first
    input) is 0 by construction over steps 0-2."""
    from rnninfo.stages.relay_figures import onset_table

    rows = []
    for seed in range(4):
        for concept, name, onset in ((0, "A", 3), (1, "B", 6)):
            for t in range(8):
                leak = 0.5 + 0.01 * seed if (concept == 1 and 3 <= t < onset) else 0.0
                value = 0.9 if t >= onset else leak
                rows.append(dict(task="memory", arch="GRU", delay="1", seed=seed, concept=concept,
                                 concept_name=name, onset=onset, t=t, corrected=value, p=0.01 if value else 1.0))
    table = onset_table(pd.DataFrame(rows)).set_index("concept_name")
    assert table.loc["A", "basis"] == "by construction" and table.loc["A", "before_corrected"] == 0.0
    assert table.loc["B", "basis"] == "test" and table.loc["B", "before_from"] == 3
    assert table.loc["B", "before_corrected"] == pytest.approx(0.515)
    assert table.loc["B", "before_frac_significant"] == pytest.approx(1.0)
    assert table.loc["B", "at_corrected"] == pytest.approx(0.9)
