# Paper A, stage 1: train every seed of one (task, arch, delay) condition as one ensemble.


rule train:
    input:
        code(
            "tasks.py",
            "models.py",
            "recurrence.py",
            "straggler.py",
            "train.py",
            "stages/train.py",
        ),
    output:
        models=[
            f"{RESULTS}/models/{{task}}/{{arch}}/{{delay}}/seed{seed}.pt"
            for seed in SEEDS
        ],
        table=f"{RESULTS}/models/{{task}}/{{arch}}/{{delay}}/training.tsv",
    log:
        f"{RESULTS}/logs/train/{{task}}/{{arch}}/{{delay}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/train/{{task}}/{{arch}}/{{delay}}.tsv"
    conda:
        ENV
    threads: config["train"]["threads"]
    resources:
        mem_mb=2000,
        runtime=120,
    params:
        seeds=" ".join(map(str, SEEDS)),
        json=as_json(model_params()),
    shell:
        "python -m rnninfo.cli train --task {wildcards.task} --arch {wildcards.arch}"
        " --delay {wildcards.delay} --seeds {params.seeds} --models {output.models}"
        " --table {output.table} --params {params.json:q} > {log} 2>&1"


rule training_table:
    input:
        tables=expand_conditions(
            f"{RESULTS}/models/{{task}}/{{arch}}/{{delay}}/training.tsv"
        ),
        code=code("stages/training_table.py"),
    output:
        f"{RESULTS}/tables/training.tsv",
    log:
        f"{RESULTS}/logs/training_table.log",
    benchmark:
        f"{RESULTS}/benchmarks/training_table.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    shell:
        "python -m rnninfo.cli training_table --inputs {input.tables} --out {output} > {log} 2>&1"
