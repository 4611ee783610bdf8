# Paper B: an Elman network predicting tomorrow's temperatures; its neurons' MI with
# inputs and ground truth, learning indicators during training (Figs 5-13).
# One training job per seed: a seed trains in ~5 s (torch import ~2.5 s), so seeds
# run in parallel across cores / cluster nodes, and adding a seed trains only it.

WEATHER = f"{RESULTS}/weather"
# Paper B's chain runs first: its jobs are few and long (and flow runs two threads), so
# left to the end they would run alone on one core while paper A's short jobs are done.
WEATHER_PRIORITY = 10
WEATHER_SEEDS = config["weather"]["seeds"]
WEATHER_DATA_KEYS = (
    "csv",
    "date_column",
    "numeric",
    "categorical",
    "targets",
    "window",
    "test_fraction",
)
WEATHER_TRAIN_KEYS = WEATHER_DATA_KEYS + (
    "hidden",
    "epochs",
    "optimizer",
    "loss_steps",
    "lr",
    "lr_decay",
    "momentum",
    "momentum_switch",
    "init_range",
    "batch_size",
    "snapshots",
)
WEATHER_INFO_KEYS = (
    "ksg_k",
    "ksg_method",
    "input",
    "mi_samples",
    "neuron_entropy",
    "entropy_bins",
    "tse",
)
WEATHER_FIGURES = (
    "error",
    "neuron_mi",
    "info_plane",
    "indicators",
    "gradients",
    "leads",
)


# Each stage gets only the weather keys it uses (and the root seed): only they rerun it.
WEATHER_JSON = {
    name: as_json(
        {**{k: config["weather"][k] for k in keys}, "root_seed": config["seed"]}
    )
    for name, keys in (
        ("data", WEATHER_DATA_KEYS),
        ("train", WEATHER_TRAIN_KEYS),
        ("info", WEATHER_INFO_KEYS),
    )
}
WEATHER_CSV = [config["weather"]["csv"]] if config["weather"]["csv"] else []


rule weather_train:
    input:
        csv=WEATHER_CSV,
        code=code("weather_data.py", "elman.py", "io.py", "stages/weather_train.py"),
    output:
        activations=f"{WEATHER}/seed{{seed}}/activations.npz",
        training=f"{WEATHER}/seed{{seed}}/training.tsv",
        model=f"{WEATHER}/seed{{seed}}/model.pt",
    log:
        f"{RESULTS}/logs/weather/train_seed{{seed}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/weather/train_seed{{seed}}.tsv"
    wildcard_constraints:
        seed=r"\d+",
    priority: WEATHER_PRIORITY
    conda:
        ENV
    threads: config["weather"]["threads"]
    resources:
        mem_mb=1000,
        runtime=30,
    params:
        json=WEATHER_JSON["train"],
    shell:
        "python -m rnninfo.cli weather_train --seed {wildcards.seed} --params {params.json:q}"
        " --activations {output.activations} --log {output.training} --model {output.model}"
        " --threads {threads} > {log} 2>&1"


rule weather_baselines:
    input:
        csv=WEATHER_CSV,
        code=code(
            "weather_data.py",
            "weather_info.py",
            "io.py",
            "stages/weather_baselines.py",
        ),
    output:
        f"{WEATHER}/baselines.tsv",
    log:
        f"{RESULTS}/logs/weather/baselines.log",
    benchmark:
        f"{RESULTS}/benchmarks/weather/baselines.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        json=WEATHER_JSON["data"],
    shell:
        "python -m rnninfo.cli weather_baselines --params {params.json:q} --out {output} > {log} 2>&1"


rule weather_mi:
    input:
        activations=f"{WEATHER}/seed{{seed}}/activations.npz",
        training=f"{WEATHER}/seed{{seed}}/training.tsv",
        code=code(
            "weather_info.py",
            "tse.py",
            "ksg.py",
            "knn.py",
            "io.py",
            "stages/weather_mi.py",
        ),
    output:
        neuron_mi=f"{WEATHER}/seed{{seed}}/neuron_mi.tsv",
        indicators=f"{WEATHER}/seed{{seed}}/indicators.tsv",
        test_error=f"{WEATHER}/seed{{seed}}/test_error.tsv",
    log:
        f"{RESULTS}/logs/weather/mi_seed{{seed}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/weather/mi_seed{{seed}}.tsv"
    wildcard_constraints:
        seed=r"\d+",
    priority: WEATHER_PRIORITY
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=30,
    params:
        json=WEATHER_JSON["info"],
    shell:
        "python -m rnninfo.cli weather_mi --activations {input.activations} --training {input.training}"
        " --params {params.json:q} --neuron-mi {output.neuron_mi} --indicators {output.indicators}"
        " --test-error {output.test_error} > {log} 2>&1"


rule weather_summary:
    input:
        neuron_mi=[f"{WEATHER}/seed{s}/neuron_mi.tsv" for s in WEATHER_SEEDS],
        indicators=[f"{WEATHER}/seed{s}/indicators.tsv" for s in WEATHER_SEEDS],
        test_error=[f"{WEATHER}/seed{s}/test_error.tsv" for s in WEATHER_SEEDS],
        baselines=f"{WEATHER}/baselines.tsv",
        code=code("weather_info.py", "io.py", "stages/weather_summary.py"),
    output:
        neuron_mi=f"{WEATHER}/neuron_mi.tsv",
        indicators=f"{WEATHER}/indicators.tsv",
        test_error=f"{WEATHER}/test_error.tsv",
        test_error_summary=f"{WEATHER}/test_error_summary.tsv",
        correlations=f"{WEATHER}/mi_correlations.tsv",
        leads=f"{WEATHER}/leads.tsv",
        leads_summary=f"{WEATHER}/leads_summary.tsv",
    log:
        f"{RESULTS}/logs/weather/summary.log",
    benchmark:
        f"{RESULTS}/benchmarks/weather/summary.tsv"
    priority: WEATHER_PRIORITY
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        json=as_json({"lead": config["weather"]["lead"]}),
    shell:
        "python -m rnninfo.cli weather_summary --neuron-mi {input.neuron_mi} --indicators {input.indicators}"
        " --test-error {input.test_error} --baselines {input.baselines} --params {params.json:q}"
        " --out-neuron-mi {output.neuron_mi} --out-indicators {output.indicators}"
        " --out-test-error {output.test_error} --out-test-error-summary {output.test_error_summary}"
        " --out-correlations {output.correlations} --out-leads {output.leads}"
        " --out-leads-summary {output.leads_summary} > {log} 2>&1"


rule weather_figures:
    input:
        neuron_mi=f"{WEATHER}/neuron_mi.tsv",
        indicators=f"{WEATHER}/indicators.tsv",
        test_error=f"{WEATHER}/test_error.tsv",
        correlations=f"{WEATHER}/mi_correlations.tsv",
        leads=f"{WEATHER}/leads.tsv",
        code=code(
            "io.py", "intervals.py", "weather_info.py", "stages/weather_figures.py"
        ),
    output:
        **{
            name: report(
                f"{RESULTS}/figures/weather_{name}.png",
                caption=f"../report/weather_{name}.rst",
                category="Paper B - information flow",
                subcategory="neurons and training",
            )
            for name in WEATHER_FIGURES
        },
    log:
        f"{RESULTS}/logs/weather/figures.log",
    benchmark:
        f"{RESULTS}/benchmarks/weather/figures.tsv"
    priority: WEATHER_PRIORITY
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    shell:
        "python -m rnninfo.cli weather_figures --neuron-mi {input.neuron_mi} --indicators {input.indicators}"
        " --test-error {input.test_error} --correlations {input.correlations} --leads {input.leads}"
        " --out-error {output.error} --out-neuron-mi-fig {output.neuron_mi}"
        " --out-info-plane {output.info_plane} --out-indicators-fig {output.indicators}"
        " --out-gradients {output.gradients} --out-leads-fig {output.leads} > {log} 2>&1"


TARGETS += [f"{RESULTS}/figures/weather_{name}.png" for name in WEATHER_FIGURES]
TARGETS += [
    f"{WEATHER}/test_error_summary.tsv",
    f"{WEATHER}/leads_summary.tsv",
    f"{WEATHER}/mi_correlations.tsv",
]
