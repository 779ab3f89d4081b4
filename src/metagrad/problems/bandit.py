"""Meta-learning a two-piece learning-rate schedule for bandit REINFORCE (spec section 2).

``eta in R^2``: ``alpha_t = softplus(eta_0)`` for ``t < schedule_split_step`` and
``softplus(eta_1)`` afterwards (the paper splits at ``floor(L/4) = 7`` for ``L = 30`` and at
``floor(L/10) = 8`` for ``L = 80``).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from metagrad.envs.bandit import BanditEnv
from metagrad.learners.softmax_reinforce import HESSIAN_MODES, SoftmaxReinforce


class BanditBatch(NamedTuple):
    actions: jax.Array   # int [B]
    rewards: jax.Array   # float [B]


class BanditLearningRateProblem:
    """Bandit task distribution + softmax REINFORCE + two-piece learning-rate schedule."""

    num_meta_params = 2

    def __init__(self, env: BanditEnv, lifetime_length: int, schedule_split_step: int,
                 action_sampler: str = "gumbel"):
        if int(lifetime_length) < 1:
            raise ValueError(f"lifetime_length must be an integer >= 1, got {lifetime_length!r}")
        if not 0 <= int(schedule_split_step) <= int(lifetime_length):
            raise ValueError(
                f"schedule_split_step must be in [0, lifetime_length={lifetime_length}], "
                f"got {schedule_split_step!r}")
        self.env = env
        self.learner = SoftmaxReinforce(env.num_arms, env.batch_size, action_sampler)
        self.lifetime_length = int(lifetime_length)
        self.schedule_split_step = int(schedule_split_step)
        self.batch_size = env.batch_size

    def with_action_sampler(self, action_sampler: str) -> "BanditLearningRateProblem":
        """The same problem drawing actions with another sampler (same distribution)."""
        return BanditLearningRateProblem(self.env, self.lifetime_length,
                                         self.schedule_split_step, action_sampler)

    def learning_rate(self, eta: jax.Array, step: jax.Array) -> jax.Array:
        return jax.nn.softplus(jnp.where(step < self.schedule_split_step, eta[0], eta[1]))

    def sample_task(self, key):
        return self.env.sample_task(key)

    def start(self, key, task):
        return self.learner.init(), self.env.reset_task(key, task)

    def collect(self, theta, env_state, key):
        actions = self.learner.sample(jax.lax.stop_gradient(theta), key)
        env_state = self.env.step(env_state, actions)
        return env_state, BanditBatch(actions, env_state.reward)

    def score_terms(self, theta, batch):
        logp = self.learner.log_prob(theta, batch.actions)
        return jnp.sum(logp), jnp.sum(batch.rewards * logp)

    def total_reward(self, batch):
        return jnp.sum(batch.rewards)

    def update(self, theta, batch, eta, step, hessian="none"):
        if hessian not in HESSIAN_MODES:
            raise ValueError(f"hessian must be one of {HESSIAN_MODES}, got {hessian!r}")
        return self.learner.update(theta, batch.actions, batch.rewards,
                                   self.learning_rate(eta, step), hessian)


def make_bandit_problem(bandit: dict, lifetime_length: int, schedule_split_step: int,
                        **env_overrides) -> BanditLearningRateProblem:
    """Build the problem from the config's ``bandit`` section (keys as in the schema)."""
    settings = {**bandit, **env_overrides}
    action_sampler = settings.pop("action_sampler", "gumbel")
    env = BanditEnv(**settings)
    return BanditLearningRateProblem(env, lifetime_length, schedule_split_step, action_sampler)
