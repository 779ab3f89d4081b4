"""The one interface every gradient estimator implements: an optax-style pair of pure
functions with explicit state (in the spirit of learned_optimization's gradient estimators)::

    estimator = make_mg(problem, settings)
    state = estimator.init(key, eta)                       # () for stateless estimators
    estimate, state = estimator.estimate(state, key, eta)
    estimate.grad          # eta's pytree, every leaf with a leading settings axis [S]
    estimate.objective     # [S]: the sampled objective the estimate was computed from

One call draws ONE sample of every setting; settings of one estimator share their random
samples (paired). ``settings`` describes each row for tables (estimator code, truncation
length, correction coefficient, meta-discount, ...). ``init`` and ``estimate`` can be
``jit``-ed and ``vmap``-ed over keys, states and eta points without knowing which estimator
they run. Stateful estimators (persistent learners, online ES, PES) carry what they need from
one call to the next in ``state``; stateless ones are wrapped by ``stateless``.

Sign convention (once, for the whole package): estimates are ascent directions on J(eta).
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

import jax
from jax.flatten_util import ravel_pytree


class Estimate(NamedTuple):
    grad: Any               # eta's pytree, leaves [S, ...]
    objective: jax.Array    # [S]


class Estimator(NamedTuple):
    settings: tuple[dict, ...]                                   # one description per row
    init: Callable[[jax.Array, Any], Any]                        # (key, eta) -> state
    estimate: Callable[[Any, jax.Array, Any], tuple[Estimate, Any]]

    @property
    def num_settings(self) -> int:
        return len(self.settings)


def stateless(settings, estimate_fn: Callable[[jax.Array, Any], Estimate]) -> Estimator:
    """An ``Estimator`` with empty state around ``estimate_fn(key, eta) -> Estimate``."""

    def init(key, eta):
        return ()

    def estimate(state, key, eta):
        return estimate_fn(key, eta), state

    return Estimator(tuple(settings), init, estimate)


def sample_grads(estimator: Estimator, key: jax.Array, eta: Any) -> jax.Array:
    """One fresh sample of a (stateless or freshly initialised) estimator as flat ``[S, D]``."""
    state = estimator.init(key, eta)
    estimate, _ = estimator.estimate(state, key, eta)
    return flat_grads(estimate.grad)


def flat_grads(grad: Any) -> jax.Array:
    """``[S, D]`` from a pytree whose leaves carry a leading settings axis."""
    return jax.vmap(lambda g: ravel_pytree(g)[0])(grad)


def check_range(name: str, value: float, low: float, high: float, *, low_open=False) -> None:
    """Raise ``ValueError`` naming ``name`` unless ``low (<|<=) value <= high``."""
    below = value <= low if low_open else value < low
    if below or value > high:
        bracket = "(" if low_open else "["
        raise ValueError(f"{name} must be in {bracket}{low}, {high}], got {value!r}")
