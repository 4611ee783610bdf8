# Paper A, stage 2: hidden (and LSTM cell) states of every network on held-out sequences.
# Temporary unless `traces.keep` (or `snakemake --notemp`): Snakemake deletes a trace
# file once every job that reads it has run, and rebuilds it from the models (one
# ensemble pass, a few seconds per condition) when a stage that reads it reruns.


rule traces:
    input:
        models=seed_files(
            f"{RESULTS}/models/{{task}}/{{arch}}/{{delay}}/seed{{seed}}.pt"
        ),
        code=code(
            "tasks.py", "models.py", "recurrence.py", "traces.py", "stages/traces.py"
        ),
    output:
        [
            trace_output(
                f"{RESULTS}/traces/{{task}}/{{arch}}/{{delay}}/seed{seed}.npz"
            )
            for seed in SEEDS
        ],
    log:
        f"{RESULTS}/logs/traces/{{task}}/{{arch}}/{{delay}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/traces/{{task}}/{{arch}}/{{delay}}.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=2000,
        runtime=20,
    params:
        seeds=" ".join(map(str, SEEDS)),
        json=as_json(
            dict(
                seed=config["seed"],
                hidden_size=config["hidden_size"],
                task_params=config["task_params"],
                n_test=config["traces"]["n_test"],
                eval_delays=config["eval_delays"],
            )
        ),
    shell:
        "python -m rnninfo.cli traces --task {wildcards.task} --arch {wildcards.arch}"
        " --delay {wildcards.delay} --seeds {params.seeds} --models {input.models}"
        " --traces {output} --params {params.json:q} > {log} 2>&1"
