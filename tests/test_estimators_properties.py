"""Identities between estimators on the same samples, jit/vmap behaviour and bad input."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from metagrad.estimators import MGSetting, make_es, make_fd, make_mg, make_mg_reverse
from metagrad.problems.bandit import make_bandit_problem

BANDIT = dict(num_arms=5, batch_size=3, reward_noise_std=2.0, log_mean_low=-100.0,
              log_mean_high=1.0)
L = 12


@pytest.fixture(scope="module")
def problem():
    return make_bandit_problem(BANDIT, lifetime_length=L, schedule_split_step=3)


def run(estimator, eta, num_samples=64, seed=0):
    keys = jax.random.split(jax.random.PRNGKey(seed), num_samples)
    return np.asarray(jax.jit(jax.vmap(estimator.estimate, in_axes=(0, None)))(keys, eta))


ETA = jnp.array([1.0, 2.0])


def test_meta_discount_one_equals_coefficient_one_and_zero_equals_naive(problem):
    settings = [MGSetting(8, coefficient=1.0), MGSetting(8, meta_discount=1.0),
                MGSetting(8, coefficient=0.0), MGSetting(8, meta_discount=0.0)]
    # settings 0 and 1 are the same object; build both orders through different estimators
    a = run(make_mg(problem, settings[0:1] + settings[2:3]), ETA)
    b = run(make_mg(problem, [MGSetting(8, 1.0, 1.0), MGSetting(8, 1.0, 0.0)]), ETA)
    np.testing.assert_allclose(a[:, 0], b[:, 0], rtol=1e-5, atol=1e-7)  # gamma=1 == c=1
    np.testing.assert_allclose(a[:, 1], b[:, 1], rtol=1e-5, atol=1e-7)  # gamma=0 == c=0
    assert np.abs(a[:, 0] - a[:, 1]).max() > 1e-4                       # and c matters


def test_truncation_length_one_gives_the_same_estimate_for_every_coefficient(problem):
    settings = [MGSetting(1, c) for c in (0.0, 0.2, 0.6, 1.0)] + [MGSetting(1, 1.0, 0.5)]
    g = run(make_mg(problem, settings), ETA)
    for s in range(1, len(settings)):
        np.testing.assert_allclose(g[:, s], g[:, 0], rtol=1e-5, atol=1e-7)
    assert np.abs(g).max() > 0


@pytest.mark.parametrize("setting", [
    MGSetting(L - 1, 1.0), MGSetting(5, 0.6), MGSetting(L - 1, 1.0, 0.8),
    MGSetting(L - 1, 0.0, hessian="dice"), MGSetting(7, 1.0, hessian="dice")], ids=str)
def test_forward_mode_equals_reverse_mode_of_the_literal_surrogate(problem, setting):
    """The per-step forward-mode decomposition equals jax.grad of the spec's surrogate."""
    forward = run(make_mg(problem, [setting], lifetimes_per_sample=2), ETA, 16)[:, 0]
    reverse = run(make_mg_reverse(problem, setting, lifetimes_per_sample=2), ETA, 16)[:, 0]
    scale = np.abs(reverse).max()
    assert scale > 0
    np.testing.assert_allclose(forward, reverse, atol=2e-5 * scale)


def test_settings_in_one_estimator_are_paired_on_the_same_lifetimes(problem):
    """Adding settings does not change the samples another setting sees."""
    alone = run(make_mg(problem, [MGSetting(L - 1, 1.0)]), ETA)
    together = run(make_mg(problem, [MGSetting(1, 0.0), MGSetting(L - 1, 1.0),
                                     MGSetting(L - 1, 0.0, hessian="dice")]), ETA)
    np.testing.assert_allclose(alone[:, 0], together[:, 1], rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("make", [
    lambda p: make_mg(p, [MGSetting(L - 1, 1.0), MGSetting(4, 0.2, hessian="dice")], 2),
    lambda p: make_es(p, [1, L - 1], 0.1),
    lambda p: make_fd(p, 0.01)], ids=["mg", "es", "fd"])
def test_jit_vmap_over_keys_and_eta_points_is_finite_and_deterministic(problem, make):
    estimator = make(problem)
    etas = jnp.array([[0.5, 0.5], [2.5, 2.5], [-3.0, 10.0]])
    keys = jax.random.split(jax.random.PRNGKey(7), 8)
    program = jax.jit(jax.vmap(jax.vmap(estimator.estimate, in_axes=(0, None)),
                               in_axes=(None, 0)))
    first, second = np.asarray(program(keys, etas)), np.asarray(program(keys, etas))
    assert first.shape == (3, 8, estimator.num_settings, 2)
    assert np.all(np.isfinite(first))
    np.testing.assert_array_equal(first, second)
    assert len(estimator.settings) == estimator.num_settings


@pytest.mark.parametrize("build, name", [
    (lambda p: make_mg(p, [MGSetting(L, 1.0)]), "truncation_length"),
    (lambda p: make_mg(p, [MGSetting(3, 1.5)]), "coefficient"),
    (lambda p: make_mg(p, [MGSetting(3, -0.1)]), "coefficient"),
    (lambda p: make_mg(p, [MGSetting(3, 1.0, 1.2)]), "meta_discount"),
    (lambda p: make_mg(p, [MGSetting(3, 1.0, hessian="newton")]), "hessian"),
    (lambda p: make_mg(p, [MGSetting(3)], lifetimes_per_sample=0), "lifetimes_per_sample"),
    (lambda p: make_es(p, [3], sigma=0.0), "sigma"),
    (lambda p: make_es(p, [L + 3], sigma=0.1), "truncation_length"),
    (lambda p: make_fd(p, epsilon=-0.1), "epsilon"),
])
def test_bad_estimator_settings_name_the_parameter(problem, build, name):
    with pytest.raises(ValueError, match=name):
        build(problem)


def test_bad_schedule_split_names_the_parameter():
    with pytest.raises(ValueError, match="schedule_split_step"):
        make_bandit_problem(BANDIT, lifetime_length=10, schedule_split_step=11)


def test_parametric_mg_equals_static_mg_on_the_same_keys(problem):
    from metagrad.estimators.mg import make_mg_parametric
    settings = [MGSetting(5, 0.6), MGSetting(L - 1, 1.0, 0.8), MGSetting(1, 0.0)]
    static = run(make_mg(problem, settings, 2), ETA, 16)
    parametric = make_mg_parametric(problem, "none", 2)
    keys = jax.random.split(jax.random.PRNGKey(0), 16)
    for s, setting in enumerate(settings):
        got = jax.jit(jax.vmap(parametric, in_axes=(0, None, None, None, None)))(
            keys, ETA, setting.truncation_length, setting.coefficient, setting.meta_discount)
        np.testing.assert_allclose(got, static[:, s], rtol=1e-5, atol=1e-6)
