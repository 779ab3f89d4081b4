"""Shared fixtures: the tiny enumerable bandits (``tiny``) for exact-gradient tests, and the JAX
persistent compilation cache (a program compiled once is loaded, not recompiled, by later
test processes and Snakemake jobs)."""

import os
from pathlib import Path

import jax
import pytest

from tiny_bandits import TINY_PROBLEMS, tiny_problem

jax.config.update("jax_compilation_cache_dir",
                  os.environ.get("JAX_COMPILATION_CACHE_DIR",
                                 str(Path(__file__).resolve().parents[1] / ".jax_cache")))
jax.config.update("jax_persistent_cache_min_compile_time_secs", 1.0)


@pytest.fixture(params=sorted(TINY_PROBLEMS))
def tiny(request):
    return tiny_problem(*TINY_PROBLEMS[request.param])
