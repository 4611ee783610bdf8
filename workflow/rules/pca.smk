# Paper A: PCA of hidden states at one step, nodes removed in relay order vs
# supervised vs random order (Figs. 12, 13). One condition (config `pca`):
# one job per seed (orders from one half of its test samples, scores on the
# other), a summary with CIs and paired tests over seeds; figures of one
# network and of all seeds.

PCA = config["pca"]


# The condition and network analysed, falling back to what this run has: the
# first task, the last configured arch, random (or the longest fixed delay),
# the first seed.
PCA_FIXED_DELAYS = sorted((d for d in config["delays"] if d != "random"), key=int)
PCA_PICK = dict(
    task=PCA["task"] if PCA["task"] in config["tasks"] else config["tasks"][0],
    arch=PCA["arch"] if PCA["arch"] in config["archs"] else config["archs"][-1],
    delay=(
        str(PCA["delay"])
        if str(PCA["delay"]) in config["delays"]
        else ("random" if "random" in config["delays"] else PCA_FIXED_DELAYS[-1])
    ),
    seed=PCA["figure_seed"] if PCA["figure_seed"] in SEEDS else SEEDS[0],
)
PCA_DIR = f"{RESULTS}/pca/{{task}}/{{arch}}/{{delay}}"
PCA_PICK_DIR = PCA_DIR.format(**PCA_PICK)
PCA_STAGE_KEYS = ("time", "random_orders", "components", "standardize", "panels")


# One job per network, so the seeds of the condition run side by side.
rule pca:
    input:
        trace=f"{RESULTS}/traces/{{task}}/{{arch}}/{{delay}}/seed{{seed}}.npz",
        code=code(
            "pca.py",
            "relay.py",
            "intervals.py",
            "knockout.py",
            "traces.py",
            "stages/pca.py",
        ),
    output:
        scores=f"{PCA_DIR}/seed{{seed}}.scores.tsv",
        projection=f"{PCA_DIR}/seed{{seed}}.projection.tsv",
    log:
        f"{RESULTS}/logs/pca/{{task}}/{{arch}}/{{delay}}/seed{{seed}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/pca/{{task}}/{{arch}}/{{delay}}/seed{{seed}}.tsv"
    wildcard_constraints:
        seed=r"\d+",
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        json=as_json(
            dict(
                {k: PCA[k] for k in PCA_STAGE_KEYS},
                seed=config["seed"],
                figure_seed=PCA_PICK["seed"],
                binarize=config["relay"]["binarize"],
                state=config["relay"]["state"],
                constant_atol=config["relay"]["constant_atol"],
            )
        ),
    shell:
        "python -m rnninfo.cli pca --task {wildcards.task} --arch {wildcards.arch}"
        " --delay {wildcards.delay} --seed {wildcards.seed} --trace {input.trace}"
        " --scores {output.scores} --projection {output.projection}"
        " --params {params.json:q} > {log} 2>&1"


rule pca_summary:
    input:
        scores=seed_files(f"{PCA_DIR}/seed{{seed}}.scores.tsv"),
        code=code("pca.py", "intervals.py", "stages/pca_summary.py"),
    output:
        scores=f"{PCA_DIR}/scores.tsv",
        summary=f"{PCA_DIR}/summary.tsv",
        tests=f"{PCA_DIR}/tests.tsv",
    log:
        f"{RESULTS}/logs/pca_summary/{{task}}/{{arch}}/{{delay}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/pca_summary/{{task}}/{{arch}}/{{delay}}.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        json=as_json(dict(ci=PCA["ci"])),
    shell:
        "python -m rnninfo.cli pca_summary --inputs {input.scores} --scores {output.scores}"
        " --summary {output.summary} --tests {output.tests} --params {params.json:q} > {log} 2>&1"


rule pca_figures:
    input:
        projection=f"{PCA_PICK_DIR}/seed{PCA_PICK['seed']}.projection.tsv",
        scores=f"{PCA_PICK_DIR}/scores.tsv",
        summary=f"{PCA_PICK_DIR}/summary.tsv",
        code=code("pca.py", "stages/pca_figures.py"),
    output:
        fig12=report(
            f"{RESULTS}/figures/fig12_pca.png",
            caption="../report/pca_fig12.rst",
            category="Paper A - PCA",
        ),
        fig13=report(
            f"{RESULTS}/figures/fig13_pca_removal.png",
            caption="../report/pca_fig13.rst",
            category="Paper A - PCA",
        ),
        fig13_all=report(
            f"{RESULTS}/figures/fig13_pca_removal_all_seeds.png",
            caption="../report/pca_fig13_all.rst",
            category="Paper A - PCA",
        ),
    log:
        f"{RESULTS}/logs/pca_figures.log",
    benchmark:
        f"{RESULTS}/benchmarks/pca_figures.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    shell:
        "python -m rnninfo.cli pca_figures --projection {input.projection} --scores {input.scores}"
        " --summary {input.summary} --fig12 {output.fig12} --fig13 {output.fig13}"
        " --fig13-all {output.fig13_all} > {log} 2>&1"


TARGETS += [
    f"{RESULTS}/figures/fig12_pca.png",
    f"{RESULTS}/figures/fig13_pca_removal.png",
    f"{RESULTS}/figures/fig13_pca_removal_all_seeds.png",
    f"{PCA_PICK_DIR}/scores.tsv",
    f"{PCA_PICK_DIR}/summary.tsv",
    f"{PCA_PICK_DIR}/tests.tsv",
]
