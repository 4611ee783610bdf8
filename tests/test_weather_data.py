"""Paper B data: checks, windows/targets alignment, split and z-scoring (rnninfo.weather_data)."""

import math

import numpy as np
import pandas as pd
import pytest

from rnninfo.weather_data import DataConfig, load_weather


def tiny_frame(n=30):
    """A hand-built record: temp_max = 10 + day, temp_min = day / 2, known weather pattern."""
    day = np.arange(n)
    return pd.DataFrame({
        "date": pd.date_range("2020-01-01", periods=n, freq="D").strftime("%Y-%m-%d"),
        "precipitation": (day % 3).astype(float),
        "temp_max": 10.0 + day,
        "temp_min": day / 2.0,
        "wind": 1.0 + (day % 5),
        "weather": np.where(day % 2 == 0, "sun", "rain"),
    })


CFG = DataConfig(window=3, test_fraction=0.25)


def test_windows_and_targets_line_up_with_days(tmp_path):
    df = tiny_frame()
    path = tmp_path / "w.csv"
    df.to_csv(path, index=False)
    d = load_weather(DataConfig(csv=str(path), window=3, test_fraction=0.25))
    n_win = 30 - 3
    assert len(d.x_train) + len(d.x_test) == n_win
    assert len(d.x_test) == math.ceil(0.25 * n_win)
    assert d.input_names == ["precipitation", "temp_max", "temp_min", "wind", "weather=rain", "weather=sun"]
    raw = np.concatenate([d.raw_x_train, d.raw_x_test])            # (n_win, T, d_in)
    y = d.to_degrees(np.concatenate([d.y_train, d.y_test]).astype(np.float64))
    for i in range(n_win):
        for t in range(3):
            assert raw[i, t, 1] == 10.0 + i + t                     # temp_max of day i+t
            assert raw[i, t, 5] == float((i + t) % 2 == 0)           # weather=sun
        # the target is tomorrow's (day i+3) temp_max and temp_min
        np.testing.assert_allclose(y[i], [10.0 + i + 3, (i + 3) / 2.0], atol=1e-5)
    # the per-step targets: after step t, day i+t+1's (the authors' loss at every step)
    y_steps = d.to_degrees(np.concatenate([d.y_train_steps, d.y_test_steps]).astype(np.float64))
    assert y_steps.shape == (n_win, 3, 2)
    for t in range(3):
        np.testing.assert_allclose(y_steps[:, t, 0], 10.0 + np.arange(n_win) + t + 1, atol=1e-5)
        np.testing.assert_allclose(y_steps[:, t, 1], (np.arange(n_win) + t + 1) / 2.0, atol=1e-5)
    np.testing.assert_array_equal(d.y_test_steps[:, -1], d.y_test)
    # persistence input: the last input day's targets
    np.testing.assert_allclose(d.raw_test_today[:, 0], raw[len(d.x_train):, -1, 1])
    # test target dates come strictly after every training target date
    assert d.dates_test[0] == np.datetime64("2020-01-01") + len(d.x_train) + 3


def test_zscore_uses_training_days_only():
    d = load_weather(CFG, tiny_frame())
    n_train = len(d.x_train)
    train_days = np.arange(n_train + 3)   # days the training windows touch (inputs + targets)
    tmax = 10.0 + train_days
    assert d.input_mean[1] == pytest.approx(tmax.mean())
    assert d.input_std[1] == pytest.approx(tmax.std())
    assert d.target_mean[0] == pytest.approx(tmax.mean())
    # indicator columns stay 0/1
    assert set(np.unique(d.x_train[..., 4])) <= {0.0, 1.0}
    # on a rising series the test inputs and targets sit well above the training mean
    assert d.x_test[..., 1].mean() > 1.0
    assert d.y_test[:, 0].mean() > 1.0
    # every training day's z-scored temp_max (inputs and targets) averages to 0 exactly
    z_days = np.unique(np.concatenate([d.x_train[..., 1].ravel(), d.y_train[:, 0]]))
    assert len(z_days) == n_train + 3
    assert abs(z_days.astype(np.float64).mean()) < 1e-6


def test_embedded_seattle_record():
    d = load_weather(DataConfig())
    assert d.x_train.shape == (1235, 7, 9) and d.x_test.shape == (219, 7, 9)
    assert d.x_train.dtype == np.float32 and d.y_test.shape == (219, 2)
    assert str(d.dates_test[-1]) == "2015-12-31"
    # standardised with training statistics, so the test mean is not exactly 0
    assert abs(d.y_test.mean()) > 0.05


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda df: df.assign(temp_max=df.temp_max.where(df.index != 7)), "'temp_max'.*NaN/inf.*2020-01-08"),
        (lambda df: df.assign(wind=df.wind.where(df.index != 3, np.inf)), "'wind'.*NaN/inf"),
        (lambda df: df.drop(index=[5, 6]).reset_index(drop=True), "2 missing dates.*2020-01-06"),
        (lambda df: df.assign(precipitation=df.precipitation.astype(object).where(df.index != 4, "heavy")),
         "'precipitation' is not numeric.*'heavy'"),
        (lambda df: df.assign(date=df.date.where(df.index != 9, df.date[8])), "not strictly increasing"),
        (lambda df: df.assign(date=df.date.where(df.index != 2, "yesterday")), "unparseable"),
        (lambda df: df.assign(wind=3.0), "'wind' is constant"),
        (lambda df: df.drop(columns="wind"), "column 'wind' not found"),
        (lambda df: df.assign(weather=df.weather.where(df.index != 2)), "categorical column 'weather'.*missing"),
        (lambda df: df.iloc[:5], "too few rows"),
    ],
)
def test_bad_records_are_rejected_by_name(edit, message):
    with pytest.raises(ValueError, match=message):
        load_weather(CFG, edit(tiny_frame()))


def test_text_column_can_be_one_hot_instead():
    df = tiny_frame().assign(sky=lambda d: np.where(d.index < 25, "grey", "blue"))
    d = load_weather(DataConfig(window=3, test_fraction=0.25, categorical=("weather", "sky")), df)
    # "blue" occurs only in the test period and still gets its (all-zero in training) column
    assert "sky=blue" in d.input_names
    j = d.input_names.index("sky=blue")
    assert d.x_train[..., j].max() == 0.0 and d.x_test[..., j].max() == 1.0
