"""One inner-learning lifetime as a ``lax.scan``: primal rollouts, a record for reverse-mode
replays, and forward-mode meta-derivatives. All share one sampling path: the same ``key``
gives the same batches and learner states in every function here.

``lifetime_objectives``
    the primal lifetime: ``objective_t`` at every step ``[L]`` (ES, FD, learning curves).
``forward_meta_terms``
    the primal lifetime plus forward-mode derivatives ``d/d eta`` of the per-step ``direct``
    and ``score`` terms inside truncation windows: D tangents per step, memory flat in L.
    For small eta (the bandit's D = 2).
``record_lifetime`` + ``replay_window``
    reverse mode: run the lifetime once without derivatives, keeping every batch and the
    learner entering each window; then a window's terms are a differentiable replay of its
    updates from that learner on the recorded batches (``jax.checkpoint`` per step bounds the
    memory of the backward pass to the learner states). For large eta (neural meta-networks,
    MAML initialisations).

Windows: window ``w`` covers steps ``start_w <= t < start_w + length_w``. The learner entering
a window is a constant, except at ``start_w = 0`` where it is ``start(eta)``'s (so a problem
whose learner starts from eta, ``theta_0 = eta``, is differentiated through it); ``eta`` is
differentiated only through the updates made inside the window (``length_w - 1``
differentiated updates, the paper's "truncation length"). Several windows and Hessian modes
run on the SAME sampled lifetime, which pairs the estimators built from them.

``eta`` enters these functions as a flat vector with ``unravel`` rebuilding the problem's
pytree (``jax.flatten_util.ravel_pytree``).
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple, Sequence

import jax
import jax.numpy as jnp


def lifetime_keys(key: jax.Array, lifetime_length: int) -> tuple[jax.Array, jax.Array]:
    """``(env_key, step_keys[L])``: one key for the environment, one per inner step."""
    env_key, act_key = jax.random.split(key)
    return env_key, jax.random.split(act_key, lifetime_length)


def lifetime_objectives(problem, eta: Any, task: Any, key: jax.Array) -> jax.Array:
    """``objective_t`` (e.g. mean reward per sample) at each inner step, ``[L]``, at ``eta``."""
    env_key, step_keys = lifetime_keys(key, problem.lifetime_length)
    learner, env_state = problem.start(env_key, task, eta)

    def body(carry, inputs):
        learner, env_state = carry
        step, step_key = inputs
        env_state, batch = problem.collect(learner, env_state, step_key)
        objective = problem.outer_terms(jax.lax.stop_gradient(learner), batch, eta,
                                        step).objective
        learner = problem.update(learner, batch, eta, step)
        return (learner, env_state), objective

    steps = jnp.arange(problem.lifetime_length)
    _, objectives = jax.lax.scan(body, (learner, env_state), (steps, step_keys))
    return objectives


def window_mask(window_starts: jax.Array, window_lengths: jax.Array, lifetime_length: int):
    """``[W, L]`` boolean: step t lies in window w."""
    steps = jnp.arange(lifetime_length)[None, :]
    starts = window_starts[:, None]
    return (steps >= starts) & (steps < starts + window_lengths[:, None])


def _broadcast_where(condition: jax.Array, x, y):
    """``where(condition, x, y)`` leaf-wise, ``condition`` broadcast from the leading axes."""
    return jax.tree.map(
        lambda a, b: jnp.where(condition.reshape(condition.shape + (1,) * (a.ndim - condition.ndim)),
                               a, b), x, y)


class ForwardTerms(NamedTuple):
    """Per-step primal terms ``[L]`` and their eta-derivatives ``[H, W, L, D]`` (zero outside
    each window) under Hessian mode ``h`` and window ``w``."""

    objective: jax.Array
    credit: jax.Array
    baseline: jax.Array
    d_direct: jax.Array
    d_score: jax.Array
    mask: jax.Array          # [W, L]


def forward_meta_terms(problem, flat_eta: jax.Array, unravel: Callable, task: Any,
                       key: jax.Array, window_starts: jax.Array, window_lengths: jax.Array,
                       hessians: Sequence[str] = ("none",)) -> ForwardTerms:
    """Run one lifetime and propagate ``d learner_t / d eta`` inside each window."""
    L = problem.lifetime_length
    D = flat_eta.shape[0]
    W = window_starts.shape[0]
    H = len(hessians)
    env_key, step_keys = lifetime_keys(key, L)
    eye = jnp.eye(D, dtype=flat_eta.dtype)

    def start_learner(e):
        return problem.start(env_key, task, unravel(e))[0]

    learner0, start_jvp = jax.linearize(start_learner, flat_eta)
    _, env_state = problem.start(env_key, task, unravel(flat_eta))
    start_tangent = jax.vmap(start_jvp)(eye)                                    # [D, ...]
    tangents0 = jax.tree.map(lambda x: jnp.broadcast_to(x, (H, W) + x.shape), start_tangent)
    mask = window_mask(window_starts, window_lengths, L)
    late_start = window_starts > 0                                              # [W]

    def body(carry, inputs):
        learner, env_state, tangents = carry
        step, step_key, in_window = inputs
        env_state, batch = problem.collect(learner, env_state, step_key)
        terms = problem.outer_terms(jax.lax.stop_gradient(learner), batch, unravel(flat_eta),
                                    step)
        reset = (step == window_starts) & late_start                            # [W]
        tangents = jax.tree.map(
            lambda x: jnp.where(reset.reshape((1, W) + (1,) * (x.ndim - 2)), 0.0, x), tangents)
        eta_tangent = in_window[:, None, None] * eye                            # [W, D, D]
        next_learner, d_direct, d_score, new_tangents = None, [], [], []
        for index, hessian in enumerate(hessians):
            def step_fn(lr, e, hessian=hessian):
                outer = problem.outer_terms(lr, batch, unravel(e), step)
                return ((outer.direct, outer.score),
                        problem.update(lr, batch, unravel(e), step, hessian))

            (_, learner_h), step_jvp = jax.linearize(step_fn, learner, flat_eta)
            next_learner = learner_h if next_learner is None else next_learner
            tangent_h = jax.tree.map(lambda x: x[index], tangents)
            (dd, ds), dlearner = jax.vmap(jax.vmap(step_jvp))(tangent_h, eta_tangent)
            d_direct.append(dd * in_window[:, None])
            d_score.append(ds * in_window[:, None])
            new_tangents.append(dlearner)
        tangents = jax.tree.map(lambda *xs: jnp.stack(xs), *new_tangents)
        outputs = (terms.objective, terms.credit, terms.baseline,
                   jnp.stack(d_direct), jnp.stack(d_score))
        return (next_learner, env_state, tangents), outputs

    steps = jnp.arange(L)
    _, (objective, credit, baseline, d_direct, d_score) = jax.lax.scan(
        body, (learner0, env_state, tangents0), (steps, step_keys, mask.T))
    # scan stacks on axis 0: [L, H, W, D] -> [H, W, L, D]
    return ForwardTerms(objective, credit, baseline, jnp.moveaxis(d_direct, 0, 2),
                        jnp.moveaxis(d_score, 0, 2), mask)


class LifetimeRecord(NamedTuple):
    """One lifetime without derivatives: per-step primal terms ``[L]``, every batch (leaves
    ``[L, ...]``) and the learner entering each window (leaves ``[W, ...]``)."""

    objective: jax.Array
    credit: jax.Array
    baseline: jax.Array
    batches: Any
    window_learners: Any


def record_lifetime(problem, eta: Any, task: Any, key: jax.Array,
                    window_starts: jax.Array) -> LifetimeRecord:
    """Run one lifetime (primal only), keeping what ``replay_window`` needs."""
    L = problem.lifetime_length
    env_key, step_keys = lifetime_keys(key, L)
    learner, env_state = problem.start(env_key, task, eta)
    W = window_starts.shape[0]
    saved0 = jax.tree.map(lambda x: jnp.broadcast_to(x, (W,) + x.shape), learner)

    def body(carry, inputs):
        learner, env_state, saved = carry
        step, step_key = inputs
        saved = _broadcast_where(step == window_starts,
                                 jax.tree.map(lambda x: jnp.broadcast_to(x, (W,) + x.shape),
                                              learner), saved)
        env_state, batch = problem.collect(learner, env_state, step_key)
        terms = problem.outer_terms(learner, batch, eta, step)
        learner = problem.update(learner, batch, eta, step)
        return (learner, env_state, saved), (terms.objective, terms.credit, terms.baseline, batch)

    steps = jnp.arange(L)
    (_, _, saved), (objective, credit, baseline, batches) = jax.lax.scan(
        body, (learner, env_state, saved0), (steps, step_keys))
    record = LifetimeRecord(objective, credit, baseline, batches, saved)
    return jax.tree.map(jax.lax.stop_gradient, record)


def replay_window(problem, flat_eta: jax.Array, unravel: Callable, task: Any, key: jax.Array,
                  record: LifetimeRecord, window: int, window_start: jax.Array,
                  replay_length: int, hessian: str = "none") -> tuple[jax.Array, jax.Array]:
    """``(direct, score)`` ``[replay_length]`` of steps ``start, start + 1, ...`` of one
    window, differentiable in ``flat_eta`` through the window's own updates (and through
    ``start`` when the window starts at step 0). Steps past the lifetime repeat its last step;
    callers mask steps past the window."""
    L = problem.lifetime_length
    env_key, _ = lifetime_keys(key, L)
    eta = unravel(flat_eta)
    saved = jax.tree.map(lambda x: x[window], record.window_learners)
    learner = _broadcast_where(window_start == 0, problem.start(env_key, task, eta)[0], saved)

    @jax.checkpoint
    def body(learner, offset):
        step = jnp.minimum(window_start + offset, L - 1)
        batch = jax.tree.map(lambda x: x[step], record.batches)
        outer = problem.outer_terms(learner, batch, eta, step)
        learner = problem.update(learner, batch, eta, step, hessian)
        return learner, (outer.direct, outer.score)

    _, (direct, score) = jax.lax.scan(body, learner, jnp.arange(replay_length))
    return direct, score
