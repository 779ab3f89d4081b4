# Snakemake workflow: config slice -> experiment table (+ provenance) -> figure (+ caption).
#
#   snakemake --profile workflow/profiles/default          # everything, default profile
#   snakemake --profile workflow/profiles/smoke -n         # dry run of the smoke profile
#   snakemake figures/default/fig1_landscape.pdf --cores 2 # one figure and what it needs
#
# The profile (workflow/config/<profile>.yaml) is chosen by config["profile"] (default "default"),
# set by the Snakemake profiles in workflow/profiles/ or `--config profile=NAME`. It is validated
# against workflow/schemas/config.schema.yaml while this file is parsed, so a bad config stops
# the run with a one-line error before any job starts. Targets under results/<p>/ and
# figures/<p>/ for another profile <p> are validated when the DAG is built, also before any job.
#
# One rule file per experiment family in workflow/rules/; each registers its final targets
# with register_targets() (see common.smk) so `rule all` collects them.

from snakemake.utils import min_version

min_version("9.0")


include: "workflow/rules/common.smk"
include: "workflow/rules/shards.smk"


configfile: profile_config_path(PROFILE)


check_active_config(config)


wildcard_constraints:
    profile=r"[A-Za-z0-9_-]+",


localrules:
    all,


rule all:
    input:
        lambda wildcards: all_targets(PROFILE),
    default_target: True


include: "workflow/rules/landscape.smk"
include: "workflow/rules/frontier.smk"
include: "workflow/rules/training.smk"
include: "workflow/rules/maze.smk"
include: "workflow/rules/brax.smk"
include: "workflow/rules/brax_maml.smk"
include: "workflow/rules/tables.smk"
include: "workflow/rules/audit.smk"
