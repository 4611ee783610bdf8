# rnninfo: reproduce "information relays in RNNs" and "information flow in a
# fully recurrent network" figure by figure. Stages live in workflow/rules/.
from snakemake.utils import min_version, validate

min_version("9.0")


# Beside the Snakefile, so that `--directory elsewhere` still reads it.
configfile: f"{workflow.basedir}/config.yaml"


validate(config, "workflow/schemas/config.schema.yaml")


include: "workflow/rules/common.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/traces.smk"
include: "workflow/rules/generalization.smk"
include: "workflow/rules/weather.smk"
include: "workflow/rules/weather_flow.smk"
include: "workflow/rules/relay.smk"
include: "workflow/rules/knockout.smk"
include: "workflow/rules/pca.smk"


rule all:
    default_target: True
    input:
        all_targets(),
