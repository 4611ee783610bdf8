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
    size = on.sum(axis=2)  # pixels lit per frame: the block never leaves the camera
    assert np.all(size == size[:, :1])
    np.testing.assert_array_equal(np.where(size[:, 0] == 4, 1.0, -1.0), y[:, 0])
    left = on.argmax(axis=2)
    np.testing.assert_array_equal(np.where(left[:, 1] > left[:, 0], 1.0, -1.0), y[:, 1])
    assert np.all(np.abs(np.diff(left, axis=1)) == 1)
    np.testing.assert_array_equal(np.where(frames.max(axis=(1, 2)) == 1.0, 1.0, -1.0), y[:, 2])
    assert np.all(x[:, 5:] == 0.0)
    np.testing.assert_array_equal(t_end, 6)


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
