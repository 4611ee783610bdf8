"""The quick configuration end to end through Snakemake, in a temporary folder.

One run of the whole DAG (paper A and paper B branches), then checks of what it
found against what the tasks plant: networks that learnt, information that
appears only after its concept was shown, flow edges that pass their surrogate test.
"""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("quick")
    cmd = [sys.executable, "-m", "snakemake", "--cores", "2", "-s", str(ROOT / "Snakefile"),
           "--directory", str(workdir), "--configfile", str(ROOT / "config/quick.yaml")]
    run = subprocess.run(cmd, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-4000:]
    return workdir / "results" / "quick"


def tsv(path):
    return pd.read_csv(path, sep="\t")


def test_every_network_reached_the_criterion_or_is_flagged(quick_run):
    log = tsv(quick_run / "tables/training.tsv")
    kept = log[log.kept]
    assert len(kept) == 36 * 3  # one network per (task, arch, delay, seed)
    assert kept.groupby(["task", "arch", "delay", "seed"]).size().max() == 1
    assert (kept.converged == (kept.accuracy >= 0.98)).all()
    assert kept.converged.mean() >= 0.95


def test_networks_answer_at_their_training_delay(quick_run):
    table = tsv(quick_run / "tables/generalization.tsv")
    assert len(table) == 36 * 3 * 10 * 3
    table["delay"] = table["delay"].astype(str)
    fixed = table[(table.delay != "random") & (table.eval_delay.astype(str) == table.delay)]
    assert fixed.groupby(["task", "arch", "delay"]).accuracy.mean().min() > 0.9
    rand = table[(table.delay == "random") & table.eval_delay.between(1, 5)]
    assert rand.groupby(["task", "arch"]).accuracy.mean().min() > 0.9


def test_information_appears_only_after_each_concept_is_shown(quick_run):
    # Memory A is 0 bits before its onset by construction (every input is 0, so every
    # state is equal); the claim rests on memory B, C and block direction.
    null = tsv(quick_run / "tables/relay_null.tsv")
    assert {"null_mean", "null_q95", "p", "corrected", "occupancy"} <= set(null.columns)
    tested = [("memory", 1), ("memory", 2), ("block", 1)]
    for task, concept in tested:
        rows = null[(null.task == task) & (null.concept == concept)]
        before = rows[rows.t < rows.onset]
        after = rows[rows.t == rows.n_info - 1]
        assert len(before) and len(after)
        # Before the onset: significant in about alpha of the cells, bias removed.
        assert (before.p <= 0.05).mean() < 0.15, f"{task} {concept} significant before its onset"
        assert abs(before.corrected.mean()) < 0.03
        # At the last informative step every network carries it, far above its null.
        assert (after.p <= 0.01).mean() > 0.9, f"{task} {concept} not relayed after it was shown"
        assert after.corrected.mean() > 0.3
    onsets = tsv(quick_run / "tables/relay_onsets.tsv")
    basis = onsets.drop_duplicates(["task", "concept"]).set_index(["task", "concept"]).basis
    assert basis[("memory", 0)] == "by construction"
    assert all(basis[key] == "test" for key in tested)


def test_weather_flow_tables_carry_significance(quick_run):
    flow = tsv(quick_run / "weather/flow_flow.tsv")
    assert {"p", "q", "significant", "measure", "output_lag"} <= set(flow.columns)
    assert flow.p.dropna().between(0, 1).all() and (flow.q.dropna() >= flow.p.dropna() - 1e-12).all()
    summary = tsv(quick_run / "weather/flow_summary.tsv")
    # With the readout counted as the next step, TDMI's significant edges put hidden
    # units before outputs (the readout the network was trained to do).
    lag1 = summary[(summary.measure == "tdmi") & (summary.output_lag == 1)]
    assert lag1.order_hidden_output.dropna().mean() > 0.8
    # Edges are significant pairs above the threshold: never more than the significant pairs.
    assert (summary.n_edges <= summary.n_significant).all()


def test_weather_indicators_resolve_the_first_epochs(quick_run):
    indicators = tsv(quick_run / "weather/indicators.tsv")
    assert set(indicators.standardize) == {True, False}
    per_seed = indicators.drop_duplicates(["seed", "epoch"]).groupby("seed").epoch
    assert (per_seed.apply(lambda e: (e < 1).sum()) >= 10).all()
    leads = tsv(quick_run / "weather/leads_summary.tsv")
    assert {"epochs", "updates"} <= set(leads.unit)


def test_weather_network_is_a_real_predictor(quick_run):
    errors = tsv(quick_run / "weather/test_error_summary.tsv")
    mae = errors[errors.metric == "mae"].pivot(index="target", columns="model", values="mean")
    assert set(mae.index) == {"temp_max", "temp_min"}
    assert np.isfinite(mae.to_numpy()).all()
    # Even after the quick configuration's 30 epochs the network is far better
    # than predicting the training mean, and within reach of persistence.
    assert (mae["elman"] < 0.5 * mae["train_mean"]).all()
    assert (mae["elman"] < 1.5 * mae["persistence"]).all()


def test_knocking_out_relay_nodes_costs_their_concept_most(quick_run):
    margins = tsv(quick_run / "tables/knockout_margins.tsv")
    overall = margins[margins.sizes == "1-11"]
    assert set(overall.margin) == {"vs_other", "vs_random"}
    # Averaged over every condition, a concept's top relay nodes matter most to it.
    assert (overall.groupby("margin")["mean"].mean() > 0.05).all()
    assert (overall["mean"] > 0).mean() > 0.8


def test_removing_nodes_in_relay_order_sharpens_the_classes(quick_run):
    summary = tsv(next((quick_run / "pca").glob("*/*/*/summary.tsv")))
    gain = summary[(summary.metric == "silhouette") & (summary.order == "relay-random")
                   & (summary.n_left.between(2, 8))]
    assert gain["mean"].mean() > 0
