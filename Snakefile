# rnninfo: reproduce "information relays in RNNs" and "information flow in a
# fully recurrent network" figure by figure. Stages live in workflow/rules/.
import sys

from snakemake.utils import min_version, validate

min_version("9.0")


# Beside the Snakefile, so that `--directory elsewhere` still reads it.
configfile: f"{workflow.basedir}/config.yaml"


validate(config, "workflow/schemas/config.schema.yaml")

# The workflow's own src/ first: parse-time checks here, and every job (common.smk).
sys.path.insert(0, f"{workflow.basedir}/src")
from rnninfo.config_checks import check_config
from rnninfo.job_logs import print_failed_logs

# What the schema cannot see (keys that span keys, the weather CSV): refused now,
# before any job, naming the key.
check_config(config)


include: "workflow/rules/common.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/traces.smk"
include: "workflow/rules/generalization.smk"
include: "workflow/rules/weather.smk"
include: "workflow/rules/weather_flow.smk"
include: "workflow/rules/relay.smk"
include: "workflow/rules/knockout.smk"
include: "workflow/rules/pca.smk"
include: "workflow/rules/external.smk"
include: "workflow/rules/benchmarks.smk"


# A failed job's reason is in its log: show the end of each on the console.
onerror:
    print_failed_logs(log)


# Networks kept below the accuracy criterion, if any, named at the end of the run.
onsuccess:
    from rnninfo.stages.training_table import print_summary

    print_summary(f"{RESULTS}/tables/training.tsv")


rule all:
    default_target: True
    input:
        all_targets(),
