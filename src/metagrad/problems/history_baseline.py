"""A history baseline for the sampling correction, as a problem wrapper (ours; spec section 7).

Dense, offset rewards (Brax reacher: about -0.4 per step) make the correction's
``R_i grad S_j`` terms huge. Any baseline ``b_j`` that depends only on the batches BEFORE step
j has zero-mean product with ``grad S_j`` (the score of step j's samples given that history), so
subtracting it from every later credit keeps every MG estimator's expectation (proven by exact
enumeration on the bandit in ``tests/problems/test_history_baseline.py``). This wrapper uses
``b_j = R_{j-1}``, the previous step's objective, and for ``j = 0`` the objective of a pilot
batch collected with ``learner_0`` on independent noise (a function of the start only).

The learner becomes ``(inner learner, previous objective)``; the previous objective is a
constant (``stop_gradient``) and never reaches the inner update.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp


PILOT_SALT = 0x5EED   # the pilot batch's key: fold_in(start key, PILOT_SALT)


class WithPrevious(NamedTuple):
    learner: Any
    previous_objective: jax.Array


class HistoryBaseline:
    """``problem`` with ``OuterTerms.baseline = objective of the previous step``."""

    def __init__(self, problem, pilot: bool = True):
        self.problem = problem
        self.pilot = bool(pilot)        # False: b_0 = 0 (the exact-enumeration tests)
        self.lifetime_length = problem.lifetime_length

    def __getattr__(self, name):            # everything else (env, settings, ...) as the problem's
        if name == "problem":
            raise AttributeError(name)
        return getattr(self.problem, name)

    def with_action_sampler(self, action_sampler: str):
        return HistoryBaseline(self.problem.with_action_sampler(action_sampler), self.pilot)

    def eta_template(self):
        return self.problem.eta_template()

    def sample_task(self, key):
        return self.problem.sample_task(key)

    def start(self, key, task, eta):
        # the wrapped problem's start sees the same key: the same lifetimes as without the wrapper
        learner, env_state = self.problem.start(key, task, eta)
        if not self.pilot:
            return WithPrevious(learner, jnp.zeros(())), env_state
        _, pilot = self.problem.collect(learner, env_state, jax.random.fold_in(key, PILOT_SALT))
        pilot_objective = self.problem.outer_terms(learner, pilot, eta, 0).objective
        return WithPrevious(learner, jax.lax.stop_gradient(pilot_objective)), env_state

    def enumeration(self):
        """The wrapped problem's exact enumeration, with this baseline (needs ``pilot=False``:
        the pilot batch is noise outside the enumerated sequences)."""
        from metagrad.estimators.exact import as_enumeration

        if self.pilot:
            raise ValueError("exact enumeration needs HistoryBaseline(problem, pilot=False)")
        enum = as_enumeration(self.problem)
        return enum._replace(scripted=HistoryBaseline(enum.scripted, pilot=False))

    def collect(self, learner, env_state, key):
        return self.problem.collect(learner.learner, env_state, key)

    def update(self, learner, batch, eta, step, hessian="none"):
        objective = self.problem.outer_terms(jax.lax.stop_gradient(learner.learner), batch,
                                             jax.lax.stop_gradient(eta), step).objective
        return WithPrevious(self.problem.update(learner.learner, batch, eta, step, hessian),
                            jax.lax.stop_gradient(objective))

    def outer_terms(self, learner, batch, eta, step):
        terms = self.problem.outer_terms(learner.learner, batch, eta, step)
        return terms._replace(baseline=learner.previous_objective)
