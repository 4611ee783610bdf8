"""The SLURM profile, and the workflow run through a real (one-node, local) SLURM.

The `slurm` tests start a cluster with tests/slurm/start-cluster.sh (root: it
installs Debian's slurm-wlm and munge when missing) once for this module and stop
exactly the daemons it started afterwards. Without root, or where the script
cannot start SLURM, they skip and say why; with RNNINFO_REQUIRE_SLURM=1 (set by
.ci/run) they fail instead. The run uses tests/configs/tiny.yaml (see
tests/workflow_runs.py).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from workflow_runs import ROOT, finished_tiny_run, result_files, run, snakemake_args

PROFILE = ROOT / "workflow" / "profiles" / "slurm"
START = ROOT / "tests" / "slurm" / "start-cluster.sh"
STOP = ROOT / "tests" / "slurm" / "stop-cluster.sh"
COMPARED = ("*.tsv", "*.pt", "*.npz")
UNGROUPED = {"all", "train"}  # train is the long job of its own; `all` runs no code


def workflow_rules(workdir: Path) -> set[str]:
    proc = run(snakemake_args(workdir, "--list-rules", cores=None), timeout=300)
    return {line.split()[0] for line in proc.stdout.splitlines() if re.match(r"^\w+\s*$", line)}


def profile() -> dict:
    return yaml.safe_load((PROFILE / "config.yaml").read_text())


# ---- the profile itself (no cluster needed) ------------------------------------------

def test_profile_targets_slurm_without_accounting():
    p = profile()
    assert p["executor"] == "slurm"
    assert p["slurm-status-command"] == "squeue"  # no sacct on clusters without accounting
    assert p["rerun-incomplete"] is True
    assert {"mem_mb", "runtime"} <= set(p["default-resources"])


def test_profile_names_existing_rules_and_places_every_rule(tmp_path):
    rules, p = workflow_rules(tmp_path), profile()
    assert set(p["set-resources"]) <= rules, set(p["set-resources"]) - rules
    assert set(p["groups"]) <= rules, set(p["groups"]) - rules
    unplaced = rules - set(p["groups"]) - UNGROUPED
    assert not unplaced, f"new rules: give them a group in {PROFILE}/config.yaml (or list them in UNGROUPED)"
    assert set(p["group-components"]) <= set(p["groups"].values())


# ---- a real SLURM --------------------------------------------------------------------

@pytest.fixture(scope="module")
def slurm_cluster():
    required = os.environ.get("RNNINFO_REQUIRE_SLURM") == "1"

    def unavailable(reason: str):
        if required:
            pytest.fail(f"RNNINFO_REQUIRE_SLURM=1 but {reason}")
        pytest.skip(reason)

    if os.geteuid() != 0:
        unavailable("SLURM test needs root (tests/slurm/start-cluster.sh installs packages and starts daemons)")
    if not shutil.which("sbatch") and not shutil.which("apt-get"):
        unavailable("no SLURM installed and no apt-get to install Debian's slurm-wlm")
    proc = subprocess.run(["bash", str(START)], capture_output=True, text=True, timeout=1200)
    started = "started " in proc.stdout
    if proc.returncode != 0:
        if started:
            subprocess.run(["bash", str(STOP)], capture_output=True, timeout=300)
        unavailable(f"tests/slurm/start-cluster.sh could not start SLURM:\n{proc.stdout}\n{proc.stderr}")
    yield proc.stdout
    if started:  # stop what this session started, nothing else
        subprocess.run(["bash", str(STOP)], capture_output=True, timeout=300)


@pytest.mark.slurm
@pytest.mark.slow
def test_workflow_through_sbatch_equals_local_run(slurm_cluster, tmp_path, tmp_path_factory):
    reference = finished_tiny_run(tmp_path_factory)
    work = tmp_path / "work"
    # What a user types (README), plus a short first status check for a quick test.
    proc = run(snakemake_args(work, "--workflow-profile", PROFILE,
                              "--slurm-init-seconds-before-status-checks", "2", cores=None),
               timeout=2400)
    out = proc.stdout + proc.stderr

    # Every job went through sbatch: Snakemake reports each SLURM job id and its log.
    submitted = re.findall(r"has been submitted with SLURM jobid (\d+) \(log: ([^)]+)\)", out)
    assert submitted, out[-3000:]
    # ... slurmctld knows them (squeue lists finished jobs for MinJobAge) as completed jobs of
    # this run (job name = the run's id), and each wrote its SLURM log.
    run_id = re.search(r"SLURM run ID: (\S+)", out)[1]
    queue = subprocess.run(["squeue", "--states=all", "--noheader", "--format=%i|%T|%j"],
                           capture_output=True, text=True, check=True).stdout
    states = {i: (state, name) for i, state, name in (line.split("|") for line in queue.split())}
    logs = []
    for job_id, log in submitted:
        assert states.get(job_id) == ("COMPLETED", run_id), (job_id, states.get(job_id))
        assert Path(log).is_file() and Path(log).name == f"{job_id}.log"
        assert Path(log).resolve().is_relative_to((work / ".snakemake" / "slurm_logs").resolve())
        logs.append(Path(log).read_text())
    # ... and every rule of the workflow ran inside one of those jobs.
    ran_inside = set(re.findall(r"^localrule (\w+):", "\n".join(logs), flags=re.M))
    dag = reference.job_dag()
    expected = {dag.rule(j) for j in dag.labels} - {"all"}
    assert expected <= ran_inside, expected - ran_inside

    # Same bytes as the local run: tables, models, traces.
    assert result_files(work, COMPARED) == result_files(reference.path, COMPARED)
