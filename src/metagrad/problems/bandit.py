"""Meta-learning a two-piece learning-rate schedule for bandit REINFORCE (spec section 2).

``eta in R^2``: ``alpha_t = softplus(eta_0)`` for ``t < schedule_split_step`` and
``softplus(eta_1)`` afterwards (the paper splits at ``floor(L/4) = 7`` for ``L = 30`` and at
``floor(L/10) = 8`` for ``L = 80``). The learner is the softmax logits ``theta``, starting at 0
whatever eta is. Outer terms per step: ``objective = R_t / B`` (mean reward per pull),
``direct = (1/B) sum_b r_b log pi(a_b)``, ``score = sum_b log pi(a_b)``, credit = objective.

Two variance reductions (ours, spec section 4, "Rao-Blackwellized bias measurement"); neither
changes any estimator's expectation (proven by enumeration in the tests), and neither changes
the sampled lifetime (the inner updates keep their sampled rewards):

- ``outer_terms_form="conditional"`` replaces the sampled outer terms by their conditional
  expectations given the history before the step (the arm means are known in simulation):
  ``direct = credit = objective = J_step(theta_t) = sum_k pi_{theta_t}(k) mu_k``.
- ``correction_baseline="expected_reward"`` subtracts ``J_step(theta_j)`` from every later
  credit in the correction of ``S_j``: a function of ``theta_j`` only (the history before step
  j's actions), a control variate with zero mean. ``"lookahead"`` subtracts from credit
  ``i = j + k`` the expected reward ``J_step(theta~_k)`` after k expected updates along the
  schedule, ``theta~_0 = theta_j``, ``theta~_{k+1} = theta~_k + alpha_{j+k} grad J_step(theta~_k)``
  (the expected REINFORCE step): a function of ``theta_j`` and eta only, and a closer
  prediction of the later credits.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from metagrad.envs.bandit import BanditEnv
from metagrad.learners.dice import check_hessian
from metagrad.learners.softmax_reinforce import SoftmaxReinforce
from metagrad.problems.base import OuterTerms

CORRECTION_BASELINES = ("none", "expected_reward", "lookahead")
OUTER_TERMS_FORMS = ("sampled", "conditional")


class BanditBatch(NamedTuple):
    actions: jax.Array      # int [B]
    rewards: jax.Array      # float [B]
    arm_means: jax.Array    # float [K], the task (known in simulation; used by baselines only)


class BanditLearningRateProblem:
    """Bandit task distribution + softmax REINFORCE + two-piece learning-rate schedule."""

    def __init__(self, env: BanditEnv, lifetime_length: int, schedule_split_step: int,
                 action_sampler: str = "gumbel", correction_baseline: str = "none",
                 outer_terms_form: str = "sampled"):
        if int(lifetime_length) < 1:
            raise ValueError(f"lifetime_length must be an integer >= 1, got {lifetime_length!r}")
        if not 0 <= int(schedule_split_step) <= int(lifetime_length):
            raise ValueError(
                f"schedule_split_step must be in [0, lifetime_length={lifetime_length}], "
                f"got {schedule_split_step!r}")
        if correction_baseline not in CORRECTION_BASELINES:
            raise ValueError(f"correction_baseline must be one of {CORRECTION_BASELINES}, "
                             f"got {correction_baseline!r}")
        if outer_terms_form not in OUTER_TERMS_FORMS:
            raise ValueError(f"outer_terms_form must be one of {OUTER_TERMS_FORMS}, "
                             f"got {outer_terms_form!r}")
        self.env = env
        self.learner = SoftmaxReinforce(env.num_arms, env.batch_size, action_sampler)
        self.lifetime_length = int(lifetime_length)
        self.schedule_split_step = int(schedule_split_step)
        self.batch_size = env.batch_size
        self.action_sampler = action_sampler
        self.correction_baseline = correction_baseline
        self.outer_terms_form = outer_terms_form

    def with_action_sampler(self, action_sampler: str) -> "BanditLearningRateProblem":
        """The same problem drawing actions with another sampler (same distribution)."""
        return BanditLearningRateProblem(self.env, self.lifetime_length,
                                         self.schedule_split_step, action_sampler,
                                         self.correction_baseline, self.outer_terms_form)

    def eta_template(self):
        return jnp.zeros((2,), jnp.float32)

    def learning_rate(self, eta: jax.Array, step: jax.Array) -> jax.Array:
        return jax.nn.softplus(jnp.where(step < self.schedule_split_step, eta[0], eta[1]))

    def sample_task(self, key):
        return self.env.sample_task(key)

    def start(self, key, task, eta):
        return self.learner.init(), self.env.reset_task(key, task)

    def collect(self, theta, env_state, key):
        actions = self.learner.sample(jax.lax.stop_gradient(theta), key)
        env_state = self.env.step(env_state, actions)
        return env_state, BanditBatch(actions, env_state.reward, env_state.info["arm_means"])

    def update(self, theta, batch, eta, step, hessian="none"):
        check_hessian(hessian)
        return self.learner.update(theta, batch.actions, batch.rewards,
                                   self.learning_rate(eta, step), hessian)

    def expected_reward(self, theta, arm_means):
        """``J_step(theta) = sum_k pi_theta(k) mu_k``: the expected reward of one pull."""
        return jnp.dot(jax.nn.softmax(theta), arm_means)

    def lookahead_rewards(self, theta, arm_means, eta, step):
        """``[L]``: ``J_step`` after k = 0, ..., L - 1 expected updates from ``theta`` at ``step``."""
        def body(th, k):
            probs = jax.nn.softmax(th)
            value = jnp.dot(probs, arm_means)
            grad = probs * (arm_means - value)                   # grad_theta J_step(theta)
            return th + self.learning_rate(eta, step + k) * grad, value

        _, values = jax.lax.scan(body, theta, jnp.arange(self.lifetime_length))
        return values

    def outer_terms(self, theta, batch, eta, step):
        logp = self.learner.log_prob(theta, batch.actions)
        if self.outer_terms_form == "conditional":
            direct = self.expected_reward(theta, batch.arm_means)
            objective = jax.lax.stop_gradient(direct)
        else:
            objective = jnp.sum(batch.rewards) / self.batch_size
            direct = jnp.sum(batch.rewards * logp) / self.batch_size
        if self.correction_baseline == "expected_reward":
            baseline = self.expected_reward(jax.lax.stop_gradient(theta), batch.arm_means)
        elif self.correction_baseline == "lookahead":
            baseline = self.lookahead_rewards(jax.lax.stop_gradient(theta), batch.arm_means,
                                              jax.lax.stop_gradient(eta), step)
        else:
            baseline = jnp.zeros_like(objective)
        return OuterTerms(objective=objective, direct=direct, score=jnp.sum(logp),
                          credit=objective, baseline=baseline)


def make_bandit_problem(bandit: dict, lifetime_length: int, schedule_split_step: int,
                        **overrides) -> BanditLearningRateProblem:
    """Build the problem from the config's ``tasks.bandit`` section (keys as in the schema)."""
    settings = {**bandit, **overrides}
    action_sampler = settings.pop("action_sampler", "gumbel")
    correction_baseline = settings.pop("correction_baseline", "none")
    outer_terms_form = settings.pop("outer_terms_form", "sampled")
    env = BanditEnv(**settings)
    return BanditLearningRateProblem(env, lifetime_length, schedule_split_step, action_sampler,
                                     correction_baseline, outer_terms_form)


def from_config(task: dict, section: dict) -> BanditLearningRateProblem:
    """The problem of an experiment section on the ``bandit`` task (``metagrad.problems`` API)."""
    return make_bandit_problem(task, section["lifetime_length"], section["schedule_split_step"])
