"""Start-up cost of every pipeline stage: the time to import ``rnninfo.stages.<stage>``.

    python bench/startup.py [--repeats 3]

Each stage is imported in a fresh interpreter (as a job's ``python -m
rnninfo.cli <stage>`` does); the import is timed inside that process, best of
``--repeats``, as CPU time of that process (``time.process_time``: on a
shared machine wall time mostly measures the neighbours; on an idle one the
two agree within a few per cent, files being in the page cache). Also listed: which heavy libraries the import pulled in. A
library a stage imports lazily, inside the function that uses it, is paid only
by the jobs that reach that code, and counts as the job's work, not start-up.
Prints one line per stage and the mean over stages last (goal: <= 0.5 s).
"""

import argparse
import json
import subprocess
import sys

from rnninfo.cli import available_stages

HEAVY = ("torch", "scipy.stats", "sklearn", "seaborn", "matplotlib", "pandas", "scipy", "numba")

PROBE = """
import json, sys, time
t = time.process_time()
import rnninfo.stages.{stage}
print(json.dumps([time.process_time() - t, [m for m in {heavy!r} if m in sys.modules]]))
"""


def import_cost(stage: str, repeats: int) -> tuple[float, list[str]]:
    """Best-of-``repeats`` seconds to import the stage's module in a fresh process, and its heavy imports."""
    best, heavy = float("inf"), []
    for _ in range(repeats):
        run = subprocess.run([sys.executable, "-c", PROBE.format(stage=stage, heavy=HEAVY)],
                             capture_output=True, text=True, check=True)
        seconds, heavy = json.loads(run.stdout)
        best = min(best, seconds)
    return best, heavy


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    costs = {}
    print(f"{'stage':28s} {'import (CPU s)':>14s}  heavy libraries imported")
    for stage in available_stages():
        costs[stage], heavy = import_cost(stage, args.repeats)
        print(f"{stage:28s} {costs[stage]:14.3f}  {', '.join(heavy) or '-'}", flush=True)
    print(f"{'mean over ' + str(len(costs)) + ' stages':28s} {sum(costs.values()) / len(costs):14.3f}")


if __name__ == "__main__":
    main()
