# Paper A: node knockouts (Figs. 4, 5). Per condition: knock out each concept's
# top relay nodes (greedy order at the knockout step, estimated on one half of
# each network's test samples) and random sets of the same size -> accuracy per
# concept on the other half. Then summary and margin
# tables across conditions, and one figure per task.

KNOCKOUT = config["knockout"]
KNOCKOUT_FIGS = {"memory": 4, "block": 5}


# The delay regime of Figs. 4, 5: the configured one, else random, else the
# longest fixed delay of this run.
KNOCKOUT_FIXED_DELAYS = sorted((d for d in config["delays"] if d != "random"), key=int)
KNOCKOUT_FIG_DELAY = (
    str(KNOCKOUT["figure_delay"])
    if str(KNOCKOUT["figure_delay"]) in config["delays"]
    else ("random" if "random" in config["delays"] else KNOCKOUT_FIXED_DELAYS[-1])
)


rule knockout:
    input:
        models=seed_files(
            f"{RESULTS}/models/{{task}}/{{arch}}/{{delay}}/seed{{seed}}.pt"
        ),
        traces=seed_files(
            f"{RESULTS}/traces/{{task}}/{{arch}}/{{delay}}/seed{{seed}}.npz"
        ),
        code=code(
            "intervals.py",
            "knockout.py",
            "relay.py",
            "traces.py",
            "models.py",
            "recurrence.py",
            "train.py",
            "stages/knockout.py",
        ),
    output:
        f"{RESULTS}/knockout/{{task}}/{{arch}}/{{delay}}.tsv",
    log:
        f"{RESULTS}/logs/knockout/{{task}}/{{arch}}/{{delay}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/knockout/{{task}}/{{arch}}/{{delay}}.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        seeds=" ".join(map(str, SEEDS)),
        json=as_json(
            dict(
                seed=config["seed"],
                time=KNOCKOUT["time"],
                random_draws=KNOCKOUT["random_draws"],
                max_rows=KNOCKOUT["max_rows"],
                lstm_state=KNOCKOUT["lstm_state"],
                binarize=config["relay"]["binarize"],
                state=config["relay"]["state"],
                constant_atol=config["relay"]["constant_atol"],
            )
        ),
    shell:
        "python -m rnninfo.cli knockout --task {wildcards.task} --arch {wildcards.arch}"
        " --delay {wildcards.delay} --seeds {params.seeds} --models {input.models}"
        " --traces {input.traces} --out {output}"
        " --params {params.json:q} > {log} 2>&1"


rule knockout_summary:
    input:
        tables=expand_conditions(f"{RESULTS}/knockout/{{task}}/{{arch}}/{{delay}}.tsv"),
        code=code("intervals.py", "knockout.py", "stages/knockout_summary.py"),
    output:
        summary=f"{RESULTS}/tables/knockout_summary.tsv",
        margins=f"{RESULTS}/tables/knockout_margins.tsv",
    log:
        f"{RESULTS}/logs/knockout_summary.log",
    benchmark:
        f"{RESULTS}/benchmarks/knockout_summary.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        json=as_json(dict(ci=KNOCKOUT["ci"])),
    shell:
        "python -m rnninfo.cli knockout_summary --inputs {input.tables} --summary {output.summary}"
        " --margins {output.margins} --params {params.json:q} > {log} 2>&1"


rule knockout_figure:
    input:
        summary=f"{RESULTS}/tables/knockout_summary.tsv",
        code=code("stages/knockout_figure.py"),
    output:
        report(
            f"{RESULTS}/figures/fig{{fignum}}_knockout_{{task}}.png",
            caption="../report/knockout_fig.rst",
            category="Paper A - knockouts",
        ),
    log:
        f"{RESULTS}/logs/knockout_figure/fig{{fignum}}_{{task}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/knockout_figure/fig{{fignum}}_{{task}}.tsv"
    wildcard_constraints:
        fignum="4|5",
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        delay=KNOCKOUT_FIG_DELAY,
    shell:
        "python -m rnninfo.cli knockout_figure --summary {input.summary} --task {wildcards.task}"
        " --delay {params.delay} --out {output} > {log} 2>&1"


TARGETS += [
    f"{RESULTS}/figures/fig{KNOCKOUT_FIGS[t]}_knockout_{t}.png" for t in config["tasks"]
] + [
    f"{RESULTS}/tables/knockout_summary.tsv",
    f"{RESULTS}/tables/knockout_margins.tsv",
]
