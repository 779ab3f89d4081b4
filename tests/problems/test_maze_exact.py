"""Exact tests of the maze's outer losses by enumeration (spec section 6; claim C11's mechanism).

A 2x2 maze, one trajectory per update, a small actor-critic, given one fixed realisation of
the eta-independent noise (agent initialisation, object rewards, start cells, respawns). Every probability below is
exact, so equalities hold to float32 round-off and no tolerance has a false-failure rate:

- "no advantage" with the full correction (c = 1, untruncated) has mean exactly
  d/dw E[mean_k G_0] (unbiased);
- "with advantage" does not: the credit's V_{theta_k} depends on the earlier updates' samples,
  so its correction drops a term of nonzero mean (biased);
- without the correction (c = 0) both are biased (the test has power).

Two sizes: lifetimes of 3 updates with 1-step episodes (4^3 sequences; theta_0 does not depend
on w, so the correction needs L >= 3 to act) and lifetimes of 2 updates with 2-step episodes
(4^4 sequences; the direct term's gamma^t weighting: without it "no advantage" is biased).
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from metagrad.envs.maze import MazeEnv
from metagrad.estimators import MGSetting
from metagrad.estimators.exact import exact_gradient, exact_mg_mean, exact_objective
from metagrad.problems.maze import MazeProblem

jax.config.update("jax_enable_x64", False)


SIZES = {"correction": (3, 1), "direct": (2, 2)}   # (lifetime_length, episode_length)


def tiny(outer_loss, size="correction", **kwargs):
    L, H = SIZES[size]
    return MazeProblem(MazeEnv(side=2, episode_length=H), L, 1, outer_loss, hidden=(8,), **kwargs)


@pytest.fixture(scope="module")
def exact():
    out = {}
    for w in (-1.0, 0.5):
        eta = jnp.asarray(w, jnp.float32)
        truth = float(exact_gradient(tiny("no_advantage"), eta))
        means = {(loss, c): float(exact_mg_mean(tiny(loss), MGSetting(2, c), eta, "forward")[0])
                 for loss in ("no_advantage", "with_advantage") for c in (0.0, 1.0)}
        out[w] = truth, means
    return out


def test_no_advantage_with_full_correction_is_unbiased(exact):
    for w, (truth, means) in exact.items():
        assert abs(truth) > 1e-4
        # measured agreement ~1e-6 relative; the correction itself moves the mean by 1-3 %
        assert means[("no_advantage", 1.0)] == pytest.approx(truth, rel=1e-4)


def test_with_advantage_is_biased(exact):
    for w, (truth, means) in exact.items():
        bias = means[("with_advantage", 1.0)] - truth
        # measured: +7 % (w = -1) and +15 % (w = 0.5) of the exact gradient
        assert abs(bias) > 0.03 * abs(truth), (w, bias, truth)


def test_without_correction_both_are_biased(exact):
    for w, (truth, means) in exact.items():
        for loss in ("no_advantage", "with_advantage"):
            # measured: -1.2 % (w = -1) and -2.5 % (w = 0.5): far above round-off (~1e-6)
            assert abs(means[(loss, 0.0)] - truth) > 5e-3 * abs(truth), (w, loss)


def test_direct_term_is_unbiased_with_state_discounting():
    """Two-step episodes: the gamma^t weights make the direct term exact (both losses: V in the
    direct term is a state baseline); gamma = 0.5 makes the weighting matter."""
    eta = jnp.asarray(0.5, jnp.float32)
    truth = float(exact_gradient(tiny("no_advantage", "direct", gamma=0.5), eta))
    assert abs(truth) > 1e-4
    for loss in ("no_advantage", "with_advantage"):
        mean = float(exact_mg_mean(tiny(loss, "direct", gamma=0.5), MGSetting(1, 1.0), eta,
                                   "forward")[0])
        assert mean == pytest.approx(truth, rel=1e-4), loss


def test_forward_and_reverse_exact_means_agree():
    eta = jnp.asarray(0.5, jnp.float32)
    for loss in ("no_advantage", "with_advantage"):
        a = float(exact_mg_mean(tiny(loss), MGSetting(2, 1.0), eta, "forward")[0])
        b = float(exact_mg_mean(tiny(loss), MGSetting(2, 1.0), eta, "reverse")[0])
        assert b == pytest.approx(a, rel=1e-4, abs=1e-7)


def test_exact_objective_matches_central_difference():
    problem = tiny("no_advantage")
    eta = jnp.asarray(0.5, jnp.float32)
    eps = 1e-2
    fd = (float(exact_objective(problem, eta + eps)) - float(exact_objective(problem, eta - eps))) / (2 * eps)
    assert fd == pytest.approx(float(exact_gradient(problem, eta)), rel=2e-2, abs=1e-5)


def test_context_meta_network_no_advantage_is_unbiased_and_with_advantage_is_not():
    """The same proof for figure 10's 385-parameter "context" eta (reverse mode)."""
    from jax.flatten_util import ravel_pytree

    def problem(loss):
        return tiny(loss, meta_form="context")

    eta = problem("no_advantage").eta_template()
    truth = np.asarray(ravel_pytree(exact_gradient(problem("no_advantage"), eta))[0])
    no = np.asarray(exact_mg_mean(problem("no_advantage"), MGSetting(2, 1.0), eta, "reverse"))
    with_ = np.asarray(exact_mg_mean(problem("with_advantage"), MGSetting(2, 1.0), eta, "reverse"))
    scale = np.abs(truth).max()
    assert scale > 1e-5
    np.testing.assert_allclose(no, truth, atol=1e-4 * scale)
    assert np.abs(with_ - truth).max() > 1e-2 * scale
