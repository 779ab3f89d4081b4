"""The tiny MDP with a neural-network policy and a pytree eta (24 scalars), exactly: the
reverse mode's untruncated full correction is unbiased, naive and DiCE are biased, and
directional FD along orthonormal probes matches the exact directional central difference."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.flatten_util import ravel_pytree

from metagrad.estimators import MGSetting, make_fd, sample_grads
from metagrad.estimators.exact import exact_gradient, exact_mg_mean, exact_objective
from metagrad.estimators.probes import probe_directions
from metagrad.problems.tiny_mdp import TinyMDPProblem

PROBLEM = TinyMDPProblem()            # L = 3, one 2-step episode per update: 64 sequences


def flat(tree):
    return np.asarray(ravel_pytree(tree)[0], np.float64)


@pytest.fixture(scope="module")
def exact():
    eta = PROBLEM.eta_template()
    return eta, flat(exact_gradient(PROBLEM, eta))


def relative_error(a, b):
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def test_the_problem_is_beyond_forward_modes_default():
    from metagrad.estimators.mg import FORWARD_MODE_MAX_META_PARAMS
    assert flat(PROBLEM.eta_template()).size == 24 > FORWARD_MODE_MAX_META_PARAMS


def test_enumeration_is_a_probability_distribution(exact):
    eta, _ = exact
    enum = PROBLEM.enumeration()
    from metagrad.estimators.exact import sequence_log_prob_and_objectives
    log_probs, _ = jax.vmap(sequence_log_prob_and_objectives, in_axes=(None, None, 0))(
        enum.scripted, eta, enum.sequences)
    assert abs(float(jnp.exp(log_probs).sum()) - 1.0) < 1e-5


def test_reverse_mode_full_correction_is_exactly_unbiased(exact):
    eta, gradient = exact
    mean = flat(exact_mg_mean(PROBLEM, MGSetting(2, 1.0), eta, mode="reverse"))
    assert relative_error(mean, gradient) < 1e-5


@pytest.mark.parametrize("setting, min_relative_bias", [
    (MGSetting(2, 0.0), 0.1),                       # naive (exact: 19 %)
    (MGSetting(2, 1.0, hessian="dice"), 0.02),      # DiCE + correction (exact: 5.4 %)
    (MGSetting(1, 1.0), 0.3),                       # truncated (exact: 68 %)
], ids=str)
def test_reverse_mode_biased_estimators_are_biased(exact, setting, min_relative_bias):
    """Biases are 5-68 % of |grad J|, three to five orders above float round-off (~1e-6)."""
    eta, gradient = exact
    mean = flat(exact_mg_mean(PROBLEM, setting, eta, mode="reverse"))
    assert relative_error(mean, gradient) > min_relative_bias


def test_directional_fd_matches_the_exact_directional_central_difference(exact):
    """|z| < 4.5 per direction (false-failure rate 7e-6 each)."""
    eta, _ = exact
    flat_eta, unravel = ravel_pytree(eta)
    probes = probe_directions(jax.random.PRNGKey(3), flat_eta.size, 3)
    np.testing.assert_allclose(probes @ probes.T, np.eye(3), atol=1e-5)
    eps = 0.2
    fd = make_fd(PROBLEM, eps, probes)
    keys = jax.random.split(jax.random.PRNGKey(4), 40_000)
    samples = np.asarray(jax.jit(jax.vmap(lambda k: sample_grads(fd, k, eta)[0]))(keys),
                         np.float64) @ probes.T                      # [N, K]
    target = np.array([(exact_objective(PROBLEM, unravel(flat_eta + 0.5 * eps * u))
                        - exact_objective(PROBLEM, unravel(flat_eta - 0.5 * eps * u))) / eps
                       for u in probes])
    se = samples.std(axis=0, ddof=1) / np.sqrt(len(samples))
    assert np.all(np.abs(samples.mean(axis=0) - target) < 4.5 * se)
    assert np.all(se > 0)
