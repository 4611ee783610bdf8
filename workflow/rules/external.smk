# Users' own traces (issue 12): every entry of the config's `external` section,
#   external: {name: {trace: my.npz, labels: labels.npy, answers: answers.npy, ...}}
# runs the relay analysis (table + Figs. 3, 6-style) when labels are given, and the
# flow graph (edges, nodes, figure) when `flow` is true, through the same
# `python -m rnninfo.cli analyze ...` a user runs by hand. Paths are relative to
# the working directory. Default: no entries, no jobs.

EXTERNAL = config["external"]
EXTERNAL_RELAY = [n for n, e in EXTERNAL.items() if e.get("labels")]
EXTERNAL_FLOW = [n for n, e in EXTERNAL.items() if e.get("flow", True)]
EXTERNAL_DIR = f"{RESULTS}/external/{{name}}"


wildcard_constraints:
    name="|".join(EXTERNAL) if EXTERNAL else "(?!)",


rule external_relay:
    input:
        trace=lambda w: EXTERNAL[w.name]["trace"],
        labels=lambda w: EXTERNAL[w.name]["labels"],
        answers=lambda w: (
            [EXTERNAL[w.name]["answers"]] if EXTERNAL[w.name].get("answers") else []
        ),
        code=code(
            "api.py",
            "recording.py",
            "relay.py",
            "relay_kernels.py",
            "io.py",
            "stages/analyze.py",
        ),
    output:
        table=f"{EXTERNAL_DIR}/relay/relay.tsv",
        fig3=report(
            f"{EXTERNAL_DIR}/relay/fig3_relay.png",
            caption="../report/external_relay.rst",
            category="Your networks",
            subcategory="{name}",
        ),
        fig6=report(
            f"{EXTERNAL_DIR}/relay/fig6_relay_map.png",
            caption="../report/external_relay.rst",
            category="Your networks",
            subcategory="{name}",
        ),
    log:
        f"{RESULTS}/logs/external/{{name}}/relay.log",
    benchmark:
        f"{RESULTS}/benchmarks/external/{{name}}/relay.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=2000,
        runtime=60,
    params:
        out=lambda w, output: os.path.dirname(output.table),
        answers=lambda w, input: f"--answers {input.answers}" if input.answers else "",
        names=lambda w: (
            "--names " + ",".join(map(str, EXTERNAL[w.name]["names"]))
            if EXTERNAL[w.name].get("names")
            else ""
        ),
        n_perm=lambda w: EXTERNAL[w.name].get("n_perm", 200),
        seed=lambda w: EXTERNAL[w.name].get("seed", 0),
    shell:
        "python -m rnninfo.cli analyze relay --trace {input.trace} --labels {input.labels}"
        " {params.answers} {params.names} --n-perm {params.n_perm} --seed {params.seed}"
        " --out {params.out} > {log} 2>&1"


rule external_flow:
    input:
        trace=lambda w: EXTERNAL[w.name]["trace"],
        code=code(
            "api.py",
            "recording.py",
            "flow.py",
            "ksg.py",
            "knn.py",
            "io.py",
            "stages/analyze.py",
        ),
    output:
        edges=f"{EXTERNAL_DIR}/flow/flow_edges.tsv",
        nodes=f"{EXTERNAL_DIR}/flow/flow_nodes.tsv",
        figure=report(
            f"{EXTERNAL_DIR}/flow/flow.png",
            caption="../report/external_flow.rst",
            category="Your networks",
            subcategory="{name}",
        ),
    log:
        f"{RESULTS}/logs/external/{{name}}/flow.log",
    benchmark:
        f"{RESULTS}/benchmarks/external/{{name}}/flow.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=2000,
        runtime=60,
    params:
        out=lambda w, output: os.path.dirname(output.edges),
        n_surrogates=lambda w: EXTERNAL[w.name].get("n_surrogates", 100),
        seed=lambda w: EXTERNAL[w.name].get("seed", 0),
    shell:
        "python -m rnninfo.cli analyze flow --trace {input.trace}"
        " --n-surrogates {params.n_surrogates} --seed {params.seed}"
        " --out {params.out} > {log} 2>&1"


TARGETS += [
    f"{RESULTS}/external/{n}/relay/{f}"
    for n in EXTERNAL_RELAY
    for f in ("relay.tsv", "fig3_relay.png", "fig6_relay_map.png")
]
TARGETS += [
    f"{RESULTS}/external/{n}/flow/{f}"
    for n in EXTERNAL_FLOW
    for f in ("flow_edges.tsv", "flow_nodes.tsv", "flow.png")
]
