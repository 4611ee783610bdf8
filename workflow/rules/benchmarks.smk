# Where the time goes: every job's Snakemake benchmark file stacked into one table and a figure.
# The summary waits for every other final target, then reads the benchmark files present under
# benchmarks/ and names each by matching it against the rules' own benchmark patterns (so a rule
# added later is covered; a leftover file matching no rule is reported in the log and skipped).


rule benchmarks:
    input:
        done=targets_before_benchmarks,
        code=code("stages/benchmarks.py"),
    output:
        table=f"{RESULTS}/tables/benchmarks.tsv",
        figure=report(
            f"{RESULTS}/figures/benchmarks.png",
            caption="../report/benchmarks.rst",
            category="Performance",
        ),
    log:
        f"{RESULTS}/logs/benchmarks.log",
    benchmark:
        f"{RESULTS}/benchmarks/benchmarks.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    params:
        root=f"{RESULTS}/benchmarks",
        patterns=lambda wildcards: as_json(benchmark_patterns()),
    shell:
        "python -m rnninfo.cli benchmarks --root {params.root} --patterns {params.patterns:q}"
        " --table {output.table} --figure {output.figure} > {log} 2>&1"


BENCHMARK_OUTPUTS += [rules.benchmarks.output.table, rules.benchmarks.output.figure]
TARGETS += BENCHMARK_OUTPUTS
