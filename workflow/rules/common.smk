# Helpers shared by every stage: the condition grid, paths, parameters.
import json
import os
import sys
from pathlib import Path

# Jobs run `python -m rnninfo.cli` from this workflow's own src/ (PYTHONPATH first),
# never from whichever rnninfo is installed: the code a rule lists in its input via
# code(...) is the code it runs, in copies of the workflow, with non-editable or no
# installs, and under --use-conda. Set before `envvars:`, which requires it and
# passes it on to cluster jobs.
os.environ["PYTHONPATH"] = os.pathsep.join(
    [f"{workflow.basedir}/src"]
    + [
        p
        for p in os.environ.get("PYTHONPATH", "").split(os.pathsep)
        if p and p != f"{workflow.basedir}/src"
    ]
)


# Jobs run `python -m rnninfo.cli`: put the interpreter that runs Snakemake (whose
# environment has rnninfo) first on their PATH, also when that environment was not
# activated (`/path/to/venv/bin/snakemake ...`) and inside SLURM jobs.
envvars:
    "PATH",
    "PYTHONPATH",


os.environ["PATH"] = os.pathsep.join(
    [os.path.dirname(sys.executable), os.environ.get("PATH", "")]
)

config["delays"] = [str(d) for d in config["delays"]]  # wildcards are strings
RESULTS = config["results"]
SEEDS = list(range(config["first_seed"], config["first_seed"] + config["replicates"]))
SRC = f"{workflow.basedir}/src/rnninfo"
ENV = "../../envs/rnninfo.yaml"


wildcard_constraints:
    task="|".join(config["tasks"]),
    arch="|".join(config["archs"]),
    delay="|".join(config["delays"]),


def code(*modules):
    """Source files that a rule's jobs run, as inputs: editing one reruns them and their descendants."""
    return [f"{SRC}/{m}" for m in modules]


def as_json(obj):
    """Parameters as compact, key-sorted JSON: the same config gives the same string."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


def conditions():
    """Every (task, arch, delay) training condition of paper A."""
    return [
        dict(task=t, arch=a, delay=d)
        for t in config["tasks"]
        for a in config["archs"]
        for d in config["delays"]
    ]


def expand_conditions(pattern):
    return [pattern.format(**c) for c in conditions()]


def seed_files(pattern):
    """Per-seed files of one condition: a function of the wildcards for `input:`."""

    def files(wildcards):
        return [pattern.format(seed=s, **wildcards) for s in SEEDS]

    return files


def model_params():
    """Everything that shapes a trained network; a change here retrains."""
    return {k: config[k] for k in ("seed", "hidden_size", "train", "task_params")}


def all_targets():
    targets = [
        f"{RESULTS}/figures/fig2_generalization.png",
        f"{RESULTS}/tables/training.tsv",
    ]
    targets += TARGETS
    return targets


# Stages append their final outputs here so that `rule all` names them.
TARGETS = []


# ---- relay.smk (helpers live here: `snakemake --lint` wants no functions beside rules)


def relay_pick():
    """The network of the single-network figures, from what is configured.

    Falls back when the configured choice is not part of this run: the first
    task; LSTM (or the last configured arch); "random" (or the longest fixed
    delay); the first seed.
    """
    fig = RELAY["figures"]
    tasks, archs = config["tasks"], config["archs"]
    delays = [str(d) for d in config["delays"]]
    task = fig["task"] if fig["task"] in tasks else tasks[0]
    arch = (
        fig["arch"]
        if fig["arch"] in archs
        else ("LSTM" if "LSTM" in archs else archs[-1])
    )
    delay = str(fig["delay"])
    if delay not in delays:
        fixed = sorted((d for d in delays if d != "random"), key=int)
        delay = "random" if "random" in delays else fixed[-1]
    seed = fig["seed"] if fig["seed"] in SEEDS else SEEDS[0]
    return dict(task=task, arch=arch, delay=delay, seed=seed)


def relay_pick_dir(**over):
    return RELAY_DIR.format(**{**RELAY_PICK, **over})


# ---- benchmarks.smk


BENCHMARK_OUTPUTS = []  # the summary's own outputs, left out of what it waits for


def benchmark_patterns():
    """Benchmark path pattern by rule name, for each that declares one, read from the workflow
    itself, so that rules added later are covered without a list to keep in step."""
    return {r.name: str(r.benchmark) for r in workflow.rules if r.benchmark}


def targets_before_benchmarks(wildcards):
    """Every final target except the benchmark summary's: it runs last, once all jobs wrote theirs."""
    return [t for t in all_targets() if t not in BENCHMARK_OUTPUTS]


# ---- traces.smk


def trace_output(path):
    """A trace file as an output: temporary unless the config's `traces.keep` is true."""
    return path if config["traces"]["keep"] else temp(path)
