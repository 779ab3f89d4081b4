# Cluster execution: per-rule resources and the fan-out/gather of experiments.
# Included right after common.smk.
#
# Resources: every experiment rule declares CPUs, memory, runtime and (paper profile) a GPU
# with experiment_resources(); the SLURM executor maps them to sbatch options (cpus_per_task
# -> --cpus-per-task, mem_mb -> --mem, runtime (minutes) -> -t, gpu -> --gpus). Lighter rules
# get the execution profile's default-resources (workflow/profiles/slurm/config.yaml). Local
# runs ignore all of these except what --resources limits.
#
# Fan-out: for the experiments that workflow/shards.yaml lists under the ACTIVE profile,
# results/<p>/<exp>/<exp>.parquet is made by `experiment_gather` from one
# `experiment_shard` job per shard (results/<p>/<exp>/shards/<shard>.parquet, each with its
# provenance, both written atomically). A failed shard reruns alone: finished shards are files
# Snakemake keeps. Other profiles and experiments use the unsharded rules.
import re

import yaml

from metagrad.experiments.shards import ShardError, shard_names  # noqa: E402

SHARD_PLAN_FILE = REPO / "workflow" / "shards.yaml"
SHARD_PLAN = yaml.safe_load(SHARD_PLAN_FILE.read_text()) if SHARD_PLAN_FILE.exists() else {}
SHARD_PLAN = SHARD_PLAN or {}

# cpus_per_task, mem_mb, runtime (minutes), gpu per experiment job; unknown profiles: default
_EXPERIMENT_RESOURCES = {
    "smoke": dict(cpus_per_task=1, mem_mb=2000, runtime=30, gpu=0),
    "default": dict(cpus_per_task=2, mem_mb=8000, runtime=240, gpu=0),
    "paper": dict(cpus_per_task=4, mem_mb=32000, runtime=1440, gpu=1),
}


def experiment_resources():
    """Resources of an experiment (or shard) job, by the profile in its output path."""
    def pick(key):
        return lambda wildcards: _EXPERIMENT_RESOURCES.get(
            wildcards.profile, _EXPERIMENT_RESOURCES["default"])[key]
    return {key: pick(key) for key in _EXPERIMENT_RESOURCES["default"]}


def _shard_spec(experiment):
    return (SHARD_PLAN.get(PROFILE) or {}).get(experiment)


def experiment_shards(profile, experiment):
    """Shard names of one experiment of the active profile, in gather order."""
    try:
        return shard_names(experiment, profile_cfg(profile)["experiments"][experiment],
                           _shard_spec(experiment))
    except (ShardError, KeyError) as err:
        _fail(ConfigError(f"{SHARD_PLAN_FILE.name}: {PROFILE}.{experiment}: {err}"))


def shard_code(profile, experiment):
    """A shard's code inputs: its experiment's, plus the shard module."""
    return experiment_code(profile, experiment) + code_files("experiments/shards.py")


SHARDED = sorted(e for e in (SHARD_PLAN.get(PROFILE) or {}) if _shard_spec(e))
for _experiment in SHARDED:  # a bad plan stops here, before any job
    experiment_shards(PROFILE, _experiment)


if SHARDED:

    rule experiment_shard:
        input:
            code=lambda w: shard_code(w.profile, w.experiment),
        output:
            table="results/{profile}/{experiment}/shards/{shard}.parquet",
            provenance="results/{profile}/{experiment}/shards/{shard}.provenance.json",
        params:
            cfg=lambda w: exp_params(w.profile, w.experiment),
        wildcard_constraints:
            profile=re.escape(PROFILE),
            experiment="|".join(SHARDED),
            shard=r"[A-Za-z0-9_.\-]+",
        resources:
            **experiment_resources(),
        shell:
            "{CLI} shard {wildcards.experiment} --profile {wildcards.profile}"
            " --shard {wildcards.shard} --out {output.table} --rule {rule}"

    rule experiment_gather:
        input:
            shards=lambda w: [f"results/{w.profile}/{w.experiment}/shards/{s}.parquet"
                              for s in experiment_shards(w.profile, w.experiment)],
            code=code_files("experiments/shards.py"),
        output:
            table="results/{profile}/{experiment}/{experiment}.parquet",
            provenance="results/{profile}/{experiment}/{experiment}.provenance.json",
        params:
            cfg=lambda w: exp_params(w.profile, w.experiment),
        wildcard_constraints:
            profile=re.escape(PROFILE),
            experiment="|".join(SHARDED),
        shell:
            "{CLI} gather {wildcards.experiment} --profile {wildcards.profile}"
            " --shards {input.shards} --out {output.table} --rule {rule}"

    ruleorder: experiment_gather > frontier_experiment
    ruleorder: experiment_gather > training_experiment
    ruleorder: experiment_gather > landscape
    ruleorder: experiment_gather > maze_gradients
    ruleorder: experiment_gather > maze_training
