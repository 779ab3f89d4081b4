"""Shared fixtures: tiny enumerable bandit problems for exact-gradient tests, and the JAX
persistent compilation cache (a program compiled once is loaded, not recompiled, by later
test processes and Snakemake jobs)."""

import os
from pathlib import Path

import jax
import jax.numpy as jnp
import pytest

jax.config.update("jax_compilation_cache_dir",
                  os.environ.get("JAX_COMPILATION_CACHE_DIR",
                                 str(Path(__file__).resolve().parents[1] / ".jax_cache")))
jax.config.update("jax_persistent_cache_min_compile_time_secs", 1.0)

from metagrad.envs import BanditEnv
from metagrad.problems.bandit import BanditLearningRateProblem


def tiny_problem(num_arms, batch_size, lifetime_length, split, means, noise_std,
                 correction_baseline="none", outer_terms_form="sampled"):
    env = BanditEnv(num_arms=num_arms, batch_size=batch_size, reward_noise_std=noise_std,
                    noise="rademacher", fixed_means=jnp.asarray(means))
    return BanditLearningRateProblem(env, lifetime_length, split,
                                     correction_baseline=correction_baseline,
                                     outer_terms_form=outer_terms_form)


# (K, B, L, split, arm means, noise std): 1296, 256 and 256 outcome sequences. The split at
# step 1 makes eta_1 drive three of four updates, so its correction and DiCE paths carry terms.
TINY_PROBLEMS = {
    "K3_B1_L4": (3, 1, 4, 2, [0.2, 0.5, 1.0], 0.5),
    "K2_B2_L3": (2, 2, 3, 1, [0.0, 1.0], 1.0),
    "K2_B1_L4_split1": (2, 1, 4, 1, [0.1, 0.8], 0.7),
}


@pytest.fixture(params=sorted(TINY_PROBLEMS))
def tiny(request):
    return tiny_problem(*TINY_PROBLEMS[request.param])
