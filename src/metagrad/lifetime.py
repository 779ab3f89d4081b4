"""One inner-learning lifetime as a ``lax.scan``, with and without meta-gradient tangents.

Two programs share one sampling path (the same ``key`` gives the same actions, rewards and
parameters in both):

``lifetime_rewards``
    the primal lifetime: mean reward per sample at every step ``[L]`` (ES, FD, learning curves).
``lifetime_meta_terms``
    the primal lifetime plus forward-mode derivatives ``d/d eta`` of the per-step score terms
    inside truncation windows. ``eta`` has few coordinates (D = 2 for the bandit), so forward
    mode costs D tangents per step and its memory does not grow with L, unlike reverse mode.

Windows: window ``w`` covers steps ``start_w <= t < start_w + length_w``. Inside a window the
parameters entering it are constants (their tangent is reset to 0 at ``start_w``) and ``eta``
is differentiated only through the updates made inside it: ``length_w - 1`` differentiated
updates, the paper's "truncation length". Several windows (truncation lengths) and Hessian
modes run on the SAME sampled lifetime, which pairs the estimators built from them.
"""

from __future__ import annotations

from typing import Any, NamedTuple, Sequence

import jax
import jax.numpy as jnp


def lifetime_keys(key: jax.Array, lifetime_length: int) -> tuple[jax.Array, jax.Array]:
    """``(env_key, step_keys[L])``: one key for the environment, one per inner step."""
    env_key, act_key = jax.random.split(key)
    return env_key, jax.random.split(act_key, lifetime_length)


def lifetime_rewards(problem, eta: jax.Array, task: Any, key: jax.Array) -> jax.Array:
    """Mean reward per sample at each inner step, ``[L]``, of one lifetime at ``eta``."""
    env_key, step_keys = lifetime_keys(key, problem.lifetime_length)
    theta, env_state = problem.start(env_key, task)

    def body(carry, inputs):
        theta, env_state = carry
        step, step_key = inputs
        env_state, batch = problem.collect(theta, env_state, step_key)
        theta = problem.update(theta, batch, eta, step)
        return (theta, env_state), problem.total_reward(batch) / problem.batch_size

    steps = jnp.arange(problem.lifetime_length)
    _, rewards = jax.lax.scan(body, (theta, env_state), (steps, step_keys))
    return rewards


def window_mask(window_starts: jax.Array, window_lengths: jax.Array, lifetime_length: int):
    """``[W, L]`` boolean: step t lies in window w."""
    steps = jnp.arange(lifetime_length)[None, :]
    starts = window_starts[:, None]
    return (steps >= starts) & (steps < starts + window_lengths[:, None])


class MetaTerms(NamedTuple):
    """Per-step quantities of one lifetime from which every MG-family estimate is a weighted sum.

    ``R[t] = sum_b r_{t,b}``; ``dS[h, w, t] = d/d eta sum_b log pi_{theta_t}(a_{t,b})`` and
    ``dh[h, w, t] = d/d eta sum_b r_{t,b} log pi_{theta_t}(a_{t,b})`` under Hessian mode ``h``
    and window ``w`` (zero outside the window); ``mask[w, t]`` marks window membership.
    """

    total_reward: jax.Array   # [L]
    dS: jax.Array             # [H, W, L, D]
    dh: jax.Array             # [H, W, L, D]
    mask: jax.Array           # [W, L]


def lifetime_meta_terms(problem, eta: jax.Array, task: Any, key: jax.Array,
                        window_starts: jax.Array, window_lengths: jax.Array,
                        hessians: Sequence[str] = ("none",)) -> MetaTerms:
    """Run one lifetime and propagate ``d theta_t / d eta`` inside each window (forward mode)."""
    L = problem.lifetime_length
    num_params = eta.shape[0]
    num_windows = window_starts.shape[0]
    env_key, step_keys = lifetime_keys(key, L)
    theta0, env_state = problem.start(env_key, task)
    mask = window_mask(window_starts, window_lengths, L)
    eye = jnp.eye(num_params, dtype=eta.dtype)
    tangent_shape = (len(hessians), num_windows, num_params)
    tangents0 = jax.tree.map(lambda x: jnp.zeros(tangent_shape + x.shape, x.dtype), theta0)

    def body(carry, inputs):
        theta, env_state, tangents = carry
        step, step_key, in_window = inputs
        env_state, batch = problem.collect(theta, env_state, step_key)
        at_start = step == window_starts                               # [W]
        tangents = jax.tree.map(
            lambda x: jnp.where(at_start.reshape((1, -1, 1) + (1,) * (x.ndim - 3)), 0.0, x),
            tangents)
        eta_tangent = in_window[:, None, None] * eye                   # [W, D, D]
        theta_next, score_tangents, new_tangents = None, [], []
        for index, hessian in enumerate(hessians):
            def step_fn(th, et, hessian=hessian):
                return problem.score_terms(th, batch), problem.update(th, batch, et, step, hessian)

            (_, theta_h), step_jvp = jax.linearize(step_fn, theta, eta)
            theta_next = theta_h if theta_next is None else theta_next
            tangent_h = jax.tree.map(lambda x: x[index], tangents)
            (dS, dh), dtheta = jax.vmap(jax.vmap(step_jvp))(tangent_h, eta_tangent)
            score_tangents.append((dS, dh))
            new_tangents.append(dtheta)
        tangents = jax.tree.map(lambda *xs: jnp.stack(xs), *new_tangents)
        dS = jnp.stack([s for s, _ in score_tangents]) * in_window[None, :, None]
        dh = jnp.stack([h for _, h in score_tangents]) * in_window[None, :, None]
        return (theta_next, env_state, tangents), (problem.total_reward(batch), dS, dh)

    steps = jnp.arange(L)
    _, (total_reward, dS, dh) = jax.lax.scan(
        body, (theta0, env_state, tangents0), (steps, step_keys, mask.T))
    # scan stacks on axis 0: [L, H, W, D] -> [H, W, L, D]
    return MetaTerms(total_reward, jnp.moveaxis(dS, 0, 2), jnp.moveaxis(dh, 0, 2), mask)
