# Paper A: relay information (Figs. 3, 6-11) and how greedy compares with the
# exhaustive optimum. Per condition: relay (greedy order, shares, exhaustive
# optimum) -> relay_dynamics (stability, overlap, counts). Then tables across
# conditions and figures.

RELAY = config["relay"]
RELAY_STAGE_KEYS = (
    "binarize",
    "state",
    "horizon",
    "constant_atol",
    "exhaustive",
    "exhaustive_steps",
    "null_perm",
    "null_share_perm",
    "alpha",
    "window_start",
    "window_end",
)
RELAY_DYNAMICS_KEYS = (
    "relaying",
    "min_share",
    "alpha",
    "window_start",
    "window_end",
    "matrix_time",
)
RELAY_CONDITION_TABLES = (
    "shares",
    "exhaustive",
    "null",
    "ceiling",
    "summary",
    "correlation",
    "overlap",
    "counts",
)
RELAY_DIR = f"{RESULTS}/relay/{{task}}/{{arch}}/{{delay}}"
# relay_pick() and relay_pick_dir() are in common.smk (`snakemake --lint`: no functions beside rules).


RELAY_PICK = relay_pick()
RELAY_FIG_PARAMS = as_json(
    dict(
        seed=RELAY_PICK["seed"],
        time=RELAY["figures"]["time"],
        concepts=RELAY["figures"]["concepts"],
        min_share=RELAY["min_share"],
        alpha=RELAY["alpha"],
    )
)
# Fig. 7: one row per (arch, regime); the configured regimes that are part of this run
RELAY_FIG7_DELAYS = [
    str(d)
    for d in RELAY["figures"]["fig7_delays"]
    if str(d) in map(str, config["delays"])
] or [RELAY_PICK["delay"]]
RELAY_COUNT_FIGS = {"memory": 10, "block": 11}


rule relay:
    input:
        traces=seed_files(
            f"{RESULTS}/traces/{{task}}/{{arch}}/{{delay}}/seed{{seed}}.npz"
        ),
        code=code(
            "relay.py",
            "relay_kernels.py",
            "dynamics.py",
            "traces.py",
            "stages/relay.py",
        ),
    output:
        greedy=f"{RELAY_DIR}/greedy.tsv",
        shares=f"{RELAY_DIR}/shares.tsv",
        exhaustive=f"{RELAY_DIR}/exhaustive.tsv",
        null=f"{RELAY_DIR}/null.tsv",
        ceiling=f"{RELAY_DIR}/ceiling.tsv",
    log:
        f"{RESULTS}/logs/relay/{{task}}/{{arch}}/{{delay}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/relay/{{task}}/{{arch}}/{{delay}}.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=1500,
        runtime=60,
    params:
        seeds=" ".join(map(str, SEEDS)),
        json=as_json(
            {**{k: RELAY[k] for k in RELAY_STAGE_KEYS}, "root_seed": config["seed"]}
        ),
    shell:
        "python -m rnninfo.cli relay --task {wildcards.task} --arch {wildcards.arch}"
        " --delay {wildcards.delay} --seeds {params.seeds} --traces {input.traces}"
        " --greedy {output.greedy} --shares {output.shares} --exhaustive {output.exhaustive}"
        " --null {output.null} --ceiling {output.ceiling}"
        " --params {params.json:q} > {log} 2>&1"


rule relay_dynamics:
    input:
        shares=f"{RELAY_DIR}/shares.tsv",
        ceiling=f"{RELAY_DIR}/ceiling.tsv",
        code=code("dynamics.py", "stages/relay_dynamics.py"),
    output:
        correlation=f"{RELAY_DIR}/correlation.tsv",
        overlap=f"{RELAY_DIR}/overlap.tsv",
        membership=f"{RELAY_DIR}/membership.tsv",
        counts=f"{RELAY_DIR}/counts.tsv",
        summary=f"{RELAY_DIR}/summary.tsv",
    log:
        f"{RESULTS}/logs/relay_dynamics/{{task}}/{{arch}}/{{delay}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/relay_dynamics/{{task}}/{{arch}}/{{delay}}.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        json=as_json({k: RELAY[k] for k in RELAY_DYNAMICS_KEYS}),
    shell:
        "python -m rnninfo.cli relay_dynamics --shares {input.shares} --ceiling {input.ceiling}"
        " --correlation {output.correlation} --overlap {output.overlap}"
        " --membership {output.membership} --counts {output.counts} --summary {output.summary}"
        " --params {params.json:q} > {log} 2>&1"


rule relay_table:
    input:
        tables=expand_conditions(f"{RELAY_DIR}/{{{{kind}}}}.tsv"),
        code=code("stages/concat.py"),
    output:
        f"{RESULTS}/tables/relay_{{kind}}.tsv",
    log:
        f"{RESULTS}/logs/relay_table/{{kind}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/relay_table/{{kind}}.tsv"
    wildcard_constraints:
        kind="|".join(RELAY_CONDITION_TABLES),
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    shell:
        "python -m rnninfo.cli concat --inputs {input.tables} --out {output} > {log} 2>&1"


rule relay_fig3:
    input:
        greedy=f"{relay_pick_dir()}/greedy.tsv",
        shares=f"{relay_pick_dir()}/shares.tsv",
        code=code("dynamics.py", "intervals.py", "stages/relay_figures.py"),
    output:
        report(
            f"{RESULTS}/figures/fig3_relay_illustration.png",
            caption="../report/relay_fig3.rst",
            category="Paper A - information relays",
        ),
    log:
        f"{RESULTS}/logs/relay_figures/fig3.log",
    benchmark:
        f"{RESULTS}/benchmarks/relay_figures/fig3.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        json=RELAY_FIG_PARAMS,
    shell:
        "python -m rnninfo.cli relay_figures fig3 --greedy {input.greedy} --shares {input.shares}"
        " --params {params.json:q} --out {output} > {log} 2>&1"


rule relay_fig6:
    input:
        shares=f"{relay_pick_dir()}/shares.tsv",
        code=code("dynamics.py", "intervals.py", "stages/relay_figures.py"),
    output:
        report(
            f"{RESULTS}/figures/fig6_relay_matrices.png",
            caption="../report/relay_fig6.rst",
            category="Paper A - information relays",
        ),
    log:
        f"{RESULTS}/logs/relay_figures/fig6.log",
    benchmark:
        f"{RESULTS}/benchmarks/relay_figures/fig6.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        json=RELAY_FIG_PARAMS,
    shell:
        "python -m rnninfo.cli relay_figures fig6 --shares {input.shares}"
        " --params {params.json:q} --out {output} > {log} 2>&1"


rule relay_fig7:
    input:
        shares=[
            f"{relay_pick_dir(arch=a, delay=d)}/shares.tsv"
            for d in RELAY_FIG7_DELAYS
            for a in config["archs"]
        ],
        code=code("dynamics.py", "intervals.py", "stages/relay_figures.py"),
    output:
        report(
            f"{RESULTS}/figures/fig7_relay_archs.png",
            caption="../report/relay_fig7.rst",
            category="Paper A - information relays",
        ),
    log:
        f"{RESULTS}/logs/relay_figures/fig7.log",
    benchmark:
        f"{RESULTS}/benchmarks/relay_figures/fig7.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        json=RELAY_FIG_PARAMS,
    shell:
        "python -m rnninfo.cli relay_figures fig7 --shares {input.shares}"
        " --params {params.json:q} --out {output} > {log} 2>&1"


rule relay_fig8:
    input:
        table=f"{RESULTS}/tables/relay_summary.tsv",
        code=code("dynamics.py", "intervals.py", "stages/relay_figures.py"),
    output:
        figure=report(
            f"{RESULTS}/figures/fig8_relay_stability.png",
            caption="../report/relay_fig8.rst",
            category="Paper A - information relays",
        ),
        tests=f"{RESULTS}/tables/relay_dynamics_tests.tsv",
    log:
        f"{RESULTS}/logs/relay_figures/fig8.log",
    benchmark:
        f"{RESULTS}/benchmarks/relay_figures/fig8.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    shell:
        "python -m rnninfo.cli relay_figures fig8 --table {input.table} --tests {output.tests}"
        " --out {output.figure} > {log} 2>&1"


rule relay_fig9:
    input:
        table=f"{RESULTS}/tables/relay_summary.tsv",
        code=code("dynamics.py", "intervals.py", "stages/relay_figures.py"),
    output:
        report(
            f"{RESULTS}/figures/fig9_relay_overlap.png",
            caption="../report/relay_fig9.rst",
            category="Paper A - information relays",
        ),
    log:
        f"{RESULTS}/logs/relay_figures/fig9.log",
    benchmark:
        f"{RESULTS}/benchmarks/relay_figures/fig9.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    shell:
        "python -m rnninfo.cli relay_figures fig9 --table {input.table} --out {output} > {log} 2>&1"


rule relay_fig_counts:
    input:
        table=f"{RESULTS}/tables/relay_counts.tsv",
        code=code("dynamics.py", "intervals.py", "stages/relay_figures.py"),
    output:
        report(
            f"{RESULTS}/figures/fig{{fignum}}_relay_counts_{{task}}.png",
            caption="../report/relay_counts.rst",
            category="Paper A - information relays",
        ),
    log:
        f"{RESULTS}/logs/relay_figures/fig{{fignum}}_counts_{{task}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/relay_figures/fig{{fignum}}_counts_{{task}}.tsv"
    wildcard_constraints:
        fignum="10|11",
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        delay=RELAY_PICK["delay"],
    shell:
        "python -m rnninfo.cli relay_figures counts --table {input.table} --task {wildcards.task}"
        " --delay {params.delay} --out {output} > {log} 2>&1"


rule relay_onsets:
    input:
        table=f"{RESULTS}/tables/relay_null.tsv",
        code=code("dynamics.py", "intervals.py", "stages/relay_figures.py"),
    output:
        f"{RESULTS}/tables/relay_onsets.tsv",
    log:
        f"{RESULTS}/logs/relay_figures/onsets.log",
    benchmark:
        f"{RESULTS}/benchmarks/relay_figures/onsets.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        json=as_json(dict(alpha=RELAY["alpha"])),
    shell:
        "python -m rnninfo.cli relay_figures onsets --table {input.table} --params {params.json:q}"
        " --out {output} > {log} 2>&1"


rule relay_greedy_vs_optimum:
    input:
        table=f"{RESULTS}/tables/relay_exhaustive.tsv",
        code=code("dynamics.py", "intervals.py", "stages/relay_figures.py"),
    output:
        summary=f"{RESULTS}/tables/relay_greedy_vs_optimum.tsv",
        figure=report(
            f"{RESULTS}/figures/relay_greedy_vs_optimum.png",
            caption="../report/relay_greedy.rst",
            category="Paper A - information relays",
        ),
    log:
        f"{RESULTS}/logs/relay_figures/greedy_vs_optimum.log",
    benchmark:
        f"{RESULTS}/benchmarks/relay_figures/greedy_vs_optimum.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=2000,
        runtime=5,
    shell:
        "python -m rnninfo.cli relay_figures greedy --table {input.table} --summary {output.summary}"
        " --out {output.figure} > {log} 2>&1"


TARGETS += (
    [
        f"{RESULTS}/figures/fig3_relay_illustration.png",
        f"{RESULTS}/figures/fig6_relay_matrices.png",
        f"{RESULTS}/figures/fig7_relay_archs.png",
        f"{RESULTS}/figures/fig8_relay_stability.png",
        f"{RESULTS}/figures/fig9_relay_overlap.png",
    ]
    + [
        f"{RESULTS}/figures/fig{RELAY_COUNT_FIGS[t]}_relay_counts_{t}.png"
        for t in config["tasks"]
    ]
    + [f"{RESULTS}/tables/relay_{kind}.tsv" for kind in RELAY_CONDITION_TABLES]
    + [
        f"{RESULTS}/tables/relay_dynamics_tests.tsv",
        f"{RESULTS}/tables/relay_onsets.tsv",
    ]
)
if RELAY["exhaustive"]:
    TARGETS += [
        f"{RESULTS}/tables/relay_greedy_vs_optimum.tsv",
        f"{RESULTS}/figures/relay_greedy_vs_optimum.png",
    ]
