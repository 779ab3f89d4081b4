"""Online meta-gradients over persistent agents (figure 10 of Vuorio et al., 2022).

``num_agents`` agents carry their learner and environment state from one call to the next
(never reset). One call runs the next window of ``T = window_length`` inner updates of every
agent at the current eta, with the agent entering the window held constant, and returns the
agents' mean of the MG estimate of the paper's surrogate over that window (the formula of
:mod:`metagrad.estimators.mg`)::

    estimate = (1/T) [ sum_i d direct_i + sum_j d S_j v_j ],  v_j = c sum_{i > j} (credit_i - baseline_j)

(``c`` the sampling-correction coefficient, meta-discount 1; ``T - 1`` differentiated updates,
as a window of the frontier experiments). It is computed in reverse mode, for a large eta
(the "context" meta-network, 385 parameters): the window's batches are recorded once
(primal, also advancing the agent), then a differentiable replay of its updates on those
batches (``metagrad.lifetime.replay_window``, ``jax.checkpoint`` per update) is pulled back
with the cotangents of the formula above. ``coefficient`` may be traced, so runs at several
c share one compiled program.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

from metagrad.estimators.base import Estimate, Estimator, check_range
from metagrad.estimators.mg import (correction_multipliers, correction_weights,
                                    single_values, traced_structure)
from metagrad.lifetime import LifetimeRecord, replay_window


class OnlineMGState(NamedTuple):
    learners: Any       # leaves [A, ...]
    env_states: Any     # leaves [A, ...]
    windows: jax.Array  # int: windows run so far


class _FromLearner:
    """A view of ``problem`` whose ``start`` returns a given learner (constant in eta): the
    agent entering the window, for ``replay_window``."""

    def __init__(self, problem, learner):
        self.problem, self.learner = problem, learner
        self.lifetime_length = problem.lifetime_length

    def start(self, key, task, eta):
        return self.learner, None

    def update(self, *args, **kwargs):
        return self.problem.update(*args, **kwargs)

    def outer_terms(self, *args, **kwargs):
        return self.problem.outer_terms(*args, **kwargs)


def make_online_mg(problem, window_length: int, coefficient, num_agents: int) -> Estimator:
    """Online MG over ``num_agents`` persistent agents of ``problem`` (whose
    ``lifetime_length`` must equal ``window_length``: one window per call)."""
    T = int(window_length)
    check_range("window_length", T, 1, float("inf"))
    if problem.lifetime_length != T:
        raise ValueError(f"problem.lifetime_length ({problem.lifetime_length}) must equal "
                         f"window_length ({T})")
    if isinstance(coefficient, (int, float)):
        check_range("coefficient", float(coefficient), 0.0, 1.0)
    if int(num_agents) < 1:
        raise ValueError(f"num_agents must be >= 1, got {num_agents!r}")
    A = int(num_agents)
    _, unravel = ravel_pytree(problem.eta_template())
    structure = traced_structure("none", T)
    weights = correction_weights(jnp.ones((1,), jnp.float32), T)

    def init(key, eta):
        task_key, agent_key = jax.random.split(key)
        tasks = jax.vmap(problem.sample_task)(jax.random.split(task_key, A))
        learners, env_states = jax.vmap(problem.start, in_axes=(0, 0, None))(
            jax.random.split(agent_key, A), tasks, eta)
        return OnlineMGState(learners, env_states, jnp.zeros((), jnp.int32))

    def one_agent(learner, env_state, key, flat_eta, c):
        eta = unravel(flat_eta)
        learner = jax.lax.stop_gradient(learner)
        step_keys = jax.random.split(key, T)

        def body(carry, inputs):
            current, env_state = carry
            step, step_key = inputs
            env_state, batch = problem.collect(current, env_state, step_key)
            terms = problem.outer_terms(current, batch, eta, step)
            current = problem.update(current, batch, eta, step)
            return (current, env_state), (terms.objective, terms.credit, terms.baseline, batch)

        (final, env_state), (objective, credit, baseline, batches) = jax.lax.scan(
            body, (learner, env_state), (jnp.arange(T), step_keys))
        record = jax.tree.map(jax.lax.stop_gradient, LifetimeRecord(
            objective, credit, baseline, batches,
            jax.tree.map(lambda x: x[None], learner)))
        values = single_values(T, c, 1.0)
        mask = jnp.ones((1, T), bool)
        v = correction_multipliers(record.credit, record.baseline, mask, weights, structure,
                                   values)                                         # [1, T]
        view = _FromLearner(problem, learner)
        _, pullback = jax.vjp(lambda e: replay_window(view, e, unravel, None, key, record, 0,
                                                      jnp.zeros((), jnp.int32), T), flat_eta)
        (grad,) = pullback((jnp.ones((T,), flat_eta.dtype), v[0].astype(flat_eta.dtype)))
        return jax.lax.stop_gradient(final), env_state, grad / T, objective.mean()

    def estimate(state, key, eta, coefficient_value=None):
        c = coefficient if coefficient_value is None else coefficient_value
        flat_eta = ravel_pytree(eta)[0]
        keys = jax.random.split(key, A)
        learners, env_states, grads, objectives = jax.vmap(
            one_agent, in_axes=(0, 0, 0, None, None))(state.learners, state.env_states, keys,
                                                      flat_eta, jnp.asarray(c, jnp.float32))
        new_state = OnlineMGState(learners, env_states, state.windows + 1)
        return (Estimate(jax.vmap(unravel)(grads.mean(axis=0)[None]), objectives.mean()[None]),
                new_state)

    setting = {"estimator": "mg_online", "truncation_length": T, "window_length": T,
               "coefficient": coefficient if isinstance(coefficient, (int, float)) else None,
               "num_agents": A, "online": True, "mode": "reverse"}
    return Estimator((setting,), init, estimate)
