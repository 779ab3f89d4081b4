"""The interface every meta-learning problem implements (bandit now; maze and Brax later).

A lifetime is ``lifetime_length`` inner steps. At step ``t`` the learner with parameters
``theta_t`` collects a batch of ``batch_size`` samples, then updates ``theta_{t+1} =
update(theta_t, batch, eta, t)``. The outer objective is the mean reward per sample over the
lifetime. Estimators only call the methods below, so they never know which task they run on.
"""

from __future__ import annotations

from typing import Any, Protocol

import jax


class MetaProblem(Protocol):
    lifetime_length: int   # L, inner updates per lifetime
    batch_size: int        # B, samples per inner step (normalises the outer objective)
    num_meta_params: int   # D, size of eta

    def sample_task(self, key: jax.Array) -> Any:
        """One task of the distribution (e.g. a bandit's arm means)."""

    def start(self, key: jax.Array, task: Any) -> tuple[Any, Any]:
        """``(theta_0, env_state)`` of a lifetime on ``task``; ``key`` drives its env noise."""

    def collect(self, theta: Any, env_state: Any, key: jax.Array) -> tuple[Any, Any]:
        """Sample one batch with the current policy: ``(env_state, batch)``. Not differentiated."""

    def score_terms(self, theta: Any, batch: Any) -> tuple[jax.Array, jax.Array]:
        """``(S, h)``: ``S = sum_b log pi_theta(a_b)`` and ``h = sum_b r_b log pi_theta(a_b)``."""

    def total_reward(self, batch: Any) -> jax.Array:
        """``R = sum_b r_b`` of one batch (a scalar)."""

    def update(self, theta: Any, batch: Any, eta: jax.Array, step: jax.Array,
               hessian: str = "none") -> Any:
        """``theta_{t+1}``; ``hessian="dice"`` switches the inner surrogate to DiCE."""
