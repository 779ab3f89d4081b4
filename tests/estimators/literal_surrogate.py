"""The spec's MG surrogate written out literally and differentiated by ``jax.grad``: an
independent implementation the estimator library's forward and reverse modes are tested
against (test support, not library code)."""

import jax
import jax.numpy as jnp

from metagrad.estimators.mg import correction_weights, sample_window_starts
from metagrad.lifetime import lifetime_keys, window_mask


def surrogate_loss(problem, setting, eta, task, key, window_start):
    """``-(1/T) sum_{i in W} (direct_i + sum_{j<i in W} w(i,j) (credit_i - baseline_j) S_j)``
    with the learner and eta stopped outside the window."""
    L, T = problem.lifetime_length, setting.window_length
    env_key, step_keys = lifetime_keys(key, L)
    learner, env_state = problem.start(env_key, task, eta)
    learner = jax.tree.map(lambda x: jnp.where(window_start == 0, x, jax.lax.stop_gradient(x)),
                           learner)
    mask = window_mask(jnp.reshape(window_start, (1,)), jnp.array([T]), L)[0]

    def body(carry, inputs):
        learner, env_state = carry
        step, step_key, in_window = inputs
        learner = jax.tree.map(
            lambda x: jnp.where((step == window_start) & (step > 0), jax.lax.stop_gradient(x), x),
            learner)
        eta_step = jax.tree.map(lambda e: jnp.where(in_window, e, jax.lax.stop_gradient(e)), eta)
        env_state, batch = problem.collect(learner, env_state, step_key)
        terms = problem.outer_terms(learner, batch, eta_step, step)
        learner = problem.update(learner, batch, eta_step, step, setting.hessian)
        return (learner, env_state), terms

    _, terms = jax.lax.scan(body, (learner, env_state), (jnp.arange(L), step_keys, mask))
    w = setting.coefficient * correction_weights(jnp.array([setting.meta_discount]), L)[0]
    m = mask.astype(terms.score.dtype)
    credit = jax.lax.stop_gradient(terms.credit)
    baseline = jax.lax.stop_gradient(terms.baseline)
    # sum_i m_i sum_j w[i,j] m_j (credit_i - baseline_j) S_j
    correction = jnp.einsum("i,ij,j->", m * credit, w, m * terms.score) - jnp.einsum(
        "i,ij,j->", m, w, m * baseline * terms.score)
    return -(jnp.sum(m * terms.direct) + correction) / T


def literal_estimate(problem, setting, key, eta, lifetimes_per_sample=1):
    """One sample with the same keys as ``make_mg``: ``-grad`` of the literal surrogate."""
    L = problem.lifetime_length
    task_key, lives_key = jax.random.split(key)
    task = problem.sample_task(task_key)

    def one(k):
        start_key, life_key = jax.random.split(k)
        start = sample_window_starts(start_key, jnp.array([setting.window_length]), L)[0]
        return jax.tree.map(jnp.negative, jax.grad(
            lambda e: surrogate_loss(problem, setting, e, task, life_key, start))(eta))

    grads = jax.vmap(one)(jax.random.split(lives_key, lifetimes_per_sample))
    return jax.tree.map(lambda g: g.mean(axis=0), grads)
