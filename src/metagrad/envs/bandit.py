"""The K-armed bandit task distribution of Vuorio et al. (2022), section 2 of the spec.

A task is one bandit: arm means ``mu_k = exp(u_k)``, ``u_k ~ Uniform(log_mean_low,
log_mean_high)``. A pull of arm ``a`` returns ``mu_a + reward_noise_std * xi`` with
``xi ~ N(0, 1)`` (or ``xi = +-1`` with equal probability, ``noise="rademacher"``, which keeps
tiny problems enumerable for exact gradients).

The environment follows Brax's ``Env`` interface so the estimator library can drive bandits,
mazes and physics tasks alike. An action is a vector of ``batch_size`` arm indices (one inner
step pulls B arms). Reward noise is indexed by pull slot ``(t, b)`` and drawn from the key in
``state.info["rng"]``, so two lifetimes reset with the same key see the same noise whatever
arms they pull: common random numbers for finite differences.
"""

from __future__ import annotations

from typing import Optional

import jax
import jax.numpy as jnp
from brax.envs.base import Env, State

NOISE_KINDS = ("gaussian", "rademacher")


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


class BanditEnv(Env):
    """K-armed bandit with a prior over arm means; one ``step`` pulls ``batch_size`` arms."""

    def __init__(
        self,
        num_arms: int = 30,
        batch_size: int = 10,
        reward_noise_std: float = 2.0,
        log_mean_low: float = -100.0,
        log_mean_high: float = 1.0,
        noise: str = "gaussian",
        fixed_means: Optional[jax.Array] = None,
    ):
        _check(int(num_arms) >= 2, f"num_arms must be an integer >= 2, got {num_arms!r}")
        _check(int(batch_size) >= 1, f"batch_size must be an integer >= 1, got {batch_size!r}")
        _check(reward_noise_std >= 0, f"reward_noise_std must be >= 0, got {reward_noise_std!r}")
        _check(log_mean_low < log_mean_high,
               f"log_mean_low must be < log_mean_high, got {log_mean_low!r} >= {log_mean_high!r}")
        _check(noise in NOISE_KINDS, f"noise must be one of {NOISE_KINDS}, got {noise!r}")
        if fixed_means is not None:
            fixed_means = jnp.asarray(fixed_means, dtype=jnp.float32)
            _check(fixed_means.shape == (num_arms,),
                   f"fixed_means must have shape ({num_arms},), got {fixed_means.shape}")
        self.num_arms = int(num_arms)
        self.batch_size = int(batch_size)
        self.reward_noise_std = float(reward_noise_std)
        self.log_mean_low = float(log_mean_low)
        self.log_mean_high = float(log_mean_high)
        self.noise = noise
        self.fixed_means = fixed_means

    # -- task distribution -------------------------------------------------------------
    def sample_task(self, rng: jax.Array) -> jax.Array:
        """Arm means ``[K]`` of one bandit drawn from the prior (or the fixed means)."""
        if self.fixed_means is not None:
            return self.fixed_means
        u = jax.random.uniform(rng, (self.num_arms,), minval=self.log_mean_low,
                               maxval=self.log_mean_high)
        return jnp.exp(u)

    def reset_task(self, rng: jax.Array, arm_means: jax.Array) -> State:
        """Start a lifetime on the given bandit; ``rng`` drives its reward noise."""
        zero = jnp.zeros(())
        return State(
            pipeline_state=None,
            obs=jnp.zeros((1,)),
            reward=jnp.zeros((self.batch_size,)),
            done=zero,
            metrics={},
            info={"arm_means": arm_means, "rng": rng, "step": jnp.zeros((), jnp.int32)},
        )

    # -- Brax Env interface --------------------------------------------------------------
    def reset(self, rng: jax.Array) -> State:
        task_rng, noise_rng = jax.random.split(rng)
        return self.reset_task(noise_rng, self.sample_task(task_rng))

    def step(self, state: State, action: jax.Array) -> State:
        """Pull arms ``action`` (int ``[B]``); ``state.reward`` becomes the ``[B]`` rewards."""
        info = state.info
        key = jax.random.fold_in(info["rng"], info["step"])
        xi = self.sample_noise(key, action.shape)
        reward = info["arm_means"][action] + self.reward_noise_std * xi
        return state.replace(reward=reward, info={**info, "step": info["step"] + 1})

    def sample_noise(self, key: jax.Array, shape) -> jax.Array:
        if self.noise == "gaussian":
            return jax.random.normal(key, shape)
        return jnp.where(jax.random.bernoulli(key, 0.5, shape), 1.0, -1.0)

    def noise_support(self) -> tuple[jax.Array, jax.Array]:
        """Values and probabilities of ``xi`` for enumeration (rademacher noise only)."""
        _check(self.noise == "rademacher", "exact enumeration needs noise='rademacher'")
        return jnp.array([-1.0, 1.0]), jnp.array([0.5, 0.5])

    @property
    def observation_size(self) -> int:
        return 1

    @property
    def action_size(self) -> int:
        return self.batch_size

    @property
    def backend(self) -> str:
        return "none"
