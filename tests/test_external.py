"""Users' traces through the CLI (`rnninfo.cli analyze`) and the workflow (`external:`),
written with numpy alone (issue 12)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import yaml

from workflow_runs import ROOT, TINY, env, run, snakemake_args


def _write_trace(folder, n=300, T=4, N=6, seed=0):
    """A recording-rig trace: unit 2 carries concept 0 from step 1 on; outputs answer both concepts."""
    rng = np.random.default_rng(seed)
    y = rng.choice([-1, 1], size=(n, 2))
    h = rng.normal(size=(n, T, N))
    h[:, 1:, 2] += 3 * y[:, [0]]
    x = rng.normal(size=(n, T, 2))
    np.savez(folder / "rig.npz", hidden=h, x=x)
    np.save(folder / "labels.npy", y)
    np.savetxt(folder / "answers.txt", y, fmt="%d")
    return y


def _cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "rnninfo.cli", "analyze", *map(str, args)],
                          capture_output=True, text=True, env=env(), cwd=cwd, timeout=600)


def test_cli_analyze_relay_on_numpy_trace(tmp_path):
    _write_trace(tmp_path)
    proc = _cli("relay", "--trace", "rig.npz", "--labels", "labels.npy", "--answers", "answers.txt",
                "--n-perm", 50, "--names", "colour,shape", "--out", "out", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    table = pd.read_csv(tmp_path / "out" / "relay.tsv", sep="\t")
    best = table[(table.concept_name == "colour") & (table.t == 2)].sort_values("share").iloc[-1]
    assert best["node"] == 2 and best["p"] <= 0.05
    assert table[(table.concept_name == "colour") & (table.t == 0)]["p"].iloc[0] > 0.05
    for fig in ("fig3_relay.png", "fig6_relay_map.png"):
        assert (tmp_path / "out" / fig).stat().st_size > 10_000
    # bad input: the message names the option and what is wrong
    np.save(tmp_path / "bad.npy", np.arange(300 * 2).reshape(300, 2))
    proc = _cli("relay", "--trace", "rig.npz", "--labels", "bad.npy", "--out", "o2", cwd=tmp_path)
    assert proc.returncode != 0 and "labels: expected binary values" in proc.stderr
    proc = _cli("relay", "--trace", "labels.npy", "--labels", "labels.npy", "--out", "o2", cwd=tmp_path)
    assert proc.returncode != 0 and "--trace" in proc.stderr
    proc = _cli("relay", "--trace", "rig.npz", "--labels", "labels.npy", "--out", "o2", cwd=tmp_path)
    assert proc.returncode != 0 and "answers: not given and the trace has no outputs" in proc.stderr


def test_cli_analyze_flow_on_numpy_trace(tmp_path):
    """A planted chain input -> unit 0 -> unit 1 with lags; the flow graph ranks it in order."""
    rng = np.random.default_rng(0)
    n, T = 150, 6
    x = np.zeros((n, T, 1))
    h = np.zeros((n, T, 3))
    x[:, :, 0] = rng.normal(size=(n, T))
    for t in range(1, T):
        h[:, t, 0] = np.tanh(2 * x[:, t - 1, 0]) + 0.1 * rng.normal(size=n)
        h[:, t, 1] = np.tanh(2 * h[:, t - 1, 0]) + 0.1 * rng.normal(size=n)
    h[:, :, 2] = rng.normal(size=(n, T))
    np.savez(tmp_path / "chain.npz", hidden=h, x=x)
    proc = _cli("flow", "--trace", "chain.npz", "--n-surrogates", 40, "--p-method", "normal", "--out", "out",
                cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    edges = pd.read_csv(tmp_path / "out" / "flow_edges.tsv", sep="\t")
    nodes = pd.read_csv(tmp_path / "out" / "flow_nodes.tsv", sep="\t")
    sig = set(map(tuple, edges.loc[edges.edge.astype(bool), ["source", "target"]].to_numpy()))
    assert (0, 1) in sig and (1, 2) in sig  # input (node 0) -> unit 0 (node 1) -> unit 1 (node 2)
    r = nodes.set_index("node")["rank"]
    assert r[0] < r[1] < r[2]


def test_workflow_runs_on_external_trace(tmp_path):
    """The Snakemake DAG runs the external stages on a trace the test wrote with numpy."""
    _write_trace(tmp_path)
    cfg = yaml.safe_load(TINY.read_text())
    entry = {"trace": "rig.npz", "labels": "labels.npy", "answers": "answers.txt", "names": ["colour", "shape"],
             "n_perm": 30, "flow": True, "n_surrogates": 20}
    cfg["external"] = {"rig": entry}
    cfg["results"] = "res"
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(cfg))
    targets = [f"res/external/rig/relay/{f}" for f in ("relay.tsv", "fig3_relay.png", "fig6_relay_map.png")]
    targets += [f"res/external/rig/flow/{f}" for f in ("flow_edges.tsv", "flow_nodes.tsv", "flow.png")]
    dry = run(snakemake_args(tmp_path, "-n", configfile=config))  # the default target includes them
    assert "external_relay" in dry.stdout and "external_flow" in dry.stdout
    run(snakemake_args(tmp_path, *targets, configfile=config))
    direct = _cli("relay", "--trace", "rig.npz", "--labels", "labels.npy", "--answers", "answers.txt",
                  "--n-perm", 30, "--names", "colour,shape", "--out", "direct", cwd=tmp_path)
    assert direct.returncode == 0, direct.stderr[-2000:]
    edges = pd.read_csv(tmp_path / "res/external/rig/flow/flow_edges.tsv", sep="\t")
    assert {"flow", "p", "q", "edge"} <= set(edges.columns) and len(edges) == 8 * 7  # 2 inputs + 6 units
    # the workflow's table is the CLI's table, byte for byte
    assert (tmp_path / "res/external/rig/relay/relay.tsv").read_bytes() == (tmp_path / "direct/relay.tsv").read_bytes()
