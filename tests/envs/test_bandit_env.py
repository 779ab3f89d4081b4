"""The bandit environment and the softmax REINFORCE learner (spec section 2)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from brax.envs.base import Env

from metagrad.envs import BanditEnv
from metagrad.learners import SoftmaxReinforce
from metagrad.problems.bandit import make_bandit_problem

PAPER_BANDIT = dict(num_arms=30, batch_size=10, reward_noise_std=2.0, log_mean_low=-100.0,
                    log_mean_high=1.0)


def test_bandit_is_a_brax_env_with_batched_pulls():
    env = BanditEnv(**PAPER_BANDIT)
    assert isinstance(env, Env)
    state = env.reset(jax.random.PRNGKey(0))
    state = env.step(state, jnp.arange(10))
    assert state.reward.shape == (10,)
    assert int(state.info["step"]) == 1


def test_arm_mean_prior_matches_spec():
    """Best of 30 arms has median mean ~0.27: P(max < m) = ((log(m) + 100)/101)^30 = 1/2."""
    env = BanditEnv(**PAPER_BANDIT)
    means = jax.vmap(env.sample_task)(jax.random.split(jax.random.PRNGKey(0), 20000))
    best = np.median(np.asarray(means.max(axis=1)))
    exact = np.exp(101 * 0.5 ** (1 / 30) - 100)
    assert abs(exact - 0.27) < 0.01
    # 20000 draws: the sample median's relative s.e. is ~1 %; 5 % tolerance is > 4 s.e.
    assert abs(best - exact) / exact < 0.05
    assert float(means.min()) >= 0 and float(means.max()) <= np.e + 1e-5


def test_reward_noise_is_common_across_actions_for_the_same_key():
    """Common random numbers: the same reset key gives the same noise whichever arms are pulled."""
    env = BanditEnv(**PAPER_BANDIT)
    state = env.reset(jax.random.PRNGKey(3))
    a = env.step(state, jnp.zeros(10, jnp.int32))
    b = env.step(state, jnp.ones(10, jnp.int32))
    means = state.info["arm_means"]
    np.testing.assert_allclose(a.reward - means[0], b.reward - means[1], atol=1e-6)


def test_reward_mean_and_noise_scale():
    env = BanditEnv(num_arms=2, batch_size=1000, reward_noise_std=2.0,
                    fixed_means=jnp.array([0.0, 0.5]))
    state = env.step(env.reset(jax.random.PRNGKey(1)), jnp.ones(1000, jnp.int32))
    r = np.asarray(state.reward)
    # mean s.e. = 2/sqrt(1000) = 0.063: 5 s.e. tolerance (false-failure rate ~6e-7)
    assert abs(r.mean() - 0.5) < 5 * 2.0 / np.sqrt(1000)
    assert abs(r.std() - 2.0) < 0.25


def test_reinforce_update_matches_closed_form():
    learner = SoftmaxReinforce(num_arms=4, batch_size=3)
    theta = jnp.array([0.1, -0.2, 0.3, 0.0])
    actions, rewards = jnp.array([0, 2, 2]), jnp.array([1.0, -0.5, 2.0])
    new = learner.update(theta, actions, rewards, 0.7)
    pi = jax.nn.softmax(theta)
    expected = theta + 0.7 * np.mean(
        [r * (np.eye(4)[a] - pi) for a, r in zip(actions, rewards)], axis=0)
    np.testing.assert_allclose(new, expected, rtol=1e-5)


def test_dice_update_has_the_same_value_and_adds_the_score_outer_product_to_its_jacobian():
    learner = SoftmaxReinforce(num_arms=3, batch_size=2)
    theta = jnp.array([0.2, -0.1, 0.4])
    actions, rewards, lr = jnp.array([1, 2]), jnp.array([0.5, 1.5]), 0.3
    plain = lambda th: learner.update(th, actions, rewards, lr, "none")
    dice = lambda th: learner.update(th, actions, rewards, lr, "dice")
    np.testing.assert_allclose(plain(theta), dice(theta), rtol=1e-6)
    scores = jax.vmap(lambda a: jax.grad(lambda th: jax.nn.log_softmax(th)[a])(theta))(actions)
    extra = lr * jnp.mean(rewards[:, None, None] * scores[:, :, None] * scores[:, None, :], 0)
    np.testing.assert_allclose(jax.jacfwd(dice)(theta) - jax.jacfwd(plain)(theta), extra,
                               atol=1e-6)


def test_two_piece_schedule():
    problem = make_bandit_problem(PAPER_BANDIT, lifetime_length=30, schedule_split_step=7)
    eta = jnp.array([0.0, 2.0])
    assert np.isclose(problem.learning_rate(eta, 6), np.log(2.0))
    assert np.isclose(problem.learning_rate(eta, 7), np.log1p(np.exp(2.0)))


@pytest.mark.parametrize("bad, key", [
    (dict(num_arms=1), "num_arms"), (dict(batch_size=0), "batch_size"),
    (dict(log_mean_low=2.0), "log_mean_low"), (dict(noise="uniform"), "noise"),
])
def test_bad_bandit_settings_name_the_parameter(bad, key):
    with pytest.raises(ValueError, match=key):
        BanditEnv(**{**PAPER_BANDIT, **bad})


@pytest.mark.parametrize("sampler", ["gumbel", "inverse_cdf"])
def test_action_samplers_draw_from_the_softmax_policy(sampler):
    """Chi-square goodness of fit on 200 000 draws; 5 arms (4 d.o.f.): the 1e-6 critical value
    is 32.9, so a correct sampler fails with probability 1e-6."""
    learner = SoftmaxReinforce(num_arms=5, batch_size=1000, action_sampler=sampler)
    theta = jnp.array([2.0, -1.0, 0.0, 0.5, -30.0])
    keys = jax.random.split(jax.random.PRNGKey(0), 200)
    draws = np.asarray(jax.vmap(lambda k: learner.sample(theta, k))(keys)).ravel()
    counts = np.bincount(draws, minlength=5)
    expected = np.asarray(jax.nn.softmax(theta)) * draws.size
    assert counts[4] == 0  # probability ~1e-14
    chi2 = np.sum((counts[:4] - expected[:4]) ** 2 / expected[:4])
    assert chi2 < 32.9


def test_bad_action_sampler_names_the_parameter():
    with pytest.raises(ValueError, match="action_sampler"):
        SoftmaxReinforce(num_arms=3, batch_size=1, action_sampler="alias")


def test_gumbel_sampler_equals_jax_categorical_on_the_same_key():
    """The one-log Gumbel-max form picks exactly the arms jax.random.categorical picks."""
    learner = SoftmaxReinforce(num_arms=30, batch_size=10, action_sampler="gumbel")
    theta = 3.0 * jax.random.normal(jax.random.PRNGKey(1), (30,))
    keys = jax.random.split(jax.random.PRNGKey(0), 2000)
    ours = jax.vmap(lambda k: learner.sample(theta, k))(keys)
    reference = jax.vmap(lambda k: jax.random.categorical(k, theta, shape=(10,)))(keys)
    np.testing.assert_array_equal(ours, reference)
