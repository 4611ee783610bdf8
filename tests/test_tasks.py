"""The tasks: labels follow from the inputs by a simple rule; delays and readouts are right."""

import numpy as np
import pytest

from rnninfo.tasks import BlockParams, TaskParams, concept_onsets, make_task, n_info_steps


def test_memory_labels_are_the_signs_at_the_onsets():
    x, y, t_end = make_task("memory", 500, 3, np.random.default_rng(0))
    assert x.shape == (500, 13, 3) and y.shape == (500, 3)
    onsets = concept_onsets("memory")
    np.testing.assert_array_equal(onsets, [3, 6, 9])
    for k, t in enumerate(onsets):
        np.testing.assert_array_equal(np.sign(x[:, t, k]), y[:, k])
        assert np.all(np.abs(x[:, t, k]) >= 0.2) and np.all(np.abs(x[:, t, k]) <= 1.0)
    # Everything else is blank, including the delay.
    mask = np.ones_like(x, dtype=bool)
    for k, t in enumerate(onsets):
        mask[:, t, k] = False
    assert np.all(x[mask] == 0.0)
    np.testing.assert_array_equal(t_end, 12)
    # All eight label patterns occur, each about equally often.
    codes = ((y > 0) * [4, 2, 1]).sum(axis=1)
    assert np.bincount(codes, minlength=8).min() > 30


def test_block_labels_follow_from_the_frames():
    params = TaskParams(block=BlockParams(noise=0.0))
    x, y, t_end = make_task("block", 800, 2, np.random.default_rng(1), params)
    assert x.shape == (800, 7, 10)
    frames = x[:, :5]
    on = frames > 0
    size = on.sum(axis=2)  # pixels lit per frame: on a ring the block never loses pixels
    assert np.all(size == size[:, :1])
    np.testing.assert_array_equal(np.where(size[:, 0] == 4, 1.0, -1.0), y[:, 0])
    # frame t+1 is frame t rolled by +1 pixel (rightward) or -1 (leftward)
    shift = np.where(y[:, 1] > 0, 1, -1)
    for i in range(len(x)):
        for t in range(4):
            np.testing.assert_array_equal(np.roll(on[i, t], shift[i]), on[i, t + 1])
    np.testing.assert_array_equal(np.where(frames.max(axis=(1, 2)) == 1.0, 1.0, -1.0), y[:, 2])
    assert np.all(x[:, 5:] == 0.0)
    np.testing.assert_array_equal(t_end, 6)
    np.testing.assert_array_equal(concept_onsets("block"), [0, 1, 0])


def _held_out_accuracy(features: np.ndarray, labels: np.ndarray, model: str = "quadratic") -> float:
    """Held-out accuracy (train on one half, test on the other) of a cheap single-threaded
    classifier: logistic regression on all pairwise products of the features ("quadratic":
    it can compare a pixel with its neighbour in the next frame, as motion detection
    needs), or a depth-12 decision tree ("tree")."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import PolynomialFeatures, StandardScaler
    from sklearn.tree import DecisionTreeClassifier

    half = len(labels) // 2
    if model == "tree":
        clf = DecisionTreeClassifier(max_depth=12, random_state=0)
    else:
        clf = make_pipeline(PolynomialFeatures(2), StandardScaler(), LogisticRegression(C=1.0, max_iter=2000))
    clf.fit(features[:half], labels[:half])
    return float((clf.predict(features[half:]) == labels[half:]).mean())


def test_block_direction_needs_two_frames():
    """No single frame tells the direction better than chance; two consecutive frames do."""
    x, y, _ = make_task("block", 4000, 1, np.random.default_rng(3))
    direction = y[:, 1] > 0
    for t in range(5):
        for model in ("quadratic", "tree"):
            acc = _held_out_accuracy(x[:, t, :], direction, model)
            assert acc < 0.56, f"frame {t} alone tells the direction ({model}: held-out accuracy {acc:.3f})"
    for t in range(4):
        acc = _held_out_accuracy(x[:, t : t + 2, :].reshape(len(x), -1), direction)
        assert acc > 0.9, f"frames {t},{t + 1} do not determine the direction (accuracy {acc:.3f})"
    # size and brightness are visible in any single frame (their onset is step 0)
    assert _held_out_accuracy(x[:, 0, :], y[:, 0] > 0) > 0.95
    assert _held_out_accuracy(x[:, 0, :], y[:, 2] > 0) > 0.95


def test_block_start_is_independent_of_direction():
    params = TaskParams(block=BlockParams(noise=0.0))
    x, y, _ = make_task("block", 20000, 1, np.random.default_rng(4), params)
    on = x[:, 0, :] > 0
    first = np.where(on.all(axis=1), 0, np.argmax(on & ~np.roll(on, 1, axis=1), axis=1))  # block's left edge
    for d in (-1.0, 1.0):
        freq = np.bincount(first[y[:, 1] == d], minlength=10) / (y[:, 1] == d).sum()
        np.testing.assert_allclose(freq, 0.1, atol=0.02)
    with pytest.raises(ValueError, match="width"):
        make_task("block", 5, 1, np.random.default_rng(0), TaskParams(block=BlockParams(width=5)))


def test_random_regime_draws_a_delay_per_sequence():
    x, y, t_end = make_task("memory", 2000, "random", np.random.default_rng(2))
    n_info = n_info_steps("memory")
    assert x.shape[1] == n_info + 5
    delays = t_end - n_info + 1
    assert set(np.unique(delays)) == {1, 2, 3, 4, 5}
    # Padding after each sample's readout is blank, as is the delay itself.
    assert np.all(x[:, n_info:] == 0.0)


def test_same_seed_same_data_and_bad_arguments_named():
    a = make_task("block", 50, "random", np.random.default_rng(5))
    b = make_task("block", 50, "random", np.random.default_rng(5))
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    with pytest.raises(ValueError, match="unknown task 'blocks'"):
        make_task("blocks", 5, 1, np.random.default_rng(0))
    with pytest.raises(ValueError, match="delay"):
        make_task("memory", 5, -1, np.random.default_rng(0))
    with pytest.raises(TypeError, match="Generator"):
        make_task("memory", 5, 1, 0)
