"""The maze's inner learner (spec section 6): actor-critic with Monte-Carlo returns.

Two separate MLP torsos (``hidden`` ReLU layers, 256-256 in the paper), one for the policy's
logits and one for the value; weights from a truncated normal with std ``1/sqrt(fan_in)``,
zero biases (about 146 k parameters for side 3, episodes of 8). The loss over a batch of whole
episodes, averaged over every (trajectory, step) sample, is::

    -A log pi(a|s) + value_coef * 0.5 * (G - V(s))^2 - ent_coef * entropy(pi(.|s)),

with ``G_t = sum_{t' >= t} gamma^(t'-t) r_t'`` (gamma = 0.99, lambda = 1, no bootstrap) and
``A = G - stop_grad(V)``; one SGD step of learning rate 1.0 per batch, no clipping. The
meta-parameters reach the learner only through ``ent_coef``.
"""

from __future__ import annotations

from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from metagrad.learners.dice import check_hessian, magic_box

INIT = nn.initializers.variance_scaling(1.0, "fan_in", "truncated_normal")


class MLP(nn.Module):
    hidden: Sequence[int]
    outputs: int

    @nn.compact
    def __call__(self, x):
        for width in self.hidden:
            x = nn.relu(nn.Dense(width, kernel_init=INIT)(x))
        return nn.Dense(self.outputs, kernel_init=INIT)(x)


def discounted_returns(rewards: jax.Array, gamma: float) -> jax.Array:
    """``G_t`` along the last axis (``[..., H]``), zero after the episode's end."""
    def body(carry, r):
        g = r + gamma * carry
        return g, g

    _, g = jax.lax.scan(body, jnp.zeros(rewards.shape[:-1]), jnp.moveaxis(rewards, -1, 0),
                        reverse=True)
    return jnp.moveaxis(g, 0, -1)


class ActorCritic:
    """Parameters ``{"policy": ..., "value": ...}``; pure functions of them."""

    def __init__(self, observation_size: int, num_actions: int, hidden=(256, 256),
                 gamma: float = 0.99, value_coef: float = 0.1, learning_rate: float = 1.0):
        self.observation_size = int(observation_size)
        self.policy = MLP(tuple(hidden), int(num_actions))
        self.value = MLP(tuple(hidden), 1)
        self.gamma = float(gamma)
        self.value_coef = float(value_coef)
        self.learning_rate = float(learning_rate)

    def init(self, key):
        policy_key, value_key = jax.random.split(key)
        x = jnp.zeros((self.observation_size,))
        return {"policy": self.policy.init(policy_key, x), "value": self.value.init(value_key, x)}

    def log_policy(self, params, obs):
        return jax.nn.log_softmax(self.policy.apply(params["policy"], obs))

    def values(self, params, obs):
        return self.value.apply(params["value"], obs)[..., 0]

    def loss(self, params, obs, actions, rewards, ent_coef, hessian="none"):
        """The actor-critic loss of a batch ``obs [B, H, O]``, ``actions``/``rewards [B, H]``.

        ``hessian="dice"`` writes the policy term on DiCE's magic box (Foerster et al., 2018)
        per sample, ``-A box(log pi)``: the same first derivative, and differentiating through
        the update adds ``A grad log pi grad log pi^T``."""
        log_pi = self.log_policy(params, obs)                                    # [B, H, A]
        logp = jnp.take_along_axis(log_pi, actions[..., None], axis=-1)[..., 0]
        entropy = -jnp.sum(jnp.exp(log_pi) * log_pi, axis=-1)
        returns = discounted_returns(rewards, self.gamma)
        values = self.values(params, obs)
        advantage = returns - jax.lax.stop_gradient(values)
        score = magic_box(logp) if hessian == "dice" else logp
        per_sample = (-advantage * score + self.value_coef * 0.5 * (returns - values) ** 2
                      - ent_coef * entropy)
        return jnp.mean(per_sample)

    def update(self, params, obs, actions, rewards, ent_coef, hessian="none"):
        check_hessian(hessian)
        grads = jax.grad(self.loss)(params, obs, actions, rewards, ent_coef, hessian)
        return jax.tree.map(lambda p, g: p - self.learning_rate * g, params, grads)
