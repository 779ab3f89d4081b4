"""The interface every meta-learning problem implements (bandit, tiny MDP; maze and Brax next).

A lifetime is ``lifetime_length`` inner steps. At step ``t`` the learner (a pytree of floats:
parameters, optimiser state, ...) collects a batch with its current policy, then updates:
``learner_{t+1} = update(learner_t, batch_t, eta, t)``. ``eta`` is a pytree of floats; the
learner may start from it (``start`` receives ``eta``, e.g. MAML's ``theta_0 = eta``).

Estimators only call the methods below, so they never know which task they run on. The
problem normalises its own outer terms (``OuterTerms``): the outer objective J(eta) is the
expectation of the mean over the lifetime of ``objective_t``, and every MG-family estimator is
built from ``direct``, ``score`` and ``credit`` (see ``metagrad.estimators.mg``).
"""

from __future__ import annotations

from typing import Any, NamedTuple, Protocol

import jax


class OuterTerms(NamedTuple):
    """What one inner step contributes to the outer loss (all scalars).

    ``objective``: this step's contribution to J (e.g. mean reward per sample), not
    differentiated. ``direct``: differentiable surrogate whose gradient is the step's own
    score-function term (e.g. ``(1/B) sum_b r_b log pi(a_b)``). ``score``: differentiable
    ``sum of log pi`` of the step's samples, the term the sampling correction weights.
    ``credit``: what the correction multiplies at later steps (usually ``objective``; an
    advantage or a conditional expectation in variants). ``baseline``: subtracted from every
    later credit in the correction of THIS step's score (a scalar), or from the credit k steps
    later by its entry k (a vector ``[L]`` over offsets); it must depend only on the history
    before this step's samples, never on them, or the estimator becomes biased.
    """

    objective: jax.Array
    direct: jax.Array
    score: jax.Array
    credit: jax.Array
    baseline: jax.Array


class MetaProblem(Protocol):
    lifetime_length: int   # L, inner updates per lifetime

    def eta_template(self) -> Any:
        """A pytree with eta's structure, shapes and dtypes (its values are not used)."""

    def sample_task(self, key: jax.Array) -> Any:
        """One task of the distribution (e.g. a bandit's arm means)."""

    def start(self, key: jax.Array, task: Any, eta: Any) -> tuple[Any, Any]:
        """``(learner_0, env_state)`` of a lifetime on ``task``; ``key`` drives its env noise."""

    def collect(self, learner: Any, env_state: Any, key: jax.Array) -> tuple[Any, Any]:
        """Sample one batch with the current policy: ``(env_state, batch)``. Never
        differentiated: implementations stop gradients on the learner and the batch."""

    def update(self, learner: Any, batch: Any, eta: Any, step: jax.Array,
               hessian: str = "none") -> Any:
        """``learner_{t+1}``; ``hessian="dice"`` builds the inner surrogate on DiCE's magic box."""

    def outer_terms(self, learner: Any, batch: Any, eta: Any, step: jax.Array) -> OuterTerms:
        """This step's ``OuterTerms`` (differentiable in ``learner``; ``eta`` and ``step`` are
        there for terms that depend on them, e.g. a baseline that looks ahead along the
        schedule, and are differentiated only inside windows, like the updates)."""


def num_meta_params(problem) -> int:
    """D: the number of scalars in eta."""
    return sum(x.size for x in jax.tree.leaves(problem.eta_template()))
