"""Relay-guided PCA: cluster scores on planted classes, node removal that drops pure
noise, reproducible random orders, and the `pca` stage on a synthetic trace."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score

import rnninfo.pca as pca
from rnninfo.io import read_tsv, save_npz


def _blobs(rng, n=300, gap=3.0):
    label = rng.integers(0, 2, n)
    z = rng.normal(size=(n, 2))
    z[:, 0] += gap * label
    return z, label


def test_planted_classes_score_better_than_shuffled_labels():
    rng = np.random.default_rng(0)
    z, label = _blobs(rng)
    planted = pca.cluster_scores(z, label)[0]
    shuffled = pca.cluster_scores(z, rng.permutation(label))[0]
    sil, db, ch = 0, 1, 2
    assert planted[sil] > 0.3 > shuffled[sil]
    assert planted[db] < shuffled[db]  # Davies-Bouldin: lower is better
    assert planted[ch] > 10 * shuffled[ch]


def test_scores_are_sklearns():
    rng = np.random.default_rng(1)
    z, label = _blobs(rng, n=120, gap=1.0)
    other = rng.integers(0, 3, 120)
    got = pca.cluster_scores(z, np.stack([label, other], axis=1))
    for j, lab in enumerate((label, other)):
        assert got[j, 0] == pytest.approx(silhouette_score(z, lab), abs=1e-12)
        assert got[j, 1] == pytest.approx(davies_bouldin_score(z, lab), abs=1e-12)
        assert got[j, 2] == pytest.approx(calinski_harabasz_score(z, lab), abs=1e-9)


@pytest.mark.parametrize("k", [1, 2, 3])
def test_scores_from_sums_equal_sklearn_to_1e9_on_many_point_sets(k):
    rng = np.random.default_rng(10 + k)
    n = 400
    zs = rng.normal(size=(6, n, k)) * rng.uniform(0.1, 50, size=(6, 1, k))  # scale must not matter to exactness
    labels = np.stack([rng.integers(0, 2, n), (zs[0, :, 0] > 0).astype(int)], axis=1)
    zs[3] = np.round(zs[3])  # ties and repeated points
    zs[4, :, :] = zs[4, :1, :]  # no spread: NaN
    labels_one = labels.copy()
    labels_one[0, 0] = 2  # a class with a single member: its silhouette is 0 (sklearn's rule)
    for lab in (labels, labels_one):
        got = pca.cluster_scores(zs, lab)  # (6, 2, 3)
        for b in range(6):
            for j in range(2):
                if b == 4:
                    assert np.isnan(got[b, j]).all()
                    continue
                ref = (silhouette_score(zs[b], lab[:, j]), davies_bouldin_score(zs[b], lab[:, j]),
                       calinski_harabasz_score(zs[b], lab[:, j]))
                np.testing.assert_allclose(got[b, j], ref, rtol=1e-9, atol=1e-9)


def test_distances_are_scipys_cdist_exactly():
    from scipy.spatial.distance import cdist

    rng = np.random.default_rng(9)
    for k in (1, 2, 3):
        z = rng.normal(size=(70, k)) * 30
        work = (np.empty((70, 70)), np.empty((70, 70)))
        np.testing.assert_array_equal(pca._distances(z, *work), cdist(z, z))


def test_projection_is_sklearns():
    from sklearn.decomposition import PCA

    rng = np.random.default_rng(5)
    a = rng.normal(size=(300, 7)) @ rng.normal(size=(7, 7)) + 4.0
    for k, cols in ((2, slice(None)), (2, slice(0, 3)), (1, slice(0, 1)), (3, slice(None))):
        ref = PCA(n_components=k, svd_solver="full").fit_transform(a[:, cols])
        np.testing.assert_allclose(pca.project(a[:, cols], k), ref, atol=1e-9)


def test_node_label_information_closed_forms_and_sklearn():
    from sklearn.metrics import mutual_info_score

    rng = np.random.default_rng(6)
    label = rng.integers(0, 2, 4000)
    copy = label.copy()
    flip = np.where(rng.random(4000) < 0.1, 1 - label, label)  # binary symmetric channel, p = 0.1
    noise = rng.integers(0, 2, 4000)
    bits = np.stack([noise, copy, flip, np.zeros(4000, int)], axis=1)
    info = pca.node_label_information(bits, label)
    h = lambda q: -q * np.log2(q) - (1 - q) * np.log2(1 - q)  # noqa: E731
    p1 = label.mean()
    assert info[1] == pytest.approx(h(p1), abs=1e-12)  # a copy carries all of H(label)
    assert info[2] == pytest.approx(h(p1) - h(0.1), abs=0.02)  # channel capacity-like closed form, up to sampling
    assert info[3] == 0.0  # a constant node carries nothing
    for j in range(4):
        assert info[j] == pytest.approx(mutual_info_score(label, bits[:, j]) / np.log(2), abs=1e-12)


def test_supervised_order_least_informative_first_ties_to_lower_index():
    rng = np.random.default_rng(7)
    label = rng.integers(0, 2, 1000)
    strong = label
    weak = np.where(rng.random(1000) < 0.3, 1 - label, label)
    const = np.zeros(1000, int)
    bits = np.stack([strong, const, weak, const, strong], axis=1)
    # constants (tie: 1 before 3), then the weak node, then the copies (tie: 0 before 4)
    assert pca.supervised_order(bits, label) == [1, 3, 2, 0, 4]
    with pytest.raises(ValueError, match="0/1"):
        pca.supervised_order(bits * 2, label)


def test_removal_scores_of_several_orders_equal_one_at_a_time():
    rng = np.random.default_rng(8)
    states, label = _planted_states(rng, n=200)
    orders = np.concatenate([pca.random_orders(8, 3, rng), [np.arange(8)]])
    labels = np.stack([label, rng.integers(0, 2, 200)], axis=1)
    together = pca.removal_scores(states, orders, labels)  # (4, 8, 2, 3)
    for r, o in enumerate(orders):
        np.testing.assert_array_equal(together[r], pca.removal_scores(states, o, labels))


def test_points_that_do_not_spread_score_nan():
    assert np.isnan(pca.cluster_scores(np.zeros((10, 2)), np.arange(10) % 2)).all()


def _planted_states(rng, n=300, n_signal=2, n_noise=6):
    """Signal nodes carry the class (+-1 plus small jitter); noise nodes are wide and carry nothing."""
    label = rng.integers(0, 2, n)
    signal = (2 * label[:, None] - 1) + 0.3 * rng.normal(size=(n, n_signal))
    noise = 3.0 * rng.normal(size=(n, n_noise))
    return np.concatenate([noise, signal], axis=1), label  # nodes 0..5 noise, 6, 7 signal


def test_removing_pure_noise_nodes_first_improves_silhouette():
    rng = np.random.default_rng(2)
    states, label = _planted_states(rng)
    relay_like = list(range(8))  # noise first, signal last
    sc = pca.removal_scores(states, relay_like, label)  # (8, 1, 3)
    sil = sc[:, 0, 0]
    assert sil[6] > sil[0] + 0.3  # only the signal nodes left: the classes separate
    assert sil[6] > 0.5
    # random orders do worse, on average, once as many nodes are gone
    orders = pca.random_orders(8, 10, np.random.default_rng(3))
    random_sil = np.mean([pca.removal_scores(states, o, label)[6, 0, 0] for o in orders])
    assert sil[6] > random_sil + 0.1
    # and removing the signal first destroys the separation
    assert pca.removal_scores(states, [7, 6, 0, 1, 2, 3, 4, 5], label)[2, 0, 0] < 0.1


def test_random_orders_are_reproducible_permutations():
    a = pca.random_orders(12, 5, np.random.default_rng([2024, 0x5043, 0]))
    b = pca.random_orders(12, 5, np.random.default_rng([2024, 0x5043, 0]))
    c = pca.random_orders(12, 5, np.random.default_rng([2024, 0x5043, 1]))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert all(sorted(o) == list(range(12)) for o in a)
    assert pca.random_orders(12, 0, np.random.default_rng(0)).shape == (0, 12)


def test_project_and_label_states():
    rng = np.random.default_rng(4)
    states = rng.normal(size=(50, 5))
    z = pca.project(states)
    assert z.shape == (50, 2)
    np.testing.assert_array_equal(z, pca.project(states))  # deterministic, signs included
    assert pca.project(states[:, :1]).shape == (50, 1)
    assert np.allclose(z.mean(axis=0), 0)
    y = np.array([[-1, -1, -1], [-1, -1, 1], [1, -1, 1], [1, 1, 1]])
    np.testing.assert_array_equal(pca.label_states(y), [0, 1, 5, 7])
    with pytest.raises(ValueError, match="permutation"):
        pca.removal_scores(states, [0, 1, 2], rng.integers(0, 2, 50))


def _planted_traces(tmp_path, seeds=(0, 1), n=160, T=6, H=6):
    """Node k carries concept k (+-1 plus jitter); the other nodes are wide noise; answers are right."""
    traces = []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        y = rng.choice([-1.0, 1.0], size=(n, 3)).astype(np.float32)
        hidden = 2.0 * rng.normal(size=(n, T, H))
        hidden[:, :, :3] = y[:, None, :] + 0.2 * rng.normal(size=(n, T, 3))
        outputs = np.repeat(0.9 * y[:, None, :], T, axis=1)
        tr = dict(x=np.zeros((n, T, 3), np.float32), y=y, hidden=hidden.astype(np.float32),
                  outputs=outputs.astype(np.float32), t_end=np.full(n, T - 1, dtype=np.int64), n_info=np.int64(4))
        path = tmp_path / f"seed{seed}.npz"
        save_npz(path, **tr)
        traces.append((str(path), tr))
    return traces


def _run_seed(stage, tmp_path, seed, trace, params):
    out = {k: str(tmp_path / f"seed{seed}.{k}.tsv") for k in ("scores", "projection")}
    stage.main(["--task", "memory", "--arch", "RNN", "--delay", "random", "--seed", str(seed), "--trace", trace,
                "--scores", out["scores"], "--projection", out["projection"], "--params", params])
    return out


def test_pca_stage_on_a_planted_trace(tmp_path):
    from rnninfo.stages import pca as stage
    from rnninfo.stages import pca_summary

    traces = _planted_traces(tmp_path)
    params = '{"random_orders": 4, "panels": [0, 3], "figure_seed": 0}'
    outs = [_run_seed(stage, tmp_path, seed, path, params) for seed, (path, _) in enumerate(traces)]
    summ = {k: str(tmp_path / f"{k}.tsv") for k in ("scores", "summary", "tests")}
    pca_summary.main(["--inputs", *(o["scores"] for o in outs), "--scores", summ["scores"],
                      "--summary", summ["summary"], "--tests", summ["tests"]])
    scores = read_tsv(summ["scores"])
    assert set(scores["time"]) == {3}  # n_info - 1: one fixed step, not the readout
    assert set(scores["n_estimate"]) == {80} and set(scores["n_evaluate"]) == {80}
    for order in ("relay", "supervised"):
        o = scores[scores["order"] == order]
        kept = {(s, c): set(range(6)) - set(o[(o["seed"] == s) & (o["concept"] == c)]["removed"])
                for s in (0, 1) for c in range(3)}
        assert all(kept[key] == {key[1]} for key in kept), (order, kept)  # the concept's own node is left last
    assert len(scores) == 2 * 3 * 6 * (2 + 4)
    summary = read_tsv(summ["summary"])
    gain = summary[(summary["metric"] == "silhouette") & (summary["order"] == "relay-random")
                   & (summary["n_removed"] == 5)]
    assert (gain["mean"] > 0.2).all() and len(gain) == 3
    tests = read_tsv(summ["tests"]).set_index(["concept", "metric", "comparison"])
    for c in range(3):
        gain = tests.loc[(c, "silhouette", "relay-random"), "mean"]
        assert gain > 0.1
        # relay and supervised both keep the planted node last (they differ only among noise nodes)
        assert abs(tests.loc[(c, "silhouette", "relay-supervised"), "mean"]) < 0.5 * gain
    assert not tests.loc[(0, "davies_bouldin", "relay-random"), "higher_is_better"]
    proj = read_tsv(outs[0]["projection"])
    assert set(proj["seed"]) == {0} and set(proj["n_removed"]) == {0, 3}
    assert len(proj) == 3 * 2 * 80 and set(proj["state"]) <= set(range(8))
    assert read_tsv(outs[1]["projection"]).empty  # only the figure's network
    # the same input gives the same bytes
    first = {k: open(v, "rb").read() for k, v in outs[0].items()}
    _run_seed(stage, tmp_path, 0, traces[0][0], params)
    assert first == {k: open(v, "rb").read() for k, v in outs[0].items()}


def test_pca_stage_orders_from_one_half_scores_from_the_other(tmp_path):
    from rnninfo.stages import pca as stage
    from rnninfo.traces import split_halves

    seed, n = 0, 200
    (path, tr), = _planted_traces(tmp_path, seeds=(seed,), n=n)
    est, ev = split_halves(n, seed, 2024)
    assert len(np.intersect1d(est, ev)) == 0 and len(est) == len(ev) == n // 2
    # In the estimation half node (c + 1) % 3 carries concept c; in the evaluation half node c does.
    hidden = tr["hidden"].copy()
    hidden[est] = hidden[est][:, :, [2, 0, 1, 3, 4, 5]]
    save_npz(path, **{**tr, "hidden": hidden})
    out = _run_seed(stage, tmp_path, seed, path, '{"random_orders": 2, "panels": [0, 5], "figure_seed": 0}')
    scores = read_tsv(out["scores"])
    last = scores[(scores["order"] == "relay") & (scores["n_left"] == 1)].set_index("concept")
    relay = scores[scores["order"] == "relay"]
    for c in range(3):
        kept = set(range(6)) - set(relay.loc[relay["concept"] == c, "removed"])
        assert kept == {(c + 1) % 3}  # the order came from the estimation half ...
        assert last.loc[c, "silhouette"] < 0.1  # ... and was scored on the evaluation half, where that node is noise
    proj = read_tsv(out["projection"])
    assert set(proj["sample"]) == set(ev.tolist())


def test_pca_stage_rejects_readout_time():
    from rnninfo.stages import pca as stage

    with pytest.raises(SystemExit, match="time"):
        stage.pca_params({"time": "readout"})
