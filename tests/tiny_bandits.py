"""Tiny enumerable bandit problems for exact-gradient tests (a uniquely named module, so that
test files in sub-folders with their own conftest.py import it unambiguously)."""

import jax.numpy as jnp

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
