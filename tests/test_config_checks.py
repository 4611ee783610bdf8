"""Problems that span keys or data are refused when the workflow is parsed, naming the key.

rnninfo.config_checks runs in the Snakefile after schema validation: a dry run
already refuses these configurations, before any job (a few dry runs below
show it end to end); each check has a fast unit test on the validated config.
"""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from snakemake.utils import validate

from rnninfo import config_checks
from rnninfo.config_checks import (ConfigError, check_config, conditions, config_problems, relay_last_step,
                                   weather_problems)

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"


def merge(a: dict, b: dict) -> dict:
    out = dict(a)
    for k, v in b.items():
        out[k] = merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def validated(change: dict | None = None, base: Path = ROOT / "config.yaml") -> dict:
    """The paper-scale config with ``change`` merged in, validated (defaults filled) as the Snakefile does."""
    config = merge(yaml.safe_load(base.read_text()), change or {})
    validate(config, str(SCHEMA))
    return config


def problems(change: dict) -> list[str]:
    return config_problems(validated(change))


def test_shipped_configs_pass():
    for path in (ROOT / "config.yaml", ROOT / "config" / "quick.yaml", ROOT / "tests" / "configs" / "tiny.yaml"):
        config = validated(yaml.safe_load(path.read_text()) or {})
        check_config(config)  # reads the weather record too


@pytest.mark.parametrize(
    "change, named",
    [
        ({"hidden_size": 20}, "hidden_size: 20 nodes with relay.exhaustive: true"),
        ({"delays": ["2", 2]}, "delays: ['2', 2] names delay(s) ['2'] twice"),
        ({"results": ""}, "results: '' would write every output under /"),
        ({"results": "/"}, "results: '/' would write every output under /"),
        ({"task_params": {"memory": {"onsets": [4, 10, 7]}}}, "task_params.memory.onsets: [4, 10, 7] must be strictly"),
        ({"task_params": {"memory": {"onsets": [4, 4, 10]}}}, "task_params.memory.onsets"),
        # block's earliest readout is step 5 (n_info 5, delay 1): knocking out at 5 changes nothing
        ({"knockout": {"time": 5}}, "knockout.time: step 5 is not before the earliest readout (step 5 of task block"),
        # block: relay analyses steps 0..9 (the Figs. 8/9 window ends at n_info + 4)
        ({"relay": {"matrix_time": 10}}, "relay.matrix_time: step 10 is beyond the steps relay analyses for task block"),
        ({"relay": {"exhaustive_steps": [3, 12]}}, "relay.exhaustive_steps: steps [12] are beyond"),
        ({"pca": {"time": 19}}, "pca.time: step 19 is beyond the traced sequence"),
        ({"pca": {"panels": [0, 4, 12]}}, "pca.panels: [12] remove every node"),
    ],
)
def test_cross_key_problem_is_named(change, named):
    found = problems(change)
    assert len(found) == 1 and named in found[0], found
    with pytest.raises(ConfigError, match="configuration rejected before any job ran"):
        check_config(validated(change), check_weather=False)


@pytest.mark.parametrize(
    "change",
    [
        {"hidden_size": 20, "relay": {"exhaustive": False}},
        {"hidden_size": 16},
        {"delays": ["2", 3, "random"]},
        {"knockout": {"time": 4}},  # the last step before block's earliest readout
        {"knockout": {"time": 9}, "tasks": ["memory"]},  # memory: n_info 10, earliest readout 10
        {"relay": {"matrix_time": 9}},
        {"relay": {"matrix_time": 14}, "tasks": ["memory"]},
        {"relay": {"exhaustive_steps": [0, 9]}},
        {"relay": {"matrix_time": 13, "horizon": "full"}, "tasks": ["block"]},  # block: T = 5 + 9 = 14 steps
        {"pca": {"time": 18}},  # memory, random delay: T = 10 + max(9, 5) = 19 steps
        {"pca": {"panels": [0, 11]}},
        {"results": "out/run1"},
    ],
)
def test_edge_values_pass(change):
    assert problems(change) == []


def test_steps_follow_the_run_s_sequences():
    """The sequence lengths the checks use are those the tasks and traces produce."""
    from rnninfo.relay import MAX_EXHAUSTIVE_NODES
    from rnninfo.stages.relay import analysed_steps
    from rnninfo.tasks import RANDOM_DELAYS, TaskParams, concept_onsets
    from rnninfo.traces import test_set

    assert config_checks.MAX_EXHAUSTIVE_NODES == MAX_EXHAUSTIVE_NODES
    assert config_checks.RANDOM_DELAYS == tuple(RANDOM_DELAYS)
    config = validated({"delays": [1, 3, "random"], "eval_delays": [0, 2],
                        "task_params": {"memory": {"onsets": [2, 5, 8]}, "block": {"frames": 4}}})
    params = TaskParams.from_config(config["task_params"])
    conds = conditions(config)
    assert len(conds) == 6
    for relay in ({}, {"horizon": "full"}, {"window_end": 3}, {"window_end": 30}):
        relay = {**config["relay"], **relay}
        for c in conds:
            x, _, t_end = test_set(c["task"], c["delay"], 0, 1, 400, config["eval_delays"], params)
            assert x.shape[1] == c["T"], c
            assert (int(t_end.min()), int(t_end.max())) == (c["first_readout"], c["last_readout"]), c
            trace = dict(states=x, t_end=t_end, n_info=c["n_info"], onsets=concept_onsets(c["task"], params))
            assert relay_last_step(relay, c) == analysed_steps(trace, relay) - 1, (relay, c)


# ---- the weather record -----------------------------------------------------------------


def weather_csv(path: Path, n: int = 40, date_format: str = "%Y-%m-%d") -> Path:
    day = np.arange(n)
    pd.DataFrame({
        "date": pd.date_range("2020-01-01", periods=n, freq="D").strftime(date_format),
        "precipitation": (day % 3).astype(float),
        "temp_max": 10.0 + day % 7,
        "temp_min": day % 5 / 2.0,
        "wind": 1.0 + (day % 5),
        "weather": np.where(day % 2 == 0, "sun", "rain"),
    }).to_csv(path, index=False)
    return path


def weather(csv, **over) -> dict:
    return {**validated()["weather"], "csv": str(csv), **over}


def test_weather_record_is_checked_with_keys_named(tmp_path):
    good = weather_csv(tmp_path / "good.csv")
    assert weather_problems(weather(good, window=3)) == []

    (found,) = weather_problems(weather(good, numeric=["precipitation", "humidity"]))
    assert found.startswith("weather.numeric: column 'humidity' not found"), found
    (found,) = weather_problems(weather(good, targets=["temp_mean"]))
    assert found.startswith("weather.targets: column 'temp_mean' not found"), found
    (found,) = weather_problems(weather(good, date_column="day"))
    assert found.startswith("weather.date_column: column 'day' not found"), found
    # 40 days, window 30: 10 windows, 2 test -> 8 train; window 37: 3 windows -> too few
    assert weather_problems(weather(good, window=30)) == []
    (found,) = weather_problems(weather(good, window=37))
    assert "too few rows for weather.window 37" in found and str(good) in found, found
    # the shipped record (weather.csv: null) is checked the same way
    (found,) = weather_problems({**validated()["weather"], "window": 5000})
    assert "weather.csv: null" in found and "weather.window 5000" in found, found


def test_empty_header_only_and_day_first_csvs_are_named(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    (found,) = weather_problems(weather(empty))
    assert f"weather.csv: file '{empty}' is empty" in found, found

    header = tmp_path / "header.csv"
    header.write_text("date,precipitation,temp_max,temp_min,wind,weather\n")
    (found,) = weather_problems(weather(header))
    assert f"weather.csv: file '{header}' has a header but no data rows" in found, found

    # day-first dates (some of which would also parse month-first, wrongly): refused with the format expected
    day_first = weather_csv(tmp_path / "day_first.csv", date_format="%d/%m/%Y")
    (found,) = weather_problems(weather(day_first))
    assert "expected ISO dates YYYY-MM-DD" in found and "day-first" in found, found
    assert "rows [0, 1, 2, 3, 4]" in found and "np.int64" not in found, found
    assert "'01/01/2020'" in found and str(day_first) in found, found


# ---- end to end: a dry run refuses before any job --------------------------------------


def dry_run(tmp_path: Path, change: dict) -> subprocess.CompletedProcess:
    config = merge(yaml.safe_load((ROOT / "tests" / "configs" / "tiny.yaml").read_text()), change)
    config.setdefault("results", str(tmp_path / "res"))
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", "--cores", "1", "-s", str(ROOT / "Snakefile"),
         "--directory", str(tmp_path), "--configfile", str(path)],
        capture_output=True, text=True, cwd=tmp_path, timeout=300)


def test_dry_run_refuses_cross_key_problems_naming_each_key(tmp_path):
    run = dry_run(tmp_path, {"hidden_size": 20, "knockout": {"time": 30}, "pca": {"time": 40, "panels": [25]},
                             "relay": {"matrix_time": 30},
                             "weather": {"numeric": ["precipitation", "humidity"]}})
    out = run.stdout + run.stderr
    assert run.returncode != 0
    for key in ("hidden_size: 20", "knockout.time: step 30", "pca.time: step 40", "pca.panels: [25]",
                "relay.matrix_time: step 30", "weather.numeric: column 'humidity'"):
        assert key in out, out
    assert not (tmp_path / "res").exists() and not (tmp_path / ".snakemake" / "log").exists()


def test_dry_run_refuses_a_broken_weather_csv(tmp_path):
    header = tmp_path / "header.csv"
    header.write_text("date,precipitation,temp_max,temp_min,wind,weather\n")
    run = dry_run(tmp_path, {"weather": {"csv": str(header)}, "delays": ["2", 2]})
    out = run.stdout + run.stderr
    assert run.returncode != 0
    assert "has a header but no data rows" in out and "delays: ['2', 2]" in out, out
    assert not (tmp_path / "res").exists()
