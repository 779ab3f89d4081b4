"""Brax, long horizon: meta-learning a two-piece learning-rate schedule for REINFORCE on a
physics task (ours, beyond the paper; spec section 7).

One lifetime = one task (a reacher goal, a half-cheetah target velocity or direction) and
``lifetime_length`` inner steps. Each inner step collects ``num_envs`` fresh episodes of
``episode_length`` steps, every one starting from the task's first reset state (no AutoReset),
with the Gaussian policy of ``metagrad.learners.gaussian_policy``, then takes one REINFORCE
step with learning rate ``softplus(eta_0)`` before ``schedule_split_step`` and
``softplus(eta_1)`` from it on (the bandit's schedule; split at floor(L/4)).

No gradient flows through the simulator: ``collect`` stop-gradients theta and the batch (a
test proves its JVP in theta is exactly zero); the meta-gradient reaches eta only through the
inner updates and the score terms, as in the bandit. Outer terms per step (rewards ``r [E, T]``):
``objective = mean r`` (reward per env step), ``direct = (1/(E T)) sum log pi_t G_t`` with the
undiscounted reward-to-go ``G_t`` (its expected gradient is that of the objective), ``score =
sum log pi`` over the batch, ``credit = objective``. ``correction_baseline="history"`` wraps the
problem in ``metagrad.problems.history_baseline.HistoryBaseline`` (b_j = R_{j-1}).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from metagrad.envs.brax_tasks import check_task, make_task_env
from metagrad.learners.dice import check_hessian
from metagrad.learners.gaussian_policy import GaussianPolicy, reward_to_go
from metagrad.problems.base import OuterTerms
from metagrad.problems.history_baseline import HistoryBaseline

CORRECTION_BASELINES = ("none", "history")
# episodes of one inner step: lax.map (on jax 0.10.2 CPU the spring pipeline segfaults under
# the FD reference's five nested vmaps: points x samples x directions x (+-) x episodes) or vmap
ENV_BATCHING = ("map", "vmap")


class BraxBatch(NamedTuple):
    obs: jax.Array       # [E, T, O]
    actions: jax.Array   # [E, T, A], the unclipped Gaussian samples
    rewards: jax.Array   # [E, T]


class BraxScheduleProblem:
    """A Brax task distribution + Gaussian-policy REINFORCE + two-piece learning-rate schedule."""

    def __init__(self, task: str, backend: str, lifetime_length: int, schedule_split_step: int,
                 num_envs: int, episode_length: int, hidden=(32, 32), log_std: float = -0.5,
                 env_batching: str = "map"):
        check_task(task, backend)
        if env_batching not in ENV_BATCHING:
            raise ValueError(f"env_batching must be one of {ENV_BATCHING}, got {env_batching!r}")
        self.env_batching = env_batching
        for key, value, low in (("lifetime_length", lifetime_length, 1),
                                ("num_envs", num_envs, 1), ("episode_length", episode_length, 1)):
            if int(value) < low:
                raise ValueError(f"{key} must be an integer >= {low}, got {value!r}")
        if not 0 <= int(schedule_split_step) <= int(lifetime_length):
            raise ValueError(f"schedule_split_step must be in [0, lifetime_length="
                             f"{lifetime_length}], got {schedule_split_step!r}")
        self.task, self.backend = task, backend
        self.env = make_task_env(task, backend)
        self.policy = GaussianPolicy(self.env.observation_size, self.env.action_size, hidden,
                                     log_std)
        self.lifetime_length = int(lifetime_length)
        self.schedule_split_step = int(schedule_split_step)
        self.num_envs, self.episode_length = int(num_envs), int(episode_length)

    def with_action_sampler(self, action_sampler: str):
        """The frontier's FD reference asks for Gumbel-max noise on the bandit; Gaussian noise
        from the key is already common random numbers here."""
        return self

    def eta_template(self):
        return jnp.zeros((2,), jnp.float32)

    def learning_rate(self, eta, step):
        return jax.nn.softplus(jnp.where(step < self.schedule_split_step, eta[0], eta[1]))

    def sample_task(self, key):
        """The task's first reset state (goal, target velocity or direction in ``info``)."""
        return self.env.reset(key)

    def start(self, key, task, eta):
        return self.policy.init(key), task

    def collect(self, theta, env_state, key):
        theta = jax.lax.stop_gradient(theta)
        noise = jax.random.normal(key, (self.num_envs, self.episode_length, self.env.action_size))

        def episode(noise_e):
            def body(state, n):
                action = self.policy.act(theta, state.obs, n)
                following = self.env.step(state, action)
                return following, (state.obs, action, following.reward)

            _, out = jax.lax.scan(body, env_state, noise_e)
            return out

        if self.env_batching == "map":
            obs, actions, rewards = jax.lax.map(episode, noise)
        else:
            obs, actions, rewards = jax.vmap(episode)(noise)
        return env_state, jax.lax.stop_gradient(BraxBatch(obs, actions, rewards))

    def update(self, theta, batch, eta, step, hessian="none"):
        check_hessian(hessian)
        return self.policy.update(theta, batch.obs, batch.actions, batch.rewards,
                                  self.learning_rate(eta, step), hessian)

    def outer_terms(self, theta, batch, eta, step):
        logp = self.policy.log_prob(theta, batch.obs, batch.actions)        # [E, T]
        objective = jnp.mean(batch.rewards)
        direct = jnp.sum(logp * reward_to_go(batch.rewards)) / batch.rewards.size
        return OuterTerms(objective=objective, direct=direct, score=jnp.sum(logp),
                          credit=objective, baseline=jnp.zeros_like(objective))


def from_config(task: dict, section: dict):
    """The problem of an experiment section on ``tasks.brax_schedule`` (``metagrad.problems``
    API); ``correction_baseline`` and ``outer_terms_form`` may come as the frontier's
    variance-reduced overrides."""
    baseline = task.get("correction_baseline", "none")
    if baseline not in CORRECTION_BASELINES:
        raise ValueError(f"correction_baseline (rb_baseline) must be one of "
                         f"{CORRECTION_BASELINES} on Brax, got {baseline!r}")
    if task.get("outer_terms_form", "sampled") != "sampled":
        raise ValueError("outer_terms_form (rb_outer_terms) must be 'sampled' on Brax: the "
                         "conditional expectation of a physics reward is not known")
    problem = BraxScheduleProblem(task["env"], task["backend"], section["lifetime_length"],
                                  section["schedule_split_step"], task["num_envs"],
                                  task["episode_length"], task["hidden"], task["log_std"],
                                  task["env_batching"])
    return HistoryBaseline(problem) if baseline == "history" else problem
