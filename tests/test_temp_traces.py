"""Trace files are temporary by default (`traces.keep: false`, issue 14: results/ <= 400 MB).

A real Snakemake run of the tiny configuration, limited to the generalisation
branch (train -> traces -> generalization -> Fig. 2) to stay short: the traces are
gone once their readers ran, their absence plans no rerun, and a reader that does
rerun gets them rebuilt from the models, with the same bytes in its table.
(tests/configs/tiny.yaml itself keeps traces: the other workflow tests compare
them between runs; `traces.keep: true` is covered there.)
"""

from __future__ import annotations

import hashlib

import pytest

from workflow_runs import TINY, job_counts, merged_config, run, snakemake_args

pytestmark = pytest.mark.slow

TARGET = "results/tables/generalization.tsv"


def test_temporary_traces_are_deleted_and_rebuilt_when_a_reader_reruns(tmp_path):
    cfg = merged_config(TINY, {"traces": {"keep": False}}, tmp_path / "temp_traces.yaml")
    work = tmp_path / "work"

    def snakemake(*extra):
        return run(snakemake_args(work, TARGET, *extra, configfile=cfg))

    snakemake()
    table = work / TARGET
    first = hashlib.sha256(table.read_bytes()).hexdigest()
    assert (work / "results/models").is_dir()
    assert not list((work / "results").rglob("traces/**/*.npz")), "temporary traces were left behind"

    # Deleted temporary files are no reason to run anything again.
    assert job_counts(snakemake("--dry-run", "--quiet", "rules").stdout) == {}

    # A reader that reruns gets its traces rebuilt (from the models, not by retraining) ...
    plan = job_counts(snakemake("--dry-run", "--quiet", "rules", "--forcerun", "generalization").stdout)
    assert plan.get("traces") and plan.get("generalization") and "train" not in plan
    snakemake("--forcerun", "generalization")
    # ... with the same bytes, so its results do not change.
    assert hashlib.sha256(table.read_bytes()).hexdigest() == first
    assert not list((work / "results").rglob("traces/**/*.npz"))

    # `--notemp` keeps them.
    snakemake("--forcerun", "generalization", "--notemp")
    assert len(list((work / "results").rglob("traces/**/*.npz"))) == 4  # 2 archs x 2 seeds
