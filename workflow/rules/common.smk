# Helpers shared by every stage: the condition grid, paths, parameters.
import json
from pathlib import Path

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
    """Source files a rule runs, as inputs: editing one reruns that rule and its descendants."""
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
    return {
        k: config[k]
        for k in ("seed", "hidden_size", "train", "task_params")
    }


def all_targets():
    targets = [
        f"{RESULTS}/figures/fig2_generalization.png",
        f"{RESULTS}/tables/training.tsv",
    ]
    targets += TARGETS
    return targets


# Stages append their final outputs here so that `rule all` names them.
TARGETS = []
