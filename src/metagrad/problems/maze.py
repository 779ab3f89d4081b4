"""Meta-learning the maze learner's entropy coefficient (spec section 6; figure 9).

A lifetime is ``lifetime_length`` inner updates of one fresh actor-critic agent
(``metagrad.learners.actor_critic``) on the gridworld (``metagrad.envs.maze``); each update
collects ``trajectories_per_update`` whole episodes. Figure 9 resets the agent at every reward
flip, so one window of 8 updates is one lifetime of 8 updates (untruncated); the object rewards
are drawn per agent in ``start`` (the task carries nothing: by the symmetry of the two objects
every estimate has the same distribution under either sign).

eta, two forms: "simple", a scalar ``w`` with ``ent_coef = sigmoid(w)`` (figure 9); "context",
the parameters of ``Dense(32)-ReLU-Dense(1)-sigmoid`` over the agent's last ``CONTEXT_LENGTH``
per-update mean rewards per env step (a FIFO, newest last, zeros at the start), 385 scalars
(figure 10's meta-network; the FIFO rides in the learner as ``params["history"]``, a function
of the sampled rewards only, so it carries no derivative).

Outer terms of update k (``G`` discounted Monte-Carlo returns, ``A = G - V_{theta_k}``, V
stop-gradiented everywhere in the outer loss):

- ``objective_k = mean_b G_{b,0}``: the per-update return from the first state (FD and the
  exact gradient differentiate its mean over the lifetime).
- ``direct_k = mean_b sum_t gamma^t log pi(a_t|s_t) X_t`` and ``credit_k = mean_b X_{b,0}``,
  with ``X = G`` ("no_advantage") or ``X = A`` ("with_advantage").
- ``score_k = sum_{b,t} log pi(a_t|s_t)``; no baseline.

Two deliberate choices (checked by exact enumeration in the tests): the direct term carries
``gamma^t``, so that with the full correction "no advantage" is exactly unbiased for
``d/dw E[mean_k G_0]`` (the paper's ``sum_t log pi G_t`` drops it, Thomas 2014's discounted
state-distribution approximation; at gamma = 0.99 over 8 steps the weights differ by < 7 %).
``V`` in the direct term is a state baseline (no bias); in the credit it is a function of
``theta_k``, which depends on the earlier updates' samples, so ``E[S_j V_{theta_k}] != 0``:
"with advantage" is biased.
"""

from __future__ import annotations

import itertools
from typing import NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from metagrad.envs.maze import MazeEnv, sample_object_rewards
from metagrad.estimators.exact import ScriptedProblem
from metagrad.learners.actor_critic import ActorCritic, discounted_returns
from metagrad.problems.base import OuterTerms

OUTER_LOSSES = ("no_advantage", "with_advantage")
META_FORMS = ("simple", "context")
CONTEXT_LENGTH = 10


class ContextNet(nn.Module):
    """The "context" meta-network: last rewards -> entropy-coefficient logit."""

    @nn.compact
    def __call__(self, history):
        return nn.Dense(1)(nn.relu(nn.Dense(32)(history)))[..., 0]


class MazeBatch(NamedTuple):
    observations: jax.Array   # [B, H, O]
    actions: jax.Array        # int [B, H]
    rewards: jax.Array        # [B, H]


class MazeState(NamedTuple):
    object_rewards: jax.Array   # [2]
    noise_key: jax.Array        # env randomness (start cells, respawns), by (update, trajectory)
    update: jax.Array           # int: updates collected so far


class MazeProblem:
    """Gridworld + actor-critic + ``ent_coef = sigmoid(w)``, with either outer loss."""

    def __init__(self, env: MazeEnv, lifetime_length: int, trajectories_per_update: int,
                 outer_loss: str = "no_advantage", hidden=(256, 256), gamma: float = 0.99,
                 value_coef: float = 0.1, learning_rate: float = 1.0, meta_form: str = "simple"):
        for name, value in (("lifetime_length", lifetime_length),
                            ("trajectories_per_update", trajectories_per_update)):
            if int(value) < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
        if outer_loss not in OUTER_LOSSES:
            raise ValueError(f"outer_loss must be one of {OUTER_LOSSES}, got {outer_loss!r}")
        if meta_form not in META_FORMS:
            raise ValueError(f"meta_form must be one of {META_FORMS}, got {meta_form!r}")
        self.env = env
        self.lifetime_length = int(lifetime_length)
        self.batch_size = int(trajectories_per_update)
        self.outer_loss = outer_loss
        self.meta_form = meta_form
        self.learner = ActorCritic(env.observation_size, env.action_size, hidden, gamma,
                                   value_coef, learning_rate)
        self.gamma = float(gamma)

    def with_outer_loss(self, outer_loss: str) -> "MazeProblem":
        """The same problem (same sampled lifetimes for the same key) with another outer loss."""
        other = MazeProblem.__new__(MazeProblem)
        other.__dict__.update(self.__dict__)
        if outer_loss not in OUTER_LOSSES:
            raise ValueError(f"outer_loss must be one of {OUTER_LOSSES}, got {outer_loss!r}")
        other.outer_loss = outer_loss
        return other

    # -- eta -------------------------------------------------------------------------------
    def eta_template(self):
        if self.meta_form == "context":
            return ContextNet().init(jax.random.PRNGKey(0), jnp.zeros((CONTEXT_LENGTH,)))
        return jnp.zeros((), jnp.float32)

    def ent_coef(self, eta, params=None):
        if self.meta_form == "context":
            return jax.nn.sigmoid(ContextNet().apply(eta, params["history"]))
        return jax.nn.sigmoid(eta)

    # -- episodes ----------------------------------------------------------------------------
    def episode(self, params, env_key, object_rewards, choose):
        """One whole episode; ``choose(t, logits) -> action``. Returns obs, actions, rewards."""
        state = self.env.reset_with_rewards(env_key, object_rewards)

        def body(state, t):
            obs = state.obs
            action = choose(t, self.learner.policy.apply(params["policy"], obs))
            state = self.env.step(state, action)
            return state, (obs, action, state.reward)

        _, (obs, actions, rewards) = jax.lax.scan(body, state,
                                                  jnp.arange(self.env.episode_length))
        return obs, actions, rewards

    def trajectory_keys(self, env_state: MazeState):
        return jax.random.split(jax.random.fold_in(env_state.noise_key, env_state.update),
                                self.batch_size)

    # -- MetaProblem -------------------------------------------------------------------------
    def sample_task(self, key):
        return jnp.zeros(())

    def start(self, key, task, eta):
        init_key, sign_key, noise_key = jax.random.split(key, 3)
        state = MazeState(sample_object_rewards(sign_key), noise_key, jnp.zeros((), jnp.int32))
        params = self.learner.init(init_key)
        if self.meta_form == "context":
            params = {**params, "history": jnp.zeros((CONTEXT_LENGTH,), jnp.float32)}
        return params, state

    def collect(self, params, env_state, key):
        params = jax.lax.stop_gradient(params)
        act_keys = jax.random.split(key, self.batch_size)

        def one(env_key, act_key):
            step_keys = jax.random.split(act_key, self.env.episode_length)
            return self.episode(params, env_key, env_state.object_rewards,
                                lambda t, logits: jax.random.categorical(step_keys[t], logits))

        obs, actions, rewards = jax.vmap(one)(self.trajectory_keys(env_state), act_keys)
        return env_state._replace(update=env_state.update + 1), MazeBatch(obs, actions, rewards)

    def update(self, params, batch, eta, step, hessian="none"):
        new = self.learner.update(params, batch.observations, batch.actions, batch.rewards,
                                  self.ent_coef(eta, params), hessian)
        if self.meta_form == "context":   # FIFO of per-update mean rewards per step, newest last
            reward = jax.lax.stop_gradient(jnp.mean(batch.rewards))
            new = {**new, "history": jnp.append(params["history"][1:], reward)}
        return new

    def outer_terms(self, params, batch, eta, step):
        log_pi = self.learner.log_policy(params, batch.observations)
        logp = jnp.take_along_axis(log_pi, batch.actions[..., None], axis=-1)[..., 0]
        returns = discounted_returns(batch.rewards, self.gamma)                   # [B, H]
        signal = returns
        if self.outer_loss == "with_advantage":
            signal = returns - jax.lax.stop_gradient(
                self.learner.values(params, batch.observations))
        discounts = self.gamma ** jnp.arange(batch.rewards.shape[-1])
        objective = jnp.mean(returns[:, 0])
        return OuterTerms(objective=objective,
                          direct=jnp.mean(jnp.sum(discounts * logp * signal, axis=-1)),
                          score=jnp.sum(logp),
                          credit=jax.lax.stop_gradient(jnp.mean(signal[:, 0])),
                          baseline=jnp.zeros_like(objective))

    # -- exact enumeration (tiny sizes only) ----------------------------------------------------
    def enumeration(self, noise_key=None, max_sequences: int = 70_000):
        """Every action sequence ``[M, L, B, H]`` given ONE fixed realisation of the
        eta-independent noise (the agent's initialisation, the object rewards, start cells and
        respawns from ``noise_key``): exact conditional expectations, hence exact tests of
        unbiasedness, which holds conditionally on that noise."""
        from metagrad.estimators.exact import Enumeration

        per_lifetime = self.lifetime_length * self.batch_size * self.env.episode_length
        count = self.env.action_size ** per_lifetime
        if count > max_sequences:
            raise ValueError(f"{count} action sequences exceed max_sequences={max_sequences}")
        codes = np.array(list(itertools.product(range(self.env.action_size),
                                                repeat=per_lifetime)))
        sequences = codes.reshape(-1, self.lifetime_length, self.batch_size,
                                  self.env.episode_length)
        key = jax.random.PRNGKey(0) if noise_key is None else noise_key
        return Enumeration(ScriptedMaze(self, key), jnp.asarray(sequences, jnp.int32),
                           jnp.zeros(sequences.shape[0], jnp.float32))


class ScriptedMaze(ScriptedProblem):
    """The maze replaying a given action sequence ``[L, B, H]`` (the task) with fixed noise."""

    def __init__(self, problem: MazeProblem, noise_key):
        super().__init__(problem)
        self.noise_key = noise_key

    def start(self, key, task, eta):
        learner, state = self.problem.start(self.noise_key, None, eta)
        return learner, (state, task)

    def collect(self, params, env_state, key):
        state, sequence = env_state
        params = jax.lax.stop_gradient(params)
        obs, actions, rewards = jax.vmap(
            lambda env_key, acts: self.problem.episode(params, env_key, state.object_rewards,
                                                       lambda t, logits: acts[t]))(
            self.problem.trajectory_keys(state), sequence[state.update])
        return (state._replace(update=state.update + 1), sequence), MazeBatch(obs, actions,
                                                                              rewards)


def from_config(task: dict, section: dict) -> MazeProblem:
    """The problem of an experiment section on the ``maze`` task (``metagrad.problems`` API)."""
    env = MazeEnv(task["side"], task["episode_length"], task.get("step_reward", -0.04))
    return MazeProblem(env, section["window_length"], task["trajectories_per_update"],
                       section.get("outer_loss", "no_advantage"),
                       tuple(task.get("hidden", (256, 256))), task.get("gamma", 0.99),
                       task.get("value_coef", 0.1), task.get("learning_rate", 1.0),
                       section.get("meta_form", "simple"))
