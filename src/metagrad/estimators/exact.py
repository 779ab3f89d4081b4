"""Exact objectives and exact estimator means by enumeration, for tiny bandits (ours).

With fixed arm means, Rademacher reward noise and small ``K``, ``B`` and ``L``, the lifetime
has finitely many outcome sequences ``(a_{t,b}, xi_{t,b})``. Then

    J(eta) = sum_seq P(seq; eta) * sum_t weight_t * R_t / B

is a finite sum that JAX differentiates exactly, and the mean of any MG-family estimator is
``sum_seq P(seq; eta) * E_window[estimate(seq, window)]``, evaluated by running the estimator's
own code on each scripted sequence. Tests use these to prove which estimators are unbiased.
"""

from __future__ import annotations

import itertools

import jax
import jax.numpy as jnp
import numpy as np

from metagrad.estimators.mg import MGSetting, combine_meta_terms, correction_weights
from metagrad.lifetime import lifetime_meta_terms
from metagrad.problems.bandit import BanditBatch, BanditLearningRateProblem

MAX_SEQUENCES = 200_000


def enumerate_outcomes(problem: BanditLearningRateProblem):
    """All outcome sequences: actions ``[M, L, B]``, noise ``[M, L, B]``, ``log p(noise) [M]``."""
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
    return (jnp.asarray(actions), jnp.asarray(np.asarray(values)[noise_index]),
            jnp.asarray(log_noise, jnp.float32))


class ScriptedBanditProblem:
    """A bandit problem whose ``collect`` replays a given outcome sequence instead of sampling.

    The task is ``(actions [L, B], noise [L, B])``; everything else is the wrapped problem's.
    """

    def __init__(self, problem: BanditLearningRateProblem):
        self.problem = problem
        self.lifetime_length = problem.lifetime_length
        self.batch_size = problem.batch_size
        self.num_meta_params = problem.num_meta_params
        self.score_terms = problem.score_terms
        self.total_reward = problem.total_reward
        self.update = problem.update

    def start(self, key, task):
        actions, noise = task
        return self.problem.learner.init(), (actions, noise, jnp.zeros((), jnp.int32))

    def collect(self, theta, env_state, key):
        actions, noise, step = env_state
        env = self.problem.env
        rewards = env.fixed_means[actions[step]] + env.reward_noise_std * noise[step]
        return (actions, noise, step + 1), BanditBatch(actions[step], rewards)


def _sequence_log_prob_and_rewards(problem, eta, actions, noise):
    """``log P(actions | eta)`` and rewards per sample ``[L]`` of one scripted sequence."""
    scripted = ScriptedBanditProblem(problem)
    theta, state = scripted.start(None, (actions, noise))

    def body(carry, step):
        theta, state = carry
        state, batch = scripted.collect(theta, state, None)
        log_prob, _ = problem.score_terms(theta, batch)
        theta = problem.update(theta, batch, eta, step)
        return (theta, state), (log_prob, problem.total_reward(batch) / problem.batch_size)

    _, (log_probs, rewards) = jax.lax.scan(body, (theta, state),
                                           jnp.arange(problem.lifetime_length))
    return log_probs.sum(), rewards


def window_step_weights(lifetime_length: int, truncation_length: int) -> np.ndarray:
    """``[L]`` weights of E_start[mean reward in a uniformly placed window of T steps]."""
    T = truncation_length + 1
    weights = np.zeros(lifetime_length)
    for start in range(lifetime_length - T + 1):
        weights[start:start + T] += 1.0 / T
    return weights / (lifetime_length - T + 1)


def exact_objective(problem, eta, step_weights=None):
    """``sum_t step_weights[t] E[R_t / B]``; default weights ``1/L`` give J(eta)."""
    L = problem.lifetime_length
    weights = jnp.full((L,), 1.0 / L) if step_weights is None else jnp.asarray(step_weights)
    actions, noise, log_noise = enumerate_outcomes(problem)
    log_probs, rewards = jax.vmap(_sequence_log_prob_and_rewards, in_axes=(None, None, 0, 0))(
        problem, eta, actions, noise)
    return jnp.sum(jnp.exp(log_probs + log_noise) * (rewards @ weights))


def exact_gradient(problem, eta, step_weights=None):
    return jax.grad(lambda e: exact_objective(problem, e, step_weights))(eta)


def exact_smoothed_gradient(problem, eta, sigma, step_weights=None, nodes: int = 24):
    """Gradient of ``E_z J(eta + sigma z)``, ``z ~ N(0, I_2)``, by Gauss-Hermite quadrature."""
    x, w = np.polynomial.hermite.hermgauss(nodes)
    grid = np.stack(np.meshgrid(x, x, indexing="ij"), -1).reshape(-1, 2) * np.sqrt(2.0)
    weight = (np.outer(w, w).reshape(-1) / np.pi).astype(np.float32)

    def smoothed(e):
        values = jax.vmap(lambda z: exact_objective(problem, e + sigma * z, step_weights))(
            jnp.asarray(grid, jnp.float32))
        return jnp.sum(weight * values)

    return jax.grad(smoothed)(eta)


def exact_mg_mean(problem, setting: MGSetting, eta) -> jax.Array:
    """``E[estimate]`` of one MG setting: sum over sequences and window starts, ``[D]``."""
    L = problem.lifetime_length
    setting.validate(L)
    T = setting.window_length
    starts = jnp.arange(L - T + 1, dtype=jnp.int32)
    num_windows = starts.shape[0]
    lengths = jnp.full((num_windows,), T, jnp.int32)
    actions, noise, log_noise = enumerate_outcomes(problem)
    scripted = ScriptedBanditProblem(problem)
    weights = jnp.asarray(correction_weights([setting.meta_discount], L))
    index = dict(
        hessian_index=jnp.zeros(num_windows, jnp.int32),
        window_index=jnp.arange(num_windows),
        weight_index=jnp.zeros(num_windows, jnp.int32),
        coefficients=jnp.full((num_windows,), setting.coefficient, jnp.float32),
        window_lengths=jnp.full((num_windows,), float(T)),
    )

    def per_sequence(a, xi):
        terms = lifetime_meta_terms(scripted, eta, (a, xi), jax.random.PRNGKey(0), starts, lengths,
                                    (setting.hessian,))
        estimates = combine_meta_terms(terms, weights, batch_size=problem.batch_size, **index)
        log_prob, _ = _sequence_log_prob_and_rewards(problem, eta, a, xi)
        return estimates.mean(axis=0), log_prob

    estimates, log_probs = jax.vmap(per_sequence)(actions, noise)
    return jnp.sum(jnp.exp(log_probs + log_noise)[:, None] * estimates, axis=0)
