"""The contract every problem x estimator x mode passes (ARCHITECTURE.md): jit and vmap give
finite values, the same key gives the same numbers, settings are paired, forward mode equals
reverse mode to round-off, and a pytree eta survives the round trip.

Problems: a small bandit (eta in R^2), a tiny maze (eta = the entropy coefficient's logit) and
the tiny MDP with a neural-network policy (eta a
pytree of 24 scalars: more than forward mode takes by default, so ``auto`` picks reverse).
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.flatten_util import ravel_pytree

from metagrad.estimators import MGSetting, make_es, make_fd, make_mg
from metagrad.estimators.probes import probe_directions
from metagrad.problems.bandit import make_bandit_problem
from metagrad.envs.maze import MazeEnv
from metagrad.problems.maze import MazeProblem
from metagrad.problems.tiny_mdp import TinyMDPProblem

BANDIT = dict(num_arms=5, batch_size=3, reward_noise_std=1.0, log_mean_low=-3.0,
              log_mean_high=1.0)


def bandit():
    return make_bandit_problem(BANDIT, lifetime_length=8, schedule_split_step=2)


def tiny_mdp():
    return TinyMDPProblem(lifetime_length=4, episode_length=2, batch_size=2)


def maze():
    return MazeProblem(MazeEnv(side=2, episode_length=3), 4, 2, "with_advantage", hidden=(8,))


PROBLEMS = {"bandit": bandit, "tiny_mdp": tiny_mdp, "maze": maze}


def mg_settings(L):
    return [MGSetting(L - 1, 0.0), MGSetting(L - 1, 0.4), MGSetting(L - 1, 1.0),
            MGSetting(2, 1.0, 0.5), MGSetting(L - 1, 1.0, hessian="dice")]


def estimators(problem):
    L = problem.lifetime_length
    D = ravel_pytree(problem.eta_template())[0].size
    return {
        "mg_forward": make_mg(problem, mg_settings(L), lifetimes_per_sample=2, mode="forward"),
        "mg_reverse": make_mg(problem, mg_settings(L), lifetimes_per_sample=2, mode="reverse"),
        "es": make_es(problem, [1, L - 1], sigma=0.1),
        "fd": make_fd(problem, 0.1),
        "fd_directional": make_fd(problem, 0.1, probe_directions(jax.random.PRNGKey(5), D, 2)),
    }


@pytest.fixture(scope="module", params=sorted(PROBLEMS))
def case(request):
    problem = PROBLEMS[request.param]()
    eta = jax.tree.map(lambda x: x + 0.3, problem.eta_template())
    runs = {}
    keys = jax.random.split(jax.random.PRNGKey(0), 8)
    for name, est in estimators(problem).items():
        def one(key, est=est):
            estimate, _ = est.estimate(est.init(key, eta), key, eta)
            return estimate
        program = jax.jit(jax.vmap(one))
        runs[name] = (est, program(keys), program(keys))
    return request.param, problem, eta, runs


def test_finite_and_deterministic_under_jit_and_vmap(case):
    _, _, _, runs = case
    for name, (est, first, second) in runs.items():
        for a, b in zip(jax.tree.leaves(first), jax.tree.leaves(second)):
            assert np.all(np.isfinite(np.asarray(a))), name
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b), err_msg=name)
        assert first.objective.shape == (8, est.num_settings), name


def test_eta_pytree_round_trip(case):
    """Every estimate is eta's pytree with a leading settings axis, and flattening it and
    unflattening it back gives the same leaves."""
    _, _, eta, runs = case
    flat, unravel = ravel_pytree(eta)
    for name, (est, estimate, _) in runs.items():
        one = jax.tree.map(lambda g: g[0, 0], estimate.grad)      # sample 0, setting 0
        assert jax.tree.structure(one) == jax.tree.structure(eta), name
        for a, b in zip(jax.tree.leaves(one), jax.tree.leaves(eta)):
            assert a.shape == b.shape, name
        back = unravel(ravel_pytree(one)[0])
        for a, b in zip(jax.tree.leaves(back), jax.tree.leaves(one)):
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def _flat(estimate):
    return np.asarray(jax.vmap(jax.vmap(lambda g: ravel_pytree(g)[0]))(estimate.grad),
                      np.float64)                                  # [N, S, D]


def test_forward_mode_equals_reverse_mode(case):
    _, _, _, runs = case
    forward, reverse = _flat(runs["mg_forward"][1]), _flat(runs["mg_reverse"][1])
    scale = np.abs(forward).max()
    assert scale > 0
    np.testing.assert_allclose(reverse, forward, atol=1e-5 * scale)
    np.testing.assert_allclose(np.asarray(runs["mg_reverse"][1].objective),
                               np.asarray(runs["mg_forward"][1].objective), rtol=1e-6)


def test_mg_settings_are_paired(case):
    """Exact on shared lifetimes: est(c = 0.4) = 0.6 est(0) + 0.4 est(1), sample by sample."""
    _, _, _, runs = case
    for mode in ("mg_forward", "mg_reverse"):
        g = _flat(runs[mode][1])
        np.testing.assert_allclose(g[:, 1], 0.6 * g[:, 0] + 0.4 * g[:, 2],
                                   atol=1e-5 * np.abs(g).max(), err_msg=mode)
        assert np.abs(g[:, 2] - g[:, 0]).max() > 1e-3 * np.abs(g).max()


def test_es_settings_are_paired(case):
    """Both windows read the same antithetic pair: every setting is z times a scalar, so the
    [S, D] estimate has rank one in every sample."""
    _, _, _, runs = case
    g = _flat(runs["es"][1])                                       # [N, 2, D]
    informative = 0
    for sample in g:
        singular = np.linalg.svd(sample, compute_uv=False)
        if singular[0] < 1e-3:     # both members scored the same (discrete rewards): no signal
            continue
        informative += 1
        if singular.size > 1:      # D = 1 (the maze's scalar w): rank one holds trivially
            assert singular[1] <= 1e-4 * singular[0]
    assert informative >= 2


def test_auto_mode_picks_by_the_size_of_eta(case):
    name, problem, _, _ = case
    mode = make_mg(problem, [MGSetting(1, 1.0)]).settings[0]["mode"]
    assert mode == {"bandit": "forward", "tiny_mdp": "reverse", "maze": "forward"}[name]
