"""Start-up hygiene (issue 14 item 5): a stage imports only what it uses.

No timings here (bench/startup.py prints those): each test imports a module in a
fresh interpreter and checks which heavy libraries came with it, so a module-level
import that slips back in fails the test. Plus the one numerical change made for
it: flow's normal-tail p-value without scipy.stats, equal to scipy.stats bit for bit.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

HEAVY = ("torch", "pandas", "scipy.stats", "sklearn", "seaborn", "matplotlib")


def loaded_after(statement: str) -> set[str]:
    """Heavy libraries in sys.modules after running ``statement`` in a fresh interpreter."""
    probe = f"import json, sys\n{statement}\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(json.loads(run.stdout.splitlines()[-1]))


def test_cli_dispatch_imports_nothing_heavy():
    # `python -m rnninfo.cli` lists and dispatches stages before any stage module loads
    assert loaded_after("import rnninfo.cli; rnninfo.cli.available_stages()") == set()
    assert loaded_after("import rnninfo") == set()


@pytest.mark.parametrize(
    "stage, absent",
    [
        ("traces", {"pandas", "scipy.stats", "seaborn", "matplotlib"}),  # torch yes: it runs the networks
        ("weather_flow", {"scipy.stats", "torch", "seaborn", "matplotlib"}),
        ("relay_figures", {"seaborn", "scipy.stats", "torch"}),  # seaborn once main() has its arguments
        ("generalization", {"torch", "scipy.stats", "seaborn", "matplotlib"}),
        ("relay", {"torch", "seaborn", "matplotlib"}),
    ],
)
def test_stage_module_leaves_unused_libraries_alone(stage, absent):
    loaded = loaded_after(f"import rnninfo.stages.{stage}")
    assert not loaded & absent, f"rnninfo.stages.{stage} imports {sorted(loaded & absent)} at module level"


def test_normal_tail_pvalue_equals_scipy_stats():
    from scipy import stats

    from rnninfo.flow import surrogate_pvalues

    rng = np.random.default_rng(3)
    for S in (3, 10, 200):
        null = rng.normal(size=(S, 4, 4))
        obs = rng.normal(size=(4, 4)) * 3
        obs[0, 0] = np.nan
        null[:, 1, 1] = 0.5  # constant surrogates: sd 0 -> NaN, as before
        sd = null.std(axis=0, ddof=1) * np.sqrt(1 + 1 / S)
        with np.errstate(invalid="ignore", divide="ignore"):
            t = (obs - null.mean(axis=0)) / np.where(sd > 0, sd, np.nan)
        want = np.where(np.isnan(obs), np.nan, stats.t.sf(t, df=S - 1))
        got = surrogate_pvalues(obs, null, method="normal")
        assert np.array_equal(got, want, equal_nan=True)
        assert np.isnan(got[0, 0]) and np.isnan(got[1, 1])
