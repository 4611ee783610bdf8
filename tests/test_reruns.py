"""Incremental reruns: a change reruns the stage it touches and what follows, nothing upstream.

After one finished run of tests/configs/tiny.yaml (in a copy of the workflow, so
edits never touch the real sources), each test makes one change and asks
Snakemake what it would run now (`--dry-run`: jobs per rule). The expectation is
derived, not listed: the jobs of the rules that use the changed file (from
`--detailed-summary`) or parameter, and every job downstream of them in the job
graph (`--dag`), counted per rule. Each test undoes its change (content and
mtime) and checks that the workflow is complete again.
"""

from __future__ import annotations

import pytest

from workflow_runs import TINY, edited, finished_tiny_run, merged_config, rules_using

pytestmark = pytest.mark.slow

PAPER_B = {"weather_train", "weather_baselines", "weather_mi", "weather_summary", "weather_figures",
           "weather_flow", "weather_flow_summary", "weather_flow_figures"}
UPSTREAM_A = {"train", "training_table", "traces"}


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    ws = finished_tiny_run(tmp_path_factory)
    assert ws.dry_run() == {}, "the finished run has jobs left to do"
    return ws


@pytest.fixture(scope="module")
def dag(ws):
    return ws.job_dag()


@pytest.fixture(autouse=True)
def complete_after(ws):
    yield
    assert ws.dry_run() == {}, "a test left a change behind"


def n_conditions():
    import yaml

    cfg = yaml.safe_load(TINY.read_text())
    return len(cfg["tasks"]) * len(cfg["archs"]) * len(cfg["delays"])


def test_relay_code_edit_reruns_relay_and_descendants_only(ws, dag):
    path = ws.path / "src/rnninfo/relay.py"
    users = rules_using(ws, path)
    assert "relay" in users
    with edited(path):
        jobs = ws.dry_run()
    assert jobs == dag.downstream(users)
    assert jobs["relay"] == n_conditions()  # one job per condition, not per seed
    assert not set(jobs) & (UPSTREAM_A | PAPER_B), "no retraining, no new traces, no paper B"


@pytest.mark.parametrize(
    "module, rule",
    [("stages/figure_generalization.py", "figure_generalization"),
     ("stages/weather_flow_figures.py", "weather_flow_figures")],
)
def test_figure_code_edit_reruns_only_that_figure(ws, module, rule):
    with edited(ws.path / "src/rnninfo" / module):
        jobs = ws.dry_run()
    # and the benchmark table, which stacks the timing of every job of the run
    assert jobs == {rule: 1, "benchmarks": 1}


@pytest.mark.parametrize(
    "change, stage",
    [
        ({"train": {"lr": 0.02}}, "train"),
        ({"relay": {"relaying": "threshold"}}, "relay_dynamics"),
        ({"weather": {"epochs": 30}}, "weather_train"),
        ({"weather": {"flow": {"thresholds": [0.05, 0.2]}}}, "weather_flow"),
    ],
    ids=["train.lr", "relay.relaying", "weather.epochs", "weather.flow.thresholds"],
)
def test_parameter_change_reruns_its_stage_and_descendants(ws, dag, tmp_path, change, stage):
    cfg = merged_config(TINY, change, tmp_path / "changed.yaml")
    jobs = ws.dry_run(configfile=cfg)
    assert jobs == dag.downstream([stage])
    if stage == "train":
        assert jobs["train"] == n_conditions()
        assert not set(jobs) & PAPER_B
    if stage.startswith("weather"):
        assert not set(jobs) & (UPSTREAM_A | {"relay", "knockout", "pca"})


def test_new_replicate_retrains_each_condition_once(ws, tmp_path):
    # Paper A trains all seeds of a condition in one job, so a new seed reruns that job
    # (earlier seeds come out with the same bytes) and everything after it.
    cfg = merged_config(TINY, {"replicates": 3}, tmp_path / "seeds.yaml")
    jobs = ws.dry_run(configfile=cfg)
    assert jobs["train"] == n_conditions()
    assert jobs == ws.job_dag(configfile=cfg).downstream(["train"])


def test_new_weather_seed_trains_only_that_seed(ws, tmp_path):
    cfg = merged_config(TINY, {"weather": {"seeds": [0, 1]}}, tmp_path / "wseeds.yaml")
    jobs = ws.dry_run(configfile=cfg)
    new_seed = ws.job_dag(configfile=cfg).downstream(["weather_train"], where=lambda label: "seed: 1" in label)
    assert jobs == new_seed
    assert jobs["weather_train"] == 1 and jobs["weather_mi"] == 1 and jobs["weather_flow"] == 1
    assert not set(jobs) & (UPSTREAM_A | {"relay", "knockout", "pca", "weather_baselines"})
