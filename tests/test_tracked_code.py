"""Jobs run the workflow's own src/, and a failed job's log ends up on the console.

A copy of the workflow is run without PYTHONPATH, the way a user runs it: the
venv's rnninfo is an (editable) install of the repository, not of the copy. The
copy's stage code is edited, and the job's output must show the edit (the
repository's code, which the install points to, has no such edit). Then the
stage is made to fail (the edited code is an input: the job reruns), and the
end of its log must appear on the console (the Snakefile's `onerror:` handler,
rnninfo.job_logs). The job is the cheapest of the DAG (weather baselines: no
torch, a few seconds).
"""

from __future__ import annotations

import os

import pandas as pd

from rnninfo.job_logs import failed_job_logs
from workflow_runs import copy_workflow, env, run, snakemake_args

TARGET = "results/weather/baselines.tsv"


def test_a_copy_runs_its_own_edited_code_and_shows_a_failed_log(tmp_path):
    wf = copy_workflow(tmp_path / "wf")
    stage = wf / "src" / "rnninfo" / "stages" / "weather_baselines.py"
    plain_env = {k: v for k, v in env().items() if k != "PYTHONPATH"}
    args = snakemake_args(wf, TARGET, snakefile=wf / "Snakefile", cores=1)

    code = stage.read_text()
    anchor = "    table = baseline_errors(data)\n"
    assert anchor in code
    stage.write_text(code.replace(anchor, anchor + '    table["model"] = "copy:" + table["model"]\n'))
    run(args, env_vars=plain_env)
    table = pd.read_csv(wf / TARGET, sep="\t")
    assert len(table) >= 3 and table["model"].str.startswith("copy:").all(), table  # the copy's code ran

    failing = anchor + '    print("planted line before the failure", flush=True)\n' \
        + '    raise SystemExit("planted failure: the end of this log must reach the console")\n'
    stage.write_text(code.replace(anchor, failing))
    proc = run(args, env_vars=plain_env, check=False)
    assert proc.returncode != 0
    console = proc.stdout + proc.stderr
    log = "results/logs/weather/baselines.log"
    assert f"=== rule weather_baselines failed; last 20 lines of {log} ===" in console, console[-3000:]
    shown = console.split(f"last 20 lines of {log} ===", 1)[1]
    assert "planted line before the failure" in shown
    assert "planted failure: the end of this log must reach the console" in shown
    assert os.path.isfile(wf / log)


def test_failed_job_logs_are_parsed_from_snakemake_s_error_blocks(tmp_path):
    text = (
        "Error in rule train:\n    message: None\n    jobid: 3\n"
        "    log: results/logs/train/a.log (check log file(s) for error details)\n"
        "Error in rule relay:\n    jobid: 7\n"
        "    log: results/logs/relay/b.log, results/logs/relay/c.log (check log file(s) for error details)\n"
        "Error in rule train:\n    log: results/logs/train/a.log (check log file(s) for error details)\n"
    )
    assert failed_job_logs(text) == [
        ("train", "results/logs/train/a.log"),
        ("relay", "results/logs/relay/b.log"),
        ("relay", "results/logs/relay/c.log"),
    ]
    assert failed_job_logs("Nothing to be done.") == []


def test_conda_env_holds_the_dependencies_only():
    """envs/rnninfo.yaml installs no project path (Snakemake copies the file before creating the env)
    and lists pyproject.toml's dependencies (without snakemake, which runs outside it)."""
    import tomllib

    import yaml

    from workflow_runs import ROOT

    env_file = yaml.safe_load((ROOT / "envs" / "rnninfo.yaml").read_text())
    deps = env_file["dependencies"]
    pip = next(d["pip"] for d in deps if isinstance(d, dict))
    for entry in [d for d in deps if isinstance(d, str)] + pip:
        assert not entry.startswith(("-e", ".", "/", "file:", "git+")) and "../" not in entry, entry
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert sorted(pip) == sorted(d for d in project if not d.startswith("snakemake"))
