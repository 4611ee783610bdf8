# Paper A, Fig. 2: accuracy at evaluation delays the networks never saw.


rule generalization:
    input:
        traces=seed_files(
            f"{RESULTS}/traces/{{task}}/{{arch}}/{{delay}}/seed{{seed}}.npz"
        ),
        code=code("generalization.py", "stages/generalization.py"),
    output:
        f"{RESULTS}/generalization/{{task}}/{{arch}}/{{delay}}.tsv",
    log:
        f"{RESULTS}/logs/generalization/{{task}}/{{arch}}/{{delay}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/generalization/{{task}}/{{arch}}/{{delay}}.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        seeds=" ".join(map(str, SEEDS)),
    shell:
        "python -m rnninfo.cli generalization --task {wildcards.task} --arch {wildcards.arch}"
        " --delay {wildcards.delay} --seeds {params.seeds} --traces {input.traces}"
        " --out {output} > {log} 2>&1"


rule figure_generalization:
    input:
        tables=expand_conditions(
            f"{RESULTS}/generalization/{{task}}/{{arch}}/{{delay}}.tsv"
        ),
        code=code("generalization.py", "stages/figure_generalization.py"),
    output:
        table=f"{RESULTS}/tables/generalization.tsv",
        figure=report(
            f"{RESULTS}/figures/fig2_generalization.png",
            caption="../report/fig2_generalization.rst",
            category="Paper A - information relays",
        ),
    log:
        f"{RESULTS}/logs/figure_generalization.log",
    benchmark:
        f"{RESULTS}/benchmarks/figure_generalization.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    shell:
        "python -m rnninfo.cli figure_generalization --tables {input.tables}"
        " --table {output.table} --figure {output.figure} > {log} 2>&1"
