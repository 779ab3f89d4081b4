"""Central finite differences with common random numbers: the reference gradient.

Along each unit direction ``u_k`` (the coordinates by default): one lifetime at
``eta + (eps/2) u_k`` and one at ``eta - (eps/2) u_k`` with the SAME key (same task, same
action noise, same reward noise), full lifetime; ``d_k = (R_plus - R_minus) / eps``, whose mean
is the central difference of J along ``u_k`` (the directional derivative up to O(eps^2)).
Directions use independent keys. The estimate is ``sum_k d_k u_k``: with orthonormal
directions its projection on ``u_k`` is ``d_k`` (with the coordinates, it is the vector of
coordinate differences).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from metagrad.estimators.base import Estimate, Estimator, check_range, stateless
from metagrad.lifetime import lifetime_objectives


def make_fd(problem, epsilon: float, directions=None) -> Estimator:
    """FD along ``directions`` (``[K, D]`` orthonormal rows, flattened eta; None: coordinates)."""
    check_range("epsilon", epsilon, 0.0, float("inf"), low_open=True)
    flat_template, unravel = ravel_pytree(problem.eta_template())
    D = flat_template.size
    if directions is None:
        directions = np.eye(D, dtype=np.float32)
    directions = jnp.asarray(directions, flat_template.dtype)
    if directions.ndim != 2 or directions.shape[1] != D:
        raise ValueError(f"directions must have shape [K, {D}], got {tuple(directions.shape)}")
    num_directions = directions.shape[0]

    def along(key, direction, flat_eta):
        task_key, life_key = jax.random.split(key)
        task = problem.sample_task(task_key)
        step = 0.5 * epsilon * direction
        # both lifetimes in one vmap with the key unbatched: the shared noise is drawn once
        plus, minus = jax.vmap(
            lambda e: lifetime_objectives(problem, unravel(e), task, life_key).mean())(
            jnp.stack([flat_eta + step, flat_eta - step]))
        return (plus - minus) / epsilon, 0.5 * (plus + minus)

    def estimate(key, eta):
        flat_eta = ravel_pytree(eta)[0]
        keys = jax.random.split(key, num_directions)
        slopes, objectives = jax.vmap(along, in_axes=(0, 0, None))(keys, directions, flat_eta)
        grad = slopes @ directions
        return Estimate(jax.vmap(unravel)(grad[None]), objectives.mean()[None])

    setting = {"estimator": "fd", "epsilon": epsilon, "num_directions": int(num_directions)}
    return stateless((setting,), estimate)
