"""Brax, short horizon, MAML-style (ours, beyond the paper; spec section 7): eta is the policy
initialisation, theta_0 = eta, and the inner loop is one (or a few) REINFORCE steps at a fixed
learning rate, as in MAML (Finn et al., 2017, "Model-Agnostic Meta-Learning for Fast Adaptation
of Deep Networks") and its RL estimators (DiCE, Foerster et al., 2018; Loaded DiCE, Farquhar et
al., 2019; ProMP, Rothfuss et al., 2019, whose analysis of the missing sampling-correction term
this experiment measures).

A lifetime is ``inner_steps + 1`` steps on one task (a reacher goal, a half-cheetah target
velocity or direction): steps ``0 .. inner_steps - 1`` collect a batch and adapt; the last step
only collects the post-adaptation batch (its update is never used). Collection, the Gaussian
policy and the REINFORCE update (normalised reward-to-go advantages, the Loaded-DiCE surrogate
under ``hessian="dice"``) are those of :mod:`metagrad.problems.brax_schedule`; no gradient flows
through the simulator (``collect`` stop-gradients theta and the batch).

Objective (``OuterTerms`` weights ``w_t``; the estimators normalise by the lifetime length L):

- ``post_adaptation`` (MAML's): ``w_t = L`` at the last step and 0 before, so
  ``J = (1/L) sum_t w_t E[mean reward_t]`` is EXACTLY the post-adaptation mean reward per env
  step. Pre-update steps give objective, direct and credit 0; their ``score`` (the batch's
  log-probability) is what the sampling correction weights.
- ``adaptation_area`` (the paper's): ``w_t = 1``, J = the mean reward per env step averaged over
  the adaptation curve (pre- and post-update batches).

Estimator variants that are not MG settings are problem variants on the SAME sampled lifetimes
(the same key gives the same task, noise, batches and learners):

- ``first_order=True`` (first-order MAML, Finn et al., 2017): ``update`` returns
  ``theta + stop_gradient(theta' - theta)``: the value of the REINFORCE step, but
  ``d theta_{t+1} / d eta = d theta_t / d eta`` (= I from theta_0 = eta), i.e. the gradient at
  the adapted parameters applied to the initialisation, the update's Jacobian dropped.
- ``correction_baseline="sibling"`` (ours): a baseline for the correction that is independent of
  the pre-update batches: ``start`` collects a sibling batch at theta_0 on the same task with
  independent noise (``fold_in(key, SIBLING_SALT)``) and ``b = w_i * R_sibling`` is subtracted
  from every later credit ``w_i R_i``. It is a function of eta, the task and noise outside the
  lifetime's batches, never of step j's own samples, so ``E[b grad S_j] = 0``: the same mean
  (the bandit's exact enumeration proves the argument for baselines of this kind).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from metagrad.learners.dice import check_hessian
from metagrad.learners.gaussian_policy import reward_to_go
from metagrad.problems.base import OuterTerms
from metagrad.problems.brax_schedule import BraxScheduleProblem

OBJECTIVES = ("post_adaptation", "adaptation_area")
CORRECTION_BASELINES = ("none", "sibling")
SIBLING_SALT = 0x51B1


def step_weights(objective: str, lifetime_length: int) -> jax.Array:
    """``[L]`` weights ``w_t`` of each step's mean reward in J (see the module docstring)."""
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {OBJECTIVES}, got {objective!r}")
    L = int(lifetime_length)
    if objective == "post_adaptation":
        return jnp.zeros((L,), jnp.float32).at[L - 1].set(float(L))
    return jnp.ones((L,), jnp.float32)


def maml_terms(weights: jax.Array, step, mean_reward, direct, score, sibling_reward=None):
    """One step's ``OuterTerms``: ``objective = credit = w_t mean_reward``, ``direct`` scaled by
    ``w_t``, ``score`` unscaled; with a sibling reward, the per-offset baseline
    ``baseline[k] = w_{t+k} R_sibling`` (subtracted from the credit k steps later)."""
    L = weights.shape[0]
    w = weights[jnp.minimum(step, L - 1)]
    objective = w * mean_reward
    if sibling_reward is None:
        baseline = jnp.zeros_like(objective)
    else:
        later = jnp.minimum(step + jnp.arange(L), L - 1)
        baseline = weights[later] * jax.lax.stop_gradient(sibling_reward)
    return OuterTerms(objective=objective, direct=w * direct, score=score, credit=objective,
                      baseline=baseline)


def first_order_step(theta, new_theta):
    """``new_theta`` in value, ``d theta`` in derivative: the update's Jacobian dropped."""
    return jax.tree.map(lambda a, b: a + jax.lax.stop_gradient(b - a), theta, new_theta)


class MAMLLearner(NamedTuple):
    theta: Any                 # the policy parameters (theta_0 = eta)
    sibling_reward: jax.Array  # the sibling batch's mean reward at theta_0 (0 without baseline)


class BraxMAMLProblem(BraxScheduleProblem):
    """A Brax task distribution, Gaussian-policy REINFORCE at a fixed learning rate, eta = the
    initial policy parameters (a flax pytree)."""

    def __init__(self, task: str, backend: str, inner_steps: int, inner_learning_rate: float,
                 num_envs: int, episode_length: int, hidden=(32, 32), log_std: float = -0.5,
                 env_batching: str = "map", objective: str = "post_adaptation",
                 first_order: bool = False, correction_baseline: str = "none",
                 init_seed: int = 0):
        if int(inner_steps) < 1:
            raise ValueError(f"inner_steps must be an integer >= 1, got {inner_steps!r}")
        if not float(inner_learning_rate) > 0:
            raise ValueError(f"inner_learning_rate must be > 0, got {inner_learning_rate!r}")
        if correction_baseline not in CORRECTION_BASELINES:
            raise ValueError(f"correction_baseline must be one of {CORRECTION_BASELINES}, "
                             f"got {correction_baseline!r}")
        super().__init__(task, backend, int(inner_steps) + 1, 0, num_envs, episode_length,
                         hidden, log_std, env_batching)
        self.inner_steps = int(inner_steps)
        self.inner_learning_rate = float(inner_learning_rate)
        self.objective = objective
        self.weights = step_weights(objective, self.lifetime_length)
        self.first_order = bool(first_order)
        self.correction_baseline = correction_baseline
        self.init_seed = int(init_seed)

    def variant(self, first_order: bool | None = None, correction_baseline: str | None = None):
        """The same problem (same lifetimes per key) as an estimator variant."""
        return BraxMAMLProblem(
            self.task, self.backend, self.inner_steps, self.inner_learning_rate, self.num_envs,
            self.episode_length, self.policy.net.hidden, self.policy.log_std, self.env_batching,
            self.objective, self.first_order if first_order is None else first_order,
            self.correction_baseline if correction_baseline is None else correction_baseline,
            self.init_seed)

    def initial_eta(self):
        """The point where gradients are measured: flax's default initialisation from
        ``init_seed`` (a fixed, untrained policy)."""
        return self.policy.init(jax.random.PRNGKey(self.init_seed))

    def eta_template(self):
        return self.initial_eta()

    def learning_rate(self, eta, step):
        return self.inner_learning_rate

    def start(self, key, task, eta):
        sibling = jnp.zeros((), jnp.float32)
        if self.correction_baseline == "sibling":
            _, batch = super().collect(eta, task, jax.random.fold_in(key, SIBLING_SALT))
            sibling = jax.lax.stop_gradient(jnp.mean(batch.rewards))
        return MAMLLearner(eta, sibling), task

    def collect(self, learner, env_state, key):
        return super().collect(learner.theta, env_state, key)

    def update(self, learner, batch, eta, step, hessian="none"):
        check_hessian(hessian)
        new = self.policy.update(learner.theta, batch.obs, batch.actions, batch.rewards,
                                 self.inner_learning_rate, hessian)
        if self.first_order:
            new = first_order_step(learner.theta, new)
        return MAMLLearner(new, learner.sibling_reward)

    def outer_terms(self, learner, batch, eta, step):
        logp = self.policy.log_prob(learner.theta, batch.obs, batch.actions)     # [E, T]
        direct = jnp.sum(logp * reward_to_go(batch.rewards)) / batch.rewards.size
        sibling = learner.sibling_reward if self.correction_baseline == "sibling" else None
        return maml_terms(self.weights, step, jnp.mean(batch.rewards), direct, jnp.sum(logp),
                          sibling)


def from_config(task: dict, section: dict):
    """The problem of an experiment section on ``tasks.brax_maml``."""
    return BraxMAMLProblem(task["env"], task["backend"], task["inner_steps"],
                           task["inner_learning_rate"], task["num_envs"], task["episode_length"],
                           task["hidden"], task["log_std"], task["env_batching"],
                           task["objective"], init_seed=task.get("init_seed", 0))
