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
  the pre-update batch: every step also collects ``num_envs`` sibling episodes at the same theta
  on the same task with independent noise (``fold_in(key, SIBLING_SALT)``); they never enter
  the update, and ``b_j = w_i R_sibling,j`` is subtracted from every later credit ``w_i R_i``
  in the correction of step j's score. Given the history before step j, the sibling episodes
  are independent of step j's own samples, so ``E[b_j grad S_j] = 0``: the same mean (the
  bandit's exact enumeration proves it, with a negative control that uses the pre-update
  batch itself and is caught).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from metagrad.learners.dice import check_hessian
from metagrad.learners.gaussian_policy import reward_to_go
from metagrad.problems.base import OuterTerms
from metagrad.problems.brax_schedule import BraxBatch, BraxScheduleProblem

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


class BraxMAMLProblem(BraxScheduleProblem):
    """A Brax task distribution, Gaussian-policy REINFORCE at a fixed learning rate, eta = the
    initial policy parameters (a flax pytree)."""

    def __init__(self, task: str, backend: str, inner_steps: int, inner_learning_rate: float,
                 num_envs: int, episode_length: int, hidden=(32, 32), log_std: float = -0.5,
                 env_batching: str = "map", objective: str = "post_adaptation",
                 first_order: bool = False, correction_baseline: str = "none",
                 init_seed: int = 0, sibling_episodes: bool = False):
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
        self.sibling_episodes = bool(sibling_episodes) or correction_baseline == "sibling"

    def variant(self, first_order: bool | None = None, correction_baseline: str | None = None,
                sibling_episodes: bool | None = None):
        """The same problem as an estimator variant: the same key gives the same task and the
        same first ``num_envs`` episodes of every batch (the sibling episodes, if collected,
        use independent noise and change nothing else)."""
        pick = lambda new, old: old if new is None else new   # noqa: E731
        return BraxMAMLProblem(
            self.task, self.backend, self.inner_steps, self.inner_learning_rate, self.num_envs,
            self.episode_length, self.policy.net.hidden, self.policy.log_std, self.env_batching,
            self.objective, pick(first_order, self.first_order),
            pick(correction_baseline, self.correction_baseline), self.init_seed,
            pick(sibling_episodes, self.sibling_episodes))

    def initial_eta(self):
        """The point where gradients are measured: flax's default initialisation from
        ``init_seed`` (a fixed, untrained policy)."""
        return self.policy.init(jax.random.PRNGKey(self.init_seed))

    def eta_template(self):
        return self.initial_eta()

    def learning_rate(self, eta, step):
        return self.inner_learning_rate

    def start(self, key, task, eta):
        return eta, task

    def collect(self, theta, env_state, key):
        """``num_envs`` episodes (noise from ``key``, as the schedule problem's) and, with
        ``sibling_episodes``, ``num_envs`` more from ``fold_in(key, SIBLING_SALT)``, in one
        batch ``[2E, ...]`` (one simulator call site: the Brax compile dominates on CPU)."""
        if not self.sibling_episodes:
            return super().collect(theta, env_state, key)
        main = jax.random.normal(key, (self.num_envs, self.episode_length, self.env.action_size))
        sibling = jax.random.normal(jax.random.fold_in(key, SIBLING_SALT), main.shape)
        return self._episodes(theta, env_state, jnp.concatenate([main, sibling]))

    def _episodes(self, theta, env_state, noise):
        theta = jax.lax.stop_gradient(theta)

        def episode(noise_e):
            def body(state, n):
                action = self.policy.act(theta, state.obs, n)
                following = self.env.step(state, action)
                return following, (state.obs, action, following.reward)

            _, out = jax.lax.scan(body, env_state, noise_e)
            return out

        if self.env_batching == "map":
            obs, actions, rewards = jax.lax.map(episode, noise)
        else:   # jax.vmap takes the function alone (its second argument is in_axes)
            obs, actions, rewards = jax.vmap(episode)(noise)
        return env_state, jax.lax.stop_gradient(BraxBatch(obs, actions, rewards))

    def split(self, batch):
        """``(main, sibling or None)``: the first ``num_envs`` episodes and the rest."""
        if not self.sibling_episodes:
            return batch, None
        E = self.num_envs
        return (jax.tree.map(lambda x: x[:E], batch), jax.tree.map(lambda x: x[E:], batch))

    def update(self, theta, batch, eta, step, hessian="none"):
        check_hessian(hessian)
        main, _ = self.split(batch)
        new = self.policy.update(theta, main.obs, main.actions, main.rewards,
                                 self.inner_learning_rate, hessian)
        return first_order_step(theta, new) if self.first_order else new

    def outer_terms(self, theta, batch, eta, step):
        main, sibling = self.split(batch)
        logp = self.policy.log_prob(theta, main.obs, main.actions)          # [E, T]
        direct = jnp.sum(logp * reward_to_go(main.rewards)) / main.rewards.size
        sibling_reward = (jnp.mean(sibling.rewards)
                          if self.correction_baseline == "sibling" else None)
        return maml_terms(self.weights, step, jnp.mean(main.rewards), direct, jnp.sum(logp),
                          sibling_reward)


def from_config(task: dict, section: dict):
    """The problem of an experiment section on ``tasks.brax_maml``."""
    return BraxMAMLProblem(task["env"], task["backend"], task["inner_steps"],
                           task["inner_learning_rate"], task["num_envs"], task["episode_length"],
                           task["hidden"], task["log_std"], task["env_batching"],
                           task["objective"], init_seed=task.get("init_seed", 0))
