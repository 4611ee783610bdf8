"""Information-flow matrix, graph statistics and ranking (rnninfo.flow); the weather flow stage is tested in test_weather_stages.py."""


import numpy as np
import pytest

from rnninfo import flow


def _awkward_activity(seed=0, windows=40, T=5):
    """7 nodes: Gaussian, driven, saturated, one-hot, rounded, constant, lag-driven."""
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((windows, T))
    b = np.zeros((windows, T))
    b[:, 1:] = np.tanh(2 * a[:, :-1]) + 0.3 * rng.standard_normal((windows, T - 1))
    sat = np.clip(2 * b, -1, 1)  # many ties at +-1
    onehot = (rng.random((windows, T)) < 0.3).astype(float)
    rounded = np.round(a + rng.standard_normal((windows, T)), 1)
    const = np.full((windows, T), 0.25)
    lag = np.roll(rounded, 1, axis=1) + 0.1 * rng.standard_normal((windows, T))
    return np.stack([a, b, sat, onehot, rounded, const, lag], axis=-1).astype(np.float32)


@pytest.mark.parametrize("measure", ["tdmi", "te"])
def test_fast_flow_terms_equal_npeet_loop_on_same_jittered_data(measure):
    act = _awkward_activity()
    with pytest.warns(UserWarning, match=r"node\(s\) \[5\] are constant"):
        ref = flow.flow_terms_npeet(act, k=3, seed=11, measure=measure)
    names = ("mi_next", "mi_now", "flow") + (("te",) if measure == "te" else ())
    for workers in (1, 2):
        with pytest.warns(UserWarning):
            fast = flow.flow_terms(act, k=3, seed=11, workers=workers, measure=measure)
        for name in names:
            f, r = getattr(fast, name), getattr(ref, name)
            assert np.array_equal(np.isnan(f), np.isnan(r)), name
            assert np.nanmax(np.abs(f - r)) < 1e-9, name
    # constant node: NaN row and column, nothing else NaN off the diagonal
    F = fast.flow
    assert np.isnan(F[5]).all() and np.isnan(F[:, 5]).all()
    assert np.isnan(np.diag(F)).all()
    off = ~np.eye(7, dtype=bool)
    off[5], off[:, 5] = False, False
    assert np.isfinite(F[off]).all()
    # flow_matrix is the same numbers
    with pytest.warns(UserWarning):
        assert np.array_equal(flow.flow_matrix(act, k=3, seed=11, measure=measure), F, equal_nan=True)
    if measure == "te":  # te is npeet's cmi on the same z-scored, jittered samples
        (jit,) = flow.ksg.jitter([flow.ksg.standardize_columns(act.reshape(-1, 7)).reshape(act.shape)], 11)
        now, nxt = flow.flow_samples(jit)
        assert abs(F[0, 1] - flow.ksg.npeet_cmi(now[:, [0]], nxt[:, [1]], now[:, [1]], 3)) < 1e-9


@pytest.mark.parametrize("measure", ["tdmi", "te"])
def test_flow_does_not_depend_on_node_units(measure):
    act = _awkward_activity()[:, :, [0, 1, 2, 4, 6]].astype(np.float64)
    scale = np.array([0.01, 30.0, 1.0, 1e3, 0.5])
    shift = np.array([5.0, -2.0, 0.0, 1e3, 7.0])
    a = flow.flow_matrix(act, k=3, seed=2, measure=measure)
    b = flow.flow_matrix(act * scale + shift, k=3, seed=2, measure=measure)
    assert np.nanmax(np.abs(a - b)) < 1e-9


def test_planted_lagged_drive_gives_directed_flow():
    rng = np.random.default_rng(3)
    windows, T = 300, 7
    a = rng.standard_normal((windows, T))
    b = np.zeros((windows, T))
    b[:, 0] = rng.standard_normal(windows)
    b[:, 1:] = 0.9 * a[:, :-1] + 0.3 * rng.standard_normal((windows, T - 1))  # A_t drives B_{t+1}
    c = rng.standard_normal((windows, T))  # independent bystander
    F = flow.flow_matrix(np.stack([a, b, c], axis=-1), k=3, seed=0, workers=2)
    # I(A_t; B_t) = 0 (A iid over time), so flow(A->B) = I(A_t; B_{t+1}) of correlation 0.9/sqrt(0.9)
    rho = 0.9 / np.sqrt(0.81 + 0.09)
    true = -0.5 * np.log2(1 - rho**2)
    assert abs(F[0, 1] - true) < 0.15, (F[0, 1], true)
    assert F[0, 1] > 1.0
    # no drive: flows are KSG noise (sd ~0.04 bits at 1800 samples)
    assert abs(F[1, 0]) < 0.15
    for i, j in [(0, 2), (2, 0), (1, 2), (2, 1)]:
        assert abs(F[i, j]) < 0.15
    # B_t is independent of B_{t+1} here, so TE(A->B) = I(A_t; B_{t+1} | B_t) has the same value
    TE = flow.flow_matrix(np.stack([a, b, c], axis=-1), k=3, seed=0, measure="te")
    assert abs(TE[0, 1] - true) < 0.15, (TE[0, 1], true)
    for i, j in [(1, 0), (0, 2), (2, 0), (1, 2), (2, 1)]:
        assert abs(TE[i, j]) < 0.15


def test_duplicated_observations_are_refused():
    act = _awkward_activity()[:, :, [0, 1, 4]]
    pooled = np.concatenate([act, act[:20]])  # 20 windows enter twice
    with pytest.raises(ValueError, match=r"activity samples .*: 160 of 240 rows \(66.7%\) have a duplicate"):
        flow.flow_matrix(pooled)
    with pytest.warns(UserWarning, match="160 of 240 rows"):
        flow.flow_matrix(pooled, on_duplicates="warn")
    assert np.isfinite(flow.flow_matrix(pooled, max_duplicate_share=None)[0, 1])
    with pytest.raises(ValueError, match="measure"):
        flow.flow_matrix(act, measure="mi")


def test_bh_qvalues_match_scipy_and_a_hand_example():
    from scipy.stats import false_discovery_control

    p = np.array([0.01, 0.04, 0.03, 0.005, np.nan])
    assert np.allclose(flow.bh_qvalues(p)[:4], [0.02, 0.04, 0.04, 0.02])
    assert np.isnan(flow.bh_qvalues(p)[4])
    rng = np.random.default_rng(0)
    for _ in range(5):
        p = np.concatenate([rng.random(60), rng.random(20) * 1e-3])
        assert np.allclose(flow.bh_qvalues(p), false_discovery_control(p, method="bh"))
        assert np.allclose(flow.bh_qvalues(p.reshape(8, 10)), false_discovery_control(p, method="bh").reshape(8, 10))
    with pytest.raises(ValueError, match="p-values"):
        flow.bh_qvalues([0.5, 1.5])


def test_surrogate_pvalues():
    null = np.arange(1.0, 20.0)[:, None]  # 19 surrogates: 1 .. 19
    obs = np.array([0.5, 10.0, 25.0, np.nan])
    null = np.repeat(null, 4, axis=1)
    p = flow.surrogate_pvalues(obs, null)
    assert np.allclose(p[:3], [20 / 20, 11 / 20, 1 / 20]) and np.isnan(p[3])
    pn = flow.surrogate_pvalues(obs, null, "normal")
    assert pn[0] > 0.9 and abs(pn[1] - 0.5) < 0.05 and pn[2] < 0.01  # t tail beyond the last surrogate
    with pytest.raises(ValueError, match="p_method"):
        flow.surrogate_pvalues(obs, null, "exact")


@pytest.mark.parametrize("measure", ["tdmi", "te"])
def test_flow_null_finds_a_planted_edge_and_is_reproducible(measure):
    rng = np.random.default_rng(5)
    windows, T = 80, 3
    a = rng.standard_normal((windows, T))
    b = np.zeros((windows, T))
    b[:, 0] = rng.standard_normal(windows)
    b[:, 1:] = np.tanh(a[:, :-1]) + 0.5 * rng.standard_normal((windows, T - 1))
    c = rng.standard_normal((windows, T))
    act = np.stack([a, b, c], axis=-1)
    res = flow.flow_null(act, k=3, seed=4, measure=measure, n_surrogates=19)
    observed, null, p = res  # unpacks as a 3-tuple
    assert null.shape == (19, 3, 3) and p.shape == (3, 3)
    assert np.array_equal(observed, flow.flow_matrix(act, k=3, seed=4, measure=measure), equal_nan=True)
    assert p[0, 1] == 1 / 20  # the planted edge beats every surrogate
    assert np.isnan(np.diag(p)).all() and np.isnan(null[:, [0, 1, 2], [0, 1, 2]]).all()
    again = flow.flow_null(act, k=3, seed=4, measure=measure, n_surrogates=19, workers=2)
    assert np.array_equal(again.null, null, equal_nan=True)
    other = flow.flow_null(act, k=3, seed=5, measure=measure, n_surrogates=19)
    assert not np.array_equal(other.null, null, equal_nan=True)
    with pytest.raises(ValueError, match="n_surrogates"):
        flow.flow_null(act, n_surrogates=0)
    with pytest.raises(ValueError, match="at least 2 windows"):
        flow.flow_null(np.random.default_rng(0).standard_normal((1, 20, 3)), n_surrogates=3)


def test_activity_errors_are_clear():
    act = _awkward_activity()[:, :, [0, 1, 2]].copy()
    bad = act.copy()
    bad[2, 3, 1] = np.nan
    with pytest.raises(ValueError, match=r"non-finite.*node\(s\) \[1\]"):
        flow.flow_matrix(bad)
    bad[2, 3, 1] = np.inf
    with pytest.raises(ValueError, match="non-finite"):
        flow.flow_matrix(bad)
    with pytest.raises(ValueError, match=r"shape \[windows, T, nodes\]"):
        flow.flow_matrix(act[:, 0, :])
    with pytest.raises(ValueError, match="at least 2 time steps"):
        flow.flow_matrix(act[:, :1, :])
    with pytest.raises(ValueError, match="at least 2 nodes"):
        flow.flow_matrix(act[:, :, :1])
    with pytest.raises(ValueError, match="too few samples.*at least k\\+1 = 4, got 3"):
        flow.flow_matrix(act[:1, :4, :], k=3)  # 1 window x 3 step pairs


def test_adjacency_degrees_and_correlation():
    f = np.array(
        [
            [np.nan, 0.5, 0.2, np.nan],
            [0.1, np.nan, 0.3, 0.0],
            [0.25, 0.2, np.nan, 0.9],
            [np.nan, np.nan, np.nan, np.nan],
        ]
    )
    adj = flow.adjacency(f, 0.2)  # strictly above; NaN and diagonal never
    assert adj.tolist() == [
        [False, True, False, False],
        [False, False, True, False],
        [True, False, False, True],
        [False, False, False, False],
    ]
    d_in, d_out = flow.degrees(adj)
    assert d_in.tolist() == [1, 1, 1, 1] and d_out.tolist() == [1, 1, 2, 0]
    star = np.zeros((5, 5), bool)
    star[0, 1:] = True  # hub sends to 4 leaves
    assert flow.degree_correlation(star)["pearson"] == pytest.approx(-1.0)
    assert np.isnan(flow.degree_correlation(np.zeros((3, 3), bool))["pearson"])


def _layered(sizes):
    """Fully connected feed-forward layers: edges from every node of layer l to every node of l+1."""
    idx = np.cumsum([0] + list(sizes))
    adj = np.zeros((idx[-1], idx[-1]), bool)
    for l in range(len(sizes) - 1):
        adj[idx[l] : idx[l + 1], idx[l + 1] : idx[l + 2]] = True
    return adj, np.repeat(np.arange(len(sizes)), sizes)


def test_rank_orders_feed_forward_layers_and_keeps_isolated_nodes_at_zero():
    adj, layer = _layered([3, 4, 4, 2])
    m = adj.shape[0]
    full = np.zeros((m + 2, m + 2), bool)  # two isolated nodes at the end
    full[:m, :m] = adj
    ranks = flow.rank_nodes(full, tol=1e-12)
    assert ranks[m:].tolist() == [0.0, 0.0]
    means = [ranks[:m][layer == l] for l in range(4)]
    for l in range(4):
        assert np.ptp(means[l]) < 1e-8  # a layer shares one rank
    assert np.allclose(np.diff([v.mean() for v in means]), 1.0, atol=1e-8)  # one step per layer
    names = np.array(["input"] * 3 + ["hidden"] * 8 + ["output"] * 2 + ["hidden"] * 2)
    linked = (full.sum(0) + full.sum(1)) > 0
    score = flow.order_score(ranks, names, include=linked)
    assert score["all"] == 1.0 and score["input_hidden"] == 1.0 and score["hidden_output"] == 1.0
    assert score["kendall_tau"] > 0.8
    # a chain A->B->C->D: ranks one apart, degree-weighted mean 0
    chain = np.eye(4, k=1, dtype=bool)
    assert np.allclose(flow.rank_nodes(chain, tol=1e-12), [-1.5, -0.5, 0.5, 1.5], atol=1e-9)
    # reversed order scores 0
    rev = flow.order_score(-ranks, names, include=linked)
    assert rev["all"] == 0.0 and rev["kendall_tau"] < -0.8


def test_rank_is_the_fixed_point_of_the_paper_equation_on_random_graphs():
    for seed in range(5):
        rng = np.random.default_rng(seed)
        m = 14
        adj = rng.random((m, m)) < 0.15
        np.fill_diagonal(adj, False)
        ranks = flow.rank_nodes(adj, tol=1e-13, max_iter=200_000)
        n_in, n_out = adj.sum(0), adj.sum(1)
        deg = n_in + n_out
        for i in range(m):
            if deg[i] == 0:
                assert ranks[i] == 0.0
                continue
            rhs = (np.sum(ranks[adj[:, i]] + 1) + np.sum(ranks[adj[i, :]] - 1)) / deg[i]
            assert ranks[i] == pytest.approx(rhs, abs=1e-9)
        # ground truth from linear algebra: Laplacian system, degree-weighted mean 0 per component
        import scipy.sparse.csgraph as cg

        sym = (adj | adj.T).astype(float)
        lap = np.diag(deg) - (adj.astype(float) + adj.T)
        r_ls = np.linalg.lstsq(lap, n_in - n_out, rcond=None)[0]
        _, comp = cg.connected_components(sym, directed=False)
        for c in np.unique(comp):
            sel = comp == c
            if deg[sel].sum():
                r_ls[sel] -= (deg[sel] * r_ls[sel]).sum() / deg[sel].sum()
                assert np.allclose(ranks[sel], r_ls[sel], atol=1e-7)


def test_literal_update_oscillates_and_the_cap_is_reported():
    edge = np.array([[False, True], [False, False]])
    assert np.allclose(flow.rank_nodes(edge), [-0.5, 0.5])
    with pytest.warns(flow.RankingNotConverged, match="not converged after 50 iterations"):
        r = flow.rank_nodes(edge, step=1.0, max_iter=50)
    assert np.allclose(np.abs(r), 0.0) or np.allclose(np.abs(r), 1.0)  # (0,0) <-> (-1,1)
    with pytest.raises(RuntimeError, match="not converged"):
        flow.rank_nodes(edge, step=1.0, max_iter=50, on_max_iter="raise")
    res = flow.rank_iterate(edge, step=1.0, max_iter=51)
    assert not res.converged and res.max_change == pytest.approx(1.0)
    with pytest.raises(ValueError, match="square"):
        flow.rank_nodes(np.zeros((2, 3), bool))
    with pytest.raises(ValueError, match="step"):
        flow.rank_nodes(edge, step=0.0)


def test_order_score_counts_ties_as_half():
    ranks = np.array([0.0, 1.0, 1.0, 2.0])
    layers = np.array(["input", "input", "hidden", "output"])
    s = flow.order_score(ranks, layers)
    assert s["input_hidden"] == 0.75  # (0<1) + tie/2 over 2 pairs
    assert s["hidden_output"] == 1.0 and s["input_output"] == 1.0
    assert s["all"] == pytest.approx((1.5 + 1 + 2) / 5)
    assert np.isnan(flow.order_score(ranks, np.array(["input"] * 4))["all"])
    with pytest.raises(ValueError, match="unknown layer"):
        flow.order_score(ranks, np.array(["in", "input", "hidden", "output"]))


def test_adjacent_order_counts_adjacent_layer_pairs_and_ties():
    layers = np.array(["input", "layer1", "layer1", "layer2", "output"])
    include = np.ones(5, bool)
    assert flow.adjacent_order([0, 1, 1, 2, 3], layers, include) == 1.0
    assert flow.adjacent_order([3, 2, 2, 1, 0], layers, include) == 0.0
    # input-layer1: 2 pairs in order; layer1-layer2: one in order, one tie (1/2); layer2-output: in order
    assert flow.adjacent_order([0, 1, 2, 2, 3], layers, include) == (2 + 1.5 + 1) / 5
    assert flow.adjacent_order([0, 1, 3, 2, 3], layers, include) == (2 + 1 + 0 + 1) / 5
    # excluded nodes do not count; no pair left gives NaN
    assert np.isnan(flow.adjacent_order([0, 1, 1, 2, 3], layers, np.zeros(5, bool)))


@pytest.mark.parametrize("measure", ["tdmi", "te"])
def test_flow_null_on_a_pair_mask_equals_the_full_run_there(measure):
    act = _awkward_activity(seed=6, windows=20, T=3)
    m = act.shape[2]
    pairs = np.random.default_rng(0).random((m, m)) < 0.3
    for engine in flow.ENGINES:
        with pytest.warns(UserWarning, match="constant"):
            full = flow.flow_null(act, seed=[4, 2], measure=measure, n_surrogates=3, p_method="normal", engine=engine)
        with pytest.warns(UserWarning, match="constant"):
            part = flow.flow_null(act, seed=[4, 2], measure=measure, n_surrogates=3, p_method="normal",
                                  engine=engine, pairs=pairs)
        for name in ("observed", "null", "p"):
            got, want = getattr(part, name), getattr(full, name)
            assert np.array_equal(got, np.where(pairs, want, np.nan), equal_nan=True), (engine, name)
        assert np.isfinite(part.null[:, pairs & np.isfinite(full.observed)]).all()
    with pytest.raises(ValueError, match="pairs"):
        flow.flow_null(act, seed=1, n_surrogates=3, pairs=np.ones((m, m)))


def _network_acts(windows=30, T=4):
    """A weather_flow activations dict: 2 inputs, 3 hidden units, 2 outputs (one snapshot)."""
    act = _awkward_activity(seed=8, windows=windows, T=T)[..., [0, 1, 2, 3, 4, 6]].astype(np.float64)
    out = np.stack([act[..., 1] + act[..., 2], np.tanh(act[..., 4])], axis=-1)
    return dict(inputs=act[..., [0, 3]], hidden=act[None][..., [1, 2, 5]], outputs=out[None])


@pytest.mark.parametrize("samples", ["last_pair", "nonoverlapping"])
def test_weather_flow_shares_non_output_pairs_across_output_lags(samples):
    from rnninfo.stages import weather_flow as wf

    activity, names, layers = wf.network_nodes(_network_acts())
    out = layers == "output"
    touches = out[:, None] | out[None, :]
    p = {**wf.DEFAULTS, "samples": samples, "n_surrogates": 4}
    for measure in wf.MEASURES:
        res = wf.condition_flows(activity, layers, p, seed=3, measure=measure)
        # every lag equals a direct full computation on its own samples with its seed
        for lag, (act, got) in res.items():
            seed = wf.condition_seed(p, 3, measure, lag)
            want = flow.flow_null(act, k=3, seed=seed, measure=measure, n_surrogates=4, p_method="normal")
            for g, w in zip(got, want):
                assert np.array_equal(g, w, equal_nan=True), (measure, lag)
        (act0, r0), (act1, r1) = res[0], res[1]
        assert not np.array_equal(r0.observed[touches], r1.observed[touches], equal_nan=True)  # the lag matters
        same = [np.array_equal(a[..., ~touches], b[..., ~touches], equal_nan=True) for a, b in zip(r0, r1)]
        if samples == "last_pair":  # same non-output data, one draw per measure: identical entries
            assert wf.condition_seed(p, 3, measure, 0) == wf.condition_seed(p, 3, measure, 1)
            assert np.array_equal(act0[..., ~out], act1[..., ~out]) and all(same)
        else:  # lag 1 drops step 0 of every node: nothing to share, a draw per lag as before
            assert wf.condition_seed(p, 3, measure, 0) != wf.condition_seed(p, 3, measure, 1)
            assert act0.shape != act1.shape and not any(same)
