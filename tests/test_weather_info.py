"""Paper B measures: neuron MI, indicators, leads, baselines (rnninfo.weather_info)."""

import math

import numpy as np
import pandas as pd
import pytest

from rnninfo.tse import tse_complexity
from rnninfo.weather_data import DataConfig, load_weather
from rnninfo.weather_info import (
    InfoConfig, baseline_errors, binned_entropy, crossing_epoch, input_matrix, leads, mi_correlations,
    neuron_mi, training_indicators,
)


def synthetic_acts(n=300, T=4, d=3, H=4, K=3, seed=0):
    """Activity whose ground truth is known: h0 = target 0, h1 = noise, outputs = targets."""
    rng = np.random.default_rng(seed)
    inputs = rng.standard_normal((n, T, d)).astype(np.float32)
    inputs[..., 2] = 0.0  # a constant input column (e.g. a weather type absent from the test period)
    targets = np.stack([inputs[:, -1, 0], inputs[:, -1, 1]], axis=1)  # truth = today's first 2 inputs
    hidden = np.tanh(rng.standard_normal((K, n, T, H))).astype(np.float32)
    hidden[:, :, -1, 0] = targets[:, 0] / 4
    outputs = np.repeat(targets[None, :, None, :], K, axis=0).repeat(T, axis=2)
    outputs = outputs + 0.01 * rng.standard_normal(outputs.shape)
    return dict(
        epochs=np.array([0, 10, 20]), inputs=inputs, targets=targets.astype(np.float32),
        hidden=hidden, outputs=outputs.astype(np.float32),
        input_names=np.array(["a", "b", "c"]), target_names=np.array(["t_max", "t_min"]),
        target_mean=np.array([10.0, 5.0]), target_std=np.array([2.0, 1.0]), seed=np.int64(seed),
    )


def test_neuron_mi_finds_the_informative_neurons():
    acts = synthetic_acts()
    nmi = neuron_mi(acts, InfoConfig(), seed=0).set_index("neuron")
    assert list(nmi.index) == ["h0", "h1", "h2", "h3", "out_t_max", "out_t_min"]
    assert list(nmi.layer) == ["hidden"] * 4 + ["output"] * 2
    assert (nmi.epoch == 20).all()
    assert nmi.loc["h0", "mi_truth"] > 1.0 and nmi.loc["h0", "mi_input"] > 1.0
    assert abs(nmi.loc["h1", "mi_truth"]) < 0.15 and abs(nmi.loc["h1", "mi_input"]) < 0.15
    assert nmi.loc["out_t_min", "mi_truth"] > 1.0
    np.testing.assert_allclose(nmi.mi_truth_norm, nmi.mi_truth / nmi.entropy_binned)
    # the tanh noise unit has a differential entropy below 1 bit (it lives in [-1, 1])
    assert nmi.loc["h1", "entropy_differential"] < 1.0


def test_input_matrix_modes_drop_constant_columns():
    acts = synthetic_acts()
    assert input_matrix(acts["inputs"], "last").shape == (300, 2)
    assert input_matrix(acts["inputs"], "window").shape == (300, 4 * 2)
    with pytest.raises(ValueError, match="unknown input mode"):
        input_matrix(acts["inputs"], "all")


def test_training_indicators_table():
    acts = synthetic_acts()
    log = pd.DataFrame({"epoch": [0, 10, 20], "test_mse": [1.0, 0.5, 0.2], "grad_mean": [3.0, 2.0, 1.0]})
    ind = training_indicators(acts, log, InfoConfig(tse_subsets=6), seed=0)
    wide = ind.pivot(index="epoch", columns="indicator", values="value")
    assert sorted(wide.columns) == sorted(["mi_hidden_input", "mi_hidden_truth", "mi_output_input",
                                           "mi_output_truth", "tse_hidden", "test_mse", "grad_mean"])
    assert wide.loc[10, "test_mse"] == 0.5
    assert wide.mi_output_truth.min() > 3.0  # outputs = truth + 1% noise
    h = acts["hidden"][1][:, -1, :].astype(np.float64)
    # H = 4 has at most 6 subsets per size: all used, so no randomness
    assert wide.loc[10, "tse_hidden"] == pytest.approx(tse_complexity(h, 6, np.random.default_rng(9)), rel=1e-12)


def test_crossing_epoch_interpolates_and_handles_flat_curves():
    assert crossing_epoch([0, 10, 20], [1.0, 0.5, 0.0], 0.75) == pytest.approx(15.0)
    assert crossing_epoch(np.arange(0, 101, 10), np.linspace(10, 0, 11), 0.9) == pytest.approx(90.0)
    assert crossing_epoch([0, 10, 20], [0.0, 2.0, 1.0], 0.9) == pytest.approx(4.5)  # overshoot counts
    assert math.isnan(crossing_epoch([0, 10, 20], [1.0, 1.0, 1.0], 0.5))


def test_leads_positive_when_the_indicator_is_first():
    ep = np.arange(0, 101, 10)
    rows = [dict(seed=0, epoch=e, indicator="test_mse", value=1.0 - e / 100) for e in ep]
    rows += [dict(seed=0, epoch=e, indicator="mi_hidden_input", value=min(e / 50, 1.0)) for e in ep]
    lead = leads(pd.DataFrame(rows), levels=(0.5, 0.9)).set_index("level")
    assert lead.loc[0.9, "epoch_error"] == pytest.approx(90.0)
    assert lead.loc[0.9, "epoch_indicator"] == pytest.approx(45.0)
    assert lead.loc[0.9, "lead"] == pytest.approx(45.0)
    assert lead.loc[0.5, "lead"] == pytest.approx(25.0)


def test_binned_entropy():
    assert binned_entropy(np.repeat(np.arange(16.0), 10), 16) == pytest.approx(4.0)
    assert binned_entropy(np.array([0.0, 0.0, 1.0, 1.0]), 16) == pytest.approx(1.0)
    assert binned_entropy(np.ones(10), 16) == 0.0


def test_mi_correlations_per_seed_and_pooled():
    nmi = pd.DataFrame(dict(seed=[0] * 4 + [1] * 4, layer=["hidden"] * 3 + ["output"] + ["hidden"] * 3 + ["output"],
                            mi_input=[1, 2, 3, 9] * 2, mi_truth=[2, 4, 6, 9] * 2,
                            mi_input_norm=[3, 2, 1, 0] * 2, mi_truth_norm=[1, 2, 3, 4] * 2))
    c = mi_correlations(nmi).set_index(["seed", "neurons", "kind"])
    assert c.loc[("0", "hidden", "raw"), "pearson"] == pytest.approx(1.0)
    assert c.loc[("pooled", "hidden", "normalized"), "spearman"] == pytest.approx(-1.0)
    assert c.loc[("pooled", "all", "raw"), "n"] == 8


def test_baselines_on_a_linear_trend():
    day = np.arange(40)
    df = pd.DataFrame({"date": pd.date_range("2021-03-01", periods=40).astype(str), "temp_max": 10.0 + day,
                       "temp_min": day / 2.0, "rain": (day % 3 == 0).astype(float)})
    d = load_weather(DataConfig(numeric=("temp_max", "temp_min", "rain"), categorical=(), window=3), df)
    b = baseline_errors(d).set_index(["model", "target"])
    assert b.loc[("persistence", "temp_max"), "mae"] == pytest.approx(1.0)   # tomorrow = today + 1
    assert b.loc[("persistence", "temp_min"), "rmse"] == pytest.approx(0.5)
    assert b.loc[("linear", "temp_max"), "mae"] < 1e-4                      # exact on a linear trend


def test_mi_subsample_is_seeded_and_used():
    from rnninfo.weather_info import sample_rows

    cfg = InfoConfig(mi_samples=120)
    rows = sample_rows(300, cfg, seed=4)
    assert len(rows) == 120 and np.all(np.diff(rows) > 0)
    assert np.array_equal(rows, sample_rows(300, cfg, seed=4))
    assert not np.array_equal(rows, sample_rows(300, cfg, seed=5))
    assert len(sample_rows(100, cfg, seed=4)) == 100  # fewer windows than asked: all
    a = neuron_mi(synthetic_acts(), cfg, seed=4)
    b = neuron_mi(synthetic_acts(), cfg, seed=4)
    pd.testing.assert_frame_equal(a, b)
