"""Paper B stages through the CLI, in-process: files, formats, byte-identical reruns."""

import json

import numpy as np
import pandas as pd
import pytest
import torch

from rnninfo import cli
from rnninfo.elman import Elman
from rnninfo.io import load_npz

PARAMS = json.dumps({"epochs": 4, "snapshot_every": 2, "lr": 0.003, "batch_size": 64, "hidden": 10,
                     "window": 7, "test_fraction": 0.15, "root_seed": 2024, "tse_subsets": 10,
                     "lead_levels": [0.5, 0.9]})


def run(*argv):
    assert cli.main([str(a) for a in argv]) == 0


def train(out, seed):
    d = out / f"seed{seed}"
    run("weather_train", "--seed", seed, "--params", PARAMS, "--activations", d / "activations.npz",
        "--log", d / "training.tsv", "--model", d / "model.pt")
    return d


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    out = tmp_path_factory.mktemp("weather")
    seeds = [0, 1]
    for s in seeds:
        d = train(out, s)
        run("weather_mi", "--activations", d / "activations.npz", "--training", d / "training.tsv",
            "--params", PARAMS, "--neuron-mi", d / "neuron_mi.tsv", "--indicators", d / "indicators.tsv",
            "--test-error", d / "test_error.tsv")
    run("weather_baselines", "--params", PARAMS, "--out", out / "baselines.tsv")
    per = lambda name: [out / f"seed{s}" / name for s in seeds]  # noqa: E731
    tables = ("neuron-mi", "indicators", "test-error", "test-error-summary", "correlations", "leads", "leads-summary")
    run("weather_summary", "--neuron-mi", *per("neuron_mi.tsv"), "--indicators", *per("indicators.tsv"),
        "--test-error", *per("test_error.tsv"), "--baselines", out / "baselines.tsv", "--params", PARAMS,
        *sum(([f"--out-{t}", out / f"{t}.tsv"] for t in tables), []))
    figs = ("error", "neuron-mi-fig", "info-plane", "indicators-fig", "gradients", "leads-fig")
    run("weather_figures", "--neuron-mi", out / "neuron-mi.tsv", "--indicators", out / "indicators.tsv",
        "--test-error", out / "test-error.tsv", "--correlations", out / "correlations.tsv",
        "--leads", out / "leads.tsv", *sum(([f"--out-{f}", out / f"{f}.png"] for f in figs), []))
    return out


def test_activations_file_format(pipeline):
    with np.load(pipeline / "seed0" / "activations.npz", allow_pickle=False) as f:
        a = {k: f[k] for k in f.files}
    n = 219
    assert a["epochs"].tolist() == [0, 2, 4] and a["epochs"].dtype == np.int64
    assert a["inputs"].shape == (n, 7, 9) and a["targets"].shape == (n, 2)
    assert a["hidden"].shape == (3, n, 7, 10) and a["outputs"].shape == (3, n, 7, 2)
    assert {a[k].dtype for k in ("inputs", "targets", "hidden", "outputs")} == {np.dtype(np.float32)}
    assert a["input_names"].tolist()[:4] == ["precipitation", "temp_max", "temp_min", "wind"]


def test_model_file_reproduces_the_last_snapshot(pipeline):
    state = torch.load(pipeline / "seed0" / "model.pt", weights_only=True)
    net = Elman(9, 10, 2)
    net.load_state_dict(state)
    a = load_npz(pipeline / "seed0" / "activations.npz")
    with torch.no_grad():
        hidden, out = net(torch.from_numpy(a["inputs"]))
    np.testing.assert_allclose(out.numpy(), a["outputs"][-1], atol=1e-6)


def test_rerun_gives_identical_tables_and_arrays(pipeline, tmp_path):
    d = train(tmp_path, 0)
    for name in ("training.tsv", "model.pt", "activations.npz"):
        assert (d / name).read_bytes() == (pipeline / "seed0" / name).read_bytes(), name
    a, b = load_npz(d / "activations.npz"), load_npz(pipeline / "seed0" / "activations.npz")
    assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


def test_summary_tables(pipeline):
    err = pd.read_csv(pipeline / "test-error.tsv", sep="\t")
    assert set(err.model) == {"elman", "persistence", "linear", "train_mean"}
    assert len(err[err.model == "elman"]) == 4  # 2 seeds x 2 targets
    summ = pd.read_csv(pipeline / "test-error-summary.tsv", sep="\t")
    assert {"model", "target", "metric", "n", "mean", "sd"} <= set(summ.columns)
    ind = pd.read_csv(pipeline / "indicators.tsv", sep="\t")
    assert set(ind.seed) == {0, 1} and set(ind.epoch) == {0, 2, 4}
    assert {"mi_hidden_input", "tse_hidden", "grad_mean", "grad_std", "test_mse"} <= set(ind.indicator)
    lead = pd.read_csv(pipeline / "leads.tsv", sep="\t")
    assert set(lead.level) == {0.5, 0.9} and "test_mse" not in set(lead.indicator)
    nmi = pd.read_csv(pipeline / "neuron-mi.tsv", sep="\t")
    assert len(nmi) == 2 * 12
    for f in ("error", "neuron-mi-fig", "info-plane", "indicators-fig", "gradients", "leads-fig"):
        assert (pipeline / f"{f}.png").stat().st_size > 10_000


def test_bad_params_named():
    with pytest.raises(SystemExit, match="--params"):
        cli.main(["weather_baselines", "--params", "{oops", "--out", "x.tsv"])
