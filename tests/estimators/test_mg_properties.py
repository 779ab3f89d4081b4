"""Identities between estimators on the same samples, jit/vmap behaviour and bad input."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from literal_surrogate import literal_estimate
from metagrad.estimators import MGSetting, make_es, make_fd, make_mg, sample_grads
from metagrad.estimators.mg import make_mg_program, single_values, traced_structure
from metagrad.problems.bandit import make_bandit_problem

BANDIT = dict(num_arms=5, batch_size=3, reward_noise_std=2.0, log_mean_low=-100.0,
              log_mean_high=1.0)
L = 12


@pytest.fixture(scope="module")
def problem():
    return make_bandit_problem(BANDIT, lifetime_length=L, schedule_split_step=3)


def run(estimator, eta, num_samples=64, seed=0):
    """``[N, S, D]`` samples on keys ``split(PRNGKey(seed), N)``."""
    keys = jax.random.split(jax.random.PRNGKey(seed), num_samples)
    return np.asarray(jax.jit(jax.vmap(lambda k: sample_grads(estimator, k, eta)))(keys))


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


LITERAL_SETTINGS = [MGSetting(L - 1, 1.0), MGSetting(5, 0.6), MGSetting(L - 1, 1.0, 0.8),
                    MGSetting(L - 1, 0.0, hessian="dice"), MGSetting(7, 1.0, hessian="dice")]


@pytest.fixture(scope="module")
def both_modes(problem):
    """``{mode: [16, S, D]}`` for all of LITERAL_SETTINGS in one estimator per mode (one compile
    each; settings in one estimator see the same samples as alone, see the pairing test)."""
    return {mode: run(make_mg(problem, LITERAL_SETTINGS, 2, mode=mode), ETA, 16)
            for mode in ("forward", "reverse")}


@pytest.mark.parametrize("index", range(len(LITERAL_SETTINGS)),
                         ids=[str(s) for s in LITERAL_SETTINGS])
def test_both_modes_equal_jax_grad_of_the_literal_surrogate(problem, both_modes, index):
    """Forward mode and the reverse replay both equal jax.grad of the spec's surrogate."""
    setting = LITERAL_SETTINGS[index]
    keys = jax.random.split(jax.random.PRNGKey(0), 16)
    literal = np.asarray(jax.jit(jax.vmap(
        lambda k: literal_estimate(problem, setting, k, ETA, 2)))(keys))
    scale = np.abs(literal).max()
    assert scale > 0
    for mode, got in both_modes.items():
        np.testing.assert_allclose(got[:, index], literal, atol=2e-5 * scale, err_msg=mode)


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
    program = jax.jit(jax.vmap(jax.vmap(lambda k, e: sample_grads(estimator, k, e),
                                        in_axes=(0, None)), in_axes=(None, 0)))
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


def test_traced_settings_equal_static_settings_on_the_same_keys(problem):
    """Meta-training's traced single-setting program (one compile for every setting) gives the
    numbers of ``make_mg`` with static settings."""
    settings = [MGSetting(5, 0.6), MGSetting(L - 1, 1.0, 0.8), MGSetting(1, 0.0)]
    static = run(make_mg(problem, settings, 2), ETA, 16)
    program = make_mg_program(problem, traced_structure("none", L), lifetimes_per_sample=2)
    keys = jax.random.split(jax.random.PRNGKey(0), 16)

    def one(key, t, c, g):
        return program.sample(key, ETA, single_values(t + 1, c, g)).grad[0]

    traced = jax.jit(jax.vmap(one, in_axes=(0, None, None, None)))
    for s, setting in enumerate(settings):
        got = traced(keys, setting.truncation_length, setting.coefficient, setting.meta_discount)
        np.testing.assert_allclose(got, static[:, s], rtol=1e-5, atol=1e-6)


def test_coefficient_enters_linearly_on_paired_lifetimes(problem):
    """Exact identity: est(c) = (1 - c) est(0) + c est(1) sample by sample (the correction is
    linear in c and all settings share the lifetime); unpaired settings would break it."""
    cs = (0.0, 0.3, 1.0)
    for t in (5, L - 1):
        g = run(make_mg(problem, [MGSetting(t, c) for c in cs]), ETA)
        np.testing.assert_allclose(g[:, 1], 0.7 * g[:, 0] + 0.3 * g[:, 2], rtol=2e-5,
                                   atol=2e-6 * np.abs(g).max())
        assert np.abs(g[:, 2] - g[:, 0]).max() > 1e-3 * np.abs(g).max()


def test_meta_discount_weights_match_an_independent_loop(problem):
    """gamma_m weights: the estimate minus the naive one is sum_j dS_j sum_{i>j} gamma^(i-j) R_i
    (/T B); check it against a loop over (i, j) written here from the forward terms."""
    from jax.flatten_util import ravel_pytree
    from metagrad.estimators.mg import mg_structure
    from metagrad.lifetime import forward_meta_terms

    gamma, T = 0.7, L
    structure, values = mg_structure([MGSetting(T - 1, 1.0, gamma)], L)
    program = make_mg_program(problem, structure)
    task = problem.sample_task(jax.random.PRNGKey(1))
    key = jax.random.PRNGKey(2)
    starts = jnp.zeros(1, jnp.int32)
    got = np.asarray(program.at_starts(key, ETA, task, starts, values)[0][0])
    flat, unravel = ravel_pytree(problem.eta_template())
    terms = forward_meta_terms(problem, ETA, unravel, task, key, starts, jnp.array([T]))
    dd, ds = np.asarray(terms.d_direct[0, 0], np.float64), np.asarray(terms.d_score[0, 0], np.float64)
    credit = np.asarray(terms.credit, np.float64)
    expected = dd.sum(axis=0)
    for j in range(T):
        for i in range(j + 1, T):
            expected = expected + ds[j] * gamma ** (i - j) * credit[i]
    np.testing.assert_allclose(got, expected / T, rtol=1e-4, atol=1e-6)
