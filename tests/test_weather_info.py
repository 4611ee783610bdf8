"""Paper B measures: neuron MI, indicators, leads, baselines (rnninfo.weather_info)."""

import math

import numpy as np
import pandas as pd
import pytest

from rnninfo.tse import tse_complexity
from rnninfo.weather_data import DataConfig, load_weather
from rnninfo.weather_info import (
    InfoConfig, LeadConfig, baseline_errors, binned_entropy, input_matrix, lead_summary, leads, mi_correlations,
    neuron_mi, share_positions, training_indicators,
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
    acts["epochs"] = np.array([0.0, 0.5, 20.0])
    acts["updates"] = np.array([0, 5, 200])
    acts["grad_mean"] = np.array([[3.0, 1.0], [2.0, 0.5], [1.0, 0.2]])   # (K, L)
    acts["grad_std"] = acts["grad_mean"] / 2
    acts["grad_layers"] = np.array(["W_in", "W"])
    log = pd.DataFrame({"epoch": [0.0, 0.5, 20.0], "train_mse": [1.0, 0.5, 0.2], "test_mse": [9.0, 9.0, 9.0]})
    ind = training_indicators(acts, log, InfoConfig(tse_subsets=6), seed=0)
    assert ind.groupby(["indicator", "standardize"]).size().eq(3).all()  # one row per snapshot
    mi = ind[ind.indicator.str.startswith("mi_")]
    assert set(mi.standardize) == {True, False} and len(mi) == 4 * 2 * 3
    wide = ind.pivot_table(index="epoch", columns=["indicator", "standardize"], values="value")
    assert set(ind.indicator) == {"mi_hidden_input", "mi_hidden_truth", "mi_output_input", "mi_output_truth",
                                  "tse_hidden_gaussian", "tse_hidden_ksg", "test_mse", "test_mae_t_max",
                                  "test_mae_t_min", "train_mse", "grad_mean_W_in", "grad_mean_W",
                                  "grad_std_W_in", "grad_std_W"}
    assert wide.loc[0.5, ("train_mse", False)] == 0.5 and wide.loc[20.0, ("grad_std_W", False)] == 0.1
    assert ind[ind.epoch == 0.5].updates.eq(5).all()
    # the error comes from the snapshot (outputs = truth + 1% noise), not the log's column
    assert wide[("test_mse", False)].max() < 1e-3
    assert wide[("mi_output_truth", True)].min() > 3.0
    h = acts["hidden"][1][:, -1, :].astype(np.float64)
    # H = 4 has at most 6 subsets per size: all used, so no randomness
    assert wide.loc[0.5, ("tse_hidden_gaussian", True)] == pytest.approx(
        tse_complexity(h, 6, np.random.default_rng(9)), rel=1e-12)


def test_raw_mi_depends_on_scale_standardised_does_not():
    acts = synthetic_acts()
    a = 2.0 ** -7  # a power of two: the scaled float32 activity is exact, so z-scores are identical
    small = dict(acts, hidden=acts["hidden"] * a, outputs=acts["outputs"] * a)
    get = lambda a: training_indicators(a, None, InfoConfig(tse_estimators=("gaussian",)), 0).set_index(  # noqa: E731
        ["epoch", "indicator", "standardize"]).value
    big, tiny = get(acts), get(small)
    key = (20.0, "mi_hidden_truth")
    assert tiny[key + (True,)] == pytest.approx(big[key + (True,)], abs=1e-9)
    key = (20.0, "mi_output_truth")  # outputs = truth + 1% noise: MI > 3 bits in any units
    assert tiny[key + (True,)] == pytest.approx(big[key + (True,)], abs=1e-9) and big[key + (True,)] > 3.0
    assert tiny[key + (False,)] < big[key + (False,)] - 1.0   # raw: max-norm neighbours see the scale


def test_training_indicators_without_gradients_or_updates():
    ind = training_indicators(synthetic_acts(), None, InfoConfig(tse_estimators=("gaussian",)), seed=0)
    assert ind.updates.isna().all() and not ind.indicator.str.startswith("grad").any()
    lead = leads(ind)
    assert set(lead.unit) == {"epochs"}


def sigmoid_curve(t, centre, width, lo, hi, noise, rng):
    return lo + (hi - lo) / (1 + np.exp(-(t - centre) / width)) + noise * rng.standard_normal(len(t))


def curves_table(t, curves, updates_per_epoch=10):
    return pd.DataFrame([dict(seed=seed, epoch=e, updates=e * updates_per_epoch, indicator=name,
                              standardize=False, value=v)
                         for seed, per in curves.items() for name, vals in per.items() for e, v in zip(t, vals)])


@pytest.mark.parametrize("seed", range(4))
def test_known_lead_recovered_within_one_snapshot(seed):
    rng = np.random.default_rng(seed)
    t = np.round(np.arange(0, 12, 0.1), 10)                  # snapshots every 0.1 epoch
    true_lead = rng.uniform(0.5, 3.0)
    err = sigmoid_curve(t, 5.0, 0.6, 1.5, 0.3, 0.01, rng)    # falls
    mi = sigmoid_curve(t, 5.0 - true_lead, 0.6, 0.2, 2.0, 0.03, rng)  # rises first
    lead = leads(curves_table(t, {seed: {"test_mse": err, "mi_hidden_truth": mi}}))
    for unit, step in (("epochs", 0.1), ("updates", 1.0)):
        got = lead[lead.unit == unit].set_index("share")
        assert (got.status == "ok").all()
        scale = 1 if unit == "epochs" else 10
        for q in (0.25, 0.5, 0.75):
            assert got.loc[q, "lead"] == pytest.approx(true_lead * scale, abs=step)


def test_non_monotone_curve_uses_its_first_approach():
    # rises to 2, dips back to 1.2 (an overshoot of 0.8 over the net change 1.0), recovers to 1.2
    t = np.arange(0, 10.5, 0.5)
    v = np.interp(t, [0, 2, 4, 6, 10], [0.0, 2.0, 1.0, 1.2, 1.2])
    pos, reason, diag = share_positions(v, (0.25, 0.5, 0.75), LeadConfig(smooth=1))
    assert reason == "ok" and diag["overshoot"] == pytest.approx(1.0 / 1.2 * 2.0 - 1.0)
    # the envelope reaches q * 1.2 on the first rise (value = t here): t_q = 1.2 q
    np.testing.assert_allclose(np.interp(pos, np.arange(len(t)), t), [0.3, 0.6, 0.9])
    # a first crossing of the raw curve would be the same here, but a curve whose swings exceed its net
    # change and whose net change is within its noise gets no lead time at all
    rng = np.random.default_rng(0)
    wobble = np.sin(np.arange(60) / 3.0) + 0.05 * rng.standard_normal(60)
    pos, reason, _ = share_positions(wobble, (0.5,), LeadConfig())
    assert reason == "below noise" and np.isnan(pos).all()


def test_flat_and_noisy_curves_have_no_lead():
    rng = np.random.default_rng(1)
    t = np.arange(0, 10, 0.25)
    flat = np.full(len(t), 3.0)
    noisy = 3.0 + 0.1 * rng.standard_normal(len(t))
    err = np.linspace(1.0, 0.2, len(t))
    lead = leads(curves_table(t, {0: {"test_mse": err, "flat": flat, "noisy": noisy}}))
    assert lead.lead.isna().all()
    assert set(lead.status) == {"indicator below noise"}
    lead = leads(curves_table(t, {0: {"test_mse": flat, "mi": err}}))
    assert set(lead.status) == {"error below noise"} and lead.lead.isna().all()


def test_lead_summary_over_seeds():
    rng = np.random.default_rng(2)
    t = np.round(np.arange(0, 12, 0.1), 10)
    per = {}
    for seed in range(6):
        d = 1.0 if seed < 5 else -1.0                                # five seeds lead by 1 epoch, one lags by 1
        per[seed] = {"test_mse": sigmoid_curve(t, 6.0, 0.5, 1.0, 0.2, 0.005, rng),
                     "mi": sigmoid_curve(t, 6.0 - d, 0.5, 0.0, 1.0, 0.005, rng)}
    per[6] = {"test_mse": per[0]["test_mse"], "mi": 0.5 + 0.01 * rng.standard_normal(len(t))}  # no lead time
    summ = lead_summary(leads(curves_table(t, per))).set_index(["share", "unit"])
    row = summ.loc[(0.5, "epochs")]
    assert row.n == 7 and row.n_valid == 6
    assert row["mean"] == pytest.approx(4 / 6, abs=0.1) and row.ci_low < row["mean"] < row.ci_high
    assert row.share_leading == pytest.approx(5 / 6)
    assert 0 < row.share_leading_low < 5 / 6 < row.share_leading_high < 1
    assert row.sign_p == pytest.approx(7 / 32)                      # two-sided binomial, 5 of 6
    assert row.no_lead_reasons == "indicator below noise: 1"
    assert summ.loc[(0.5, "updates"), "mean"] == pytest.approx(10 * row["mean"])


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


def test_config_blocks_from_params():
    cfg = InfoConfig.from_params({"tse": {"estimator": "ksg", "subsets": 7}, "ksg_k": 4, "epochs": 9})
    assert cfg.tse_estimators == ("ksg",) and cfg.tse_subsets == 7 and cfg.ksg_k == 4
    assert InfoConfig.from_params({"tse": {"estimator": ["gaussian", "ksg"]}}).tse_estimators == ("gaussian", "ksg")
    lead = LeadConfig.from_params({"shares": [0.5], "smooth": 3})
    assert lead.shares == (0.5,) and lead.smooth == 3 and lead.noise_factor == 2.0


@pytest.mark.parametrize("seed", range(3))
def test_known_lead_on_a_dense_then_sparse_schedule(seed):
    # the pipeline's kind of schedule: 0.04 epoch to 2, 0.25 to 10, 1 to 30; learning inside epoch 1
    rng = np.random.default_rng(10 + seed)
    t = np.round(np.concatenate([np.arange(0, 2, 0.04), np.arange(2, 10, 0.25), np.arange(10, 31, 1.0)]), 10)
    true_lead = rng.uniform(0.1, 0.5)
    err = sigmoid_curve(t, 0.8, 0.08, 1.5, 0.2, 0.01, rng)
    mi = sigmoid_curve(t, 0.8 - true_lead, 0.08, 0.0, 1.6, 0.02, rng)
    lead = leads(curves_table(t, {seed: {"test_mse": err, "mi_hidden_truth": mi}}, updates_per_epoch=1235))
    got = lead[lead.unit == "epochs"].set_index("share")
    assert (got.status == "ok").all()
    np.testing.assert_allclose(got.lead, true_lead, atol=0.04)   # one snapshot where learning happens
    upd = lead[lead.unit == "updates"].set_index("share")
    np.testing.assert_allclose(upd.lead, 1235 * got.lead, rtol=1e-9)
