"""Shared fixtures: tiny enumerable bandit problems for exact-gradient tests."""

import jax.numpy as jnp
import pytest

from metagrad.envs import BanditEnv
from metagrad.problems.bandit import BanditLearningRateProblem


def tiny_problem(num_arms, batch_size, lifetime_length, split, means, noise_std):
    env = BanditEnv(num_arms=num_arms, batch_size=batch_size, reward_noise_std=noise_std,
                    noise="rademacher", fixed_means=jnp.asarray(means))
    return BanditLearningRateProblem(env, lifetime_length, split)


# (K, B, L, split, arm means, noise std): 1296 and 256 outcome sequences.
TINY_PROBLEMS = {
    "K3_B1_L4": (3, 1, 4, 2, [0.2, 0.5, 1.0], 0.5),
    "K2_B2_L3": (2, 2, 3, 1, [0.0, 1.0], 1.0),
}


@pytest.fixture(params=sorted(TINY_PROBLEMS))
def tiny(request):
    return tiny_problem(*TINY_PROBLEMS[request.param])
