"""Exact objectives and exact estimator means by enumeration, for tiny problems (ours).

A tiny problem (a bandit with fixed arm means and Rademacher reward noise, or the tiny MDP)
has finitely many outcome sequences. An ``Enumeration`` holds them all, with a *scripted*
problem whose ``collect`` replays one sequence (the task) instead of sampling. Then

    J(eta) = sum_seq P(seq; eta) * sum_t weight_t * objective_t

is a finite sum that JAX differentiates exactly: ``log P(seq; eta)`` is the sum of the
steps' ``score`` terms (the log-probabilities of the sampled actions) plus the log-probability
of the eta-independent noise. The mean of any MG-family estimator is
``sum_seq P(seq; eta) * E_window[estimate(seq, window)]``, evaluated by running the
estimator's own program on each scripted sequence. Tests use these to prove which estimators
are unbiased.
"""

from __future__ import annotations

import itertools
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from metagrad.estimators.mg import MGSetting, make_mg_program, mg_structure
from metagrad.problems.bandit import BanditBatch, BanditLearningRateProblem

MAX_SEQUENCES = 200_000


class Enumeration(NamedTuple):
    scripted: Any       # problem whose task is one outcome sequence
    sequences: Any      # pytree, leaves [M, ...]: every outcome sequence
    log_noise: Any      # [M]: log-probability of each sequence's eta-independent noise


class ScriptedProblem:
    """A problem whose ``collect`` replays one outcome sequence (its task) instead of sampling;
    subclasses write ``start`` and ``collect``, everything else is the wrapped problem's."""

    def __init__(self, problem):
        self.problem = problem
        self.lifetime_length = problem.lifetime_length
        self.eta_template = problem.eta_template
        self.outer_terms = problem.outer_terms
        self.update = problem.update

    def sample_task(self, key):
        raise TypeError("a scripted problem has no task distribution: pass the sequence")


class ScriptedBanditProblem(ScriptedProblem):
    """The bandit replaying ``(actions [L, B], noise [L, B])``."""

    def start(self, key, task, eta):
        actions, noise = task
        return self.problem.learner.init(), (actions, noise, jnp.zeros((), jnp.int32))

    def collect(self, theta, env_state, key):
        actions, noise, step = env_state
        env = self.problem.env
        rewards = env.fixed_means[actions[step]] + env.reward_noise_std * noise[step]
        return (actions, noise, step + 1), BanditBatch(actions[step], rewards, env.fixed_means)


def bandit_enumeration(problem: BanditLearningRateProblem) -> Enumeration:
    """Every (actions, noise) sequence of a tiny bandit with fixed means and Rademacher noise."""
    env = problem.env
    values, probs = env.noise_support()
    num_noise = values.shape[0]
    pulls = problem.lifetime_length * env.batch_size
    count = (env.num_arms * num_noise) ** pulls
    if env.fixed_means is None:
        raise ValueError("exact enumeration needs a bandit with fixed_means")
    if count > MAX_SEQUENCES:
        raise ValueError(f"{count} outcome sequences exceed MAX_SEQUENCES={MAX_SEQUENCES}; "
                         "use fewer arms, a smaller batch_size or a shorter lifetime")
    codes = np.array(list(itertools.product(range(env.num_arms * num_noise), repeat=pulls)))
    codes = codes.reshape(count, problem.lifetime_length, env.batch_size)
    actions, noise_index = codes // num_noise, codes % num_noise
    log_noise = np.log(np.asarray(probs))[noise_index].sum(axis=(1, 2))
    return Enumeration(ScriptedBanditProblem(problem),
                       (jnp.asarray(actions), jnp.asarray(np.asarray(values)[noise_index])),
                       jnp.asarray(log_noise, jnp.float32))


def as_enumeration(problem) -> Enumeration:
    """An ``Enumeration`` as is, a tiny bandit problem enumerated, or ``problem.enumeration()``."""
    if isinstance(problem, Enumeration):
        return problem
    if isinstance(problem, BanditLearningRateProblem):
        return bandit_enumeration(problem)
    if hasattr(problem, "enumeration"):
        return problem.enumeration()
    raise TypeError(f"cannot enumerate the outcomes of {type(problem).__name__}")


def sequence_log_prob_and_objectives(scripted, eta, sequence):
    """``log P(actions | eta)`` (sum of the steps' scores) and ``objective_t`` ``[L]``."""
    learner, state = scripted.start(None, sequence, eta)

    def body(carry, step):
        learner, state = carry
        state, batch = scripted.collect(learner, state, None)
        terms = scripted.outer_terms(learner, batch, eta, step)
        learner = scripted.update(learner, batch, eta, step)
        return (learner, state), (terms.score, terms.objective)

    _, (scores, objectives) = jax.lax.scan(body, (learner, state),
                                           jnp.arange(scripted.lifetime_length))
    return scores.sum(), objectives


def _probabilities(enum: Enumeration, eta):
    log_probs, objectives = jax.vmap(sequence_log_prob_and_objectives, in_axes=(None, None, 0))(
        enum.scripted, eta, enum.sequences)
    return jnp.exp(log_probs + enum.log_noise), objectives


def exact_objective(problem, eta, step_weights=None):
    """``sum_t step_weights[t] E[objective_t]``; default weights ``1/L`` give J(eta)."""
    enum = as_enumeration(problem)
    L = enum.scripted.lifetime_length
    weights = jnp.full((L,), 1.0 / L) if step_weights is None else jnp.asarray(step_weights)
    probs, objectives = _probabilities(enum, eta)
    return jnp.sum(probs * (objectives @ weights))


def exact_gradient(problem, eta, step_weights=None):
    enum = as_enumeration(problem)
    return jax.grad(lambda e: exact_objective(enum, e, step_weights))(eta)


def exact_smoothed_gradient(problem, eta, sigma, step_weights=None, nodes: int = 24):
    """Gradient of ``E_z J(eta + sigma z)``, ``z ~ N(0, I_2)``, by Gauss-Hermite quadrature
    (two-dimensional eta only)."""
    enum = as_enumeration(problem)
    x, w = np.polynomial.hermite.hermgauss(nodes)
    grid = np.stack(np.meshgrid(x, x, indexing="ij"), -1).reshape(-1, 2) * np.sqrt(2.0)
    weight = (np.outer(w, w).reshape(-1) / np.pi).astype(np.float32)

    def smoothed(e):
        values = jax.vmap(lambda z: exact_objective(enum, e + sigma * z, step_weights))(
            jnp.asarray(grid, jnp.float32))
        return jnp.sum(weight * values)

    return jax.grad(smoothed)(eta)


def window_step_weights(lifetime_length: int, truncation_length: int) -> np.ndarray:
    """``[L]`` weights of E_start[mean objective in a uniformly placed window of T steps]."""
    T = truncation_length + 1
    weights = np.zeros(lifetime_length)
    for start in range(lifetime_length - T + 1):
        weights[start:start + T] += 1.0 / T
    return weights / (lifetime_length - T + 1)


def exact_mg_mean(problem, setting: MGSetting, eta, mode: str = "auto"):
    """``E[estimate]`` of one MG setting: a sum over sequences and window starts, flat ``[D]``."""
    enum = as_enumeration(problem)
    scripted = enum.scripted
    L = scripted.lifetime_length
    structure, values = mg_structure([setting], L)
    program = make_mg_program(scripted, structure, mode=mode)
    starts = jnp.arange(L - setting.window_length + 1, dtype=jnp.int32)
    flat_eta = ravel_pytree(eta)[0]

    def per_sequence(sequence):
        def at(start):
            return program.at_starts(jax.random.PRNGKey(0), flat_eta, sequence,
                                     jnp.reshape(start, (1,)), values)[0][0]

        log_prob, _ = sequence_log_prob_and_objectives(scripted, eta, sequence)
        return jax.vmap(at)(starts).mean(axis=0), log_prob

    estimates, log_probs = jax.lax.map(per_sequence, enum.sequences, batch_size=256)
    return jnp.sum(jnp.exp(log_probs + enum.log_noise)[:, None] * estimates, axis=0)


def exact_windowed_gradient(problem, eta, truncation_length: int):
    """``E_start[grad J_W]``: the gradient of the windowed objective (mean objective over a
    uniformly placed window of ``T = truncation_length + 1`` steps) with the learner entering
    the window and eta outside it held constant (stop-gradient). Truncated full correction
    (c = 1) is unbiased for exactly this. Flat ``[D]``."""
    enum = as_enumeration(problem)
    scripted = enum.scripted
    L, T = scripted.lifetime_length, truncation_length + 1

    def windowed(e, start):
        stopped = jax.lax.stop_gradient(e)

        def one(sequence):
            learner, state = scripted.start(None, sequence, e)
            learner = jax.tree.map(lambda x: jnp.where(start == 0, x, jax.lax.stop_gradient(x)),
                                   learner)

            def body(carry, step):
                learner, state = carry
                learner = jax.tree.map(
                    lambda x: jnp.where((step == start) & (start > 0), jax.lax.stop_gradient(x), x),
                    learner)
                in_window = (step >= start) & (step < start + T)
                eta_step = jax.tree.map(lambda a, b: jnp.where(in_window, a, b), e, stopped)
                state, batch = scripted.collect(learner, state, None)
                terms = scripted.outer_terms(learner, batch, eta_step, step)
                learner = scripted.update(learner, batch, eta_step, step)
                return (learner, state), (terms.score, terms.objective * in_window)

            _, (scores, objectives) = jax.lax.scan(body, (learner, state), jnp.arange(L))
            return scores.sum(), objectives.sum() / T

        log_probs, values = jax.vmap(one)(enum.sequences)
        return jnp.sum(jnp.exp(log_probs + enum.log_noise) * values)

    starts = jnp.arange(L - T + 1)
    grads = [ravel_pytree(jax.grad(windowed)(eta, s))[0] for s in starts]
    return jnp.mean(jnp.stack(grads), axis=0)
