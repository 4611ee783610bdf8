"""`snakemake --lint` and `snakefmt --check` pass (run `snakefmt .` to fix the format)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

from workflow_runs import ROOT, env


def test_snakemake_lint_is_clean(tmp_path):
    # --directory: linting must not leave a .snakemake folder in the repository
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", "--lint", "-s", str(ROOT / "Snakefile"), "--directory", str(tmp_path)],
        capture_output=True, text=True, env=env(), timeout=300, cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]


@pytest.mark.skipif(importlib.util.find_spec("snakefmt") is None, reason="snakefmt not installed (pip install -e '.[lint]')")
def test_snakefmt_check_is_clean():
    proc = subprocess.run([sys.executable, "-m", "snakefmt", "--check", "--diff", "."],
                          capture_output=True, text=True, env=env(), timeout=300, cwd=ROOT)
    assert proc.returncode == 0, "run `snakefmt .`:\n" + proc.stdout[-6000:] + proc.stderr[-2000:]
