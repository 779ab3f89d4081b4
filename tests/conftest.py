"""Shared fixtures and settings: the tiny enumerable bandits (``tiny``) for exact-gradient
tests, XLA's optimisation level for tests, and the JAX persistent compilation cache (a program
compiled once is loaded, not recompiled, by later test processes and Snakemake jobs)."""

import os
from pathlib import Path

# XLA's backend optimisation level 1 instead of the default 3, for this process and every
# subprocess it starts (set before JAX initialises its backend): compiling is most of the suite's
# time, and level 1 compiles a small MG program about 3x faster (3.7 s -> 1.2 s on 2 cores;
# 16 % off the estimator and maze test files). It changes how the programs are optimised (the
# results only up to float rounding); every tolerance still holds.
# METAGRAD_TEST_XLA_DEFAULT=1 turns it off.
TEST_XLA_FLAGS = "--xla_backend_optimization_level=1"
if not os.environ.get("METAGRAD_TEST_XLA_DEFAULT"):
    os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {TEST_XLA_FLAGS}".strip()

import jax  # noqa: E402  (after XLA_FLAGS)
import pytest

from tiny_bandits import TINY_PROBLEMS, tiny_problem

# set in the environment too, so the Snakemake and CLI subprocesses of the workflow, SLURM and
# Brax tests share it: their shard jobs and repeated pipelines compile the same programs
os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", str(Path(__file__).resolve().parents[1] / ".jax_cache"))
# every program, however quick to compile (at level 1 most compile in under a second): a test
# that rebuilds the same program, e.g. the same estimator at another eta, loads it instead
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
jax.config.update("jax_compilation_cache_dir", os.environ["JAX_COMPILATION_CACHE_DIR"])
jax.config.update("jax_persistent_cache_min_compile_time_secs",
                  float(os.environ["JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"]))


@pytest.fixture(params=sorted(TINY_PROBLEMS))
def tiny(request):
    return tiny_problem(*TINY_PROBLEMS[request.param])


# The slowest files first (longest-first scheduling): pytest-xdist's ``--dist loadfile`` with
# ``--no-loadscope-reorder`` (scripts/test.sh) hands whole files to its two workers in collection
# order, so a multi-minute file must not come last and run alone while the other worker waits.
# Order: per-file time measured with a cold compile cache on 2 cores (slowest first).
SLOW_FILES = ("test_mg_exact.py", "test_slurm.py", "test_brax_workflow.py", "test_maze_exact.py",
              "test_brax_schedule.py", "test_contract.py", "test_mg_properties.py",
              "test_workflow.py", "test_shards.py", "test_maze_problem.py",
              "test_experiment_runs.py", "test_brax_maml_workflow.py", "test_maze_training.py",
              "test_history_baseline.py", "test_tiny_mdp.py", "test_brax_maml_batching.py",
              "test_maml_exact.py", "test_benchmarks.py")


def pytest_collection_modifyitems(config, items):
    rank = {name: i for i, name in enumerate(SLOW_FILES)}
    items.sort(key=lambda item: rank.get(item.path.name, len(SLOW_FILES)))
