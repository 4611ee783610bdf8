"""Paper B stages through the CLI, in-process: files, formats, byte-identical reruns."""

import json

import numpy as np
import pandas as pd
import pytest
import torch

from rnninfo import cli
from rnninfo.elman import Elman
from rnninfo.io import load_npz

PARAMS = json.dumps({"epochs": 4, "optimizer": "adam", "snapshots": [{"every": 0.5, "until": 1}, {"every": 1.5}],
                     "lr": 0.003, "batch_size": 64, "hidden": 10,
                     "window": 7, "test_fraction": 0.15, "root_seed": 2024, "tse": {"subsets": 10},
                     "lead": {"shares": [0.25, 0.5, 0.75], "smooth": 1}})


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
    # 20 updates per epoch (1235 windows / 64); snapshots at 0, 0.5, 1, 2.5 and the end
    assert a["updates"].tolist() == [0, 10, 20, 50, 80] and a["updates"].dtype == np.int64
    assert a["epochs"].tolist() == [0, 0.5, 1, 2.5, 4] and a["epochs"].dtype == np.float64
    assert a["inputs"].shape == (n, 7, 9) and a["targets"].shape == (n, 2)
    assert a["hidden"].shape == (5, n, 7, 10) and a["outputs"].shape == (5, n, 7, 2)
    assert a["grad_mean"].shape == (5, 7) and a["grad_layers"].tolist()[-1] == "all"
    log = pd.read_csv(pipeline / "seed0" / "training.tsv", sep="\t")
    assert log["update"].tolist() == a["updates"].tolist()  # one row per snapshot; join on update
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
    acts = load_npz(pipeline / "seed0" / "activations.npz")
    assert set(ind.seed) == {0, 1} and np.allclose(sorted(set(ind.epoch)), acts["epochs"])
    assert {"mi_hidden_input", "tse_hidden_gaussian", "tse_hidden_ksg", "test_mse"} <= set(ind.indicator)
    assert any(i.startswith("grad_mean") for i in ind.indicator)
    mi = ind[ind.indicator.str.startswith("mi_")]
    assert set(mi.standardize) == {True, False}  # raw and standardised MI in the same table
    # the error at the last snapshot is the training log's last-step test MSE
    log = pd.read_csv(pipeline / "seed0" / "training.tsv", sep="\t")
    last = ind[(ind.seed == 0) & (ind.indicator == "test_mse")].sort_values("epoch").value.iloc[-1]
    assert last == pytest.approx(log.test_mse.iloc[-1], rel=1e-5)
    lead = pd.read_csv(pipeline / "leads.tsv", sep="\t")
    assert set(lead.share) == {0.25, 0.5, 0.75} and "test_mse" not in set(lead.indicator)
    ok = lead.status == "ok"
    np.testing.assert_allclose(lead.lead[ok], (lead.t_error - lead.t_indicator)[ok])
    assert lead.lead[~ok].isna().all()
    summ = pd.read_csv(pipeline / "leads-summary.tsv", sep="\t")
    assert {"n_valid", "mean", "ci_low", "ci_high", "share_leading", "sign_p", "unit", "standardize"} <= set(summ)
    nmi = pd.read_csv(pipeline / "neuron-mi.tsv", sep="\t")
    assert len(nmi) == 2 * 12
    for f in ("error", "neuron-mi-fig", "info-plane", "indicators-fig", "gradients", "leads-fig"):
        assert (pipeline / f"{f}.png").stat().st_size > 10_000


def test_bad_params_named():
    with pytest.raises(SystemExit, match="--params"):
        cli.main(["weather_baselines", "--params", "{oops", "--out", "x.tsv"])


# ------------------------------------------------------------ flow stage (paper B Figs 1-4)


def day_activity(n_windows=40, T=7):
    """Node 0 = the day an observation belongs to (window w, step t -> day w + t), node 1 = an output."""
    day = np.arange(n_windows)[:, None] + np.arange(T)[None, :]          # (n, T)
    return np.stack([day, 1000 + day], axis=-1).astype(float), np.array(["input", "output"])


@pytest.mark.parametrize("samples", ["last_pair", "nonoverlapping"])
@pytest.mark.parametrize("lag", [0, 1])
def test_flow_samples_use_each_day_once(samples, lag):
    from rnninfo.flow import flow_samples
    from rnninfo.stages.weather_flow import select_samples, shift_outputs

    act, layers = day_activity()
    now, nxt = flow_samples(select_samples(shift_outputs(act, layers, lag), samples, window=7))
    pairs = np.column_stack([now[:, 0], nxt[:, 0]])                       # (samples, 2) input's day at t, t+1
    assert len(np.unique(pairs, axis=0)) == len(pairs)                     # no sample repeats a day pair
    assert (pairs[:, 1] == pairs[:, 0] + 1).all()
    if samples == "last_pair":
        assert len(pairs) == 40                                            # one per window
    # the output node is lag steps behind the input in every sample
    assert (now[:, 1] - 1000 == now[:, 0] - lag).all() and (nxt[:, 1] - 1000 == nxt[:, 0] - lag).all()


def test_all_pairs_repeat_days():
    from rnninfo.flow import flow_samples
    from rnninfo.stages.weather_flow import select_samples

    act, _ = day_activity()
    now, nxt = flow_samples(select_samples(act, "all_pairs", window=7))
    pairs = np.column_stack([now[:, 0], nxt[:, 0]])
    assert len(np.unique(pairs, axis=0)) == 40 + 5 < len(pairs)           # the reason it is not the default
    with pytest.raises(ValueError, match="samples"):
        select_samples(act, "every_other", window=7)


def test_output_lag_one_shows_the_readout_as_the_next_step():
    """A planted net: AR(1) inputs drive hidden units, outputs read the hidden state in the same step.

    With lag 0 the readout's own-step MI cancels the hidden -> output flow (paper B's
    flow is then about zero or negative); with lag 1 the readout is the next step and
    the flow from hidden units into outputs is large.
    """
    from rnninfo.flow import flow_matrix
    from rnninfo.stages.weather_flow import select_samples, shift_outputs

    rng = np.random.default_rng(0)
    n, T = 600, 7
    x = np.zeros((n, T + 20, 2))
    for t in range(1, T + 20):
        x[:, t] = 0.9 * x[:, t - 1] + rng.normal(scale=0.44, size=(n, 2))
    x = x[:, 20:]                                                          # stationary
    h = np.zeros((n, T, 3))
    prev = np.zeros((n, 3))
    W_in, W = rng.normal(size=(3, 2)), 0.3 * rng.normal(size=(3, 3))
    for t in range(T):
        prev = np.tanh(x[:, t] @ W_in.T + prev @ W.T)
        h[:, t] = prev
    y = h @ rng.normal(size=(2, 3)).T                                      # same-step readout
    act = np.concatenate([x, h, y], axis=-1)
    layers = np.array(["input"] * 2 + ["hidden"] * 3 + ["output"] * 2)
    hid, out = np.flatnonzero(layers == "hidden"), np.flatnonzero(layers == "output")
    f0 = flow_matrix(select_samples(shift_outputs(act, layers, 0), "last_pair", T), k=3, seed=1)
    f1 = flow_matrix(select_samples(shift_outputs(act, layers, 1), "last_pair", T), k=3, seed=1)
    h_to_y0, h_to_y1 = f0[np.ix_(hid, out)].mean(), f1[np.ix_(hid, out)].mean()
    assert h_to_y0 < 0.05
    assert h_to_y1 > h_to_y0 + 0.3


def planted_activations(path, seed, n=160, T=7):
    """A layered net with AR(1) inputs: in0 -> h0 -> h1 -> out0 (one step each), in1 and h2 unconnected noise."""
    rng = np.random.default_rng(seed)
    x = np.zeros((n, T + 20, 2))
    for t in range(1, T + 20):
        x[:, t] = 0.9 * x[:, t - 1] + rng.normal(scale=0.44, size=(n, 2))
    x = x[:, 20:]
    h = rng.normal(scale=0.1, size=(n, T, 3))
    y = rng.normal(scale=0.1, size=(n, T, 1))
    for t in range(1, T):
        h[:, t, 0] += np.tanh(2 * x[:, t - 1, 0])
        h[:, t, 1] += np.tanh(2 * h[:, t - 1, 0])
        y[:, t, 0] += 2 * h[:, t - 1, 1]
    hidden = np.stack([np.zeros_like(h), h]).astype(np.float32)            # two snapshots; the last is used
    outputs = np.stack([np.zeros_like(y), y]).astype(np.float32)
    np.savez(path, epochs=np.array([0.0, 3.5]), updates=np.array([0, 35]), inputs=x.astype(np.float32),
             targets=np.zeros((n, 1), np.float32), hidden=hidden, outputs=outputs,
             input_names=np.array(["a", "b"]), target_names=np.array(["y"]), seed=np.int64(seed))


FLOW_PARAMS = json.dumps({"n_surrogates": 20, "thresholds": [0.05, 0.2], "root_seed": 3, "output_lags": [0, 1]})


@pytest.fixture(scope="module")
def flow_runs(tmp_path_factory):
    """The flow stage on two planted networks (seeds 1, 0)."""
    tmp = tmp_path_factory.mktemp("flow")
    return tmp, {s: run_flow(tmp, s, f"s{s}") for s in (1, 0)}


def run_flow(tmp_path, seed, tag):
    acts = tmp_path / f"acts{seed}.npz"
    if not acts.exists():
        planted_activations(acts, seed)
    out = {t: tmp_path / tag / f"{t}.tsv" for t in ("flow", "edges", "nodes", "summary")}
    run("weather_flow", "--activations", acts, "--seed", seed, "--params", FLOW_PARAMS, "--threads", 2,
        *sum(([f"--{t}", p] for t, p in out.items()), []))
    return out


def test_flow_stage_significance_conditions_and_planted_edges(flow_runs):
    from rnninfo.io import read_tsv

    tmp, runs = flow_runs
    out = runs[0]
    again = run_flow(tmp, 0, "again")
    for t in out:
        assert out[t].read_bytes() == again[t].read_bytes(), t                  # same config, same bytes
    fl, ed, sm = (read_tsv(out[t]) for t in ("flow", "edges", "summary"))
    m = 6
    assert {(m_, lag) for m_, lag in fl[["measure", "output_lag"]].itertuples(index=False)} == {
        ("tdmi", 0), ("tdmi", 1), ("te", 0), ("te", 1)}
    assert len(fl) == 4 * m * (m - 1) and (fl.epoch == 3.5).all()              # the last snapshot
    assert ((fl.p > 0) & (fl.p <= 1)).all() and (fl.q >= fl.p - 1e-12).all()
    assert (fl.significant == (fl.q <= 0.05)).all()
    # an edge is significant and above the threshold, nothing else
    for (measure, lag, thr), e in ed.groupby(["measure", "output_lag", "threshold"]):
        pairs = fl[(fl.measure == measure) & (fl.output_lag == lag)]
        want = pairs[pairs.significant & (pairs.flow > thr)]
        assert sorted(zip(e.source, e.target)) == sorted(zip(want.source, want.target))
    assert (sm.n_samples == 160).all()                                         # one step pair per window
    # the planted chain is found by transfer entropy: each planted link significant, no link from the noise
    te = fl[(fl.measure == "te") & (fl.output_lag == 0)].set_index(["source", "target"])
    for link in (("in:a", "h0"), ("h0", "h1"), ("h1", "out:y")):
        assert te.loc[link].significant, link
    assert not te.loc[[("in:b", n) for n in ("h0", "h1", "h2", "out:y")]].significant.any()
    assert not te.loc[[("h2", n) for n in ("h0", "h1", "out:y")]].significant.any()


def test_flow_summary_and_figures(flow_runs, tmp_path):
    from rnninfo.io import read_tsv

    runs = list(flow_runs[1].values())
    agg = {t: tmp_path / f"all_{t}.tsv" for t in ("flow", "edges", "nodes", "summary", "stats")}
    argv = ["weather_flow_summary"]
    for t in ("flow", "edges", "nodes", "summary"):
        argv += [f"--{t}", *[r[t] for r in runs], f"--out-{t}", agg[t]]
    run(*argv, "--out-stats", agg["stats"])
    summary, stats = read_tsv(agg["summary"]), read_tsv(agg["stats"])
    assert summary.seed.tolist()[:2] == [0, 0] and set(summary.seed) == {0, 1}
    row = stats[(stats.measure == "te") & (stats.output_lag == 1) & (stats.threshold == 0.05) & (stats.metric == "n_edges")]
    sel = summary[(summary.measure == "te") & (summary.output_lag == 1) & (summary.threshold == 0.05)]
    assert row.n_seeds.item() == 2 and row["mean"].item() == pytest.approx(sel.n_edges.mean())
    # figures of one condition (each condition is drawn by the same code; keeps the test short)
    one = {}
    for t in ("flow", "edges", "nodes", "summary"):
        table = read_tsv(agg[t])
        one[t] = tmp_path / f"one_{t}.tsv"
        table[(table.measure == "te") & (table.output_lag == 1)].to_csv(one[t], sep="\t", index=False)
    prefix = tmp_path / "fig" / "weather_flow"
    run("weather_flow_figures", "--flow", one["flow"], "--edges", one["edges"], "--nodes", one["nodes"],
        "--summary", one["summary"], "--graph-seeds", 1, "--out-prefix", prefix)
    names = [f"{f}_te_lag1" for f in ("graphs", "degrees", "degree_hist", "ranks")] + ["order", "significance"]
    for name in names:
        assert (tmp_path / "fig" / f"weather_flow_{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
