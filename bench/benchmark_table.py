"""The README's per-rule performance table, from a run's tables/benchmarks.tsv.

    python bench/benchmark_table.py results/tables/benchmarks.tsv
"""

import sys

import pandas as pd

from rnninfo.stages.benchmarks import markdown

if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    print(markdown(pd.read_csv(sys.argv[1], sep="\t")))
