"""The quick configuration end to end through Snakemake, in a temporary folder.

One run of the whole DAG (paper A and paper B branches), then checks of what it
found against what the tasks plant: networks that learnt, information that
appears only after its concept was shown, a flow graph that ranks inputs first.
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


def test_memory_information_appears_only_after_each_concept_is_shown(quick_run):
    shares = tsv(quick_run / "tables/relay_shares.tsv")
    memory = shares[shares.task == "memory"]
    total = memory.groupby(["arch", "delay", "seed", "concept", "t"]).share.sum().reset_index()
    for concept, onset in enumerate([3, 6, 9]):  # zero-based steps of A, B, C
        rows = total[total.concept == concept]
        before = rows[rows.t < onset].share
        after = rows[rows.t == 9].share  # every concept shown by the last informative step
        # Plug-in estimates on 500 samples of 12 binary nodes scatter around the
        # true 0 bits before the onset; the mean sits at 0, single values stay small.
        assert before.mean() < 0.02 and before.abs().quantile(0.95) < 0.05, f"concept {concept} before its onset"
        assert before.abs().max() < 0.15
        assert after.mean() > 0.5, f"concept {concept} not relayed after it was shown"


def test_weather_flow_ranks_inputs_before_hidden_units(quick_run):
    nodes = tsv(quick_run / "weather/flow_nodes.tsv")
    lowest = nodes[nodes.threshold == nodes.threshold.min()]
    mean_rank = lowest.groupby(["seed", "layer"])["rank"].mean().unstack()
    assert (mean_rank["input"] < mean_rank["hidden"]).all()


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
