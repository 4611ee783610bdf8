"""Resilience: killed runs resume to the same bytes, partial files never pass for results,
model files are plain tensors.

The end-to-end tests use tests/configs/tiny.yaml (see tests/workflow_runs.py).
"""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from rnninfo.models import load_model
from workflow_runs import ROOT, env, finished_tiny_run, result_files, run, snakemake_args

COMPARED = ("*.tsv", "*.pt", "*.npz")  # tables, models, traces / activations


# ---- atomic writes -----------------------------------------------------------------

def _die_while_writing(tmp_path: Path, body: str) -> subprocess.CompletedProcess:
    """Run ``body`` in a fresh interpreter that SIGKILLs itself in the middle of a write."""
    script = textwrap.dedent(
        """
        import os, signal, sys
        import numpy as np, pandas as pd
        from rnninfo import io
        target = sys.argv[1]
        def die():
            os.kill(os.getpid(), signal.SIGKILL)
        """
    ) + textwrap.dedent(body)
    return subprocess.run([sys.executable, "-c", script, str(tmp_path / "result.tsv")],
                          capture_output=True, text=True, timeout=120)


def test_killed_writer_leaves_no_file_under_the_final_name(tmp_path):
    proc = _die_while_writing(tmp_path, """
        with io.atomic_path(target) as tmp:
            with open(tmp, "w") as fh:
                fh.write("a\\tb\\n1\\t")
                fh.flush()
                die()
    """)
    assert proc.returncode == -signal.SIGKILL
    assert not (tmp_path / "result.tsv").exists()
    # what is left is a hidden temporary, which no rule names as an output
    assert [p.name.startswith(".result.tsv.") for p in tmp_path.iterdir()] == [True]


def test_killed_rewrite_keeps_the_previous_complete_file(tmp_path):
    old = pd.DataFrame({"a": [1, 2], "b": [0.5, 0.25]})
    from rnninfo.io import read_tsv, write_tsv

    write_tsv(old, tmp_path / "result.tsv")
    before = (tmp_path / "result.tsv").read_bytes()
    proc = _die_while_writing(tmp_path, """
        def half_then_die(self, path, *a, **k):
            with open(path, "w") as fh:
                fh.write("a\\tb\\n9\\t")
                fh.flush()
            die()
        pd.DataFrame.to_csv = half_then_die
        io.write_tsv(pd.DataFrame({"a": range(1000), "b": 1.0}), target)
    """)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert (tmp_path / "result.tsv").read_bytes() == before
    pd.testing.assert_frame_equal(read_tsv(tmp_path / "result.tsv"), old)


# ---- model files ---------------------------------------------------------------------

class _RunsCode:
    """Unpickling this calls os.system: what a malicious model file would do."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_crafted_pickle_is_refused_by_load_model(tmp_path):
    marker = tmp_path / "code-ran"
    evil = tmp_path / "evil.pt"
    torch.save({"rnn.weight_ih_l0": _RunsCode(marker)}, evil)
    with open(tmp_path / "evil.pkl", "wb") as fh:  # a bare pickle, not a torch archive
        pickle.dump(_RunsCode(marker), fh, protocol=2)
    for path in (evil, tmp_path / "evil.pkl"):
        with pytest.raises(pickle.UnpicklingError):
            load_model(path, "RNN", input_size=3, hidden_size=12)
    assert not marker.exists(), "loading a model file ran code"


@pytest.mark.slow
def test_model_files_are_plain_tensors(tmp_path_factory):
    ws = finished_tiny_run(tmp_path_factory)
    paths = sorted(ws.results.rglob("*.pt"))
    assert any("models" in p.parts for p in paths) and any(p.name == "model.pt" for p in paths)
    for path in paths:
        state = torch.load(path, map_location="cpu", weights_only=True)
        assert isinstance(state, dict) and state, path
        assert all(isinstance(v, torch.Tensor) for v in state.values()), path
    for path in (p for p in paths if "models" in p.parts):
        state = torch.load(path, weights_only=True)
        arch = path.parts[-3]
        model = load_model(path, arch, input_size=state["rnn.weight_ih_l0"].shape[1],
                           hidden_size=state["rnn.weight_hh_l0"].shape[1])
        assert model.arch == arch


# ---- a run killed in the middle of training --------------------------------------------

def _training_started(work: Path) -> Path | None:
    """The model folder of a training job that has started and not yet saved every seed."""
    for log in (work / "results/logs/train").rglob("*.log"):
        if "training " in log.read_text(errors="replace"):
            task, arch, delay = log.relative_to(work / "results/logs/train").with_suffix("").parts
            folder = work / "results/models" / task / arch / delay
            if not (folder / "training.tsv").exists():
                return folder
    return None


def _check_final_names_hold_complete_files(work: Path) -> None:
    for f in (work / "results").rglob("*"):
        if not f.is_file() or f.name.startswith(".") or "logs" in f.parts:
            continue
        if f.suffix == ".pt":
            torch.load(f, weights_only=True)
        elif f.suffix == ".tsv":
            pd.read_csv(f, sep="\t")
        elif f.suffix == ".npz":
            with np.load(f, allow_pickle=False) as z:
                [z[k] for k in z.files]


@pytest.mark.slow
def test_sigkill_in_training_resumes_with_same_command_to_identical_results(tmp_path, tmp_path_factory):
    reference = finished_tiny_run(tmp_path_factory)
    work = tmp_path / "work"
    # The command a user runs (the default profile has rerun-incomplete), twice.
    command = snakemake_args(work, "--workflow-profile", ROOT / "workflow/profiles/default")
    work.mkdir()
    log = open(tmp_path / "killed.log", "w")
    proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env(), cwd=work,
                            start_new_session=True)  # its own process group: kill it and its jobs
    try:
        deadline = time.time() + 900
        folder = None
        while folder is None and proc.poll() is None and time.time() < deadline:
            time.sleep(0.05)
            folder = _training_started(work)
        assert folder is not None, f"no training job seen (exit {proc.poll()}); see {tmp_path / 'killed.log'}"
        os.killpg(proc.pid, signal.SIGKILL)  # Snakemake and every job it runs, without warning
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()
    assert proc.returncode == -signal.SIGKILL
    # Killed in the middle of training: that condition's outputs are not all there.
    assert not (folder / "training.tsv").exists()
    # Whatever carries a final name is a complete file; partial writes are hidden temporaries.
    _check_final_names_hold_complete_files(work)

    resumed = run(command, check=False)
    if resumed.returncode != 0 and "cannot be locked" in resumed.stdout + resumed.stderr:
        # SIGKILL gave Snakemake no chance to remove its lock; `--unlock` is the one extra step
        # (README). Nothing else: rerun-incomplete redoes the jobs that were cut off.
        run(command + ["--unlock"])
        resumed = run(command, check=False)
    assert resumed.returncode == 0, resumed.stderr[-4000:]
    assert (folder / "training.tsv").exists()  # the cut-off training job ran again

    # Two separate runs (this one and the shared one) give the same bytes: tables, models,
    # traces. (tests/test_slurm.py compares a third, on SLURM.)
    got, want = result_files(work, COMPARED), result_files(reference.path, COMPARED)
    assert sorted(got) == sorted(want)
    differing = [f for f in want if got[f] != want[f]]
    assert not differing, f"resumed run differs from an uninterrupted one: {differing}"
