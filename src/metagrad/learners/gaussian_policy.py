"""Gaussian MLP policy trained by REINFORCE, for the Brax tasks (ours; spec section 7).

Policy: ``a = tanh(MLP_theta(obs)) + exp(log_std) * noise``, ``noise ~ N(0, I)``, a flax MLP with
a tanh-squashed mean and a FIXED log standard deviation. The score is that of the unclipped
Gaussian sample: Brax clips actions inside the simulator, which is part of the environment.

Inner step (REINFORCE, Williams 1992): reward-to-go ``G_t = sum_{t' >= t} r_t'`` per episode,
advantages normalised from the batch data only, ``A = (G - mean G) / (std G + 1e-8)`` over
every (episode, step) of the batch, and gradient ascent ``theta + alpha grad mean(A log pi)``.
With ``hessian="dice"`` the surrogate is Loaded DiCE's (Farquhar et al., 2019, "Loaded DiCE:
Trading off Bias and Variance in Any-Order Score Function Estimators"):
``sum_t A_t [box(c_t) - box(c_{t-1})]`` with ``c_t = sum_{t' <= t} log pi_t'`` the causal
cumulative log-probability, the magic box of DiCE (Foerster et al., 2018): the same value (0)
and first derivative as the plain surrogate, and the causal cross-time second-order terms in
its derivative through the update (a per-sample box would miss them).
"""

from __future__ import annotations

from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from metagrad.learners.dice import check_hessian, magic_box


class MeanNetwork(nn.Module):
    """``tanh(MLP(obs))``: the policy mean in [-1, 1]^A."""

    hidden: Sequence[int]
    action_size: int

    @nn.compact
    def __call__(self, obs):
        x = obs
        for width in self.hidden:
            x = jnp.tanh(nn.Dense(width)(x))
        return jnp.tanh(nn.Dense(self.action_size)(x))


def reward_to_go(rewards: jax.Array) -> jax.Array:
    """``[..., T] -> [..., T]``: undiscounted ``G_t = sum_{t' >= t} r_t'``."""
    return jnp.flip(jnp.cumsum(jnp.flip(rewards, -1), -1), -1)


def normalised_advantages(rewards: jax.Array) -> jax.Array:
    """Reward-to-go normalised over the whole batch ``[E, T]`` (batch data only)."""
    g = reward_to_go(rewards)
    return (g - g.mean()) / (g.std() + 1e-8)


class GaussianPolicy:
    """``init(key) -> theta``; ``log_prob(theta, obs [..., O], actions [..., A]) -> [...]``."""

    def __init__(self, observation_size: int, action_size: int, hidden=(32, 32),
                 log_std: float = -0.5):
        self.net = MeanNetwork(tuple(int(h) for h in hidden), int(action_size))
        self.observation_size = int(observation_size)
        self.action_size = int(action_size)
        self.log_std = float(log_std)

    def init(self, key):
        return self.net.init(key, jnp.zeros((self.observation_size,)))

    def mean(self, theta, obs):
        return self.net.apply(theta, obs)

    def act(self, theta, obs, noise):
        """The unclipped Gaussian sample for ``noise ~ N(0, I)``."""
        return self.mean(theta, obs) + jnp.exp(self.log_std) * noise

    def log_prob(self, theta, obs, actions):
        z = (actions - self.mean(theta, obs)) * jnp.exp(-self.log_std)
        return jnp.sum(-0.5 * z ** 2 - self.log_std - 0.5 * jnp.log(2 * jnp.pi), axis=-1)

    def surrogate(self, theta, obs, actions, rewards, hessian: str = "none"):
        """Inner objective of one batch (``obs [E, T, O]``, ``actions [E, T, A]``,
        ``rewards [E, T]``) whose gradient is the REINFORCE direction."""
        check_hessian(hessian)
        adv = jax.lax.stop_gradient(normalised_advantages(rewards))
        logp = self.log_prob(theta, obs, actions)                         # [E, T]
        if hessian == "dice":
            cum = jnp.cumsum(logp, axis=-1)
            prev = jnp.concatenate([jnp.zeros_like(cum[:, :1]), cum[:, :-1]], axis=-1)
            return jnp.mean(adv * (magic_box(cum) - magic_box(prev)))
        return jnp.mean(adv * logp)

    def update(self, theta, obs, actions, rewards, learning_rate, hessian: str = "none"):
        grad = jax.grad(self.surrogate)(theta, obs, actions, rewards, hessian)
        return jax.tree.map(lambda p, g: p + learning_rate * g, theta, grad)
