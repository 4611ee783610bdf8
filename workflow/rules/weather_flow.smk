# Paper B, sections 4-5: the information-flow graph of each trained Elman network
# (KSG flow between inputs, hidden units and outputs, surrogate p-values with
# Benjamini-Hochberg control), its degrees and the neuron ranking (Figs 1-4), for
# every flow measure (tdmi, te) and readout timing (output lag 0, 1). One job per
# seed (numpy/scipy only), then one job gathers all seeds and one draws the figures.

WEATHER_FLOW = config["weather"].get("flow", {})
WEATHER_FLOW_TABLES = ("flow", "edges", "nodes", "summary")
WEATHER_FLOW_FIGURES = ("graphs", "degrees", "degree_hist", "ranks")
WEATHER_FLOW_CONDITIONS = [
    (m, lag)
    for m in WEATHER_FLOW.get("measures", ["tdmi", "te"])
    for lag in WEATHER_FLOW.get("output_lags", [0, 1])
]
# The keys the per-seed stage uses (and the root seed): only they trigger its rerun.
WEATHER_FLOW_PARAMS = as_json(
    {
        **{k: v for k, v in WEATHER_FLOW.items() if k != "graph_seeds"},
        "root_seed": config["seed"],
    }
)


rule weather_flow:
    input:
        activations=f"{RESULTS}/weather/seed{{seed}}/activations.npz",
        code=code("ksg.py", "knn.py", "flow.py", "io.py", "stages/weather_flow.py"),
    output:
        **{
            t: f"{RESULTS}/weather/seed{{seed}}/flow/{t}.tsv"
            for t in WEATHER_FLOW_TABLES
        },
    log:
        f"{RESULTS}/logs/weather/flow_seed{{seed}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/weather/flow_seed{{seed}}.tsv"
    wildcard_constraints:
        seed=r"\d+",
    priority: WEATHER_PRIORITY
    conda:
        ENV
    # one thread: two-thread jobs wait behind one-thread jobs on 2 cores and run last, serially
    threads: 1
    resources:
        mem_mb=2000,
        runtime=60,
    params:
        json=WEATHER_FLOW_PARAMS,
    shell:
        "python -m rnninfo.cli weather_flow --activations {input.activations} --seed {wildcards.seed}"
        " --params {params.json:q} --threads {threads} --flow {output.flow} --edges {output.edges}"
        " --nodes {output.nodes} --summary {output.summary} > {log} 2>&1"


rule weather_flow_summary:
    input:
        **{
            t: [
                f"{RESULTS}/weather/seed{s}/flow/{t}.tsv"
                for s in config["weather"]["seeds"]
            ]
            for t in WEATHER_FLOW_TABLES
        },
        code=code("io.py", "stages/weather_flow_summary.py"),
    output:
        **{t: f"{RESULTS}/weather/flow_{t}.tsv" for t in WEATHER_FLOW_TABLES},
        stats=f"{RESULTS}/weather/flow_summary_stats.tsv",
    log:
        f"{RESULTS}/logs/weather/flow_summary.log",
    benchmark:
        f"{RESULTS}/benchmarks/weather/flow_summary.tsv"
    priority: WEATHER_PRIORITY
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    shell:
        "python -m rnninfo.cli weather_flow_summary --flow {input.flow} --edges {input.edges}"
        " --nodes {input.nodes} --summary {input.summary} --out-flow {output.flow}"
        " --out-edges {output.edges} --out-nodes {output.nodes} --out-summary {output.summary}"
        " --out-stats {output.stats} > {log} 2>&1"


rule weather_flow_figures:
    input:
        flow=f"{RESULTS}/weather/flow_flow.tsv",
        edges=f"{RESULTS}/weather/flow_edges.tsv",
        nodes=f"{RESULTS}/weather/flow_nodes.tsv",
        summary=f"{RESULTS}/weather/flow_summary.tsv",
        code=code("io.py", "stages/weather_flow_figures.py"),
    output:
        **{
            f"{name}_{m}_lag{lag}": report(
                f"{RESULTS}/figures/weather_flow_{name}_{m}_lag{lag}.png",
                caption=f"../report/weather_flow_{name}.rst",
                category="Paper B - information flow",
                subcategory=f"flow graph and ranking - {m}, output lag {lag}",
            )
            for name in WEATHER_FLOW_FIGURES
            for m, lag in WEATHER_FLOW_CONDITIONS
        },
        **{
            name: report(
                f"{RESULTS}/figures/weather_flow_{name}.png",
                caption=f"../report/weather_flow_{name}.rst",
                category="Paper B - information flow",
                subcategory="flow graph and ranking",
            )
            for name in ("order", "significance")
        },
    log:
        f"{RESULTS}/logs/weather/flow_figures.log",
    benchmark:
        f"{RESULTS}/benchmarks/weather/flow_figures.tsv"
    priority: WEATHER_PRIORITY
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        graph_seeds=WEATHER_FLOW.get("graph_seeds", 2),
        # the figure paths share this prefix; inferred from an output for the lint
        prefix=lambda w, output: output.order[: -len("_order.png")],
    shell:
        "python -m rnninfo.cli weather_flow_figures --flow {input.flow} --edges {input.edges}"
        " --nodes {input.nodes} --summary {input.summary} --graph-seeds {params.graph_seeds}"
        " --out-prefix {params.prefix} > {log} 2>&1"


TARGETS += [
    f"{RESULTS}/figures/weather_flow_{name}_{m}_lag{lag}.png"
    for name in WEATHER_FLOW_FIGURES
    for m, lag in WEATHER_FLOW_CONDITIONS
]
TARGETS += [
    f"{RESULTS}/figures/weather_flow_{name}.png" for name in ("order", "significance")
]
TARGETS += [f"{RESULTS}/weather/flow_summary_stats.tsv"]
