"""The README's per-rule performance table, from one or more runs.

    python bench/benchmark_table.py results/tables/benchmarks.tsv [run2/tables/benchmarks.tsv ...]
    python bench/benchmark_table.py --results results [run2/results ...]

Prints a markdown table to paste: rule, jobs, job-seconds, share of all
job-seconds, seconds per job, largest max RSS (MB), slowest rule first, and the
total. Several runs (e.g. paper A and paper B run separately) are stacked first,
so each rule is summed over them. The first form reads the table the workflow's
`benchmarks` rule writes (the same table ends results/logs/benchmarks.log; the
figure is results/figures/benchmarks.png). ``--results`` reads the per-job
Snakemake benchmark files under each folder's benchmarks/ directly (for a run
that stopped before the summary), naming them by this workflow's rules'
benchmark patterns; files of rules that no longer exist are listed and skipped.
"""

import argparse
import sys
from pathlib import Path

import pandas as pd

from rnninfo.stages.benchmarks import collect, markdown

ROOT = Path(__file__).resolve().parents[1]


def benchmark_patterns(results: str) -> dict[str, str]:
    """{rule: benchmark path pattern} of this workflow, with its outputs under ``results``."""
    from snakemake.api import SnakemakeApi
    from snakemake.settings.types import (ConfigSettings, DeploymentSettings, OutputSettings,
                                          ResourceSettings, StorageSettings, WorkflowSettings)

    with SnakemakeApi(OutputSettings()) as api:
        wf = api.workflow(resource_settings=ResourceSettings(), storage_settings=StorageSettings(),
                          config_settings=ConfigSettings(config={"results": results}),
                          workflow_settings=WorkflowSettings(), deployment_settings=DeploymentSettings(),
                          snakefile=ROOT / "Snakefile", workdir=ROOT)
        return {r.name: str(r.benchmark) for r in wf._workflow.rules if r.benchmark}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("paths", nargs="+", help="tables/benchmarks.tsv files, or results folders with --results")
    ap.add_argument("--results", action="store_true", help="the paths are results folders: read benchmarks/ in each")
    args = ap.parse_args()
    if args.results:
        tables = []
        for folder in args.paths:
            folder = str(Path(folder).resolve())
            tables.append(collect(f"{folder}/benchmarks", benchmark_patterns(folder),
                                  log=lambda m: print(m, file=sys.stderr)))
    else:
        tables = [pd.read_csv(path, sep="\t") for path in args.paths]
    print(markdown(pd.concat(tables, ignore_index=True)))


if __name__ == "__main__":
    main()
