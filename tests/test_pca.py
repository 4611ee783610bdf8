"""Relay-guided PCA: cluster scores on planted classes, node removal that drops pure
noise, reproducible random orders, and the `pca` stage on a synthetic trace."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score

from rnninfo import pca
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


def test_pca_stage_on_a_planted_trace(tmp_path):
    from rnninfo.stages import pca as stage

    traces = []
    for seed in (0, 1):
        rng = np.random.default_rng(seed)
        n, T, H = 160, 6, 6
        y = rng.choice([-1.0, 1.0], size=(n, 3)).astype(np.float32)
        hidden = 2.0 * rng.normal(size=(n, T, H))
        hidden[:, :, :3] = y[:, None, :] + 0.2 * rng.normal(size=(n, T, 3))  # node k carries concept k
        outputs = np.repeat(0.9 * y[:, None, :], T, axis=1)
        path = tmp_path / f"seed{seed}.npz"
        save_npz(path, x=np.zeros((n, T, 3), np.float32), y=y, hidden=hidden.astype(np.float32),
                 outputs=outputs.astype(np.float32),
                 t_end=np.full(n, T - 1, dtype=np.int64), n_info=np.int64(4))
        traces.append(str(path))
    out = {k: str(tmp_path / f"{k}.tsv") for k in ("scores", "summary", "projection")}
    args = ["--task", "memory", "--arch", "RNN", "--delay", "random", "--seeds", "0", "1", "--traces", *traces,
            "--scores", out["scores"], "--summary", out["summary"], "--projection", out["projection"],
            "--params", '{"random_orders": 4, "panels": [0, 3]}']
    stage.main(args)
    scores = read_tsv(out["scores"])
    relay = scores[scores["order"] == "relay"]
    # the concept's own node is the last one left
    last = relay[relay["n_left"] == 1].set_index(["seed", "concept"])["removed"]
    kept = {(s, c): (set(range(6)) - set(relay[(relay["seed"] == s) & (relay["concept"] == c)]["removed"]))
            for s in (0, 1) for c in range(3)}
    assert all(kept[key] == {key[1]} for key in kept), (kept, last)
    assert len(scores) == 2 * 3 * 6 * (1 + 4)
    summary = read_tsv(out["summary"])
    gain = summary[(summary["metric"] == "silhouette") & (summary["order"] == "relay-random")
                   & (summary["n_removed"] == 5)]
    assert (gain["mean"] > 0.2).all() and len(gain) == 3
    proj = read_tsv(out["projection"])
    assert set(proj["seed"]) == {0} and set(proj["n_removed"]) == {0, 3}
    assert len(proj) == 3 * 2 * 160 and set(proj["state"]) <= set(range(8))
    # the same input gives the same bytes
    first = {k: open(v, "rb").read() for k, v in out.items()}
    stage.main(args)
    assert first == {k: open(v, "rb").read() for k, v in out.items()}
