"""Paper B's data: daily weather as 7-day windows predicting tomorrow's temperatures.

The default record is the Seattle daily weather 2012-2015 that ``vega_datasets``
ships (no download). A user may point ``weather: csv:`` at a CSV of their own.

Rules (every violation raises ``ValueError`` naming the column or the dates):

- the date column parses as dates, rows are strictly increasing with one constant
  step (the most common step); gaps and duplicates are reported, never filled;
- feature and target columns exist; numeric ones contain numbers only (no text,
  NaN or inf); categorical ones have no missing values;
- numeric inputs are z-scored with the mean and standard deviation (ddof=0) of the
  training days only; a numeric input or target that is constant over the
  training days is an error (its z-score would be 0/0);
- categorical columns become one indicator column per category (sorted, over the
  whole record, so that a category seen only in the test period still gets a
  column); indicators stay 0/1 (already on unit scale, and never 0/0);
- window ``i`` holds days ``i .. i+T-1`` as inputs and day ``i+T``'s targets;
  ``y_*_steps[i, t]`` are day ``i+t+1``'s targets, the next day after each step
  (the authors' code trains an output at every step against them); the last
  step's equals ``y_*[i]``;
  The last ``ceil(test_fraction * n_windows)`` windows (by target date) are the
  test set; the rest train. Training statistics use the days that training
  windows touch (inputs and targets), so no test target enters them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class DataConfig:
    csv: str | None = None                # None = the embedded Seattle record
    date_column: str = "date"
    numeric: tuple[str, ...] = ("precipitation", "temp_max", "temp_min", "wind")
    categorical: tuple[str, ...] = ("weather",)
    targets: tuple[str, ...] = ("temp_max", "temp_min")
    window: int = 7
    test_fraction: float = 0.15

    @classmethod
    def from_params(cls, p: dict) -> "DataConfig":
        names = cls.__dataclass_fields__
        kw = {k: (tuple(v) if isinstance(v, list) else v) for k, v in p.items() if k in names}
        return cls(**kw)


@dataclass
class WeatherData:
    """Windows of one record, split by time; inputs/targets z-scored with training stats."""

    x_train: np.ndarray        # (n_train, T, d_in) float32
    y_train: np.ndarray        # (n_train, n_targets) float32, z-scored
    x_test: np.ndarray         # (n_test, T, d_in) float32
    y_test: np.ndarray         # (n_test, n_targets) float32, z-scored
    input_names: list[str]     # (d_in,)
    target_names: list[str]    # (n_targets,)
    target_mean: np.ndarray    # (n_targets,) training mean, original units
    target_std: np.ndarray     # (n_targets,) training std, original units
    input_mean: np.ndarray     # (d_in,) 0 for indicator columns
    input_std: np.ndarray      # (d_in,) 1 for indicator columns
    dates_test: np.ndarray     # (n_test,) datetime64[D] target day of each test window
    y_train_steps: np.ndarray = field(repr=False, default=None)  # (n_train, T, n_targets) day i+t+1's targets, z-scored
    y_test_steps: np.ndarray = field(repr=False, default=None)   # (n_test, T, n_targets)
    raw_test_today: np.ndarray = field(repr=False, default=None)  # (n_test, n_targets) last input day's target values, original units
    raw_x_train: np.ndarray = field(repr=False, default=None)     # (n_train, T, d_in) before z-scoring
    raw_x_test: np.ndarray = field(repr=False, default=None)

    def to_degrees(self, y_z: np.ndarray) -> np.ndarray:
        """Z-scored targets (..., n_targets) back to original units."""
        return y_z * self.target_std + self.target_mean


def read_record(cfg: DataConfig) -> pd.DataFrame:
    """The raw table: the embedded Seattle record or the configured CSV."""
    if cfg.csv is None:
        from vega_datasets import local_data

        return local_data.seattle_weather()
    path = Path(cfg.csv)
    if not path.exists():
        raise ValueError(f"weather.csv: file {str(path)!r} does not exist")
    try:
        df = pd.read_csv(path)
    except pd.errors.EmptyDataError:
        raise ValueError(f"weather.csv: file {str(path)!r} is empty; expected a header line and one row per day") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as err:
        raise ValueError(f"weather.csv: file {str(path)!r} is not a readable CSV ({err})") from None
    if df.empty:
        raise ValueError(f"weather.csv: file {str(path)!r} has a header but no data rows")
    return df


def check_header(df: pd.DataFrame, cfg: DataConfig) -> None:
    """Every configured column is in the record (the error names the config key) and it has rows."""
    for key, columns in (
        ("weather.date_column", (cfg.date_column,)),
        ("weather.numeric", cfg.numeric),
        ("weather.categorical", cfg.categorical),
        ("weather.targets", cfg.targets),
    ):
        missing = [c for c in columns if c not in df.columns]
        if missing:
            raise ValueError(f"{key}: column {missing[0]!r} not found; columns are {list(df.columns)}")
    if df.empty:
        raise ValueError("the weather record has no rows")


def _check_dates(df: pd.DataFrame, col: str) -> pd.Series:
    if col not in df.columns:
        raise ValueError(f"date column {col!r} not found; columns are {list(df.columns)}")
    # ISO dates only: a day-first or month-first file would otherwise be read either way
    if pd.api.types.is_datetime64_any_dtype(df[col]):
        dates = df[col]
    else:
        dates = pd.to_datetime(df[col], format="ISO8601", errors="coerce")
    bad = dates.isna()
    if bad.any():
        rows = np.flatnonzero(bad.to_numpy())[:5].tolist()
        raise ValueError(
            f"column {col!r}: unparseable or missing dates at data rows {rows} (file lines "
            f"{[r + 2 for r in rows]}), e.g. {df[col].iloc[rows[0]]!r}; expected ISO dates "
            "YYYY-MM-DD (e.g. 2012-01-31), not day-first (31/01/2012) or month-first"
        )
    step = dates.diff().iloc[1:]
    if (step <= pd.Timedelta(0)).any():
        i = int(np.flatnonzero((step <= pd.Timedelta(0)).to_numpy())[0]) + 1
        raise ValueError(f"column {col!r}: dates not strictly increasing at row {i} ({dates.iloc[i].date()})")
    usual = step.mode().iloc[0]
    gaps = step != usual
    if gaps.any():
        expected = pd.date_range(dates.iloc[0], dates.iloc[-1], freq=usual)
        missing = expected.difference(pd.DatetimeIndex(dates))
        shown = ", ".join(str(d.date()) for d in missing[:5])
        raise ValueError(
            f"column {col!r}: {len(missing)} missing dates (step {usual}), first: {shown}; "
            "fill or drop them in the CSV first (no silent fill)"
        )
    return dates


def _check_numeric(df: pd.DataFrame, col: str, dates: pd.Series) -> np.ndarray:
    if col not in df.columns:
        raise ValueError(f"column {col!r} not found; columns are {list(df.columns)}")
    s = df[col]
    if not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
        num = pd.to_numeric(s, errors="coerce")
        bad = num.isna() & s.notna()
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise ValueError(
                f"column {col!r} is not numeric: value {s.iloc[i]!r} on {dates.iloc[i].date()}; "
                "list it under weather.categorical to one-hot encode it"
            )
        s = num
    v = s.to_numpy(dtype=np.float64)
    bad = ~np.isfinite(v)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"column {col!r}: {int(bad.sum())} NaN/inf values, first on {dates.iloc[i].date()}")
    return v


def load_weather(cfg: DataConfig, df: pd.DataFrame | None = None) -> WeatherData:
    """Check the record, build windows, split by time and z-score with training stats."""
    if df is None:
        df = read_record(cfg)
    check_header(df, cfg)
    T = cfg.window
    if T < 1:
        raise ValueError(f"window must be >= 1, got {T}")
    if not 0 < cfg.test_fraction < 1:
        raise ValueError(f"test_fraction must be in (0, 1), got {cfg.test_fraction}")
    dates = _check_dates(df, cfg.date_column)

    cols, names, is_indicator = [], [], []
    for c in cfg.numeric:
        cols.append(_check_numeric(df, c, dates))
        names.append(c)
        is_indicator.append(False)
    for c in cfg.categorical:
        if c not in df.columns:
            raise ValueError(f"categorical column {c!r} not found; columns are {list(df.columns)}")
        s = df[c]
        if s.isna().any():
            i = int(np.flatnonzero(s.isna().to_numpy())[0])
            raise ValueError(f"categorical column {c!r}: missing value on {dates.iloc[i].date()}")
        for cat in sorted(s.astype(str).unique()):
            cols.append((s.astype(str) == cat).to_numpy(dtype=np.float64))
            names.append(f"{c}={cat}")
            is_indicator.append(True)
    if not cols:
        raise ValueError("no input columns: set weather.numeric and/or weather.categorical")
    if not cfg.targets:
        raise ValueError("no target columns: set weather.targets")
    feats = np.stack(cols, axis=1)                                      # (N, d_in)
    targ = np.stack([_check_numeric(df, c, dates) for c in cfg.targets], axis=1)  # (N, n_targets)

    N = len(df)
    n_win = N - T
    n_test = math.ceil(cfg.test_fraction * n_win)
    n_train = n_win - n_test
    if n_train < 2 or n_test < 2:
        raise ValueError(
            f"too few rows for weather.window {T} and weather.test_fraction {cfg.test_fraction}: {N} days "
            f"give {n_win} windows of {T} days, {n_train} train / {n_test} test; need >= 2 each"
        )
    train_days = slice(0, n_train - 1 + T + 1)  # inputs and targets of the training windows

    ind = np.array(is_indicator)
    mean = np.where(ind, 0.0, feats[train_days].mean(axis=0))
    std = np.where(ind, 1.0, feats[train_days].std(axis=0))
    t_mean = targ[train_days].mean(axis=0)
    t_std = targ[train_days].std(axis=0)
    for name, s, i in zip(names, std, ind):
        if not i and s == 0:
            raise ValueError(f"column {name!r} is constant over the training days; drop it from weather.numeric")
    for name, s in zip(cfg.targets, t_std):
        if s == 0:
            raise ValueError(f"target column {name!r} is constant over the training days")

    idx = np.arange(n_win)[:, None] + np.arange(T)[None, :]            # (n_win, T) day of each step
    raw_x = feats[idx]                                                 # (n_win, T, d_in)
    x = ((raw_x - mean) / std).astype(np.float32)
    y = ((targ[T:] - t_mean) / t_std).astype(np.float32)               # (n_win, n_targets) day i+T
    y_steps = ((targ[idx + 1] - t_mean) / t_std).astype(np.float32)    # (n_win, T, n_targets) day i+t+1
    today = targ[T - 1 : N - 1]                                        # (n_win, n_targets) day i+T-1
    tr, te = slice(0, n_train), slice(n_train, n_win)
    return WeatherData(
        x_train=x[tr], y_train=y[tr], x_test=x[te], y_test=y[te],
        input_names=names, target_names=list(cfg.targets),
        target_mean=t_mean, target_std=t_std, input_mean=mean, input_std=std,
        dates_test=dates.to_numpy()[T:][te].astype("datetime64[D]"),
        raw_test_today=today[te], raw_x_train=raw_x[tr], raw_x_test=raw_x[te],
        y_train_steps=y_steps[tr], y_test_steps=y_steps[te],
    )
