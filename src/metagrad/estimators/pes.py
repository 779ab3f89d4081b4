"""Online (stateful) evolution strategies over persistent lifetimes: truncated ES and Persistent
ES (PES, Vicol, Metz and Sohl-Dickstein, 2021, "Unbiased Gradient Estimation in Unrolled
Computation Graphs with Persistent Evolution Strategies"). PES in this project is ours (an
extension beyond the paper, spec section 3).

``num_pairs`` antithetic pairs of particles each carry a persistent lifetime (learner and
environment state) from one call to the next. One call unrolls every particle over the next
``T = truncation_length`` inner steps with its own perturbed meta-parameters (``eta + eps`` and
``eta - eps``, ``eps ~ N(0, sigma^2 I)`` fresh per call) and scores it by the mean objective
over those steps, ``R+-``. The estimate (ascent, on the window's objective) is::

    g = (1 / (2 N sigma^2)) sum_i xi_i (R+_i - R-_i)

with ``xi_i = eps_i`` (truncated ES: the window's perturbation only, blind to how eta shaped
the state entering the window, hence biased) or ``xi_i`` = the sum of every perturbation of the
pair's lifetime so far (PES: unbiased for the gradient of the Gaussian-smoothed lifetime
objective). A lifetime lasts ``L / T`` calls; at its end every particle restarts on a fresh
task with ``xi = 0``; with ``restart_learners=False`` (persistent agents, figure 10) only
``xi``, the step counter and the particles' noise key restart, and every particle keeps its
learner and environment state. ``sigma`` may decay per call (generation) as OpenES's schedule
(Salimans et al., 2017, as the paper ran it): ``sigma_g = max(sigma * sigma_decay^g,
sigma_min)``. Each particle draws its own action and environment noise (no common
random numbers), as the spec's ES. evosax has OpenES but no PES, so both are written here on
the shared ``MetaProblem`` interface.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

from metagrad.estimators.base import Estimate, Estimator, check_range


class OnlineESState(NamedTuple):
    learners: Any      # leaves [2N, ...]: particles + (rows :N) then - (rows N:)
    env_states: Any    # leaves [2N, ...]
    xi: jax.Array      # [N, D] accumulated perturbations (PES) of each pair
    step: jax.Array    # int: the lifetime step the next window starts at
    key: jax.Array     # drives the particles' noise inside the lifetime
    generation: jax.Array = jnp.zeros((), jnp.int32)   # calls so far (sigma schedule)


def make_online_es(problem, truncation_length: int, sigma: float, num_pairs: int,
                   persistent: bool = True, restart_learners: bool = True,
                   sigma_decay: float = 1.0, sigma_min: float = 0.0) -> Estimator:
    """PES (``persistent=True``) or online truncated ES over ``num_pairs`` antithetic pairs."""
    L = problem.lifetime_length
    T = int(truncation_length)
    check_range("truncation_length", T, 1, L)
    if L % T:
        raise ValueError(f"truncation_length must divide lifetime_length={L}, got {T}")
    check_range("sigma", sigma, 0.0, float("inf"), low_open=True)
    if int(num_pairs) < 1:
        raise ValueError(f"num_pairs must be >= 1, got {num_pairs!r}")
    check_range("sigma_decay", sigma_decay, 0.0, 1.0, low_open=True)
    check_range("sigma_min", sigma_min, 0.0, float(sigma))
    N = int(num_pairs)
    flat_template, unravel = ravel_pytree(problem.eta_template())
    D = flat_template.size

    def start_all(key, eta):
        task_key, life_key = jax.random.split(key)
        tasks = jax.vmap(problem.sample_task)(jax.random.split(task_key, N))
        keys = jax.random.split(life_key, 2 * N)
        tasks2 = jax.tree.map(lambda x: jnp.concatenate([x, x]), tasks)   # a pair shares a task
        learners, env_states = jax.vmap(problem.start, in_axes=(0, 0, None))(keys, tasks2, eta)
        return OnlineESState(learners, env_states, jnp.zeros((N, D), flat_template.dtype),
                             jnp.zeros((), jnp.int32), jax.random.fold_in(key, 1))

    def init(key, eta):
        return start_all(key, eta)

    def unroll(learner, env_state, flat_eta, key, step0):
        eta = unravel(flat_eta)

        def body(carry, k):
            learner, env_state = carry
            step = step0 + k
            env_state, batch = problem.collect(learner, env_state,
                                               jax.random.fold_in(key, step))
            objective = problem.outer_terms(learner, batch, eta, step).objective
            learner = problem.update(learner, batch, eta, step)
            return (learner, env_state), objective

        (learner, env_state), objectives = jax.lax.scan(body, (learner, env_state),
                                                        jnp.arange(T))
        return learner, env_state, objectives.mean()

    def estimate(state, key, eta):
        flat_eta = ravel_pytree(eta)[0]
        eps_key, restart_key = jax.random.split(key)
        sigma_now = jnp.maximum(sigma * sigma_decay ** state.generation.astype(flat_eta.dtype),
                                sigma_min).astype(flat_eta.dtype)
        eps = sigma_now * jax.random.normal(eps_key, (N, D), flat_eta.dtype)
        members = jnp.concatenate([flat_eta + eps, flat_eta - eps])           # [2N, D]
        particle_keys = jax.random.split(jax.random.fold_in(state.key, state.step), 2 * N)
        learners, env_states, fitness = jax.vmap(unroll, in_axes=(0, 0, 0, 0, None))(
            jax.lax.stop_gradient(state.learners), state.env_states, members, particle_keys,
            state.step)
        xi = state.xi + eps if persistent else eps
        grad = xi.T @ (fitness[:N] - fitness[N:]) / (2 * N * sigma_now ** 2)
        step = state.step + T
        generation = state.generation + 1
        moved = OnlineESState(learners, env_states, xi, step, state.key, generation)
        if restart_learners:
            fresh = start_all(restart_key, eta)._replace(generation=generation)
        else:   # persistent agents: a new perturbation sum and noise stream, same particles
            fresh = OnlineESState(learners, env_states, jnp.zeros_like(xi),
                                  jnp.zeros((), jnp.int32), jax.random.fold_in(restart_key, 1),
                                  generation)
        done = step >= L
        new_state = jax.tree.map(lambda a, b: jnp.where(done, a, b), fresh, moved)
        return Estimate(jax.vmap(unravel)(grad[None]), fitness.mean()[None]), new_state

    setting = {"estimator": "pes" if persistent else "es", "truncation_length": T,
               "sigma": float(sigma), "num_pairs": N, "online": True,
               "sigma_decay": float(sigma_decay), "sigma_min": float(sigma_min),
               "restart_learners": bool(restart_learners)}
    return Estimator((setting,), init, estimate)
