"""A tiny episodic MDP with a neural-network policy, enumerable exactly (ours, for tests).

Two states, two actions; the action chosen is the next state (deterministic), every episode
starts in state 0 and lasts ``episode_length`` steps; reward ``REWARDS[s, a]``. The policy is a
flax MLP (``Dense(hidden)``-tanh-``Dense(2)``) over one-hot (state, time). The inner learner is
REINFORCE with reward-to-go, ``theta <- theta - alpha * grad(-(1/B) sum_b sum_h log pi G_h)``;
the DiCE variant builds the same loss on the Loaded-DiCE form of the magic box over the causal
cumulative log-probabilities (Farquhar et al., 2019), ``-(1/B) sum_b sum_h r_h
box(sum_{h' <= h} log pi_{h'})``, whose first derivative is the same.

eta is a pytree: ``{"init": the policy's initial parameters (theta_0 = eta["init"], MAML-style),
"log_learning_rate": alpha = exp(.)}``: ``2 * hidden + hidden + 2 * hidden + 2 + 1``
coordinates (24 at ``hidden = 3``), more than forward mode takes by default, so the
estimators' reverse mode runs here. With ``L`` inner steps of ``B`` episodes there are
``2 ** (L * B * episode_length)`` outcome sequences: ``enumeration()`` lists them.
"""

from __future__ import annotations

import itertools
from typing import NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from metagrad.estimators.exact import ScriptedProblem
from metagrad.learners.dice import check_hessian, magic_box
from metagrad.problems.base import OuterTerms

REWARDS = np.array([[0.0, 1.0], [0.6, -0.4]], np.float32)   # [state, action]
NUM_STATES = NUM_ACTIONS = 2


class EpisodeBatch(NamedTuple):
    observations: jax.Array   # [B, H, 2 + H]
    actions: jax.Array        # int [B, H]
    rewards: jax.Array        # [B, H]


class _Policy(nn.Module):
    hidden: int

    @nn.compact
    def __call__(self, obs):
        return nn.Dense(NUM_ACTIONS)(jnp.tanh(nn.Dense(self.hidden)(obs)))


class TinyMDPProblem:
    """The tiny MDP with eta = (initial policy parameters, log learning rate)."""

    def __init__(self, lifetime_length: int = 3, episode_length: int = 2, batch_size: int = 1,
                 hidden: int = 3, init_log_learning_rate: float = 0.0):
        for name, value in (("lifetime_length", lifetime_length),
                            ("episode_length", episode_length), ("batch_size", batch_size),
                            ("hidden", hidden)):
            if int(value) < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
        self.lifetime_length = int(lifetime_length)
        self.episode_length = int(episode_length)
        self.batch_size = int(batch_size)
        self.policy = _Policy(int(hidden))
        self.init_log_learning_rate = float(init_log_learning_rate)

    # -- eta ---------------------------------------------------------------------------------
    def eta_template(self):
        """A fixed example eta (policy initialisation from PRNGKey(0)), also a sensible start."""
        params = self.policy.init(jax.random.PRNGKey(0), jnp.zeros((2 + self.episode_length,)))
        return {"init": params, "log_learning_rate": jnp.asarray(self.init_log_learning_rate)}

    # -- episodes ------------------------------------------------------------------------------
    def _observation(self, state, t):
        return jnp.concatenate([jax.nn.one_hot(state, NUM_STATES),
                                jax.nn.one_hot(t, self.episode_length)])

    def _episode(self, params, choose):
        """One episode; ``choose(t, logits) -> action``. Returns obs, actions, rewards ``[H]``."""
        rewards_table = jnp.asarray(REWARDS)

        def body(state, t):
            obs = self._observation(state, t)
            action = choose(t, self.policy.apply(params, obs))
            return action, (obs, action, rewards_table[state, action])

        _, (obs, actions, rewards) = jax.lax.scan(body, jnp.zeros((), jnp.int32),
                                                  jnp.arange(self.episode_length))
        return obs, actions, rewards

    def _log_probs(self, params, batch):
        logits = self.policy.apply(params, batch.observations)                  # [B, H, 2]
        return jnp.take_along_axis(jax.nn.log_softmax(logits), batch.actions[..., None],
                                   axis=-1)[..., 0]

    # -- MetaProblem -----------------------------------------------------------------------
    def sample_task(self, key):
        return jnp.zeros(())   # one MDP: the task carries nothing

    def start(self, key, task, eta):
        return eta["init"], key

    def collect(self, params, env_state, key):
        params = jax.lax.stop_gradient(params)
        keys = jax.random.split(key, self.batch_size)

        def episode(k):
            step_keys = jax.random.split(k, self.episode_length)
            return self._episode(params, lambda t, logits: jax.random.categorical(
                step_keys[t], logits))

        obs, actions, rewards = jax.vmap(episode)(keys)
        return env_state, EpisodeBatch(obs, actions, rewards)

    def inner_loss(self, params, batch, hessian="none"):
        logp = self._log_probs(params, batch)
        if hessian == "dice":
            return -jnp.mean(jnp.sum(batch.rewards * magic_box(jnp.cumsum(logp, axis=1)), 1))
        to_go = jnp.cumsum(batch.rewards[:, ::-1], axis=1)[:, ::-1]
        return -jnp.mean(jnp.sum(logp * to_go, axis=1))

    def update(self, params, batch, eta, step, hessian="none"):
        check_hessian(hessian)
        grads = jax.grad(self.inner_loss)(params, batch, hessian)
        rate = jnp.exp(eta["log_learning_rate"])
        return jax.tree.map(lambda p, g: p - rate * g, params, grads)

    def outer_terms(self, params, batch, eta, step):
        logp = self._log_probs(params, batch)
        to_go = jnp.cumsum(batch.rewards[:, ::-1], axis=1)[:, ::-1]
        objective = jnp.mean(jnp.sum(batch.rewards, axis=1))
        return OuterTerms(objective=objective, direct=jnp.mean(jnp.sum(logp * to_go, axis=1)),
                          score=jnp.sum(logp), credit=objective,
                          baseline=jnp.zeros_like(objective))

    # -- exact enumeration -----------------------------------------------------------------
    def enumeration(self):
        """Every action sequence ``[M, L, B, H]`` with a scripted copy of this problem."""
        from metagrad.estimators.exact import Enumeration

        per_lifetime = self.lifetime_length * self.batch_size * self.episode_length
        codes = np.array(list(itertools.product(range(NUM_ACTIONS), repeat=per_lifetime)))
        sequences = codes.reshape(-1, self.lifetime_length, self.batch_size,
                                  self.episode_length)
        return Enumeration(ScriptedTinyMDP(self), jnp.asarray(sequences, jnp.int32),
                           jnp.zeros(sequences.shape[0], jnp.float32))


class ScriptedTinyMDP(ScriptedProblem):
    """The tiny MDP replaying a given action sequence ``[L, B, H]`` (the task)."""

    def start(self, key, task, eta):
        return eta["init"], (task, jnp.zeros((), jnp.int32))

    def collect(self, params, env_state, key):
        sequence, step = env_state
        params = jax.lax.stop_gradient(params)
        obs, actions, rewards = jax.vmap(
            lambda acts: self.problem._episode(params, lambda t, logits: acts[t]))(sequence[step])
        return (sequence, step + 1), EpisodeBatch(obs, actions, rewards)
