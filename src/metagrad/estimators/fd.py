"""Central finite differences with common random numbers: the reference gradient.

Per coordinate d: one lifetime at ``eta + (eps/2) e_d`` and one at ``eta - (eps/2) e_d`` with
the SAME key (same task, same Gumbel noise for actions, same reward noise), full lifetime;
``g_d = (R_plus - R_minus) / eps``. Its mean is the central difference of J, which differs
from the gradient by O(eps^2); coordinates use independent keys.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from metagrad.estimators.base import GradientEstimator, check_range
from metagrad.lifetime import lifetime_rewards


def make_fd(problem, epsilon: float) -> GradientEstimator:
    check_range("epsilon", epsilon, 0.0, float("inf"), low_open=True)
    num_params = problem.num_meta_params

    def coordinate(key, direction, eta):
        task_key, life_key = jax.random.split(key)
        task = problem.sample_task(task_key)
        step = 0.5 * epsilon * direction
        # both lifetimes in one vmap with the key unbatched: the shared noise is drawn once
        plus, minus = jax.vmap(lambda e: lifetime_rewards(problem, e, task, life_key).mean())(
            jnp.stack([eta + step, eta - step]))
        return (plus - minus) / epsilon

    def estimate(key, eta):
        keys = jax.random.split(key, num_params)
        directions = jnp.eye(num_params, dtype=eta.dtype)
        return jax.vmap(coordinate, in_axes=(0, 0, None))(keys, directions, eta)[None]

    return GradientEstimator(({"estimator": "fd", "epsilon": epsilon},), estimate)
