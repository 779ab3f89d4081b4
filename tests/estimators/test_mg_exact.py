"""Estimators against exact gradients computed by enumeration on tiny bandits.

Two kinds of check:
- exact: the expectation of an MG-family estimator is computed by running the estimator's own
  code on every outcome sequence and window start, weighted by its probability; no sampling,
  so float32 round-off (relative ~1e-5) is the only tolerance;
- statistical: sampled means against exact targets with ``|z| < Z_MAX = 4.5`` per coordinate,
  z from the sample standard error. Under the normal approximation a correct estimator fails one
  such check with probability 6.8e-6 (about 1e-4 over the whole file); seeds are fixed, so the
  outcome is deterministic.
"""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from tiny_bandits import tiny_problem, TINY_PROBLEMS
from metagrad.estimators import MGSetting, make_es, make_fd, make_mg, sample_grads
from metagrad.estimators.exact import (exact_gradient, exact_mg_mean, exact_objective,
                                       exact_smoothed_gradient, window_step_weights)

Z_MAX = 4.5
ETAS = [jnp.array([0.5, -0.3]), jnp.array([1.5, 1.0]), jnp.array([2.5, 2.5])]


def sample(estimator, eta, num_samples, seed):
    """``[N, S, D]`` samples; eta is an argument of the compiled program, so the same estimator
    at another eta is the same program (a compile-cache hit, not a new compile)."""
    keys = jax.random.split(jax.random.PRNGKey(seed), num_samples)
    program = jax.jit(jax.vmap(lambda k, e: sample_grads(estimator, k, e), in_axes=(0, None)))
    return np.asarray(program(keys, eta), np.float64)


def z_scores(samples, target):
    mean = samples.mean(axis=0)
    se = samples.std(axis=0, ddof=1) / np.sqrt(samples.shape[0])
    return (mean - np.asarray(target)) / np.maximum(se, 1e-7)  # se = 0: exact identity


def relative_error(a, b):
    return float(np.linalg.norm(np.asarray(a) - np.asarray(b)) / np.linalg.norm(np.asarray(b)))


@pytest.mark.parametrize("eta", ETAS, ids=str)
def test_untruncated_full_correction_is_exactly_unbiased(tiny, eta):
    L = tiny.lifetime_length
    mean = exact_mg_mean(tiny, MGSetting(L - 1, coefficient=1.0), eta)
    assert relative_error(mean, exact_gradient(tiny, eta)) < 2e-4


@pytest.mark.parametrize("setting, min_relative_bias", [
    (dict(coefficient=0.0), 0.3),                     # naive
    (dict(coefficient=0.0, hessian="dice"), 1.0),     # DiCE
    (dict(coefficient=1.0, hessian="dice"), 1.0),     # DiCE + sampling correction
    (dict(coefficient=0.5), 0.1),                     # partial correction
    (dict(coefficient=1.0, meta_discount=0.5), 0.1),  # meta-discount
])
def test_estimators_theory_calls_biased_are_biased(setting, min_relative_bias):
    """At eta=(2.5, 2.5) on K3_B1_L4 the biases are 10-140 % of |grad J|: far above round-off."""
    problem = tiny_problem(*TINY_PROBLEMS["K3_B1_L4"])
    eta = ETAS[2]
    mean = exact_mg_mean(problem, MGSetting(problem.lifetime_length - 1, **setting), eta)
    assert relative_error(mean, exact_gradient(problem, eta)) > min_relative_bias


def test_truncation_is_biased_even_with_full_correction(tiny):
    eta = ETAS[0]
    mean = exact_mg_mean(tiny, MGSetting(1, coefficient=1.0), eta)
    assert relative_error(mean, exact_gradient(tiny, eta)) > 0.3


@pytest.mark.parametrize("sampler", ["gumbel", "inverse_cdf"])
@pytest.mark.parametrize("eta", ETAS[:2], ids=str)
def test_sampled_full_correction_matches_exact_gradient(tiny, eta, sampler):
    """The sampling path (either action sampler, keys, two lifetimes per sample) is unbiased."""
    L = tiny.lifetime_length
    estimator = make_mg(tiny.with_action_sampler(sampler), [MGSetting(L - 1, 1.0)],
                        lifetimes_per_sample=2)
    samples = sample(estimator, eta, 100_000, seed=11)[:, 0]
    assert np.all(np.abs(z_scores(samples, exact_gradient(tiny, eta))) < Z_MAX)


def test_sampled_naive_bias_is_detected_by_pairing_with_the_unbiased_estimator():
    """naive - (c=1) on the SAME lifetimes has mean = naive's exact bias.

    At 1e5 samples the bias is 3.7 standard errors; at 5e5 it is ~8.2, so the rejection at
    ``Z_MAX`` has power ~1 - 1e-4 (a false failure needs a 3.7-sigma shortfall).
    """
    problem = tiny_problem(*TINY_PROBLEMS["K3_B1_L4"])
    eta = ETAS[2]
    L = problem.lifetime_length
    naive, full = MGSetting(L - 1, 0.0), MGSetting(L - 1, 1.0)
    samples = sample(make_mg(problem, [naive, full]), eta, 500_000, seed=12)
    difference = samples[:, 0] - samples[:, 1]
    exact_bias = exact_mg_mean(problem, naive, eta) - exact_gradient(problem, eta)
    assert np.all(np.abs(z_scores(samples[:, 0], exact_mg_mean(problem, naive, eta))) < Z_MAX)
    assert np.all(np.abs(z_scores(difference, exact_bias)) < Z_MAX)
    assert np.abs(z_scores(difference, np.zeros(2))).max() > Z_MAX


def test_finite_differences_match_the_exact_central_difference_and_gradient(tiny):
    eta, eps = ETAS[1], 0.1
    samples = sample(make_fd(tiny, eps), eta, 50_000, seed=13)[:, 0]
    central = np.array([(exact_objective(tiny, eta + 0.5 * eps * e)
                         - exact_objective(tiny, eta - 0.5 * eps * e)) / eps
                        for e in np.eye(2)])
    assert np.all(np.abs(z_scores(samples, central)) < Z_MAX)
    # the central difference itself is O(eps^2) from the gradient
    assert relative_error(central, exact_gradient(tiny, eta)) < 0.02


@pytest.mark.parametrize("truncation", [None, 1])
def test_es_matches_the_gradient_of_the_smoothed_windowed_objective(tiny, truncation):
    L = tiny.lifetime_length
    truncation = L - 1 if truncation is None else truncation
    eta, sigma = ETAS[0], 0.5
    samples = sample(make_es(tiny, [truncation], sigma), eta, 200_000, seed=14)[:, 0]
    weights = window_step_weights(L, truncation)
    target = exact_smoothed_gradient(tiny, eta, sigma, weights)
    assert np.all(np.abs(z_scores(samples, target)) < Z_MAX)




@pytest.mark.parametrize("truncation", [None, 1])
def test_variance_reduced_es_keeps_the_mean_of_es(truncation):
    """ES on expected-reward fitness with common random numbers for both members (the frontier's
    ``es_rb`` rows, ours) estimates the same smoothed windowed gradient as raw ES."""
    args = TINY_PROBLEMS["K3_B1_L4"]
    problem = tiny_problem(*args, outer_terms_form="conditional")
    L = problem.lifetime_length
    truncation = L - 1 if truncation is None else truncation
    eta, sigma = ETAS[0], 0.5
    estimator = make_es(problem, [truncation], sigma, common_random_numbers=True)
    samples = sample(estimator, eta, 200_000, seed=15)[:, 0]
    target = exact_smoothed_gradient(tiny_problem(*args), eta, sigma,
                                     window_step_weights(L, truncation))
    assert np.all(np.abs(z_scores(samples, target)) < Z_MAX)


def test_es_common_random_numbers_share_every_random_draw():
    """With common random numbers and a perturbation too small to flip an action, both members
    see the same window, actions and rewards: the sampled fitnesses are equal, so the estimate
    is 0 up to float32 round-off in evosax's reconstruction of z (|g| << 1); independent members
    differ by O(1) rewards, so |g| ~ 1 / sigma = 1e3."""
    problem = tiny_problem(*TINY_PROBLEMS["K3_B1_L4"])
    eta, sigma = ETAS[1], 1e-3
    shared = sample(make_es(problem, [1], sigma, common_random_numbers=True), eta, 2_000, seed=16)
    independent = sample(make_es(problem, [1], sigma), eta, 2_000, seed=16)
    assert np.mean(np.abs(shared).max(axis=(1, 2)) < 1.0) > 0.95
    assert np.mean(np.abs(independent).max(axis=(1, 2)) < 1.0) < 0.5


@pytest.mark.parametrize("truncation", [1, 2])
def test_truncated_full_correction_is_exactly_unbiased_for_the_windowed_objective(tiny,
                                                                                 truncation):
    """Truncated c = 1 has the mean of grad J_W, the windowed objective with the learner and eta
    stopped at the window start (an independent implementation in ``exact``), to round-off."""
    from metagrad.estimators.exact import exact_windowed_gradient

    if truncation >= tiny.lifetime_length - 1:
        pytest.skip("an untruncated window: covered by the full-correction test")
    eta = ETAS[1]
    mean = exact_mg_mean(tiny, MGSetting(truncation, coefficient=1.0), eta)
    target = exact_windowed_gradient(tiny, eta, truncation)
    assert relative_error(mean, target) < 2e-4
    # and the windowed objective is not the lifetime objective (the test has teeth)
    assert relative_error(target, exact_gradient(tiny, eta)) > 0.05


def test_split_at_step_one_gives_the_second_coordinate_correction_and_dice_terms():
    """On K2_B1_L4_split1, eta_1 sets three updates: naive and DiCE differ from c = 1 in BOTH
    coordinates (exact means), and c = 1 is still exactly unbiased."""
    problem = tiny_problem(*TINY_PROBLEMS["K2_B1_L4_split1"])
    L, eta = problem.lifetime_length, ETAS[1]
    exact = np.asarray(exact_gradient(problem, eta))
    full = np.asarray(exact_mg_mean(problem, MGSetting(L - 1, 1.0), eta))
    np.testing.assert_allclose(full, exact, rtol=2e-4, atol=1e-7)
    for setting in (MGSetting(L - 1, 0.0), MGSetting(L - 1, 0.0, hessian="dice"),
                    MGSetting(L - 1, 1.0, hessian="dice")):
        bias = np.abs(np.asarray(exact_mg_mean(problem, setting, eta)) - exact)
        assert np.all(bias > 1e-3 * np.abs(exact).max()), setting


@functools.cache
def _plain_exact_mean(setting):
    """The raw form's exact mean on K3_B1_L4 at ETAS[2], computed once per setting for all four
    variance-reduced forms it is compared with."""
    return np.asarray(exact_mg_mean(tiny_problem(*TINY_PROBLEMS["K3_B1_L4"]), setting, ETAS[2]))


BASELINE_SETTINGS = [MGSetting(3, 1.0), MGSetting(3, 0.5), MGSetting(3, 1.0, 0.6),
                     MGSetting(1, 1.0), MGSetting(3, 1.0, hessian="dice"),
                     MGSetting(2, 0.7, hessian="dice")]


@pytest.mark.parametrize("form", [dict(correction_baseline="expected_reward"),
                                  dict(correction_baseline="lookahead"),
                                  dict(outer_terms_form="conditional"),
                                  dict(outer_terms_form="conditional",
                                       correction_baseline="lookahead")],
                         ids=["baseline", "lookahead", "conditional", "conditional+lookahead"])
@pytest.mark.parametrize("setting", BASELINE_SETTINGS, ids=str)
def test_variance_reduced_forms_keep_the_exact_mean(setting, form):
    """Conditioning the outer terms on the history before each step, and the control variate
    (baseline_j = J_step(theta_j), a function of the history before step j), leave the mean of
    every c, gamma_m, truncation and DiCE form unchanged to round-off."""
    a = _plain_exact_mean(setting)
    reduced = tiny_problem(*TINY_PROBLEMS["K3_B1_L4"], **form)
    b = np.asarray(exact_mg_mean(reduced, setting, ETAS[2]))
    np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-6 * np.abs(a).max())


def test_a_baseline_that_sees_its_own_step_shifts_the_mean():
    """Negative control: baseline_j = R_j / B depends on step j's own actions, so it biases the
    estimator; the exact test above must be able to see that (shift > 100x its tolerance)."""
    from metagrad.problems.bandit import BanditLearningRateProblem

    class OwnRewardBaseline(BanditLearningRateProblem):
        def outer_terms(self, theta, batch, eta, step):
            terms = super().outer_terms(theta, batch, eta, step)
            return terms._replace(baseline=terms.objective)

    args = TINY_PROBLEMS["K3_B1_L4"]
    plain = tiny_problem(*args)
    invalid = OwnRewardBaseline(plain.env, plain.lifetime_length, plain.schedule_split_step)
    setting, eta = MGSetting(3, 1.0), ETAS[2]
    a = np.asarray(exact_mg_mean(plain, setting, eta))
    b = np.asarray(exact_mg_mean(invalid, setting, eta))
    assert np.abs(b - a).max() > 1e-2 * np.abs(a).max()
